//! `POST /webhooks/engagelab`: EngageLab's delivery callbacks are verified by `X-CALLBACK-ID`
//! (HMAC of timestamp + nonce + username with the callback secret) before anything is stored. A
//! bad, stale or missing signature is 401 and stores nothing; a signed callback is one job
//! (200 only once stored) and a redelivery of it is a duplicate; the console's unsigned `{}`
//! URL check gets 200 and stores nothing.

use meetflow_shared::events::Provider;
use meetflow_shared::events::identity::Identity;
use meetflow_tests::signing::engagelab_callback_id;
use serde_json::json;

use crate::support::ingest::{ENGAGELAB_CALLBACK_SECRET, now, spawn_ingest, status_json};

fn delivered_body() -> Vec<u8> {
    json!({"total": 1, "rows": [{"message_id": "1972488990804201472", "to": "+14155550132",
        "server": "sms", "channel": "sms", "itime": now(),
        "custom_args": {"booking": "9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e", "kind": "rem-24h"},
        "status": {"message_status": "delivered", "error_code": 0,
            "status_data": {"msg_time": now(), "message_id": "1972488990804201472"}}}]})
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn a_callback_with_a_bad_or_missing_signature_is_refused_and_nothing_is_stored() {
    let app = spawn_ingest().await;
    let body = delivered_body();
    let wrong_secret = engagelab_callback_id("meetflow", "not-the-secret", now(), "n1");
    let stale = engagelab_callback_id("meetflow", ENGAGELAB_CALLBACK_SECRET, now() - 3600, "n2");
    for header in [
        Some(wrong_secret),
        Some(stale),
        Some("timestamp=1;nonce=x".to_owned()),
        None,
    ] {
        let (status, answer) = status_json(app.engagelab(&body, header.clone()).await).await;
        assert_eq!(status, 401, "{header:?}: {answer}");
        assert_eq!(answer["error"], "invalid signature");
    }
    assert!(app.ready_ids().await.is_empty(), "nothing stored");
    assert!(app.dead_letters().await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_signed_callback_is_one_job_and_its_redelivery_a_duplicate() {
    let app = spawn_ingest().await;
    let body = delivered_body();
    let first = status_json(app.engagelab_signed(&body).await).await;
    assert_eq!(
        (first.0, first.1["status"].as_str()),
        (200, Some("accepted"))
    );
    // A redelivery is signed anew (new nonce and time), same bytes.
    let again = status_json(app.engagelab_signed(&body).await).await;
    assert_eq!(
        (again.0, again.1["status"].as_str()),
        (200, Some("duplicate"))
    );
    let ids = app.ready_ids().await;
    assert_eq!(
        ids,
        vec![Identity::of_body(Provider::EngageLab, &body).job_id()]
    );
    let job = app.webhook_job(&ids[0]).await;
    assert_eq!(job.provider, Provider::EngageLab);
    assert_eq!(job.event.as_deref(), Some("callback"));
    assert_eq!(
        job.raw_body().unwrap().as_ref(),
        body.as_slice(),
        "stored byte for byte"
    );
}

#[tokio::test]
async fn the_consoles_unsigned_url_check_gets_200_and_stores_nothing() {
    let app = spawn_ingest().await;
    let (status, _) = status_json(app.engagelab(b"{}", None).await).await;
    assert_eq!(status, 200);
    assert!(app.ready_ids().await.is_empty());
    // A signed body that is not an object is kept for operators, not dropped.
    let (status, answer) = status_json(app.engagelab_signed(b"[1,2]").await).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("kept_for_review"))
    );
    assert_eq!(app.dead_letters().await.len(), 1);
}
