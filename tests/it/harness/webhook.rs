//! The webhook sender puts the exact bytes and a verifiable signature on the wire.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use meetflow_tests::signing::{calendly_signature, zoom_signature};
use meetflow_tests::{fixtures, webhook};

type Seen = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = Router::new().route(
        "/hook",
        post(move |h: HeaderMap, b: Bytes| async move {
            s.lock().unwrap().push((h, b));
            "ok"
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, seen)
}

#[tokio::test]
async fn harness_webhook_calendly_and_zoom_are_signed_over_exact_bytes() {
    let (url, seen) = receiver().await;
    let body = fixtures::CALENDLY_INVITEE_CREATED.as_bytes();
    let r = webhook::send_calendly_at(&url, "key1", 1_767_225_600, body)
        .await
        .unwrap();
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    let zbody = fixtures::ZOOM_MEETING_ENDED.as_bytes();
    webhook::send_zoom_at(&url, "secret1", 1_767_225_601, zbody)
        .await
        .unwrap();
    webhook::send_calendly_unsigned(&url, body).await.unwrap();

    let seen = seen.lock().unwrap();
    let (h, b) = &seen[0];
    assert_eq!(b.as_ref(), body);
    assert_eq!(
        h["calendly-webhook-signature"],
        calendly_signature("key1", 1_767_225_600, body).as_str()
    );
    assert_eq!(h["content-type"], "application/json");
    let (h, b) = &seen[1];
    assert_eq!(b.as_ref(), zbody);
    assert_eq!(h["x-zm-request-timestamp"], "1767225601");
    assert_eq!(
        h["x-zm-signature"],
        zoom_signature("secret1", 1_767_225_601, zbody).as_str()
    );
    assert!(seen[2].0.get("calendly-webhook-signature").is_none());
}
