//! Ingest: every signature rule, over real HTTP, against a real Redis. A rejected delivery gets
//! 401 with a short JSON reason and leaves nothing in Redis.

use meetflow_tests::fixtures::{CALENDLY_INVITEE_CREATED, ZOOM_MEETING_ENDED, ZOOM_URL_VALIDATION};
use meetflow_tests::redis::TestRedis;
use meetflow_tests::signing::{calendly_signature, zoom_encrypted_token, zoom_signature};

use crate::support::ingest::{
    CALENDLY_KEY, TestIngest, ZOOM_SECRET, now, spawn_ingest, spawn_ingest_with, status_json,
};

const BODY: &[u8] = CALENDLY_INVITEE_CREATED.as_bytes();

async fn assert_rejected(app: &TestIngest, response: reqwest::Response, reason: &str) {
    let (status, json) = status_json(response).await;
    assert_eq!(status, 401, "{json}");
    assert_eq!(json["reason"], reason, "{json}");
    assert!(app.ready_ids().await.is_empty(), "nothing stored");
    assert!(app.dead_letters().await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn correctly_signed_calendly_delivery_is_stored_as_one_job() {
    let app = spawn_ingest().await;
    let (status, json) = status_json(app.calendly_signed(BODY).await).await;
    assert_eq!((status, json["status"].as_str()), (200, Some("accepted")));
    let ids = app.ready_ids().await;
    assert_eq!(ids.len(), 1);
    assert!(ids[0].starts_with("wh:calendly:"), "{}", ids[0]);
    let job = app.webhook_job(&ids[0]).await;
    assert_eq!(job.body.as_bytes(), BODY, "raw bytes kept verbatim");
    assert_eq!(job.event.as_deref(), Some("invitee.created"));
    assert_eq!(
        (job.v, job.signed, job.delivery_id.as_str()),
        (1, true, ids[0].as_str())
    );
}

#[tokio::test]
async fn calendly_signature_with_a_wrong_key_is_rejected_with_401() {
    let app = spawn_ingest().await;
    let sig = calendly_signature("not-the-key", now(), BODY);
    assert_rejected(&app, app.calendly(BODY, Some(sig)).await, "mismatch").await;
}

#[tokio::test]
async fn tampered_calendly_body_is_rejected_with_401() {
    let app = spawn_ingest().await;
    let sig = calendly_signature(CALENDLY_KEY, now(), BODY);
    let tampered = CALENDLY_INVITEE_CREATED.replace("Jordan", "Jordon");
    assert_rejected(
        &app,
        app.calendly(tampered.as_bytes(), Some(sig)).await,
        "mismatch",
    )
    .await;
}

#[tokio::test]
async fn calendly_signature_older_than_the_window_is_rejected_with_401() {
    let app = spawn_ingest().await;
    let sig = calendly_signature(CALENDLY_KEY, now() - 181 - 5, BODY);
    assert_rejected(&app, app.calendly(BODY, Some(sig)).await, "stale").await;
    // Just inside the window still passes.
    let sig = calendly_signature(CALENDLY_KEY, now() - 170, BODY);
    assert_eq!(app.calendly(BODY, Some(sig)).await.status(), 200);
}

#[tokio::test]
async fn calendly_signature_from_beyond_the_window_in_the_future_is_rejected_with_401() {
    let app = spawn_ingest().await;
    let sig = calendly_signature(CALENDLY_KEY, now() + 600, BODY);
    assert_rejected(&app, app.calendly(BODY, Some(sig)).await, "future").await;
}

#[tokio::test]
async fn missing_and_garbage_calendly_headers_are_rejected_with_401() {
    let app = spawn_ingest().await;
    assert_rejected(&app, app.calendly(BODY, None).await, "missing").await;
    for garbage in ["t=1,v1=00", "v1=abc", "hello", "t=soon,v1=ff", ""] {
        assert_rejected(
            &app,
            app.calendly(BODY, Some(garbage.into())).await,
            "malformed",
        )
        .await;
    }
}

#[tokio::test]
async fn several_v1_values_and_spaces_are_accepted() {
    let app = spawn_ingest().await;
    let t = now();
    let good = calendly_signature(CALENDLY_KEY, t, BODY);
    let v1 = good.split("v1=").nth(1).unwrap();
    let header = format!(" t={t} , v1={} , v1={v1} ", "0".repeat(64));
    assert_eq!(app.calendly(BODY, Some(header)).await.status(), 200);
}

#[tokio::test]
async fn unsigned_calendly_delivery_is_accepted_only_with_allow_unsigned() {
    let lax = spawn_ingest_with(
        TestRedis::start().await.unwrap(),
        ", allow_unsigned: true",
        |_| {},
    )
    .await;
    assert_eq!(lax.calendly(BODY, None).await.status(), 200);
    let ids = lax.ready_ids().await;
    assert!(!lax.webhook_job(&ids[0]).await.signed);
    // A wrong signature is still refused: allow_unsigned is not "accept anything".
    let sig = calendly_signature("wrong", now(), BODY);
    assert_eq!(lax.calendly(BODY, Some(sig)).await.status(), 401);
}

#[tokio::test]
async fn zoom_signature_rules_each_answer_401() {
    let app = spawn_ingest().await;
    let body = ZOOM_MEETING_ENDED.as_bytes();
    let ts = now();
    let sig = |secret: &str, ts: i64| Some(zoom_signature(secret, ts, body));
    assert_rejected(
        &app,
        app.zoom(body, sig("wrong", ts), Some(ts)).await,
        "mismatch",
    )
    .await;
    assert_rejected(
        &app,
        app.zoom(b"{}", sig(ZOOM_SECRET, ts), Some(ts)).await,
        "mismatch",
    )
    .await;
    assert_rejected(
        &app,
        app.zoom(body, sig(ZOOM_SECRET, ts - 400), Some(ts - 400))
            .await,
        "stale",
    )
    .await;
    assert_rejected(
        &app,
        app.zoom(body, sig(ZOOM_SECRET, ts + 400), Some(ts + 400))
            .await,
        "future",
    )
    .await;
    assert_rejected(&app, app.zoom(body, None, Some(ts)).await, "missing").await;
    assert_rejected(
        &app,
        app.zoom(body, sig(ZOOM_SECRET, ts), None).await,
        "missing",
    )
    .await;
    assert_rejected(
        &app,
        app.zoom(body, Some("v0=nothex".into()), Some(ts)).await,
        "malformed",
    )
    .await;
    assert_eq!(app.zoom_signed(body).await.status(), 200);
    assert_eq!(app.ready_ids().await.len(), 1);
}

#[tokio::test]
async fn zoom_url_validation_is_answered_after_its_signature_is_checked() {
    let app = spawn_ingest().await;
    let body = ZOOM_URL_VALIDATION.as_bytes();
    let (status, json) = status_json(app.zoom_signed(body).await).await;
    assert_eq!(status, 200);
    assert_eq!(json["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
    assert_eq!(
        json["encryptedToken"],
        zoom_encrypted_token(ZOOM_SECRET, "qgg8vlvZRS6UYooatFL8Aw")
    );
    assert!(
        app.ready_ids().await.is_empty(),
        "the challenge is not a job"
    );
    let ts = now();
    let forged = app
        .zoom(body, Some(zoom_signature("guess", ts, body)), Some(ts))
        .await;
    assert_eq!(forged.status(), 401, "an unsigned challenge gets no answer");
}
