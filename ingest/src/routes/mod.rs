//! The webhook routes and what they share: bounded body reading and the 200 answers.

pub(crate) mod calendly;
pub(crate) mod engagelab;
pub(crate) mod zoom;

#[cfg(test)]
mod tests;

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use meetflow_shared::events::Provider;

use crate::error::IngestError;
use crate::intake::Outcome;
use crate::metrics;
use crate::signature::SignatureError;
use crate::startup::StateInner;

/// The server span of one webhook request: the root of the delivery's trace. `delivery_id` is
/// filled in once the delivery is identified.
pub(crate) fn request_span(provider: Provider, route: &'static str) -> tracing::Span {
    tracing::info_span!(
        "webhook",
        otel.name = %format!("POST {route}"),
        otel.kind = "server",
        http.request.method = "POST",
        http.route = route,
        provider = %provider,
        delivery_id = tracing::field::Empty,
    )
}

/// A rejected signature: counted always, logged at warn at most once a minute per provider (with
/// how many were left out since), so a flood of forged requests cannot flood the logs.
pub(crate) fn signature_rejected(state: &StateInner, provider: Provider, error: &SignatureError) {
    metrics::signature_failure(provider, error.reason());
    match state.signature_warnings.admit(provider.as_str()) {
        Some(suppressed) => tracing::warn!(
            %provider,
            reason = error.reason(),
            suppressed,
            "webhook signature rejected"
        ),
        None => tracing::debug!(%provider, reason = error.reason(), "webhook signature rejected"),
    }
}

/// Reads the whole body, refusing more than `max` bytes (first by Content-Length, without reading
/// anything, then while streaming) and giving up after `timeout`.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    max: usize,
    timeout: Duration,
) -> Result<Bytes, IngestError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return Err(IngestError::TooLarge);
    }
    let collect = Limited::new(body, max).collect();
    match tokio::time::timeout(timeout, collect).await {
        Err(_elapsed) => Err(IngestError::BodyTimeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(IngestError::TooLarge),
        Ok(Err(_)) => Err(IngestError::BodyRead),
    }
}

/// The value of a signature header that must appear at most once. Two copies are ambiguous (a proxy
/// in front may check one and we the other), so a repeated header is malformed, whatever the
/// copies hold.
pub(crate) fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &str,
) -> Result<Option<&'a [u8]>, SignatureError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next().map(|v| v.as_bytes());
    if values.next().is_some() {
        return Err(SignatureError::Malformed("signature header repeated"));
    }
    Ok(first)
}

/// The 200 answer for a stored (or already stored) delivery (a fixed JSON text: this is the hot
/// path, no need to build a JSON value).
pub(crate) fn stored(outcome: Outcome) -> Response {
    let body = match outcome {
        Outcome::Created => r#"{"status":"accepted"}"#,
        Outcome::Duplicate => r#"{"status":"duplicate"}"#,
        Outcome::DeadLettered => r#"{"status":"kept_for_review"}"#,
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Stores a verified delivery within the request budget (counted from `started`) and answers
/// 200 once it is stored.
pub(crate) async fn store(
    s: &crate::startup::StateInner,
    verified: &crate::signature::Verified,
    reading: crate::intake::Reading,
    received_at: chrono::DateTime<chrono::Utc>,
    request_id: Option<&str>,
    started: std::time::Instant,
) -> Result<Response, IngestError> {
    let deadline = started + s.limits.request_budget;
    let outcome = s
        .intake
        .store(verified, reading, received_at, request_id, deadline)
        .await?;
    Ok(stored(outcome))
}

/// Seconds since the Unix epoch, for signature windows.
pub(crate) fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}
