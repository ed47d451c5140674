//! Handlers of the web page: login and logout, queues and dead letters (`/`), one job
//! (`/jobs/{id}`), reminders (`/reminders`), and the two static assets.

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::App;
use super::api::{ApiError, DlqQuery, RemindersQuery};
use super::auth::{self, Caller};
use super::{render, views};
use crate::commands::reminders;
use crate::{dead, overview};

/// Where the list stands, plus an optional message after an action.
#[derive(Debug, Default, Deserialize)]
pub struct IndexQuery {
    queue: Option<String>,
    class: Option<String>,
    q: Option<String>,
    since: Option<String>,
    until: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
    /// A message to show (after an action).
    done: Option<String>,
}

/// `GET /`: queues, throughput chart, dead letters.
pub async fn index(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<IndexQuery>,
) -> Result<Response, ApiError> {
    let stats = overview::stats(&app.client).await?;
    let throughput = overview::throughput(&app.client, &[], 60).await?;
    let dlq = DlqQuery {
        queue: q.queue,
        class: q.class,
        q: q.q,
        since: q.since,
        until: q.until,
        offset: q.offset,
        limit: q.limit,
    };
    let filter = dlq.filter()?;
    let limit = dlq.limit.unwrap_or(25).clamp(1, 200);
    let page = dead::page(&app.client, &filter, dlq.offset.unwrap_or(0), limit).await?;
    let view = render::IndexView {
        stats: &stats,
        throughput: &throughput,
        page: &page,
        filter: &filter,
        limit,
        done: q.done.as_deref(),
        may_act: caller.may(meetflow_shared::config::AdminRole::Operate),
    };
    Ok(render::index(&caller, &view))
}

/// `?reveal=`.
#[derive(Debug, Deserialize)]
pub struct JobQuery {
    #[serde(default)]
    reveal: bool,
}

/// `GET /jobs/{id}`: a job with its attempt timeline.
pub async fn job(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<JobQuery>,
) -> Result<Response, ApiError> {
    let found = dead::detail(&app.client, &id, q.reveal).await;
    if q.reveal {
        super::api::audit_reveal(&app, &caller.who(), &id, &found).await;
    }
    let detail = found?;
    let mut resp = views::job(&caller, &id, detail.as_ref());
    if detail.is_none() {
        *resp.status_mut() = StatusCode::NOT_FOUND;
    }
    Ok(resp)
}

/// `GET /reminders?booking=`.
pub async fn reminders(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<RemindersQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(100).min(1000);
    let v = reminders::view(&app.bookings, q.booking.as_deref(), limit).await?;
    Ok(views::reminders(
        &caller,
        q.booking.as_deref().unwrap_or(""),
        &v,
    ))
}

/// `?error=`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    error: Option<String>,
}

/// `GET /login`.
pub async fn login_form(State(app): State<Arc<App>>, Query(q): Query<LoginQuery>) -> Response {
    if !app.auth.requires_login() {
        return Redirect::to("/").into_response();
    }
    views::login(q.error.is_some())
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
}

/// `POST /login`: checks the token, starts a session, sets the cookie.
pub async fn login(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    if !app.auth.requires_login() {
        return Ok(Redirect::to("/").into_response());
    }
    if !auth::same_origin(&headers) {
        return Ok((StatusCode::FORBIDDEN, "cross-site login refused").into_response());
    }
    if !app.auth.token_matches(form.token.trim()) {
        // Slows down guessing; the comparison itself is constant-time.
        tokio::time::sleep(Duration::from_millis(300)).await;
        tracing::warn!("admin: failed login");
        let mut resp = views::login(true);
        *resp.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(resp);
    }
    let sid = app.auth.login(form.token.trim()).await?;
    let mut resp = Redirect::to("/").into_response();
    let cookie = HeaderValue::from_str(&auth::set_cookie(Some(&sid), &headers))
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(resp)
}

/// The logout form (its CSRF token travels as a field).
#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: ends the session.
pub async fn logout(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let Ok(caller) = app.auth.check(&Method::GET, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    let csrf_ok = bool::from(caller.csrf().as_bytes().ct_eq(form.csrf.as_bytes()));
    if !csrf_ok || !auth::same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "missing CSRF token").into_response();
    }
    app.auth.logout(&headers).await;
    let mut resp = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(None, &headers)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// `GET /assets/app.js`.
pub async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("assets/app.js"),
    )
}

/// `GET /assets/app.css`.
pub async fn style() -> Response {
    asset("text/css; charset=utf-8", include_str!("assets/app.css"))
}
