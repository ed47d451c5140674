//! `POST /webhooks/engagelab`: EngageLab's delivery callbacks. Verify `X-CALLBACK-ID`, store one
//! job per delivery (de-duplicated by its bytes), answer 200 only once stored.
//!
//! Verified by the `X-CALLBACK-ID` HMAC (`engagelab.callback_secret`), the static
//! `Authorization` header (`engagelab.callback_authorization`), or both; with neither configured
//! the route answers 404 (callbacks are off). EngageLab's console checks a new callback URL with
//! a `{}` POST that must get 200: a body with no rows and no `X-CALLBACK-ID` (and no
//! `Authorization`, or the right one) is answered 200 and stores nothing (it carries nothing). A
//! bad or missing signature or `Authorization` on anything else is 401 and a warning.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use meetflow_shared::events::Provider;
use meetflow_shared::providers::engagelab::callback::{CALLBACK_HEADER, CallbackBody};

use super::{now_unix, read_body, signature_rejected, single_header, store};
use crate::error::IngestError;
use crate::intake::Reading;
use crate::signature::SignatureError;
use crate::startup::AppState;

pub(crate) async fn receive(State(state): State<AppState>, request: Request) -> Response {
    handle(&state, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// The console's check: a JSON object without rows.
fn is_validation(body: &[u8]) -> bool {
    serde_json::from_slice::<CallbackBody>(body).is_ok_and(|b| b.rows.is_empty())
}

async fn handle(state: &AppState, request: Request) -> Result<Response, IngestError> {
    let s = state.inner();
    if !s.engagelab.is_on() {
        return Ok((
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"error":"EngageLab callbacks are off (engagelab.callback_secret and engagelab.callback_authorization are unset)"}"#,
        )
            .into_response());
    }
    let started = Instant::now();
    let received_at = chrono::Utc::now();
    let (parts, body) = request.into_parts();
    let body = read_body(&parts.headers, body, s.max_body_bytes, s.limits.body_read).await?;
    let header = single_header(&parts.headers, CALLBACK_HEADER);
    let authorization = single_header(&parts.headers, header::AUTHORIZATION.as_str());
    let wrong_authorization =
        matches!(authorization, Ok(Some(a)) if !s.engagelab.authorization_matches(a));
    if matches!(header, Ok(None))
        && authorization.is_ok()
        && !wrong_authorization
        && is_validation(&body)
    {
        tracing::info!("EngageLab callback URL check answered");
        return Ok((
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"ok"}"#,
        )
            .into_response());
    }
    let verified = header
        .and_then(|h| Ok((h, authorization?)))
        .and_then(|(h, a)| s.engagelab.verify(h, a, body, now_unix()))
        .inspect_err(|e: &SignatureError| signature_rejected(s, Provider::EngageLab, e))?;
    let reading = Reading::engagelab(&verified);
    store(s, &verified, reading, received_at, None, started).await
}
