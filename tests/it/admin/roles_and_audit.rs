//! Token roles and the audit trail on a served `meetflow-admin` (the built binary, a private
//! Redis, a config file with `admin.tokens`): a read token looks but cannot act or reveal (403,
//! nothing done, the refusal recorded), an operate token acts and is recorded with its name and
//! count, a reveal is recorded, `resend` needs the admin role, a failed action is still
//! recorded, and the page of a read token has no action button.

use std::path::PathBuf;
use std::process::Stdio;

use meetflow_shared::queue::{ErrorClass, JobState};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::admin::{Admin, Served, api_get, api_post, free_port};

pub(crate) const ROOT: &str = "root-token-5b1e2c9d";
pub(crate) const VIEWER: &str = "viewer-token-8f3a61c0";
pub(crate) const ONCALL: &str = "oncall-token-2d7e94b4";

/// A config file naming the three tokens (written under the temp dir, removed with the guard).
pub(crate) struct ConfigFile(pub(crate) PathBuf);

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub(crate) fn config_file(extra: &str) -> ConfigFile {
    let path = std::env::temp_dir().join(format!(
        "meetflow-roles-{}-{}.yaml",
        std::process::id(),
        free_port()
    ));
    let yaml = format!(
        "admin:\n  token: {ROOT}\n  tokens:\n\
         \x20   - {{ name: viewer, token: {VIEWER}, role: read }}\n\
         \x20   - {{ name: on-call, token: {ONCALL}, role: operate }}\n{extra}"
    );
    std::fs::write(&path, yaml).unwrap();
    ConfigFile(path)
}

/// `meetflow-admin --config FILE serve` on a free loopback port.
async fn serve_with(a: &Admin, config: &ConfigFile) -> Served {
    a.serve_with(None, Some(&config.0)).await
}

async fn bury_sms(a: &Admin, ids: &[&str]) {
    for id in ids {
        a.bury(
            "sms",
            id,
            &json!({"v": 1, "to": "+14155550132", "email": "jordan.rivera@example.com"}),
            ErrorClass::ProviderRejected,
            "engagelab: HTTP 400 code 4001 template not found",
        )
        .await;
    }
}

async fn state(a: &Admin, id: &str) -> JobState {
    a.client.job(id).await.unwrap().unwrap().state
}

async fn audit(s: &Served) -> Vec<Value> {
    let r = api_get(s, "/api/audit?limit=100", Some(VIEWER)).await;
    assert_eq!(r.status(), StatusCode::OK, "every role may read the trail");
    let v: Value = r.json().await.unwrap();
    v["entries"].as_array().unwrap().clone()
}

async fn delete(s: &Served, path: &str, body: Value, token: &str) -> reqwest::Response {
    crate::support::admin::http()
        .delete(format!("{}{path}", s.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_read_token_cannot_replay() {
    let a = Admin::start().await;
    bury_sms(&a, &["sms:r1", "sms:r2"]).await;
    let config = config_file("");
    let s = serve_with(&a, &config).await;

    // It can look.
    let list = api_get(&s, "/api/dlq", Some(VIEWER)).await;
    assert_eq!(list.status(), StatusCode::OK);
    let show = api_get(&s, "/api/dlq/sms:r1", Some(VIEWER)).await;
    assert_eq!(show.status(), StatusCode::OK);
    assert!(
        !show.text().await.unwrap().contains("+14155550132"),
        "masked"
    );

    // It cannot act: each refusal is a 403 naming the roles, and nothing happens.
    let r = api_post(
        &s,
        "/api/dlq/retry",
        json!({"ids": ["sms:r1"]}),
        Some(VIEWER),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["role"], "read", "{body}");
    assert_eq!(body["required_role"], "operate", "{body}");
    assert!(body["error"].as_str().unwrap().contains("viewer"), "{body}");
    let refused = [
        api_post(&s, "/api/dlq/retry", json!({"all": true}), Some(VIEWER)).await,
        api_post(
            &s,
            "/api/dlq/delete",
            json!({"ids": ["sms:r2"]}),
            Some(VIEWER),
        )
        .await,
        api_post(&s, "/api/queues/sms/pause", json!({}), Some(VIEWER)).await,
        api_post(
            &s,
            "/api/sms/suppressed",
            json!({"target": "+14155550132"}),
            Some(VIEWER),
        )
        .await,
        delete(
            &s,
            "/api/sms/suppressed",
            json!({"target": "+14155550132"}),
            VIEWER,
        )
        .await,
        api_get(&s, "/api/dlq/sms:r1?reveal=true", Some(VIEWER)).await,
        api_get(&s, "/jobs/sms:r1?reveal=true", Some(VIEWER)).await,
    ];
    for r in refused {
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{}", r.url());
    }
    assert_eq!(
        state(&a, "sms:r1").await,
        JobState::Dead,
        "nothing replayed"
    );
    assert_eq!(state(&a, "sms:r2").await, JobState::Dead, "nothing deleted");
    assert!(!a.client.is_paused("sms").await.unwrap(), "nothing paused");
    let suppressed = api_get(&s, "/api/sms/suppressed", Some(VIEWER)).await;
    let v: Value = suppressed.json().await.unwrap();
    assert_eq!(v["entries"], json!([]), "nobody suppressed");

    // Every refused attempt is in the trail, newest first, with the token's name.
    let entries = audit(&s).await;
    assert_eq!(entries.len(), 8, "{entries:#?}");
    assert!(
        entries
            .iter()
            .all(|e| e["who"] == "viewer" && e["outcome"] == "denied"),
        "{entries:#?}"
    );
    let actions: Vec<&str> = entries
        .iter()
        .rev()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "replay",
            "replay",
            "delete",
            "pause",
            "suppress",
            "unsuppress",
            "reveal",
            "reveal"
        ]
    );
}

#[tokio::test]
async fn operate_can_replay_and_it_is_audited_with_the_token_name_and_count() {
    let a = Admin::start().await;
    bury_sms(&a, &["sms:o1", "sms:o2", "sms:o3"]).await;
    a.bury(
        "events",
        "wh:calendly:o4",
        &json!({"v": 1}),
        ErrorClass::BadPayload,
        "payload.scheduled_event is missing",
    )
    .await;
    let config = config_file("");
    let s = serve_with(&a, &config).await;

    let before_ms = redis_now_ms(&a).await;
    let r = api_post(
        &s,
        "/api/dlq/retry",
        json!({"all": true, "queue": "sms"}),
        Some(ONCALL),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["done"], 3, "{body}");
    for id in ["sms:o1", "sms:o2", "sms:o3"] {
        assert_eq!(state(&a, id).await, JobState::Ready, "{id} replayed");
    }
    assert_eq!(state(&a, "wh:calendly:o4").await, JobState::Dead);

    let entries = audit(&s).await;
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let e = &entries[0];
    assert_eq!(e["who"], "on-call");
    assert_eq!(e["via"], "api");
    assert_eq!(e["action"], "replay");
    assert_eq!(e["count"], 3);
    assert_eq!(e["outcome"], "ok");
    assert!(e["target"].as_str().unwrap().contains("sms"), "{e}");
    let at = e["at_ms"].as_i64().unwrap();
    assert!(
        at >= before_ms && at <= redis_now_ms(&a).await,
        "recorded at Redis time"
    );

    // By ids, and the admin token goes by "admin".
    let r = api_post(
        &s,
        "/api/dlq/delete",
        json!({"ids": ["wh:calendly:o4"]}),
        Some(ROOT),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let e = &audit(&s).await[0];
    assert_eq!(
        (&e["who"], &e["action"], &e["count"]),
        (&json!("admin"), &json!("delete"), &json!(1))
    );
    assert_eq!(e["target"], "ids: wh:calendly:o4");
}

async fn redis_now_ms(a: &Admin) -> i64 {
    let mut conn = a.client.redis();
    let (s, us): (i64, i64) = redis::cmd("TIME").query_async(&mut conn).await.unwrap();
    s * 1000 + us / 1000
}

#[tokio::test]
async fn reveal_is_audited() {
    let a = Admin::start().await;
    bury_sms(&a, &["sms:v1"]).await;
    let config = config_file("");
    let s = serve_with(&a, &config).await;

    let r = api_get(&s, "/api/dlq/sms:v1?reveal=true", Some(ONCALL)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("+14155550132"), "revealed");
    let page = api_get(&s, "/jobs/sms:v1?reveal=true", Some(ONCALL)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let masked = api_get(&s, "/api/dlq/sms:v1", Some(ONCALL)).await;
    assert_eq!(masked.status(), StatusCode::OK);

    let entries = audit(&s).await;
    assert_eq!(
        entries.len(),
        2,
        "a masked look is not a reveal: {entries:#?}"
    );
    for e in &entries {
        assert_eq!(e["who"], "on-call");
        assert_eq!(e["action"], "reveal");
        assert_eq!(e["target"], "job: sms:v1");
        assert_eq!(e["count"], 1);
        assert_eq!(e["outcome"], "ok");
    }

    // The CLI's reveal names the operating system user.
    let mut cmd = a.command();
    cmd.args(["dlq", "show", "sms:v1", "--reveal"])
        .env("USER", "ana")
        .stdin(Stdio::null());
    let out = crate::support::admin::run(cmd).await;
    assert!(out.status.success(), "{out:?}");
    let e = &audit(&s).await[0];
    assert_eq!((&e["who"], &e["via"]), (&json!("cli:ana"), &json!("cli")));
    assert_eq!(e["action"], "reveal");
}

#[tokio::test]
async fn resend_needs_the_admin_role_and_a_failed_action_is_still_audited() {
    let a = Admin::start().await;
    bury_sms(&a, &["sms:ps"]).await;
    let config = config_file("");
    let s = serve_with(&a, &config).await;

    let body = json!({"ids": ["sms:ps"], "resend": true});
    let r = api_post(&s, "/api/dlq/retry", body.clone(), Some(ONCALL)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["required_role"], "admin", "{v}");
    assert_eq!(state(&a, "sms:ps").await, JobState::Dead);
    let r = api_post(&s, "/api/dlq/retry", body, Some(ROOT)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(state(&a, "sms:ps").await, JobState::Ready);

    // Pausing a queue nobody knows fails (404) and is recorded as failed.
    let r = api_post(&s, "/api/queues/nosuch/pause", json!({}), Some(ONCALL)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let entries = audit(&s).await;
    let summary: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["who"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let s3 = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        summary,
        [
            s3("on-call", "pause", "failed"),
            s3("admin", "resend", "ok"),
            s3("on-call", "resend", "denied"),
        ]
    );
    assert!(
        entries[0]["error"].as_str().unwrap().contains("nosuch"),
        "{entries:#?}"
    );
}

#[tokio::test]
async fn the_page_of_a_read_token_has_no_action_button() {
    let a = Admin::start().await;
    bury_sms(&a, &["sms:p1"]).await;
    let config = config_file("");
    let s = serve_with(&a, &config).await;

    let as_viewer = api_get(&s, "/", Some(VIEWER)).await.text().await.unwrap();
    assert!(as_viewer.contains("data-role=\"read\""), "{as_viewer}");
    assert!(as_viewer.contains("id=\"read-only\""));
    for action in ["data-action=", "data-pause="] {
        assert!(!as_viewer.contains(action), "{action} shown to read");
    }
    let job = api_get(&s, "/jobs/sms:p1", Some(VIEWER))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !job.contains("id=\"replay\"") && !job.contains("reveal=true"),
        "{job}"
    );

    let as_oncall = api_get(&s, "/", Some(ONCALL)).await.text().await.unwrap();
    assert!(as_oncall.contains("data-action=\"retry\"") && as_oncall.contains("data-pause="));
    let job = api_get(&s, "/jobs/sms:p1", Some(ONCALL))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        job.contains("id=\"replay\"") && job.contains("reveal=true"),
        "{job}"
    );

    let page = api_get(&s, "/audit", Some(VIEWER))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"audit-card\""), "{page}");
}
