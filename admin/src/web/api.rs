//! The JSON API under `/api` (the same operations as the CLI):
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/queues?minutes=60` | `{queues: [QueueStats], throughput: [{at_ms, processed, retried, dead}]}` |
//! | `GET /api/dlq?queue=&class=&q=&since=&until=&offset=&limit=` | a page of dead letters (see [`crate::dead::Page`]) |
//! | `GET /api/dlq/count?queue=&class=&q=&since=&until=` | what a bulk action with these filters takes: `{count, possibly_sent}` |
//! | `GET /api/dlq/{id}?reveal=true` | one job with its attempts (404 when unknown) |
//! | `POST /api/dlq/retry` `{ids: [..]}`, `{ids: [one], resend: true}` or `{all: true, queue?, class?, q?, since?, until?}` | `{done, requested, possibly_sent}` |
//! | `POST /api/dlq/delete` (same body, without `resend`) | `{done, requested, possibly_sent}` |
//!
//! `since`/`until` are RFC 3339 or `YYYY-MM-DD`. A bulk action (`all: true`) takes exactly the
//! dead letters the same filters list, never one marked "possibly sent" (`possibly_sent` in the
//! answer counts those left out); `{ids}` replays skip them too. Only `{ids: [one id], resend:
//! true}` replays a possibly sent SMS, and only with a token of the `admin` role.
//!
//! Roles ([`super::auth::required_role`]): every GET needs `read`; every action and
//! `reveal=true` need `operate` (else 403 `{error, role, required_role}`); `resend` needs
//! `admin`. Every action, reveal and refused attempt is recorded in the audit trail
//! ([`crate::audit`]) with the token's name.
//! | `GET /api/reminders?booking=&limit=` | a booking's reminders, or the next ones |
//! | `GET /api/person?q=&reveal=` | one person by e-mail, phone (any format) or Calendly URI: bookings, deliveries, Brevo jobs, SMS states, dead letters ([`crate::person::PersonView`]; 400 when `q` names no one) |
//! | `GET /api/sms/suppressed` | `{entries: [{kind, value, scope, added_ms, source}]}`, the SMS suppression list |
//! | `POST /api/sms/suppressed` `{target, marketing_only?}` | `{kind, value, scope, added}` (a phone in international form, normalised to E.164, or an e-mail, lower-cased; else 400) |
//! | `DELETE /api/sms/suppressed` `{target}` | `{kind, value, removed}` |
//!
//! Authentication and CSRF rules are in [`super::auth`]; errors are `{error}` with 400, 401,
//! 403, 404 or 503 (Redis unreachable).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

use super::App;
use super::auth::{Caller, Who};
use meetflow_shared::audit::Record;
use meetflow_shared::config::AdminRole;
use meetflow_shared::queue::QueueError;
use meetflow_shared::sms_suppression::{Scope, Target};

use crate::audit;
use crate::commands::{reminders, sms};
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
    /// Died at or after (RFC 3339 or `YYYY-MM-DD`).
    pub since: Option<String>,
    /// Died before (RFC 3339 or `YYYY-MM-DD`).
    pub until: Option<String>,
    /// Start position.
    pub offset: Option<usize>,
    /// Page size (1..=1000, default 50).
    pub limit: Option<usize>,
}

fn some(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The filters of the list and of bulk actions, from their text form; a bad time is a 400.
pub fn filter_of(
    queue: &Option<String>,
    class: &Option<String>,
    q: &Option<String>,
    since: &Option<String>,
    until: &Option<String>,
) -> Result<Filter, ApiError> {
    let time = |v: &Option<String>| -> Result<Option<i64>, ApiError> {
        some(v)
            .map(|t| dead::parse_time(&t).map_err(|e| ApiError(StatusCode::BAD_REQUEST, e)))
            .transpose()
    };
    Ok(Filter {
        queue: some(queue),
        class: some(class),
        text: some(q),
        since_ms: time(since)?,
        until_ms: time(until)?,
    })
}

impl DlqQuery {
    /// As a [`Filter`].
    pub fn filter(&self) -> Result<Filter, ApiError> {
        filter_of(&self.queue, &self.class, &self.q, &self.since, &self.until)
    }
}

/// `GET /api/dlq`.
pub async fn dlq_list(
    State(app): State<Arc<App>>,
    Query(q): Query<DlqQuery>,
) -> Result<Response, ApiError> {
    let page = dead::page(
        &app.client,
        &q.filter()?,
        q.offset.unwrap_or(0),
        q.limit.unwrap_or(50),
    )
    .await?;
    Ok(Json(page).into_response())
}

/// `GET /api/dlq/count`: how many dead letters a bulk action with these filters takes.
pub async fn dlq_count(
    State(app): State<Arc<App>>,
    Query(q): Query<DlqQuery>,
) -> Result<Response, ApiError> {
    let sel = dead::select(&app.client, &q.filter()?).await?;
    Ok(Json(json!({ "count": sel.ids.len(), "possibly_sent": sel.possibly_sent })).into_response())
}

/// `?reveal=`.
#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    reveal: bool,
}

/// `GET /api/dlq/{id}` (with `reveal=true`: operate role, recorded in the audit trail).
pub async fn dlq_show(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, ApiError> {
    let found = dead::detail(&app.client, &id, q.reveal).await;
    if q.reveal {
        audit_reveal(&app, &caller.who(), &id, &found).await;
    }
    match found? {
        Some(d) => Ok(Json(d).into_response()),
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no job with id {id}"),
        )),
    }
}

/// Records a reveal of job `id`'s personal data (count 1 when the job exists).
pub async fn audit_reveal<T>(
    app: &App,
    who: &Who,
    id: &str,
    found: &Result<Option<T>, QueueError>,
) {
    let record = Record::new(&who.name, who.via, "reveal", format!("job: {id}"));
    let record = record.outcome_of(found, |d| Some(u64::from(d.is_some())));
    audit::record(&app.audit, record).await;
}

/// Body of the bulk actions: some ids (one with `resend`), or every dead letter the filters
/// select.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    all: bool,
    #[serde(default)]
    queue: Option<String>,
    #[serde(default)]
    class: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    resend: bool,
}

fn bad(msg: &str) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.to_owned())
}

async fn bulk(app: &App, who: &Who, body: BulkBody, replay: bool) -> Result<Response, ApiError> {
    let dead = app.client.dead_letters();
    if body.all != body.ids.is_empty() {
        return Err(bad("give either ids or all: true"));
    }
    if body.ids.len() > 10_000 {
        return Err(bad("at most 10000 ids per request"));
    }
    let filtered = [&body.queue, &body.class, &body.q, &body.since, &body.until]
        .iter()
        .any(|v| some(v).is_some());
    if filtered && !body.all {
        return Err(bad(
            "filters (queue, class, q, since, until) go with all: true",
        ));
    }
    if body.resend {
        if !replay {
            return Err(bad("resend is for /api/dlq/retry only"));
        }
        let [id] = body.ids.as_slice() else {
            return Err(bad(
                "resend takes exactly one id: a possibly sent SMS is sent again one at a time",
            ));
        };
        let record = Record::new(&who.name, who.via, "resend", format!("id: {id}"));
        if !who.may(AdminRole::Admin) {
            let reason = format!("the {} role cannot resend (needs admin)", who.role.as_str());
            audit::record(&app.audit, record.denied(&reason)).await;
            return Ok(super::role_forbidden(&who.name, who.role, AdminRole::Admin));
        }
        let result = dead.resend(id).await;
        audit::record(
            &app.audit,
            record.outcome_of(&result, |sent| Some(u64::from(*sent))),
        )
        .await;
        let done = usize::from(result?);
        return Ok(
            Json(json!({ "done": done, "requested": 1, "possibly_sent": 0 })).into_response(),
        );
    }
    let action = if replay { "replay" } else { "delete" };
    let (filter, target) = if body.all {
        let filter = filter_of(&body.queue, &body.class, &body.q, &body.since, &body.until)?;
        let target = audit::filter_target(&filter.describe());
        (Some(filter), target)
    } else {
        (None, audit::ids_target(&body.ids))
    };
    let result = act(app, body.ids, filter.as_ref(), replay).await;
    let record = Record::new(&who.name, who.via, action, target);
    audit::record(
        &app.audit,
        record.outcome_of(&result, |(done, _, _)| u64::try_from(*done).ok()),
    )
    .await;
    let (done, requested, left_out) = result?;
    Ok(
        Json(json!({ "done": done, "requested": requested, "possibly_sent": left_out }))
            .into_response(),
    )
}

/// Replays or deletes `ids`, or the dead letters `filter` selects: `(done, requested, left out
/// as possibly sent)`.
async fn act(
    app: &App,
    ids: Vec<String>,
    filter: Option<&Filter>,
    replay: bool,
) -> Result<(usize, usize, usize), QueueError> {
    let dead = app.client.dead_letters();
    let (ids, left_out) = if let Some(filter) = filter {
        let sel = dead::select(&app.client, filter).await?;
        (sel.ids, sel.possibly_sent)
    } else if replay {
        let flagged = dead.possibly_sent(&ids).await?;
        let n = flagged.iter().filter(|f| **f).count();
        (ids, n)
    } else {
        (ids, 0)
    };
    let mut done = 0;
    for chunk in ids.chunks(500) {
        done += if replay {
            dead.replay(chunk).await?
        } else {
            dead.delete(chunk).await?
        };
    }
    Ok((done, ids.len(), left_out))
}

/// `POST /api/dlq/retry`.
pub async fn dlq_retry(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<BulkBody>,
) -> Result<Response, ApiError> {
    bulk(&app, &caller.who(), body, true).await
}

/// `POST /api/dlq/delete`.
pub async fn dlq_delete(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<BulkBody>,
) -> Result<Response, ApiError> {
    bulk(&app, &caller.who(), body, false).await
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

/// Body of `POST` / `DELETE /api/sms/suppressed`.
#[derive(Debug, Deserialize)]
pub struct SuppressBody {
    /// A phone number in international form or an e-mail address.
    pub target: String,
    /// Stop only marketing SMS (win-back, no-show apology, follow-up).
    #[serde(default)]
    pub marketing_only: bool,
}

fn target_of(body: &SuppressBody) -> Result<Target, ApiError> {
    Target::parse(&body.target).map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.to_string()))
}

/// `GET /api/sms/suppressed`.
pub async fn sms_suppressed(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    let entries = sms::entries(&app.suppressions).await?;
    Ok(Json(json!({ "entries": entries })).into_response())
}

/// `POST /api/sms/suppressed`.
pub async fn sms_suppress(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<SuppressBody>,
) -> Result<Response, ApiError> {
    let target = target_of(&body)?;
    let scope = if body.marketing_only {
        Scope::Marketing
    } else {
        Scope::All
    };
    let result = app
        .suppressions
        .add(&target, scope, chrono::Utc::now().timestamp_millis())
        .await;
    let who = caller.who();
    let what = format!("{} ({} SMS)", audit::person_target(&target), scope.as_str());
    let record = Record::new(&who.name, who.via, "suppress", what);
    audit::record(
        &app.audit,
        record.outcome_of(&result, |new| Some(u64::from(*new))),
    )
    .await;
    let added = result?;
    Ok(Json(json!({
        "kind": target.kind(),
        "value": target.value(),
        "scope": scope.as_str(),
        "added": added,
    }))
    .into_response())
}

/// `DELETE /api/sms/suppressed`.
pub async fn sms_unsuppress(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<SuppressBody>,
) -> Result<Response, ApiError> {
    let target = target_of(&body)?;
    let result = app.suppressions.remove(&target).await;
    let who = caller.who();
    let record = Record::new(
        &who.name,
        who.via,
        "unsuppress",
        audit::person_target(&target),
    );
    audit::record(
        &app.audit,
        record.outcome_of(&result, |was| Some(u64::from(*was))),
    )
    .await;
    let removed = result?;
    Ok(Json(json!({
        "kind": target.kind(),
        "value": target.value(),
        "removed": removed,
    }))
    .into_response())
}
