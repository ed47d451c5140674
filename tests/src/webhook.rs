//! Play the provider: sign a webhook body and POST it to the service under test.
//!
//! Bodies are sent byte for byte (use the `fixtures` constants or your own bytes); the
//! signature is computed over exactly those bytes with [`crate::signing`].

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::header::HeaderMap;

use crate::signing::{calendly_signature, zoom_signature};

/// What the service answered.
#[derive(Debug, Clone)]
pub struct WebhookReply {
    /// HTTP status code.
    pub status: u16,
    /// Response body as text.
    pub body: String,
    /// Response headers.
    pub headers: HeaderMap,
    /// Time from sending to the complete response.
    pub elapsed: Duration,
}

impl WebhookReply {
    /// The body parsed as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(crate::http_client)
}

/// Unix seconds now.
pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// POST `body` with the given headers (plus `content-type: application/json` unless given).
pub async fn send_raw(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> anyhow::Result<WebhookReply> {
    let mut req = client().post(url).body(body.to_vec());
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        req = req.header("content-type", "application/json");
    }
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let t0 = Instant::now();
    let resp = req.send().await.with_context(|| format!("POST {url}"))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.context("read webhook response")?;
    Ok(WebhookReply {
        status,
        body,
        headers,
        elapsed: t0.elapsed(),
    })
}

/// POST a Calendly delivery signed now with `key`.
pub async fn send_calendly(url: &str, key: &str, body: &[u8]) -> anyhow::Result<WebhookReply> {
    send_calendly_at(url, key, now_unix(), body).await
}

/// POST a Calendly delivery signed with timestamp `t` (stale/future tests).
pub async fn send_calendly_at(
    url: &str,
    key: &str,
    t: i64,
    body: &[u8],
) -> anyhow::Result<WebhookReply> {
    let sig = calendly_signature(key, t, body);
    send_raw(url, &[("Calendly-Webhook-Signature", sig)], body).await
}

/// POST a Calendly delivery without a signature header (PAT subscription without key).
pub async fn send_calendly_unsigned(url: &str, body: &[u8]) -> anyhow::Result<WebhookReply> {
    send_raw(url, &[], body).await
}

/// POST a Zoom event signed now with `secret`.
pub async fn send_zoom(url: &str, secret: &str, body: &[u8]) -> anyhow::Result<WebhookReply> {
    send_zoom_at(url, secret, now_unix(), body).await
}

/// POST a Zoom event signed with request timestamp `ts` (seconds), with Zoom's headers.
pub async fn send_zoom_at(
    url: &str,
    secret: &str,
    ts: i64,
    body: &[u8],
) -> anyhow::Result<WebhookReply> {
    let headers = [
        ("content-type", "application/json; charset=utf-8".to_owned()),
        ("user-agent", "Zoom Marketplace/1.0a".to_owned()),
        ("x-zm-request-timestamp", ts.to_string()),
        ("x-zm-signature", zoom_signature(secret, ts, body)),
        (
            "x-zm-trackingid",
            format!("v=2.0&s={}", uuid::Uuid::new_v4().simple()),
        ),
        ("x-zm-request-id", uuid::Uuid::new_v4().to_string()),
    ];
    send_raw(url, &headers, body).await
}
