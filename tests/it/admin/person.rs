//! One page per person (`meetflow-admin person`, `GET /api/person`): a booking made through a
//! real worker (Calendly delivery in, confirmation and 24 h reminder out to the EngageLab fake,
//! the reminder's delivery callback in) is found by the person's e-mail, by their number typed in
//! national format (read with `sms.default_region`), by the invitee URI and by the scheduled
//! event's URI; the page shows the
//! reminder as delivered, the delivery that made the booking with the status after it, the Brevo
//! sync, and personal data masked. A read token cannot reveal (403, recorded as denied); an
//! operate token's reveal and a CLI reveal are recorded in the audit trail.

use std::process::{Command, Stdio};

use meetflow_shared::bookings::BookingKey;
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::SMS;
use meetflow_shared::queue::NewJob;
use meetflow_tests::fakes::status_callback_by_id;
use reqwest::StatusCode;
use serde_json::Value;

use super::roles_and_audit::{ConfigFile, ONCALL, VIEWER, config_file};
use crate::support::admin::{Served, admin_binary, api_get, free_port, run, wait_port};
use crate::support::worker::{
    Env, JORDAN_EMAIL, JORDAN_PHONE, canceled, created, env, in_two_days, jordans_24h_reminder,
};

/// The meeting start of the first booking of a person page.
fn start_of(v: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(v["bookings"][0]["start_ms"].as_i64().unwrap()).unwrap()
}

/// Jordan's number as an operator in the US types it.
pub(crate) const NATIONAL: &str = "(415) 555-0132";

/// A booking of Jordan's made through the worker, its 24 h reminder sent and reported
/// delivered by EngageLab's callback. The worker is stopped again.
pub(crate) async fn scene() -> (Env, String, BookingKey) {
    let env = env().await;
    let worker = env.start();
    let start = in_two_days();
    let (uri, key) = crate::support::worker::new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, start)).await;
    env.settle().await;
    let reminder = jordans_24h_reminder(&key, &uri, start, start - chrono::Duration::hours(24));
    env.client
        .enqueue(
            SMS,
            NewJob::json(&reminder)
                .unwrap()
                .with_id(&reminder.reminder_id),
        )
        .await
        .unwrap();
    env.settle().await;
    let sms = env
        .engagelab
        .sent_to(JORDAN_PHONE)
        .into_iter()
        .find(|s| s.template_id == "tpl_reminder")
        .expect("the reminder was sent");
    env.deliver(
        Provider::EngageLab,
        &status_callback_by_id(&sms, "delivered", 0),
    )
    .await;
    env.settle().await;
    worker.stop().await;
    (env, uri, key)
}

/// `meetflow-admin` on the scene's Redis, with `sms.default_region: US` unless `region` is
/// `None`.
pub(crate) fn admin(env: &Env, region: Option<&str>) -> Command {
    let mut cmd = Command::new(admin_binary());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("MEETFLOW") && k != "MEETFLOW_REQUEST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.env("MEETFLOW__REDIS__URL", env.redis.url())
        .env("MEETFLOW__REDIS__NAMESPACE", env.client.keys().namespace())
        .env("RUST_LOG", "warn")
        .env("USER", "person-test")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    if let Some(r) = region {
        cmd.env("MEETFLOW__SMS__DEFAULT_REGION", r);
    }
    cmd
}

/// `meetflow-admin --config FILE serve` on the scene's Redis (region US).
pub(crate) async fn serve(env: &Env, config: &ConfigFile) -> Served {
    let (port, ops) = (free_port(), free_port());
    let mut cmd = admin(env, Some("US"));
    cmd.arg("--config")
        .arg(&config.0)
        .arg("serve")
        .env("MEETFLOW__ADMIN__LISTEN", format!("127.0.0.1:{port}"))
        .env("MEETFLOW__OPS__LISTEN", format!("127.0.0.1:{ops}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    wait_port(port, &mut child).await;
    Served {
        child,
        base: format!("http://127.0.0.1:{port}"),
        ops,
    }
}

async fn person_json(env: &Env, query: &str, extra: &[&str]) -> Value {
    let mut cmd = admin(env, Some("US"));
    cmd.args(["person", query, "--json"]).args(extra);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn sms_row(v: &Value, kind: &str) -> Value {
    v["bookings"][0]["sms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == kind)
        .cloned()
        .unwrap_or(Value::Null)
}

async fn audit_entries(env: &Env) -> Vec<Value> {
    let mut conn = env.client.redis();
    let raw: Vec<String> = redis::cmd("LRANGE")
        .arg(env.client.keys().admin_audit())
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap();
    raw.iter()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect()
}

#[tokio::test]
async fn the_person_page_shows_a_reminder_as_delivered_found_by_a_national_number() {
    let (env, uri, key) = scene().await;

    let v = person_json(&env, NATIONAL, &[]).await;
    assert_eq!(v["kind"], "phone", "{v}");
    assert_eq!(v["bookings"].as_array().unwrap().len(), 1, "{v}");
    let b = &v["bookings"][0];
    assert_eq!(b["key"], key.as_str());
    assert_eq!(b["status"], "active");
    let reminder = sms_row(&v, "rem-24h");
    assert_eq!(reminder["state"], "delivered", "{v}");
    assert_eq!(reminder["delivery"]["status"], "delivered");
    assert_eq!(sms_row(&v, "confirmation")["state"], "sent", "{v}");
    // The delivery that made the booking, its dedupe key and the status after it.
    let d = &b["deliveries"][0];
    assert_eq!(d["event"], "invitee.created", "{v}");
    assert_eq!(d["status"], "active");
    assert!(d["delivery"].as_str().unwrap().starts_with("wh:calendly:"));
    assert_eq!(d["job"]["state"], "done");
    let brevo: Vec<&str> = b["brevo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert!(
        brevo.contains(&format!("brevo:created:{key}").as_str()),
        "{brevo:?}"
    );
    assert!(v["dead_letters"].as_array().unwrap().is_empty());
    // Masked: neither the number nor the address appears.
    let text = v.to_string();
    assert!(
        !text.contains("4155550132") && !text.contains("555-0132"),
        "{text}"
    );
    assert!(!text.contains(JORDAN_EMAIL), "{text}");
    assert_eq!(v["phones"][0], "+1415***32");
    assert_eq!(v["emails"][0], "j***@example.com");

    // The same person by e-mail and by invitee URI; the text output says the same.
    let body: Value = serde_json::from_str(&created(&uri, in_two_days())).unwrap();
    let event_uri = body["payload"]["scheduled_event"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    for q in [JORDAN_EMAIL, &uri, &event_uri] {
        let v = person_json(&env, q, &[]).await;
        assert_eq!(v["bookings"][0]["key"], key.as_str(), "{q}");
        assert_eq!(sms_row(&v, "rem-24h")["state"], "delivered", "{q}");
    }
    let mut cmd = admin(&env, Some("US"));
    cmd.args(["person", "415.555.0132"]);
    let out = run(cmd).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("rem-24h"))
        .unwrap_or_default();
    assert!(line.contains("delivered"), "{text}");

    // A cancellation joins the status history, newest first; the delivered reminder stays
    // delivered and the ones still planned are called off. The number is on the suppression
    // list by then, so the cancellation SMS shows as suppressed.
    let mut cmd = admin(&env, Some("US"));
    cmd.args(["sms", "suppress", JORDAN_PHONE]);
    assert!(run(cmd).await.status.success());
    let worker = env.start();
    env.deliver(Provider::Calendly, &canceled(&uri, start_of(&v), |_| {}))
        .await;
    env.settle().await;
    worker.stop().await;
    let v = person_json(&env, NATIONAL, &[]).await;
    let b = &v["bookings"][0];
    assert_eq!(b["status"], "canceled", "{v}");
    let history: Vec<(&str, &str)> = b["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["event"].as_str().unwrap(), d["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        history,
        [
            ("invitee.canceled", "canceled"),
            ("invitee.created", "active")
        ],
        "{v}"
    );
    assert_eq!(sms_row(&v, "rem-24h")["state"], "delivered", "{v}");
    assert_eq!(sms_row(&v, "rem-1h")["state"], "canceled", "{v}");
    assert_eq!(sms_row(&v, "cancellation")["state"], "suppressed", "{v}");
    assert!(
        !env.engagelab
            .sent_to(JORDAN_PHONE)
            .iter()
            .any(|s| s.template_id == "tpl_cancellation")
    );
    assert_eq!(v["suppressed"][0]["kind"], "phone", "{v}");
    assert_eq!(v["suppressed"][0]["value"], "+1415***32");
    assert_eq!(v["suppressed"][0]["scope"], "all");

    // A national number without sms.default_region names no one: exit 1 saying why.
    let mut cmd = admin(&env, None);
    cmd.args(["person", NATIONAL]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sms.default_region"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_read_token_cannot_reveal_and_a_reveal_is_audited() {
    let (env, _uri, _key) = scene().await;
    let config = config_file("");
    let s = serve(&env, &config).await;
    let q = url::form_urlencoded::byte_serialize(NATIONAL.as_bytes()).collect::<String>();

    // A read token looks: masked, with the reminder delivered.
    let r = api_get(&s, &format!("/api/person?q={q}"), Some(VIEWER)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(sms_row(&v, "rem-24h")["state"], "delivered", "{v}");
    assert!(!v.to_string().contains(JORDAN_EMAIL));
    // Its page has no action and no reveal link, and shows the reminder delivered.
    let page = api_get(&s, &format!("/person?q={q}"), Some(VIEWER))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-kind=\"rem-24h\" data-state=\"delivered\""),
        "{page}"
    );
    assert!(!page.contains("id=\"reveal\"") && !page.contains("data-action"));
    assert!(!page.contains(JORDAN_EMAIL) && !page.contains("555-0132"));

    // It cannot reveal: 403 naming the roles, nothing shown, the refusal recorded.
    let r = api_get(&s, &format!("/api/person?q={q}&reveal=true"), Some(VIEWER)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body = r.text().await.unwrap();
    assert!(!body.contains(JORDAN_EMAIL), "{body}");
    let r = api_get(&s, &format!("/person?q={q}&reveal=1"), Some(VIEWER)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let denied: Vec<Value> = audit_entries(&env)
        .await
        .into_iter()
        .filter(|e| e["action"] == "reveal" && e["outcome"] == "denied")
        .collect();
    assert_eq!(denied.len(), 2, "{denied:?}");
    assert_eq!(denied[0]["who"], "viewer");

    // An operate token reveals; the reveal is recorded with its name and what it showed.
    let r = api_get(&s, &format!("/api/person?q={q}&reveal=true"), Some(ONCALL)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["revealed"], true);
    assert_eq!(v["emails"][0], JORDAN_EMAIL);
    assert_eq!(v["phones"][0], JORDAN_PHONE);
    let shown: Vec<Value> = audit_entries(&env)
        .await
        .into_iter()
        .filter(|e| e["action"] == "reveal" && e["outcome"] == "ok")
        .collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0]["who"], "on-call");
    assert_eq!(shown[0]["target"], "person: +1415***32");
    assert_eq!(shown[0]["count"], 1);
    assert!(
        !shown[0].to_string().contains(JORDAN_PHONE),
        "the trail holds no personal data"
    );

    // A CLI reveal is recorded too.
    let v = person_json(&env, JORDAN_EMAIL, &["--reveal"]).await;
    assert_eq!(v["bookings"][0]["email"], JORDAN_EMAIL);
    let entries = audit_entries(&env).await;
    let cli = &entries[0];
    assert_eq!(cli["action"], "reveal", "{cli}");
    assert_eq!(cli["who"], "cli:person-test");
    assert_eq!(cli["target"], "person: j***@example.com");

    // A query that names no one is a 400.
    let r = api_get(&s, "/api/person?q=%40%40", Some(VIEWER)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}
