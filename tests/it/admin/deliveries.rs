//! The delivery log from the operator's side: `meetflow-admin deliveries` against a running
//! ingest and worker (a filtered replay re-processes exactly the deliveries of the window, and
//! no SMS goes out twice), and the JSON API's roles (a read token sees masked bodies and
//! cannot reveal or replay; an operate token can, and both are in the audit trail).

use std::process::Command;
use std::time::Duration;

use meetflow_shared::delivery_log::{DeliveryLog, Filter, LogEntry, persons};
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::{EVENTS, WebhookJob};
use meetflow_shared::queue::{JobState, NewJob};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::admin::roles_and_audit::{ONCALL, VIEWER, config_file};
use crate::support::admin::{Admin, admin_binary, api_get, api_post, ok, run};
use crate::support::worker::{
    JORDAN_PHONE, created, env_with_ingest, in_two_days, new_invitee, post_calendly,
};

const CAL_KEY: &str = "deliveries-calendly-key";

/// Unix ms now, with a little room on both sides so no delivery shares it.
async fn mark() -> i64 {
    tokio::time::sleep(Duration::from_millis(5)).await;
    let t = chrono::Utc::now().timestamp_millis();
    tokio::time::sleep(Duration::from_millis(5)).await;
    t
}

fn admin_cli(redis_url: &str, namespace: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(admin_binary());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("MEETFLOW") {
            cmd.env_remove(k);
        }
    }
    cmd.env("MEETFLOW__REDIS__URL", redis_url)
        .env("MEETFLOW__REDIS__NAMESPACE", namespace)
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .args(args);
    cmd
}

#[tokio::test]
async fn a_filtered_replay_reprocesses_exactly_the_window_and_texts_no_one_twice() {
    let (env, base, stop) = env_with_ingest(CAL_KEY, "deliveries-zoom-secret", "").await;
    let worker = env.start();
    let start = in_two_days();
    let invitees: Vec<_> = (0..4).map(|_| new_invitee()).collect();
    let post = |i: usize| post_calendly(&base, CAL_KEY, created(&invitees[i].0, start));
    assert_eq!(post(0).await, 200);
    let t1 = mark().await;
    assert_eq!(post(1).await, 200);
    assert_eq!(post(2).await, 200);
    let t2 = mark().await;
    assert_eq!(post(3).await, 200);
    env.settle().await;
    assert_eq!(
        env.engagelab.sent_to(JORDAN_PHONE).len(),
        4,
        "one confirmation per booking"
    );
    for (_, key) in &invitees {
        let marker = env.client.keys().sms_marker(key.as_str(), "confirmation");
        assert_eq!(env.get(&marker).await.as_deref(), Some("sent"));
    }

    // The window holds the second and third bookings.
    let log = DeliveryLog::new(env.client.clone());
    let window = Filter {
        provider: Some(Provider::Calendly),
        since_ms: Some(t1),
        until_ms: Some(t2),
        ..Filter::default()
    };
    let in_window: Vec<String> = log
        .page(&window, None, 100)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(in_window.len(), 2);

    // Replays come long after the SMS jobs' own de-duplication window (the log keeps 14 days):
    // drop the finished SMS jobs so the replay's SMS jobs really run and only the send-once
    // markers stand between them and a second text.
    let sms_jobs: Vec<String> = invitees
        .iter()
        .map(|(_, key)| format!("sms:confirmation:{}", key.as_str()))
        .collect();
    {
        let mut conn = env.client.redis();
        for id in &sms_jobs {
            let gone: u64 = redis::cmd("DEL")
                .arg(env.client.keys().job(id))
                .query_async(&mut conn)
                .await
                .unwrap();
            assert_eq!(gone, 1, "{id} was the confirmation's job");
        }
    }

    let redis_url = env.settings.redis.url.clone();
    let ns = env.settings.redis.namespace.clone();
    let (since, until) = (t1.to_string(), t2.to_string());
    let out = ok(&run(admin_cli(
        &redis_url,
        &ns,
        &[
            "deliveries",
            "replay",
            "--all",
            "--provider",
            "calendly",
            "--since",
            &since,
            "--until",
            &until,
            "--json",
        ],
    ))
    .await);
    let report: Value = serde_json::from_str(&out).unwrap();
    let replayed: Vec<(String, String)> =
        serde_json::from_value(report["replayed"].clone()).unwrap();
    let mut entries: Vec<&String> = replayed.iter().map(|(e, _)| e).collect();
    entries.sort();
    let mut expected: Vec<&String> = in_window.iter().collect();
    expected.sort();
    assert_eq!(entries, expected, "exactly the filtered set");

    env.settle().await;
    let mut replayed_uris = Vec::new();
    for (_, job_id) in &replayed {
        let job = env.client.job(job_id).await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Done, "the replay was processed");
        let d = log
            .get(&replayed.iter().find(|(_, j)| j == job_id).unwrap().0)
            .await
            .unwrap()
            .unwrap();
        let body: Value = serde_json::from_str(&d.body).unwrap();
        replayed_uris.push(body["payload"]["uri"].as_str().unwrap().to_owned());
        assert_eq!(d.row.replays, 1);
    }
    replayed_uris.sort();
    let mut window_uris = vec![invitees[1].0.clone(), invitees[2].0.clone()];
    window_uris.sort();
    assert_eq!(replayed_uris, window_uris);
    for (i, id) in sms_jobs.iter().enumerate() {
        let job = env.client.job(id).await.unwrap();
        if i == 1 || i == 2 {
            let job = job.expect("the replay planned the confirmation again");
            assert_eq!(job.state, JobState::Done, "{id} ran");
        } else {
            assert!(job.is_none(), "{id}: outside the window, not replayed");
        }
    }
    assert_eq!(
        env.engagelab.sent_to(JORDAN_PHONE).len(),
        4,
        "the send-once markers hold: no SMS twice"
    );
    assert!(env.dead("sms").await.is_empty());

    // Found by person from the CLI too (the phone in another format), masked by default.
    let list = ok(&run(admin_cli(
        &redis_url,
        &ns,
        &[
            "deliveries",
            "list",
            "--person",
            "+1 (415) 555-0132",
            "--json",
        ],
    ))
    .await);
    let page: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 4);
    let shown = ok(&run(admin_cli(
        &redis_url,
        &ns,
        &["deliveries", "show", &in_window[0]],
    ))
    .await);
    assert!(
        shown.contains("j***@example.com") && !shown.contains("jordan.rivera@example.com"),
        "{shown}"
    );
    stop.cancel();
    worker.stop().await;
}

/// Logs a Calendly delivery naming Jordan the way ingest does (job and entry in one script).
async fn logged(a: &Admin) -> String {
    let body = json!({"event": "invitee.created", "payload": {
        "uri": format!("https://api.calendly.com/scheduled_events/e/invitees/{}", uuid::Uuid::new_v4()),
        "email": "jordan.rivera@example.com", "text_reminder_number": "+1 415-555-0132"}});
    log_delivery(a, Provider::Calendly, "invitee.created", &body).await
}

/// Logs a delivery of `provider` with `event` and `body` the way ingest does (its job and its
/// log entry in one script run); the entry id.
pub(crate) async fn log_delivery(
    a: &Admin,
    provider: Provider,
    event: &str,
    body: &Value,
) -> String {
    let body = body.to_string();
    let job = WebhookJob::new(
        provider,
        Some(event.into()),
        chrono::Utc::now(),
        format!("wh:{provider}:{}", uuid::Uuid::new_v4()),
        body.as_bytes(),
        true,
    );
    let entry = LogEntry::new(provider, Some(event), persons(body.as_bytes(), None));
    let id = entry.id().to_owned();
    a.client
        .enqueue_logged(
            EVENTS,
            vec![(
                NewJob::json(&job).unwrap().with_id(job.delivery_id.clone()),
                Some(entry),
            )],
            Duration::from_secs(3600),
        )
        .await
        .unwrap();
    id
}

async fn ready(a: &Admin) -> u64 {
    let mut conn = a.client.redis();
    redis::cmd("LLEN")
        .arg(a.client.keys().ready(EVENTS))
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_read_token_sees_masked_deliveries_but_cannot_reveal_or_replay() {
    let a = Admin::start().await;
    let first = logged(&a).await;
    let _second = logged(&a).await;
    let config = config_file("");
    let s = a.serve_with(None, Some(&config.0)).await;

    let r = api_get(
        &s,
        "/api/deliveries?person=JORDAN.RIVERA@example.com",
        Some(VIEWER),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["total"], 2);

    let r = api_get(&s, &format!("/api/deliveries/{first}"), Some(VIEWER)).await;
    let d: Value = r.json().await.unwrap();
    let body = d["body"].as_str().unwrap();
    assert!(
        body.contains("j***@example.com") && !body.contains("jordan.rivera@"),
        "{body}"
    );
    assert!(!body.contains("555-0132"), "{body}");

    let path = format!("/api/deliveries/{first}?reveal=true");
    assert_eq!(
        api_get(&s, &path, Some(VIEWER)).await.status(),
        StatusCode::FORBIDDEN
    );
    let r = api_get(&s, &path, Some(ONCALL)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let d: Value = r.json().await.unwrap();
    assert!(
        d["body"]
            .as_str()
            .unwrap()
            .contains("jordan.rivera@example.com")
    );

    let before = ready(&a).await;
    let r = api_post(
        &s,
        "/api/deliveries/replay",
        json!({"ids": [first]}),
        Some(VIEWER),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(ready(&a).await, before, "a read token replays nothing");

    // A misspelt filter is refused, not ignored (it would widen the replay).
    let r = api_post(
        &s,
        "/api/deliveries/replay",
        json!({"all": true, "since": "1h", "provdier": "zoom"}),
        Some(ONCALL),
    )
    .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = api_post(
        &s,
        "/api/deliveries/replay",
        json!({"all": true}),
        Some(ONCALL),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a filtered replay needs a window"
    );
    assert_eq!(ready(&a).await, before);

    let r = api_post(
        &s,
        "/api/deliveries/replay",
        json!({"ids": [first]}),
        Some(ONCALL),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["replayed"].as_array().unwrap().len(), 1);
    assert_eq!(ready(&a).await, before + 1);

    let r = api_get(&s, "/api/audit?limit=100", Some(VIEWER)).await;
    let audit: Value = r.json().await.unwrap();
    let entries = audit["entries"].as_array().unwrap();
    let find = |who: &str, action: &str, outcome: &str| {
        entries
            .iter()
            .any(|e| e["who"] == who && e["action"] == action && e["outcome"] == outcome)
    };
    assert!(find("viewer", "replay_delivery", "denied"), "{entries:?}");
    assert!(find("viewer", "reveal", "denied"), "{entries:?}");
    assert!(find("on-call", "reveal", "ok"), "{entries:?}");
    assert!(find("on-call", "replay_delivery", "ok"), "{entries:?}");
}
