//! `POST /webhooks/engagelab` with the static `Authorization` value set in EngageLab's console
//! (`engagelab.callback_authorization`), alone or together with the `X-CALLBACK-ID` HMAC: a
//! missing or wrong value is 401 and stores nothing; with both configured, both must pass; the
//! console's `{}` URL check still gets 200 (and stores nothing).

use meetflow_tests::signing::engagelab_callback_id;
use serde_json::json;

use crate::support::ingest::{
    ENGAGELAB_AUTHORIZATION, ENGAGELAB_CALLBACK_SECRET, TestIngest, now, spawn_ingest_engagelab,
    status_json,
};

fn delivered_body() -> Vec<u8> {
    json!({"total": 1, "rows": [{"message_id": "1972488990804201472", "to": "+14155550132",
        "server": "sms", "channel": "sms", "itime": now(),
        "custom_args": {"booking": "9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e", "kind": "rem-24h"},
        "status": {"message_status": "delivered", "error_code": 0}}]})
    .to_string()
    .into_bytes()
}

fn signed(secret: &str) -> Option<String> {
    let nonce = format!("{:08x}", rand::random::<u32>());
    Some(engagelab_callback_id("meetflow", secret, now(), &nonce))
}

async fn status(app: &TestIngest, body: &[u8], id: Option<String>, auth: Option<&str>) -> u16 {
    status_json(app.engagelab_with(body, id, auth).await)
        .await
        .0
}

#[tokio::test]
async fn the_authorization_header_alone_verifies_and_a_bad_one_stores_nothing() {
    let app = spawn_ingest_engagelab("{ callback_authorization: '${EL_AUTHORIZATION}' }").await;
    let body = delivered_body();
    let wrong = format!("{ENGAGELAB_AUTHORIZATION}x");
    for auth in [None, Some(wrong.as_str()), Some("Bearer"), Some("")] {
        assert_eq!(status(&app, &body, None, auth).await, 401, "{auth:?}");
    }
    // A valid X-CALLBACK-ID does not stand in for the Authorization value.
    assert_eq!(
        status(&app, &body, signed(ENGAGELAB_CALLBACK_SECRET), None).await,
        401
    );
    assert!(app.ready_ids().await.is_empty(), "nothing stored");
    assert!(app.dead_letters().await.is_empty(), "nothing stored");

    // The console's URL check: 200 without headers or with the right one, 401 with a wrong one.
    assert_eq!(status(&app, b"{}", None, None).await, 200);
    assert_eq!(
        status(&app, b"{}", None, Some(ENGAGELAB_AUTHORIZATION)).await,
        200
    );
    assert_eq!(status(&app, b"{}", None, Some(wrong.as_str())).await, 401);
    assert!(app.ready_ids().await.is_empty(), "the check stores nothing");

    let (code, answer) = status_json(
        app.engagelab_with(&body, None, Some(ENGAGELAB_AUTHORIZATION))
            .await,
    )
    .await;
    assert_eq!((code, answer["status"].as_str()), (200, Some("accepted")));
    assert_eq!(app.ready_ids().await.len(), 1);
}

#[tokio::test]
async fn with_the_hmac_and_the_authorization_header_both_must_pass() {
    let app = spawn_ingest_engagelab(
        "{ callback_secret: '${EL_CALLBACK}', callback_authorization: '${EL_AUTHORIZATION}' }",
    )
    .await;
    let body = delivered_body();
    let good_auth = Some(ENGAGELAB_AUTHORIZATION);
    for (id, auth) in [
        (signed(ENGAGELAB_CALLBACK_SECRET), None),
        (
            signed(ENGAGELAB_CALLBACK_SECRET),
            Some("Bearer someone-else"),
        ),
        (signed("not-the-secret"), good_auth),
        (None, good_auth),
    ] {
        assert_eq!(
            status(&app, &body, id.clone(), auth).await,
            401,
            "{id:?} {auth:?}"
        );
    }
    assert!(app.ready_ids().await.is_empty(), "nothing stored");
    assert!(app.dead_letters().await.is_empty(), "nothing stored");
    assert_eq!(
        status(&app, &body, signed(ENGAGELAB_CALLBACK_SECRET), good_auth).await,
        200
    );
    assert_eq!(app.ready_ids().await.len(), 1);
}
