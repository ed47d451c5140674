//! `meetflow-admin serve`: the operator web page and the JSON API on `admin.listen`.
//!
//! - [`api`]: JSON under `/api` for scripts and for the page's own script.
//! - [`pages`]: server-rendered HTML (login, queues and dead letters, a job, reminders) with a
//!   small vanilla script (`assets/app.js`: live counts, the throughput chart, confirmations
//!   and POSTs). No build step and no third-party origin: everything is served from here.
//! - [`auth`]: bearer token, session cookie, CSRF and Host rules.
//!
//! The process also serves `/healthz`, `/readyz` and `/metrics` on `ops.listen` and exports the
//! queue gauges (`meetflow_queue_*`) every 5 s, so one admin replica is enough for dashboards.

pub mod api;
pub mod auth;
pub mod html;
pub mod pages;
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
use futures::future::BoxFuture;
use meetflow_shared::bookings::Bookings;
use meetflow_shared::config::Settings;
use meetflow_shared::ops;
use meetflow_shared::queue::{QueueClient, spawn_stats_exporter};
use meetflow_shared::shutdown::{Shutdown, finish_within};
use serde_json::json;

use self::auth::{Auth, Denied};
use crate::backend::Backend;

/// Everything a request handler needs.
#[derive(Debug)]
pub struct App {
    /// The queue.
    pub client: QueueClient,
    /// The bookings store (reminders).
    pub bookings: Bookings,
    /// The access policy.
    pub auth: Auth,
}

impl App {
    /// The state for `settings` on `client`.
    pub fn new(settings: &Settings, client: QueueClient) -> Self {
        Self {
            bookings: Bookings::new(client.handle().clone(), settings.reminders.clone()),
            auth: Auth::new(settings.admin.token.as_ref(), client.handle().clone()),
            client,
        }
    }
}

/// Every route of the admin server.
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/api/queues", get(api::queues))
        .route("/api/dlq", get(api::dlq_list))
        .route("/api/dlq/count", get(api::dlq_count))
        .route("/api/dlq/retry", post(api::dlq_retry))
        .route("/api/dlq/delete", post(api::dlq_delete))
        .route("/api/dlq/{id}", get(api::dlq_show))
        .route("/api/reminders", get(api::reminders))
        .route_layer(middleware::from_fn_with_state(app.clone(), api_guard));
    let pages = Router::new()
        .route("/", get(pages::index))
        .route("/jobs/{id}", get(pages::job))
        .route("/reminders", get(pages::reminders))
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
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(Denied::Unauthenticated) => Redirect::to("/login").into_response(),
        Err(Denied::Forbidden) => forbidden(),
    }
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
    if settings.admin.token.is_none() && !listen.ip().is_loopback() {
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

/// The whole `serve` process: admin server, ops endpoints, queue gauges; stops on `shutdown`.
pub async fn run(settings: Settings, shutdown: Shutdown) -> anyhow::Result<()> {
    let client = Backend::client(&settings).await?;
    let probe = client.clone();
    let ready = move || -> BoxFuture<'static, bool> {
        let probe = probe.clone();
        Box::pin(async move { probe.ping().await.is_ok() })
    };
    let (ops_addr, ops_task) = ops::serve(settings.ops.listen, ready, shutdown.wait()).await?;
    spawn_stats_exporter(
        client.clone(),
        Vec::new(),
        Duration::from_secs(5),
        shutdown.token(),
    );
    let (addr, task) = serve(&settings, client, shutdown.wait()).await?;
    let login = if settings.admin.token.is_some() {
        "token login"
    } else {
        "no token: loopback only"
    };
    tracing::info!(listen = %addr, ops = %ops_addr, "meetflow-admin serving ({login})");
    eprintln!("meetflow-admin: serving http://{addr}/ ({login}); ops on {ops_addr}");
    task.await.context("admin server task")??;
    let _ = finish_within(ops_task, async {}, Duration::from_secs(1)).await;
    Ok(())
}
