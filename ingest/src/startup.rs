//! Building and serving the webhook server: the test seam ([`Application::build`], [`router`]).
//!
//! Served with hyper directly (HTTP/1.1, what both providers speak) rather than `axum::serve`,
//! because the header read timeout is a hyper setting: a client that trickles its request head,
//! or holds a keep-alive connection idle, is cut off after `Limits::header_read`. The body read
//! timeout and the request budget are enforced in the handlers. On shutdown the listener closes
//! first, then requests in flight finish (up to `Limits::shutdown_grace`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use meetflow_shared::config::Settings;
use meetflow_shared::queue::{QueueClient, QueueError};
use meetflow_shared::redis::Redis;
use meetflow_shared::telemetry::warn_limit::WarnLimiter;
use tokio::net::TcpListener;

use crate::config::{IngestConfig, Limits};
use crate::intake::Intake;
use crate::signature::{CalendlyVerifier, EngageLabVerifier, ZoomVerifier};
use crate::{metrics, routes};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// `ingest.listen`.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The Redis URL is unusable.
    #[error("cannot use redis.url: {0}")]
    Redis(#[from] QueueError),
}

/// Shared by every request: verifiers, intake and limits.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
}

#[derive(Debug)]
pub(crate) struct StateInner {
    pub(crate) intake: Intake,
    pub(crate) calendly: CalendlyVerifier,
    pub(crate) zoom: ZoomVerifier,
    pub(crate) engagelab: EngageLabVerifier,
    pub(crate) max_body_bytes: usize,
    pub(crate) limits: Limits,
    /// Rate limit of the signature-failure warnings, per provider.
    pub(crate) signature_warnings: WarnLimiter,
}

impl AppState {
    /// State for `config`, storing through `queue`.
    #[must_use]
    pub fn new(config: &IngestConfig, queue: QueueClient) -> Self {
        metrics::expect_webhooks(config);
        Self {
            inner: Arc::new(StateInner {
                intake: Intake::new(
                    queue,
                    config.dedupe,
                    Some(config.delivery_log.clone()),
                    config.default_region.clone(),
                ),
                calendly: config.calendly.clone(),
                zoom: config.zoom.clone(),
                engagelab: config.engagelab.clone(),
                max_body_bytes: config.max_body_bytes,
                limits: config.limits,
                signature_warnings: WarnLimiter::new(config.limits.signature_warn_every),
            }),
        }
    }

    pub(crate) fn inner(&self) -> &StateInner {
        &self.inner
    }
}

/// The webhook routes, for in-process tests (`tower::ServiceExt::oneshot`) and for serving.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/webhooks/calendly", post(routes::calendly::receive))
        .route("/webhooks/zoom", post(routes::zoom::receive))
        .route("/webhooks/engagelab", post(routes::engagelab::receive))
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
}

/// A bound, not yet serving, webhook server.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    router: Router,
    queue: QueueClient,
    limits: Limits,
}

impl Application {
    /// Binds `ingest.listen` and connects (lazily) to `redis.url`.
    ///
    /// # Errors
    /// [`StartupError`] when the address cannot be bound or the Redis URL is invalid.
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        Self::build_with(IngestConfig::from_settings(settings)).await
    }

    /// Like [`Application::build`], from an already derived configuration (tests shorten limits).
    ///
    /// # Errors
    /// As [`Application::build`].
    pub async fn build_with(config: IngestConfig) -> Result<Self, StartupError> {
        let redis = Redis::connect(&config.redis_url, &config.namespace)
            .map_err(QueueError::from)?
            .with_wait_replicas(config.wait_replicas);
        Self::build_on(config, QueueClient::new(redis)).await
    }

    /// Like [`Application::build_with`], storing through an existing Redis connection (the
    /// process's, see [`meetflow_shared::process`]).
    ///
    /// # Errors
    /// [`StartupError::Bind`] when the address cannot be bound.
    pub async fn build_on(config: IngestConfig, queue: QueueClient) -> Result<Self, StartupError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.listen,
            source,
        })?;
        config.warn_about_risks();
        let router = router(AppState::new(&config, queue.clone()));
        Ok(Self {
            listener,
            addr,
            router,
            queue,
            limits: config.limits,
        })
    }

    /// The bound port (useful with port 0).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The queue client, e.g. for the ops server's readiness check.
    #[must_use]
    pub fn queue(&self) -> &QueueClient {
        &self.queue
    }

    /// Serves until `shutdown` resolves, then stops accepting and lets requests in flight finish
    /// within the grace period.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) {
        let Self {
            listener,
            addr,
            router,
            limits,
            ..
        } = self;
        let graceful = GracefulShutdown::new();
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_read)
            .keep_alive(true);
        tracing::info!(%addr, "webhook server listening");
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut shutdown => break,
            };
            let stream = match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let service = TowerToHyperService::new(router.clone());
            let connection = http.serve_connection(TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "connection ended with an error");
                }
            });
        }
        drop(listener);
        tracing::info!(
            in_flight = graceful.count(),
            "stopped accepting; finishing requests in flight"
        );
        if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("grace period over; dropping the remaining connections");
        }
    }
}
