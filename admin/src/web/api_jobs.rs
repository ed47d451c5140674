//! Every job in view in the JSON API (the same as `meetflow-admin jobs` and `processes`):
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/jobs?state=&queue=&cursor=&limit=` | a page of jobs in one state ([`JobPage`]: `{state, queue, items, next_cursor}`); `state` is required (ready, inflight, scheduled, retrying, dead); `limit` 1..=1000, default 50 |
//! | `POST /api/jobs/{id}/run-now` `{expect?}` | `{id, action, outcome: "done", was}` |
//! | `POST /api/jobs/{id}/cancel` `{expect?}` | the same |
//! | `POST /api/jobs/{id}/dead` `{expect?}` | the same (moved to the dead letters) |
//! | `GET /api/processes` | `{processes: [{identity, host, pid, service, version, started_ms, last_heartbeat_ms, queues: {queue: in flight}, in_flight}]}` |
//!
//! `expect` is the state the caller saw; a job no longer in it is refused. A refused action
//! answers 409 with `{error, outcome}` (`changed`, or `refused` with the process holding an
//! in-flight job), an unknown job 404, a bad state or cursor 400. Every action, done or refused,
//! is recorded in the audit trail.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use meetflow_shared::queue::{ActOutcome, BrowseError, JobAction, JobPage, ListState};
use serde::Deserialize;
use serde_json::json;

use super::App;
use super::api::ApiError;
use super::auth::Caller;
use crate::commands::jobs::mask_page;

/// `?state=&queue=&cursor=&limit=`.
#[derive(Debug, Default, Deserialize)]
pub struct JobsQuery {
    /// ready, inflight, scheduled, retrying or dead.
    pub state: Option<String>,
    /// Only this queue (empty = all).
    pub queue: Option<String>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size (1..=1000, default 50).
    pub limit: Option<usize>,
}

impl JobsQuery {
    /// The state asked for; a missing or unknown one is a 400.
    pub fn state(&self) -> Result<ListState, ApiError> {
        let s = self.state.as_deref().unwrap_or("");
        ListState::parse(s).ok_or_else(|| {
            ApiError(
                StatusCode::BAD_REQUEST,
                format!("state {s:?}: use ready, inflight, scheduled, retrying or dead"),
            )
        })
    }

    /// The queue asked for (`None` for all).
    pub fn queue(&self) -> Option<&str> {
        self.queue
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
    }
}

/// One page, masked, for the API and the page.
pub async fn page(app: &App, q: &JobsQuery, default_limit: usize) -> Result<JobPage, ApiError> {
    let state = q.state()?;
    let mut page = app
        .client
        .list_jobs(
            state,
            q.queue(),
            q.cursor.as_deref(),
            q.limit.unwrap_or(default_limit),
        )
        .await
        .map_err(|e| match e {
            BrowseError::BadCursor(_) => ApiError(StatusCode::BAD_REQUEST, e.to_string()),
            BrowseError::Queue(q) => ApiError::from(q),
        })?;
    mask_page(&mut page);
    page.fill_max_attempts(|q| app.settings.queue(q).max_attempts);
    Ok(page)
}

/// `GET /api/jobs`.
pub async fn list(
    State(app): State<Arc<App>>,
    Query(q): Query<JobsQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(page(&app, &q, 50).await?).into_response())
}

/// The body of an action.
#[derive(Debug, Default, Deserialize)]
pub struct ActBody {
    /// The state the caller saw.
    #[serde(default)]
    pub expect: Option<String>,
}

async fn act(
    app: &App,
    caller: &Caller,
    id: &str,
    action: JobAction,
    body: Option<Json<ActBody>>,
) -> Result<Response, ApiError> {
    let expect = match body.and_then(|b| b.0.expect).filter(|e| !e.is_empty()) {
        None => None,
        Some(e) => Some(ListState::parse(&e).ok_or_else(|| {
            ApiError(
                StatusCode::BAD_REQUEST,
                format!("expect {e:?} is not a state"),
            )
        })?),
    };
    let result = app.client.act(id, action, expect).await;
    let who = caller.who();
    let record = crate::audit::job_action(&who.name, who.via, action, id, &result);
    crate::audit::record(&app.audit, record).await;
    let outcome = result?;
    let line = outcome.explain(action, id);
    match &outcome {
        ActOutcome::Done { was } => {
            tracing::info!(action = ?action, job.id = %id, was = %was, "admin api: job acted on");
            Ok(Json(
                json!({"id": id, "action": action, "outcome": "done", "was": was, "message": line}),
            )
            .into_response())
        }
        ActOutcome::Missing => Err(ApiError(StatusCode::NOT_FOUND, line)),
        _ => Ok((
            StatusCode::CONFLICT,
            Json(json!({"error": line, "outcome": outcome})),
        )
            .into_response()),
    }
}

/// `POST /api/jobs/{id}/run-now`.
pub async fn run_now(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Option<Json<ActBody>>,
) -> Result<Response, ApiError> {
    act(&app, &caller, &id, JobAction::RunNow, body).await
}

/// `POST /api/jobs/{id}/cancel`.
pub async fn cancel(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Option<Json<ActBody>>,
) -> Result<Response, ApiError> {
    act(&app, &caller, &id, JobAction::Cancel, body).await
}

/// `POST /api/jobs/{id}/dead`.
pub async fn dead(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Option<Json<ActBody>>,
) -> Result<Response, ApiError> {
    act(&app, &caller, &id, JobAction::Dead, body).await
}

/// `GET /api/processes`.
pub async fn processes(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    let list = app.client.processes().await?;
    Ok(Json(json!({ "processes": list })).into_response())
}
