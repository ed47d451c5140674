//! How a webhook request fails, and the status code each failure gets.
//!
//! Policy: the status code decides whether the provider re-delivers. Calendly retries any non-2xx
//! for 24 h; Zoom retries only 5xx and transport errors. So everything we could not store because
//! of *us* (Redis slow or down) is a 5xx, and 4xx is reserved for requests that would fail the same
//! way again (bad signature, body too large, client too slow). Client errors are logged at debug
//! level only; server errors are logged once, where they happen, without the body.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::signature::SignatureError;

/// A webhook request that did not end in a stored job.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Signature missing, malformed, stale, in the future, wrong, or not configured: 401.
    #[error("signature rejected: {0}")]
    Signature(#[from] SignatureError),
    /// Content-Length or the bytes received exceed `ingest.max_body_bytes`: 413.
    #[error("body larger than the limit")]
    TooLarge,
    /// The body did not arrive within the body read timeout: 408.
    #[error("body not received in time")]
    BodyTimeout,
    /// The connection failed while the body was read: 400.
    #[error("body could not be read")]
    BodyRead,
    /// Redis did not take the job within the request budget, or failed: 503 (providers retry).
    #[error("job store unavailable")]
    Unavailable,
}

impl IngestError {
    /// The HTTP status this failure is answered with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Signature(_) => StatusCode::UNAUTHORIZED,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::BodyRead => StatusCode::BAD_REQUEST,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let body = match &self {
            Self::Signature(e) => json!({"error": "invalid signature", "reason": e.reason()}),
            other => json!({"error": other.to_string()}),
        };
        let mut response = (self.status(), Json(body)).into_response();
        if matches!(self, Self::Unavailable) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}
