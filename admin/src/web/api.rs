//! The JSON API under `/api` (the same operations as the CLI):
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/queues?minutes=60` | `{queues: [QueueStats], throughput: [{at_ms, processed, retried, dead}]}` |
//! | `GET /api/dlq?queue=&class=&q=&offset=&limit=` | a page of dead letters (see [`crate::dead::Page`]) |
//! | `GET /api/dlq/{id}?reveal=true` | one job with its attempts (404 when unknown) |
//! | `POST /api/dlq/retry` `{ids: [..]}` or `{all: true, queue?: ".."}` | `{done, requested}` |
//! | `POST /api/dlq/delete` (same body) | `{done, requested}` |
//! | `GET /api/reminders?booking=&limit=` | a booking's reminders, or the next ones |
//!
//! Authentication and CSRF rules are in [`super::auth`]; errors are `{error}` with 400, 401,
//! 403, 404 or 503 (Redis unreachable).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::App;
use crate::commands::reminders;
use crate::dead::{self, Filter};
use crate::overview;

/// An API error with its status.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl<E: std::fmt::Display> From<E> for ApiError {
    fn from(e: E) -> Self {
        tracing::warn!(error = %e, "admin api: storage error");
        Self(StatusCode::SERVICE_UNAVAILABLE, format!("storage: {e}"))
    }
}

/// `?minutes=`.
#[derive(Debug, Deserialize)]
pub struct QueuesQuery {
    minutes: Option<usize>,
}

/// `GET /api/queues`.
pub async fn queues(
    State(app): State<Arc<App>>,
    Query(q): Query<QueuesQuery>,
) -> Result<Response, ApiError> {
    let stats = overview::stats(&app.client).await?;
    let throughput = overview::throughput(&app.client, &[], q.minutes.unwrap_or(60)).await?;
    Ok(Json(json!({ "queues": stats, "throughput": throughput })).into_response())
}

/// Filters and paging of the dead-letter list (empty values mean "any").
#[derive(Debug, Default, Deserialize)]
pub struct DlqQuery {
    /// Queue.
    pub queue: Option<String>,
    /// Error class of the last attempt.
    pub class: Option<String>,
    /// Text in id, payload or an error message.
    pub q: Option<String>,
    /// Start position.
    pub offset: Option<usize>,
    /// Page size (1..=1000, default 50).
    pub limit: Option<usize>,
}

impl DlqQuery {
    /// As a [`Filter`].
    pub fn filter(&self) -> Filter {
        let some = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Filter {
            queue: some(&self.queue),
            class: some(&self.class),
            text: some(&self.q),
        }
    }
}

/// `GET /api/dlq`.
pub async fn dlq_list(
    State(app): State<Arc<App>>,
    Query(q): Query<DlqQuery>,
) -> Result<Response, ApiError> {
    let page = dead::page(
        &app.client,
        &q.filter(),
        q.offset.unwrap_or(0),
        q.limit.unwrap_or(50),
    )
    .await?;
    Ok(Json(page).into_response())
}

/// `?reveal=`.
#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    reveal: bool,
}

/// `GET /api/dlq/{id}`.
pub async fn dlq_show(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, ApiError> {
    match dead::detail(&app.client, &id, q.reveal).await? {
        Some(d) => Ok(Json(d).into_response()),
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no job with id {id}"),
        )),
    }
}

/// Body of the bulk actions: some ids, or every dead letter (of one queue).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    all: bool,
    #[serde(default)]
    queue: Option<String>,
}

async fn bulk(app: &App, body: BulkBody, replay: bool) -> Result<Response, ApiError> {
    let dead = app.client.dead_letters();
    if body.all != body.ids.is_empty() {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "give either ids or all: true".into(),
        ));
    }
    if body.ids.len() > 10_000 {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "at most 10000 ids per request".into(),
        ));
    }
    let (done, requested) = if body.all {
        let queue = body.queue.as_deref().filter(|q| !q.is_empty());
        let requested = dead.count(queue).await?;
        let n = if replay {
            dead.replay_all(queue, |_| {}).await?
        } else {
            dead.delete_all(queue, |_| {}).await?
        };
        (n, requested as usize)
    } else if replay {
        (dead.replay(&body.ids).await?, body.ids.len())
    } else {
        (dead.delete(&body.ids).await?, body.ids.len())
    };
    tracing::info!(
        action = if replay { "replay" } else { "delete" },
        done,
        requested,
        "admin: dead letters"
    );
    Ok(Json(json!({ "done": done, "requested": requested })).into_response())
}

/// `POST /api/dlq/retry`.
pub async fn dlq_retry(
    State(app): State<Arc<App>>,
    Json(body): Json<BulkBody>,
) -> Result<Response, ApiError> {
    bulk(&app, body, true).await
}

/// `POST /api/dlq/delete`.
pub async fn dlq_delete(
    State(app): State<Arc<App>>,
    Json(body): Json<BulkBody>,
) -> Result<Response, ApiError> {
    bulk(&app, body, false).await
}

/// `?booking=&limit=`.
#[derive(Debug, Deserialize)]
pub struct RemindersQuery {
    /// Invitee URI or booking key.
    pub booking: Option<String>,
    /// At most this many (default 100).
    pub limit: Option<usize>,
}

/// `GET /api/reminders`.
pub async fn reminders(
    State(app): State<Arc<App>>,
    Query(q): Query<RemindersQuery>,
) -> Result<Response, ApiError> {
    let v = reminders::view(
        &app.bookings,
        q.booking.as_deref(),
        q.limit.unwrap_or(100).min(1000),
    )
    .await?;
    Ok(Json(v).into_response())
}
