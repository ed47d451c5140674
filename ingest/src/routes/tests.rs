//! In-process route tests (`oneshot`, no socket): the answers that do not depend on Redis taking
//! the job. Redis is an unreachable address here, so a verified delivery must come back 503,
//! never 200. Everything with a real Redis lives in `tests/it/ingest_*.rs`.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use meetflow_shared::queue::QueueClient;
use tower::ServiceExt;

use crate::config::{IngestConfig, Limits};
use crate::signature::{CalendlyVerifier, EngageLabVerifier, ZoomVerifier};
use crate::startup::{AppState, router};

const KEY: &str = "unit-key";

async fn app() -> axum::Router {
    let config = IngestConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        max_body_bytes: 1024,
        redis_url: "redis://127.0.0.1:1".into(),
        namespace: "unit".into(),
        calendly: CalendlyVerifier::new(Some(KEY), Duration::from_secs(180), false),
        zoom: ZoomVerifier::new(None, Duration::from_secs(180)),
        engagelab: EngageLabVerifier::new(None, None, Duration::from_secs(180)),
        limits: Limits {
            request_budget: Duration::from_millis(500),
            ..Limits::default()
        },
        dedupe: true,
        wait_replicas: 0,
        delivery_log: Default::default(),
        default_region: None,
    };
    let queue = QueueClient::connect(&config.redis_url, &config.namespace)
        .await
        .unwrap();
    router(AppState::new(&config, queue))
}

async fn call(request: Request<Body>) -> (StatusCode, serde_json::Value) {
    let response = app().await.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

fn post(path: &str, signature: Option<String>, body: &'static [u8]) -> Request<Body> {
    let mut builder = Request::post(path).header("content-length", body.len());
    if let Some(sig) = signature {
        builder = builder.header("calendly-webhook-signature", sig);
    }
    builder.body(Body::from(body)).unwrap()
}

fn sign(body: &[u8]) -> String {
    use hmac::Mac;
    let t = chrono::Utc::now().timestamp();
    let mut mac = crate::signature::keyed(KEY);
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn unsigned_requests_are_401_with_a_short_reason() {
    let (status, json) = call(post("/webhooks/calendly", None, b"{}")).await;
    assert_eq!(
        (status, json["reason"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("missing"))
    );
    let (status, json) = call(post("/webhooks/zoom", None, b"{}")).await;
    assert_eq!(
        (status, json["reason"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("not_configured"))
    );
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_413_before_the_signature() {
    let request = Request::post("/webhooks/calendly")
        .header("content-length", "4096")
        .body(Body::from(vec![b'x'; 4096]))
        .unwrap();
    assert_eq!(call(request).await.0, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_verified_delivery_that_redis_cannot_take_is_503_not_200() {
    let body: &'static [u8] = br#"{"event":"invitee.created","payload":{"uri":"u"}}"#;
    // How soon it answers is judged against a real Redis, stopped and stalled, in
    // tests/it/ingest/resilience.rs; a wall-clock bound here failed on a loaded machine (8.3 s).
    let (status, json) = call(post("/webhooks/calendly", Some(sign(body)), body)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{json}");
}

#[tokio::test]
async fn engagelab_callbacks_are_404_without_a_callback_secret() {
    let request = Request::post("/webhooks/engagelab")
        .body(Body::from(r#"{"total":0,"rows":[]}"#))
        .unwrap();
    let (status, _) = call(request).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
