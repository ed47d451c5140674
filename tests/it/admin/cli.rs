//! `meetflow-admin` verbs run as the built binary against a private Redis: queues, dlq
//! list/show/retry/delete (masking, confirmation, idempotence), exit codes. Reminders,
//! send-test-webhook and `queues --watch` are in `cli_dlq_and_reminders`.

use chrono::{Duration as ChronoDuration, Utc};
use meetflow_shared::queue::{ErrorClass, JobState, NewJob};
use serde_json::{Value, json};

use crate::support::admin::{Admin, ok};

fn sms_payload(n: u32) -> Value {
    json!({"v": 1, "to": "+14155550132", "email": "jordan.rivera@example.com", "template": "reminder", "n": n})
}

#[tokio::test]
async fn queues_prints_every_count_as_a_table_and_as_json() {
    let a = Admin::start().await;
    for i in 0..2 {
        a.client
            .enqueue("sms", NewJob::json(&i).unwrap())
            .await
            .unwrap();
    }
    let later = NewJob::json(&9)
        .unwrap()
        .run_at(Utc::now() + ChronoDuration::hours(1));
    a.client.enqueue("sms", later).await.unwrap();
    a.bury(
        "sms",
        "sms:dead:1",
        &sms_payload(1),
        ErrorClass::Config,
        "template missing",
    )
    .await;

    let table = ok(&a.cli(&["queues"]).await);
    let header = table.lines().next().unwrap();
    for col in [
        "QUEUE",
        "READY",
        "IN FLIGHT",
        "SCHEDULED",
        "RETRYING",
        "DEAD",
        "OLDEST READY",
        "PROCESSED/1m",
        "FAILED/1m",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let sms: Vec<&str> = table
        .lines()
        .find(|l| l.starts_with("sms "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(&sms[..6], ["sms", "2", "0", "1", "0", "1"], "{table}");
    assert!(
        table.lines().any(|l| l.starts_with("events ")),
        "the standard queues are always listed: {table}"
    );

    let stats: Vec<Value> =
        serde_json::from_str(ok(&a.cli(&["queues", "--json"]).await).trim()).unwrap();
    let sms = stats.iter().find(|s| s["queue"] == "sms").unwrap();
    assert_eq!(
        (
            sms["ready"].as_u64(),
            sms["delayed"].as_u64(),
            sms["dead"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert!(sms["oldest_ready_age_ms"].as_u64().is_some());
}

#[tokio::test]
async fn dlq_list_and_show_give_every_attempt_with_personal_data_masked() {
    let a = Admin::start().await;
    a.kill_through_worker("sms", vec![("sms:reminder:abc".into(), sms_payload(1))])
        .await;
    a.bury(
        "events",
        "wh:calendly:0001",
        &json!({"v": 1, "body": "{\"email\":\"sam@example.com\"}"}),
        ErrorClass::BadPayload,
        "missing payload.uri",
    )
    .await;

    let list = ok(&a.cli(&["dlq", "list"]).await);
    assert!(
        list.contains("sms:reminder:abc")
            && list.contains("provider_rejected")
            && list.contains("3/3"),
        "{list}"
    );
    assert!(
        list.contains("wh:calendly:0001") && list.contains("bad_payload"),
        "{list}"
    );
    assert!(
        !list.contains("+14155550132"),
        "list masks error messages: {list}"
    );
    let only_sms = ok(&a
        .cli(&["dlq", "list", "--queue", "sms", "--limit", "5", "--json"])
        .await);
    let page: Value = serde_json::from_str(&only_sms).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["total"], 1);
    let by_class: Value = serde_json::from_str(&ok(&a
        .cli(&["dlq", "list", "--class", "bad_payload", "--json"])
        .await))
    .unwrap();
    assert_eq!(by_class["items"][0]["id"], "wh:calendly:0001");
    let by_text: Value = serde_json::from_str(&ok(&a
        .cli(&["dlq", "list", "--grep", "SAM@example", "--json"])
        .await))
    .unwrap();
    assert_eq!(by_text["items"].as_array().unwrap().len(), 1, "{by_text}");

    let show = ok(&a.cli(&["dlq", "show", "sms:reminder:abc"]).await);
    assert!(
        show.contains("state:     dead") && show.contains("attempts:  3/3"),
        "{show}"
    );
    for line in ["#1 ", "#2 ", "#3 "] {
        assert!(show.contains(line), "every attempt is listed: {show}");
    }
    assert_eq!(show.matches("provider_server").count(), 2, "{show}");
    assert!(
        show.contains("provider_rejected") && show.contains("code 4001 template not found"),
        "{show}"
    );
    assert!(
        show.contains("+1415***32") && show.contains("j***@example.com"),
        "{show}"
    );
    assert!(
        !show.contains("+14155550132") && !show.contains("jordan.rivera@"),
        "masked by default: {show}"
    );
    let revealed = ok(&a
        .cli(&["dlq", "show", "sms:reminder:abc", "--reveal"])
        .await);
    assert!(
        revealed.contains("+14155550132") && revealed.contains("jordan.rivera@example.com"),
        "{revealed}"
    );

    let detail: Value = serde_json::from_str(&ok(&a
        .cli(&["dlq", "show", "sms:reminder:abc", "--json"])
        .await))
    .unwrap();
    let errors = detail["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3);
    assert!(errors.iter().all(|e| e["at_ms"].as_i64().unwrap() > 0));
    assert_eq!(detail["payload_json"]["to"], "+1415***32");
    let nested = ok(&a.cli(&["dlq", "show", "wh:calendly:0001"]).await);
    assert!(
        nested.contains("s***@example.com") && !nested.contains("sam@example.com"),
        "{nested}"
    );

    let missing = a.cli(&["dlq", "show", "nope"]).await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no job with id nope"));
}

#[tokio::test]
async fn dlq_retry_and_delete_by_id_are_safe_to_repeat() {
    let a = Admin::start().await;
    for i in 0..3 {
        a.bury(
            "brevo",
            &format!("brevo:{i}"),
            &json!({"i": i}),
            ErrorClass::ProviderRejected,
            "400",
        )
        .await;
    }
    let first = ok(&a.cli(&["dlq", "retry", "brevo:0", "brevo:1"]).await);
    assert_eq!(first.trim(), "replayed 2 of 2 dead letters");
    let again = ok(&a.cli(&["dlq", "retry", "brevo:0", "brevo:1"]).await);
    assert!(
        again.starts_with("replayed 0 of 2") && again.contains("not dead"),
        "{again}"
    );
    assert_eq!(
        a.client.job("brevo:0").await.unwrap().unwrap().state,
        JobState::Ready
    );
    assert_eq!(
        a.client.stats("brevo").await.unwrap().ready,
        2,
        "replayed once, queued once"
    );

    assert_eq!(
        ok(&a.cli(&["dlq", "delete", "brevo:2"]).await).trim(),
        "deleted 1 of 1 dead letters"
    );
    assert!(ok(&a.cli(&["dlq", "delete", "brevo:2"]).await).starts_with("deleted 0 of 1"));
    assert!(a.client.job("brevo:2").await.unwrap().is_none());
}

#[tokio::test]
async fn bulk_actions_need_confirmation_or_yes_and_respect_the_queue() {
    let a = Admin::start().await;
    for i in 0..3 {
        a.bury(
            "sms",
            &format!("sms:{i}"),
            &json!({"i": i}),
            ErrorClass::Config,
            "no template",
        )
        .await;
        a.bury(
            "zoom",
            &format!("zoom:{i}"),
            &json!({"i": i}),
            ErrorClass::Timeout,
            "slow",
        )
        .await;
    }
    let refused = a.cli(&["dlq", "delete", "--all"]).await;
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("not a terminal") && err.contains("--yes"),
        "{err}"
    );
    assert_eq!(
        a.client.dead_letters().count(None).await.unwrap(),
        6,
        "nothing deleted"
    );

    let out = ok(&a
        .cli(&["dlq", "retry", "--all", "--queue", "sms", "--yes"])
        .await);
    assert_eq!(out.trim(), "replayed 3 dead letters matching queue sms");
    assert_eq!(a.client.stats("sms").await.unwrap().ready, 3);
    assert_eq!(
        a.client.dead_letters().count(Some("zoom")).await.unwrap(),
        3,
        "other queues untouched"
    );
    let twice = ok(&a
        .cli(&["dlq", "retry", "--all", "--queue", "sms", "--yes"])
        .await);
    assert!(
        twice.contains("no dead letters matching queue sms"),
        "{twice}"
    );

    let out = ok(&a.cli(&["dlq", "delete", "--all", "-y"]).await);
    assert_eq!(out.trim(), "deleted 3 dead letters of all queues");
    assert_eq!(a.client.dead_letters().count(None).await.unwrap(), 0);
}

#[tokio::test]
async fn bad_usage_exits_2_and_failures_exit_1_with_one_line() {
    let a = Admin::start().await;
    for args in [
        &["dlq", "retry"][..],
        &["dlq", "retry", "x", "--all"],
        &["dlq", "delete", "--queue", "sms"],
        &["queues", "--bogus"],
        &["send-test-webhook", "hubspot", "x"],
        &["dlq", "list", "--limit", "0"],
    ] {
        assert_eq!(a.cli(args).await.status.code(), Some(2), "{args:?}");
    }
    let mut down = a.command();
    down.env(
        "MEETFLOW__REDIS__URL",
        format!("redis://127.0.0.1:{}", crate::support::admin::free_port()),
    );
    down.args(["queues"]);
    let out = crate::support::admin::run(down).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("meetflow-admin: cannot reach Redis at redis://127.0.0.1:"),
        "{err}"
    );
}
