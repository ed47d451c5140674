//! `POST /webhooks/zoom`: verify `x-zm-signature`, answer the URL validation challenge, or store
//! one job.

use std::time::Instant;

use axum::Json;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use meetflow_shared::events::{EventError, Provider, zoom};
use serde_json::json;

use tracing::Instrument;

use super::{now_unix, read_body, request_span, signature_rejected, single_header, store};
use crate::error::IngestError;
use crate::intake::Reading;
use crate::signature::{ZOOM_SIGNATURE_HEADER, ZOOM_TIMESTAMP_HEADER};
use crate::startup::AppState;

pub(crate) async fn receive(State(state): State<AppState>, request: Request) -> Response {
    handle(&state, request)
        .instrument(request_span(Provider::Zoom, "/webhooks/zoom"))
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn handle(state: &AppState, request: Request) -> Result<Response, IngestError> {
    let started = Instant::now();
    let received_at = chrono::Utc::now();
    let s = state.inner();
    let (parts, body) = request.into_parts();
    let body = read_body(&parts.headers, body, s.max_body_bytes, s.limits.body_read).await?;
    let verified = single_header(&parts.headers, ZOOM_SIGNATURE_HEADER)
        .and_then(|sig| Ok((sig, single_header(&parts.headers, ZOOM_TIMESTAMP_HEADER)?)))
        .and_then(|(sig, ts)| s.zoom.verify(sig, ts, body, now_unix()))
        .inspect_err(|e| signature_rejected(s, Provider::Zoom, e))?;
    let head = match zoom::head(verified.body()) {
        Ok(h) if h.event == zoom::URL_VALIDATION => {
            if let Some(plain) = h.plain_token.as_deref().filter(|p| !p.is_empty())
                && let Some(encrypted) = s.zoom.challenge(&verified, plain)
            {
                let answer = json!({ "plainToken": plain, "encryptedToken": encrypted });
                return Ok(Json(answer).into_response());
            }
            Err(EventError::Shape {
                event: h.event,
                path: "payload.plainToken".into(),
                problem: "is missing".into(),
            })
        }
        other => other,
    };
    let request_id = parts
        .headers
        .get("x-zm-request-id")
        .and_then(|v| v.to_str().ok());
    let reading = Reading::zoom(&verified, head);
    store(s, &verified, reading, received_at, request_id, started).await
}
