//! The operations endpoints every binary serves on `ops.listen`, apart from its real work:
//! `GET /healthz` (the process is alive), `GET /readyz` (its dependencies answer, typically a
//! Redis PING) and `GET /metrics` (Prometheus text of everything recorded through `metrics`,
//! plus build info and process metrics from [`crate::ops_metrics`], there from the first
//! scrape). While it serves, the readiness check (every binary's is its Redis PING) also runs
//! every few seconds and is exported as `meetflow_redis_up`.
//!
//! Typical use in a binary:
//! ```ignore
//! let redis = client.clone();
//! let ready = move || -> BoxFuture<'static, bool> {
//!     let redis = redis.clone();
//!     Box::pin(async move { redis.ping().await.is_ok() })
//! };
//! let (addr, task) = ops::serve(settings.ops.listen, ready, shutdown.wait()).await?;
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use futures::future::BoxFuture;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::task::JoinHandle;

use crate::ops_metrics;

/// A readiness probe: resolves to `true` when the process can do its work.
pub type ReadyCheck = Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

/// A probe slower than this counts as not ready.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The ops server could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// The address is taken or not ours.
    #[error("cannot listen on {addr} (ops.listen): {source}")]
    Bind {
        /// The address from `ops.listen`.
        addr: SocketAddr,
        /// The socket error.
        source: std::io::Error,
    },
}

/// How often histogram samples are folded into buckets (see [`serve`]).
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The process-wide Prometheus handle; the first call installs the global `metrics` recorder
/// (later calls, e.g. from several tests in one process, reuse it and never panic).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = ops_metrics::buckets::builder().build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics will be empty");
            }
            ops_metrics::catalog::describe_all();
            ops_metrics::preregister();
            handle
        })
        .clone()
}

/// A probe that is always ready (for processes without dependencies, and tests).
pub fn always_ready() -> ReadyCheck {
    Arc::new(|| Box::pin(async { true }))
}

/// The ops routes, for in-process tests; [`serve`] binds them to a socket.
pub fn router(ready: ReadyCheck) -> Router {
    let _ = metrics_handle();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(ready)
}

async fn readyz(State(ready): State<ReadyCheck>) -> impl IntoResponse {
    match tokio::time::timeout(READY_TIMEOUT, ready()).await {
        Ok(true) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "not ready"),
    }
}

async fn metrics_text() -> impl IntoResponse {
    let handle = metrics_handle();
    handle.run_upkeep();
    let mut text = handle.render();
    text.push_str(&ops_metrics::render_static());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

/// Binds `listen` (port 0 picks a free port) and serves the ops routes until `shutdown`
/// resolves. Returns the bound address and the server task.
pub async fn serve<F>(
    listen: SocketAddr,
    ready: F,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, JoinHandle<std::io::Result<()>>), OpsError>
where
    F: Fn() -> BoxFuture<'static, bool> + Send + Sync + 'static,
{
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| OpsError::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| OpsError::Bind {
        addr: listen,
        source,
    })?;
    let ready: ReadyCheck = Arc::new(ready);
    let app = router(ready.clone());
    let probe = ops_metrics::redis_probe::spawn(ready);
    // The recorder keeps histogram samples until its upkeep folds them into buckets, which
    // otherwise happens only on a scrape: without a scraper memory would grow with every
    // observation. Fold them every few seconds while the ops server runs.
    let upkeep = tokio::spawn(async {
        let handle = metrics_handle();
        let mut tick = tokio::time::interval(UPKEEP_EVERY);
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    });
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        upkeep.abort();
        probe.abort();
        served
    });
    tracing::info!(%addr, "ops endpoints listening (/healthz, /readyz, /metrics)");
    Ok((addr, task))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        let status = out[9..12].parse().unwrap();
        let body = out
            .split_once("\r\n\r\n")
            .map(|x| x.1.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    #[tokio::test]
    async fn health_readiness_and_metrics_are_served_until_shutdown() {
        let healthy = Arc::new(AtomicBool::new(true));
        let flag = healthy.clone();
        let ready = move || -> BoxFuture<'static, bool> {
            let flag = flag.clone();
            Box::pin(async move { flag.load(Ordering::SeqCst) })
        };
        let stop = crate::shutdown::Shutdown::new();
        let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let (addr, task) = serve(listen, ready, stop.wait()).await.unwrap();
        assert_ne!(addr.port(), 0);

        assert_eq!(get(addr, "/healthz").await, (200, "ok".to_owned()));
        assert_eq!(get(addr, "/readyz").await.0, 200);
        healthy.store(false, Ordering::SeqCst);
        assert_eq!(get(addr, "/readyz").await.0, 503);

        metrics::counter!("meetflow_ops_selftest_total").increment(3);
        let (status, body) = get(addr, "/metrics").await;
        assert_eq!(status, 200);
        assert!(body.contains("meetflow_ops_selftest_total 3"), "{body}");

        stop.trigger();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn installing_metrics_twice_is_harmless_and_a_taken_port_is_an_error() {
        let _ = metrics_handle();
        let _ = metrics_handle();
        let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let taken = blocker.local_addr().unwrap();
        let err = serve(
            taken,
            || -> BoxFuture<'static, bool> { Box::pin(async { true }) },
            async {},
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("ops.listen"));
    }
}
