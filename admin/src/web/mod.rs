//! `meetflow-admin serve`: the operator web page and the JSON API on `admin.listen`.
//!
//! - [`api`]: JSON under `/api` for scripts and for the page's own script.
//! - [`pages`]: server-rendered HTML (login, queues and dead letters, a job, reminders) with a
//!   small vanilla script (`assets/app.js`: live counts, the throughput chart, confirmations
//!   and POSTs). No build step and no third-party origin: everything is served from here.
//! - [`auth`]: bearer token, session cookie, CSRF and Host rules.
//! - [`api_jobs`] and [`jobs_page`]: every job in view by state, run-now / cancel / move to the
//!   dead letters, and the worker processes.
//! - [`person_page`]: one page per person (`/person`, `/api/person`), by e-mail, phone or
//!   Calendly URI ([`crate::person`]).
//! - [`api_deliveries`] and [`deliveries_page`]: the delivery log: search, raw body (masked),
//!   replay one or every match.
//!
//! The process also serves `/healthz`, `/readyz` and `/metrics` on `ops.listen` and exports the
//! queue gauges (`meetflow_queue_*`) every 5 s, so one admin replica is enough for dashboards.

pub mod api;
pub mod api_audit;
pub mod api_deliveries;
pub mod api_jobs;
pub mod api_pause;
pub mod auth;
pub mod deliveries_page;
pub mod html;
pub mod jobs_page;
pub mod pages;
pub mod person_page;
mod render;
mod views;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use meetflow_shared::audit::{Audit, Record};
use meetflow_shared::bookings::Bookings;
use meetflow_shared::config::{Settings, redact_url};
use meetflow_shared::process::Process;
use meetflow_shared::queue::{QueueClient, spawn_stats_exporter};
use meetflow_shared::shutdown::Shutdown;
use meetflow_shared::sms_suppression::Suppressions;
use serde_json::json;

use self::auth::{Auth, Denied};

/// The binary's name, in logs and on stderr.
pub const NAME: &str = "meetflow-admin";

/// Everything a request handler needs.
#[derive(Debug)]
pub struct App {
    /// The queue.
    pub client: QueueClient,
    /// The bookings store (reminders).
    pub bookings: Bookings,
    /// The SMS suppression list.
    pub suppressions: Suppressions,
    /// The access policy.
    pub auth: Auth,
    /// The audit trail.
    pub audit: Audit,
    /// The settings (each queue's `max_attempts`, for the job lists).
    pub settings: Settings,
}

impl App {
    /// The state for `settings` on `client`.
    pub fn new(settings: &Settings, client: QueueClient) -> Self {
        Self {
            bookings: Bookings::new(client.handle().clone(), settings.reminders.clone()),
            suppressions: Suppressions::new(client.handle().clone()),
            auth: Auth::from_settings(&settings.admin, client.handle().clone()),
            audit: Audit::new(client.handle().clone(), settings.admin.audit_cap),
            settings: settings.clone(),
            client,
        }
    }
}

/// Every route of the admin server.
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/api/queues", get(api::queues))
        .route("/api/queues/paused", get(api_pause::paused))
        .route("/api/queues/{queue}/pause", post(api_pause::pause))
        .route("/api/queues/{queue}/resume", post(api_pause::resume))
        .route("/api/dlq", get(api::dlq_list))
        .route("/api/dlq/count", get(api::dlq_count))
        .route("/api/dlq/retry", post(api::dlq_retry))
        .route("/api/dlq/delete", post(api::dlq_delete))
        .route("/api/dlq/{id}", get(api::dlq_show))
        .route("/api/reminders", get(api::reminders))
        .route("/api/person", get(person_page::api))
        .route("/api/audit", get(api_audit::list))
        .route("/api/jobs", get(api_jobs::list))
        .route("/api/jobs/{id}/run-now", post(api_jobs::run_now))
        .route("/api/jobs/{id}/cancel", post(api_jobs::cancel))
        .route("/api/jobs/{id}/dead", post(api_jobs::dead))
        .route("/api/processes", get(api_jobs::processes))
        .route("/api/deliveries", get(api_deliveries::list))
        .route("/api/deliveries/replay", post(api_deliveries::replay))
        .route("/api/deliveries/{id}", get(api_deliveries::show))
        .route(
            "/api/sms/suppressed",
            get(api::sms_suppressed)
                .post(api::sms_suppress)
                .delete(api::sms_unsuppress),
        )
        .route_layer(middleware::from_fn_with_state(app.clone(), api_guard));
    let pages = Router::new()
        .route("/", get(pages::index))
        .route("/jobs", get(jobs_page::jobs))
        .route("/jobs/{id}", get(pages::job))
        .route("/reminders", get(pages::reminders))
        .route("/person", get(person_page::page))
        .route("/audit", get(api_audit::page))
        .route("/deliveries", get(deliveries_page::deliveries))
        .route("/deliveries/{id}", get(deliveries_page::delivery))
        .route_layer(middleware::from_fn_with_state(app.clone(), page_guard));
    Router::new()
        .merge(api)
        .merge(pages)
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/assets/app.js", get(pages::script))
        .route("/assets/app.css", get(pages::style))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .with_state(app)
}

async fn api_guard(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    match app.auth.check(req.method(), req.headers()).await {
        Ok(caller) => {
            let (method, uri) = (req.method().clone(), req.uri().clone());
            if let Some(refused) = role_check(&app, &caller, &method, &uri).await {
                return refused;
            }
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(Denied::Unauthenticated) => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"meetflow-admin\"")],
            Json(json!({"error": "unauthorized: send Authorization: Bearer <admin.token>"})),
        )
            .into_response(),
        Err(Denied::Forbidden) => forbidden(),
    }
}

async fn page_guard(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    match app.auth.check(req.method(), req.headers()).await {
        Ok(caller) => {
            let (method, uri) = (req.method().clone(), req.uri().clone());
            if let Some(refused) = role_check(&app, &caller, &method, &uri).await {
                return refused;
            }
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(Denied::Unauthenticated) => Redirect::to("/login").into_response(),
        Err(Denied::Forbidden) => forbidden(),
    }
}

/// Refuses (403, and an audit entry with outcome `denied`) a request the caller's role does not
/// allow ([`auth::required_role`]).
async fn role_check(
    app: &App,
    caller: &auth::Caller,
    method: &axum::http::Method,
    uri: &axum::http::Uri,
) -> Option<Response> {
    let need = auth::required_role(method, uri.query());
    let who = caller.who();
    if who.may(need) {
        return None;
    }
    let action = crate::audit::action_of(method, uri.path(), uri.query());
    let reason = format!(
        "the {} role cannot do this (needs {})",
        who.role.as_str(),
        need.as_str()
    );
    let record = Record::new(&who.name, who.via, &action, uri.path()).denied(&reason);
    crate::audit::record(&app.audit, record).await;
    Some(role_forbidden(&who.name, who.role, need))
}

/// 403 for a token whose role is below `need`.
pub fn role_forbidden(
    name: &str,
    role: meetflow_shared::config::AdminRole,
    need: meetflow_shared::config::AdminRole,
) -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(json!({
            "error": format!(
                "forbidden: token {name:?} has the {} role; this needs {} (recorded in the audit trail)",
                role.as_str(),
                need.as_str()
            ),
            "role": role.as_str(),
            "required_role": need.as_str(),
        })),
    )
        .into_response()
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(
            json!({"error": "forbidden: cross-site request, missing CSRF token, or foreign Host"}),
        ),
    )
        .into_response()
}

/// Binds `admin.listen` and serves until `shutdown`; returns the bound address and the task.
pub async fn serve(
    settings: &Settings,
    client: QueueClient,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listen = settings.admin.listen;
    if !app_has_token(settings) && !listen.ip().is_loopback() {
        anyhow::bail!(
            "admin.token is required when admin.listen ({listen}) is not a loopback address"
        );
    }
    let app = Arc::new(App::new(settings, client));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (admin.listen)"))?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        axum::serve(listener, router(app))
            .with_graceful_shutdown(shutdown)
            .await
    });
    Ok((addr, task))
}

fn app_has_token(settings: &Settings) -> bool {
    settings.admin.token.is_some() || !settings.admin.tokens.is_empty()
}

/// The whole `serve` process with `settings`, stopping on `shutdown` (in-process tests).
pub async fn run(settings: Settings, shutdown: Shutdown) -> anyhow::Result<()> {
    run_in(Process::with_settings(NAME, settings, shutdown).await?).await
}

/// The admin server, ops endpoints and queue gauges in a started `process` (the shared start-up,
/// [`meetflow_shared::process`]); the admin server runs as a supervised loop.
pub async fn run_in(mut process: Process) -> anyhow::Result<()> {
    let client = process.redis().clone();
    let url = redact_url(&process.settings().redis.url);
    client
        .ping()
        .await
        .with_context(|| format!("cannot reach Redis at {url}"))?;
    let stop = process.stop_token();
    spawn_stats_exporter(
        client.clone(),
        Vec::new(),
        Duration::from_secs(5),
        stop.clone(),
    );
    let (addr, task) = serve(process.settings(), client, stop.cancelled_owned()).await?;
    let login = if app_has_token(process.settings()) {
        "token login"
    } else {
        "no token: loopback only"
    };
    let ops_addr = process.ops_addr();
    tracing::info!(listen = %addr, ops = %ops_addr, "meetflow-admin serving ({login})");
    eprintln!("meetflow-admin: serving http://{addr}/ ({login}); ops on {ops_addr}");
    process.spawn("admin server", async move {
        match task.await {
            Ok(served) => served.map_err(|e| e.to_string()),
            Err(join) => Err(join.to_string()),
        }
    });
    Ok(process.run(Duration::from_secs(1)).await?)
}
