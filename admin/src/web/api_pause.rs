//! The kill switch in the JSON API (the same as `meetflow-admin queues pause|resume`):
//!
//! | route | answer |
//! |---|---|
//! | `POST /api/queues/{queue}/pause` (`{queue}` a queue name or `all`) | `{queue, paused: true, changed}` |
//! | `POST /api/queues/{queue}/resume` | `{queue, paused: false, changed}` |
//! | `GET /api/queues/paused` | `{paused: {queue or "all": paused_at_ms}}` |
//!
//! `changed` is false when the queue was already in that state. An unknown queue is 404;
//! resuming one queue while `all` is paused is 409. Both actions are logged to the audit target.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use meetflow_shared::queue::{PauseError, PauseScope};
use serde_json::json;

use super::App;
use super::api::ApiError;

fn api_error(e: PauseError) -> ApiError {
    match e {
        PauseError::UnknownQueue { .. } => ApiError(StatusCode::NOT_FOUND, e.to_string()),
        PauseError::AllPaused => ApiError(StatusCode::CONFLICT, e.to_string()),
        PauseError::Queue(q) => ApiError::from(q),
    }
}

/// `POST /api/queues/{queue}/pause`.
pub async fn pause(
    State(app): State<Arc<App>>,
    Path(queue): Path<String>,
) -> Result<Response, ApiError> {
    let scope = PauseScope::parse(&queue);
    let changed = app.client.pause(&scope).await.map_err(api_error)?;
    tracing::info!(target: "meetflow::audit", action = "pause", queue = %queue, changed, "admin api: queue paused");
    Ok(Json(json!({ "queue": queue, "paused": true, "changed": changed })).into_response())
}

/// `POST /api/queues/{queue}/resume`.
pub async fn resume(
    State(app): State<Arc<App>>,
    Path(queue): Path<String>,
) -> Result<Response, ApiError> {
    let scope = PauseScope::parse(&queue);
    let changed = app.client.resume(&scope).await.map_err(api_error)?;
    tracing::info!(target: "meetflow::audit", action = "resume", queue = %queue, changed, "admin api: queue resumed");
    Ok(Json(json!({ "queue": queue, "paused": false, "changed": changed })).into_response())
}

/// `GET /api/queues/paused`.
pub async fn paused(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    let p = app.client.pauses().await?;
    Ok(Json(json!({ "paused": p })).into_response())
}
