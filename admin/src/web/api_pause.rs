//! The kill switch in the JSON API (the same as `meetflow-admin queues pause|resume`):
//!
//! | route | answer |
//! |---|---|
//! | `POST /api/queues/{queue}/pause` (`{queue}` a queue name or `all`) | `{queue, paused: true, changed}` |
//! | `POST /api/queues/{queue}/resume` | `{queue, paused: false, changed}` |
//! | `GET /api/queues/paused` | `{paused: {queue or "all": paused_at_ms}}` |
//!
//! `changed` is false when the queue was already in that state. An unknown queue is 404;
//! resuming one queue while `all` is paused is 409. Both need the `operate` role and are
//! recorded in the audit trail (also when they fail).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use meetflow_shared::queue::{PauseError, PauseScope};
use serde_json::json;

use super::App;
use super::api::ApiError;
use super::auth::Caller;
use meetflow_shared::audit::Record;

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
    Extension(caller): Extension<Caller>,
    Path(queue): Path<String>,
) -> Result<Response, ApiError> {
    let scope = PauseScope::parse(&queue);
    let result = app.client.pause(&scope).await;
    audited(&app, &caller, "pause", &queue, &result).await;
    let changed = result.map_err(api_error)?;
    Ok(Json(json!({ "queue": queue, "paused": true, "changed": changed })).into_response())
}

/// `POST /api/queues/{queue}/resume`.
pub async fn resume(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(queue): Path<String>,
) -> Result<Response, ApiError> {
    let scope = PauseScope::parse(&queue);
    let result = app.client.resume(&scope).await;
    audited(&app, &caller, "resume", &queue, &result).await;
    let changed = result.map_err(api_error)?;
    Ok(Json(json!({ "queue": queue, "paused": false, "changed": changed })).into_response())
}

/// Records a pause or resume of `queue` (count 1 when it changed the state).
async fn audited(
    app: &App,
    caller: &Caller,
    action: &str,
    queue: &str,
    result: &Result<bool, PauseError>,
) {
    let who = caller.who();
    let record = Record::new(&who.name, who.via, action, format!("queue: {queue}"));
    let record = record.outcome_of(result, |changed| Some(u64::from(*changed)));
    crate::audit::record(&app.audit, record).await;
}

/// `GET /api/queues/paused`.
pub async fn paused(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    let p = app.client.pauses().await?;
    Ok(Json(json!({ "paused": p })).into_response())
}
