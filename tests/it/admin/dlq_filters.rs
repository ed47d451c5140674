//! Admin: bulk replays and deletes take the list's filters (queue, class, text, time window) in
//! the CLI and the API and act on exactly that set, never on a dead letter marked "possibly
//! sent"; such a one is replayed only alone, with `--resend` / `resend: true`.

use meetflow_shared::queue::{ErrorClass, JobState};
use serde_json::{Value, json};

use crate::support::admin::{Admin, api_get as get, api_post as post, ok};

const TOKEN: &str = "filters-token-7";

/// Six dead letters: sms:t1..t3 (timeout, "EngageLab"), sms:c1 (config), brevo:t1 (timeout),
/// and sms:ps (timeout, marked possibly sent).
async fn store() -> Admin {
    let a = Admin::start().await;
    for id in ["sms:t1", "sms:t2", "sms:t3"] {
        a.bury(
            "sms",
            id,
            &json!({"id": id}),
            ErrorClass::Timeout,
            "EngageLab did not answer",
        )
        .await;
    }
    a.bury(
        "sms",
        "sms:c1",
        &json!({}),
        ErrorClass::Config,
        "no template",
    )
    .await;
    a.bury(
        "brevo",
        "brevo:t1",
        &json!({}),
        ErrorClass::Timeout,
        "Brevo did not answer",
    )
    .await;
    a.bury(
        "sms",
        "sms:ps",
        &json!({}),
        ErrorClass::Timeout,
        "possibly sent; check EngageLab before replaying (EngageLab did not answer)",
    )
    .await;
    let mut conn = a.client.redis();
    let _: () = redis::cmd("HSET")
        .arg(a.client.keys().job("sms:ps"))
        .arg("possibly_sent")
        .arg(1)
        .query_async(&mut conn)
        .await
        .unwrap();
    a
}

async fn state(a: &Admin, id: &str) -> JobState {
    a.client.job(id).await.unwrap().unwrap().state
}

#[tokio::test]
async fn the_cli_replays_exactly_the_filtered_set_and_never_a_possibly_sent_sms() {
    let a = store().await;
    let out = ok(&a
        .cli(&[
            "dlq",
            "retry",
            "--all",
            "--queue",
            "sms",
            "--class",
            "timeout",
            "--grep",
            "engagelab",
            "--yes",
        ])
        .await);
    assert!(
        out.starts_with(
            "replayed 3 dead letters matching queue sms, class timeout, text \"engagelab\""
        ),
        "{out}"
    );
    assert!(out.contains("1 marked possibly sent left out"), "{out}");
    for id in ["sms:t1", "sms:t2", "sms:t3"] {
        assert_eq!(state(&a, id).await, JobState::Ready, "{id}");
    }
    for id in ["sms:c1", "brevo:t1", "sms:ps"] {
        assert_eq!(state(&a, id).await, JobState::Dead, "{id}");
    }

    // A time window that ends before everything died selects nothing.
    let out = ok(&a
        .cli(&["dlq", "delete", "--all", "--until", "2020-01-01", "--yes"])
        .await);
    assert!(out.starts_with("no dead letters matching"), "{out}");
    assert_eq!(a.client.dead_letters().count(None).await.unwrap(), 3);

    // By id: the possibly sent one is refused with the way to resend it.
    let out = ok(&a.cli(&["dlq", "retry", "sms:ps"]).await);
    assert!(
        out.contains("not replayed: sms:ps is marked possibly sent")
            && out.contains("dlq retry sms:ps --resend"),
        "{out}"
    );
    assert_eq!(state(&a, "sms:ps").await, JobState::Dead);
    let two = a
        .cli(&["dlq", "retry", "sms:ps", "sms:c1", "--resend", "--yes"])
        .await;
    assert_eq!(two.status.code(), Some(1), "one id at a time");
    assert_eq!(
        a.cli(&["dlq", "retry", "--all", "--resend", "--yes"])
            .await
            .status
            .code(),
        Some(2)
    );
    let out = ok(&a
        .cli(&["dlq", "retry", "sms:ps", "--resend", "--yes"])
        .await);
    assert!(out.starts_with("replayed sms:ps with resend"), "{out}");
    let job = a.client.job("sms:ps").await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Ready);

    // A bulk delete leaves what is possibly sent, too.
    let mut conn = a.client.redis();
    let _: () = redis::cmd("HSET")
        .arg(a.client.keys().job("sms:c1"))
        .arg("possibly_sent")
        .arg(1)
        .query_async(&mut conn)
        .await
        .unwrap();
    let out = ok(&a.cli(&["dlq", "delete", "--all", "--yes"]).await);
    assert!(
        out.starts_with("deleted 1 dead letters of all queues"),
        "{out}"
    );
    assert_eq!(state(&a, "sms:c1").await, JobState::Dead);
}

#[tokio::test]
async fn the_api_counts_and_acts_on_exactly_the_filtered_set() {
    let a = store().await;
    let s = a.serve(Some(TOKEN)).await;
    let count: Value = get(&s, "/api/dlq/count?queue=sms&class=timeout", Some(TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count, json!({"count": 3, "possibly_sent": 1}));
    let bad = get(&s, "/api/dlq/count?since=yesterday", Some(TOKEN)).await;
    assert_eq!(bad.status(), reqwest::StatusCode::BAD_REQUEST);

    let done: Value = post(
        &s,
        "/api/dlq/retry",
        json!({"all": true, "queue": "sms", "class": "timeout"}),
        Some(TOKEN),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(done, json!({"done": 3, "requested": 3, "possibly_sent": 1}));
    assert_eq!(state(&a, "sms:c1").await, JobState::Dead);
    assert_eq!(state(&a, "brevo:t1").await, JobState::Dead);
    assert_eq!(state(&a, "sms:ps").await, JobState::Dead);

    let by_id: Value = post(
        &s,
        "/api/dlq/retry",
        json!({"ids": ["sms:ps"]}),
        Some(TOKEN),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(by_id["done"], 0);
    assert_eq!(by_id["possibly_sent"], 1);
    let filters_without_all = post(
        &s,
        "/api/dlq/delete",
        json!({"ids": ["sms:c1"], "class": "config"}),
        Some(TOKEN),
    )
    .await;
    assert_eq!(
        filters_without_all.status(),
        reqwest::StatusCode::BAD_REQUEST
    );
    let two = post(
        &s,
        "/api/dlq/retry",
        json!({"ids": ["sms:ps", "sms:c1"], "resend": true}),
        Some(TOKEN),
    )
    .await;
    assert_eq!(two.status(), reqwest::StatusCode::BAD_REQUEST);
    let resent: Value = post(
        &s,
        "/api/dlq/retry",
        json!({"ids": ["sms:ps"], "resend": true}),
        Some(TOKEN),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(resent["done"], 1);
    let job = a.client.job("sms:ps").await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Ready);

    let listed: Value = get(&s, "/api/dlq?queue=sms", Some(TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["possibly_sent"], false);
}
