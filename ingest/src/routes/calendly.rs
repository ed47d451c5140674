//! `POST /webhooks/calendly`: verify `Calendly-Webhook-Signature`, store one job.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use meetflow_shared::events::Provider;

use tracing::Instrument;

use super::{now_unix, read_body, request_span, signature_rejected, single_header, store};
use crate::error::IngestError;
use crate::intake::Reading;
use crate::signature::CALENDLY_HEADER;
use crate::startup::AppState;

pub(crate) async fn receive(State(state): State<AppState>, request: Request) -> Response {
    handle(&state, request)
        .instrument(request_span(Provider::Calendly, "/webhooks/calendly"))
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn handle(state: &AppState, request: Request) -> Result<Response, IngestError> {
    let started = Instant::now();
    let received_at = chrono::Utc::now();
    let s = state.inner();
    let (parts, body) = request.into_parts();
    let body = read_body(&parts.headers, body, s.max_body_bytes, s.limits.body_read).await?;
    let verified = single_header(&parts.headers, CALENDLY_HEADER)
        .and_then(|header| s.calendly.verify(header, body, now_unix()))
        .inspect_err(|e| signature_rejected(s, Provider::Calendly, e))?;
    let reading = Reading::calendly(&verified);
    store(s, &verified, reading, received_at, None, started).await
}
