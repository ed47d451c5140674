//! The delivery log in the JSON API (the same as `meetflow-admin deliveries`):
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/deliveries?provider=&event=&person=&since=&until=&cursor=&limit=` | a page, newest first: `{items: [{id, provider, event, at_ms, job, outcome, size, persons, replays, replayed_ms}], next_cursor, total, bytes}`; `limit` 1..=1000, default 50 |
//! | `GET /api/deliveries/{id}?reveal=true` | one delivery with its raw `body` (personal data masked unless `reveal`: operate role, recorded in the audit trail); 404 when unknown or trimmed |
//! | `POST /api/deliveries/replay` `{ids}` or `{all: true, provider?, event?, person?, since, until?}` | `{replayed: [[entry, job]], missing}` |
//!
//! `person` is an e-mail address or a phone number in any format; `since` and `until` are
//! RFC 3339, `YYYY-MM-DD HH:MM` (UTC), `HH:MM` (today, UTC) or an age (`30m`). A filtered
//! replay needs `since` and takes at most 10,000 deliveries. Replays need the operate role and
//! are recorded in the audit trail.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use meetflow_shared::audit::Record;
use meetflow_shared::delivery_log::{DeliveryLog, DeliveryPage, LogError};
use serde::Deserialize;
use serde_json::json;

use super::App;
use super::api::ApiError;
use super::auth::Caller;
use crate::deliveries::{self, FilterInput};

/// `?provider=&event=&person=&since=&until=&cursor=&limit=`.
#[derive(Debug, Default, Deserialize)]
pub struct DeliveriesQuery {
    /// `calendly`, `zoom` or `engagelab`.
    pub provider: Option<String>,
    /// An event name.
    pub event: Option<String>,
    /// An e-mail address or a phone number.
    pub person: Option<String>,
    /// From this time.
    pub since: Option<String>,
    /// Until this time.
    pub until: Option<String>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size (1..=1000, default 50).
    pub limit: Option<usize>,
}

impl DeliveriesQuery {
    /// The filter part.
    pub fn filter(&self) -> FilterInput {
        FilterInput {
            provider: self.provider.clone(),
            event: self.event.clone(),
            person: self.person.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
        }
    }
}

/// The log of the app's Redis.
pub fn log(app: &App) -> DeliveryLog {
    DeliveryLog::new(app.client.clone())
}

fn bad(e: String) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, e)
}

/// One page for the API and the page.
pub async fn page(
    app: &App,
    q: &DeliveriesQuery,
    default_limit: usize,
) -> Result<DeliveryPage, ApiError> {
    let filter = q
        .filter()
        .read(app.settings.sms.default_region.as_deref())
        .map_err(bad)?;
    log(app)
        .page(
            &filter,
            q.cursor.as_deref(),
            q.limit.unwrap_or(default_limit),
        )
        .await
        .map_err(|e| match e {
            LogError::BadCursor(_) => bad(e.to_string()),
            LogError::Queue(q) => ApiError::from(q),
        })
}

/// `GET /api/deliveries`.
pub async fn list(
    State(app): State<Arc<App>>,
    Query(q): Query<DeliveriesQuery>,
) -> Result<Response, ApiError> {
    let page = page(&app, &q, 50).await?;
    let (total, bytes) = log(&app).totals().await?;
    Ok(Json(json!({
        "items": page.items,
        "next_cursor": page.next_cursor,
        "total": total,
        "bytes": bytes,
    }))
    .into_response())
}

/// `?reveal=`.
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    /// Show personal data (operate role; audited).
    #[serde(default)]
    pub reveal: bool,
}

/// One delivery, masked unless `reveal` (a reveal is recorded as `who`).
pub async fn show_one(
    app: &App,
    caller: &Caller,
    id: &str,
    reveal: bool,
) -> Result<Option<meetflow_shared::delivery_log::Delivery>, ApiError> {
    let found = log(app).get(id).await;
    if reveal {
        let who = caller.who();
        let record = Record::new(&who.name, who.via, "reveal", deliveries::target(id))
            .outcome_of(&found, |d| Some(u64::from(d.is_some())));
        crate::audit::record(&app.audit, record).await;
    }
    Ok(found?.map(|d| deliveries::masked(d, reveal)))
}

/// `GET /api/deliveries/{id}`.
pub async fn show(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, ApiError> {
    match show_one(&app, &caller, &id, q.reveal).await? {
        Some(d) => Ok(Json(d).into_response()),
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no delivery with id {id} (unknown, or trimmed from the log)"),
        )),
    }
}

/// Body of `POST /api/deliveries/replay` (an unknown key is refused: a misspelt filter must
/// not widen a replay).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    all: bool,
    provider: Option<String>,
    event: Option<String>,
    person: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

impl ReplayBody {
    fn filter(&self) -> FilterInput {
        FilterInput {
            provider: self.provider.clone(),
            event: self.event.clone(),
            person: self.person.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
        }
    }
}

/// `POST /api/deliveries/replay`.
pub async fn replay(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<ReplayBody>,
) -> Result<Response, ApiError> {
    let who = caller.who();
    let log = log(&app);
    let result = match (body.all, body.ids.is_empty()) {
        (true, true) => {
            let filter = body
                .filter()
                .read(app.settings.sms.default_region.as_deref())
                .map_err(bad)?;
            deliveries::replay_matching(&log, &app.audit, &who.name, who.via, &filter).await
        }
        (false, false) => {
            deliveries::replay_ids(&log, &app.audit, &who.name, who.via, &body.ids).await
        }
        _ => return Err(bad("give ids, or all: true with since (and filters)".into())),
    };
    match result {
        Ok(report) => Ok(Json(report).into_response()),
        Err(e) if e.downcast_ref::<LogError>().is_some() => Err(ApiError::from(e)),
        Err(e) => Err(bad(e.to_string())),
    }
}
