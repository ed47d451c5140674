//! Plumbing shared by the fakes: the HTTP server task, the request log, injected faults
//! (latency, canned failures) and a fixed-window rate limiter.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

/// One request as the fake received it (shared with the sandbox, see
/// `meetflow_admin::sandbox::http`).
pub use meetflow_admin::sandbox::http::RecordedRequest;
/// JSON and empty responses (shared with the sandbox).
pub(crate) use meetflow_admin::sandbox::http::{empty, json};

/// Lock a mutex, recovering from poisoning (a panicking test thread must not hide state).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Canned failures and latency, applied before the fake's own logic.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    next: VecDeque<(StatusCode, Value)>,
    latency: Duration,
}

impl Faults {
    /// Queue `n` responses of `status` with JSON `body`.
    pub(crate) fn fail_next(&mut self, n: usize, status: u16, body: Value) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.next.extend(std::iter::repeat_n((status, body), n));
    }

    pub(crate) fn set_latency(&mut self, d: Duration) {
        self.latency = d;
    }

    pub(crate) fn latency(&self) -> Duration {
        self.latency
    }

    /// Take the next canned failure, if any.
    pub(crate) fn take(&mut self) -> Option<Response> {
        self.next.pop_front().map(|(s, b)| json(s, &b))
    }
}

/// A fixed-window request budget: `limit` requests per `period`, the window opening
/// at the first request (so a test's timing starts when it starts calling).
#[derive(Debug, Clone)]
pub(crate) struct Window {
    pub(crate) limit: u32,
    pub(crate) period: Duration,
    pub(crate) enforce: bool,
    /// Start of the current window: the first request after the previous one expired.
    started: Option<Instant>,
    used: u32,
}

/// What one request got from a [`Window`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) allowed: bool,
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Whole seconds until the window resets (at least 1 while it runs).
    pub(crate) reset_secs: u64,
}

impl Window {
    pub(crate) fn new(limit: u32, period: Duration, enforce: bool) -> Self {
        Self {
            limit,
            period,
            enforce,
            started: None,
            used: 0,
        }
    }

    /// Count one request against the budget.
    pub(crate) fn take(&mut self) -> Budget {
        let now = Instant::now();
        let started = match self.started {
            Some(t) if now.duration_since(t) < self.period => t,
            _ => {
                self.used = 0;
                now
            }
        };
        self.started = Some(started);
        let allowed = !self.enforce || self.used < self.limit;
        if allowed {
            self.used = self.used.saturating_add(1);
        }
        let left = (started + self.period).saturating_duration_since(now);
        Budget {
            allowed,
            limit: self.limit,
            remaining: self.limit.saturating_sub(self.used),
            reset_secs: left.as_secs_f64().ceil().max(1.0) as u64,
        }
    }
}

/// Set a header from anything printable (numbers, strings).
pub(crate) fn set_header(r: &mut Response, name: &'static str, value: impl ToString) {
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        r.headers_mut().insert(name, v);
    }
}

/// Read a request fully into a [`RecordedRequest`], appending it to the request log of
/// `provider` (`brevo`, `engagelab`, `zoom`, `calendly`) when one is configured.
pub(crate) async fn record(provider: &str, req: Request) -> RecordedRequest {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let rec = RecordedRequest::new(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query(),
        parts.headers,
        body,
    );
    super::request_log::append(provider, &rec);
    rec
}

/// A running fake: its address and server task (aborted on drop).
#[derive(Debug)]
pub(crate) struct Server {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Serve `router` on 127.0.0.1 with an OS-chosen port.
    pub(crate) async fn start(router: Router) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("bind fake provider")?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { addr, task })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub(crate) fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// 19-digit decimal id, like EngageLab's and Zoom's large ids.
pub(crate) fn long_id() -> i64 {
    use rand::Rng;
    rand::rng().random_range(1_000_000_000_000_000_000..i64::MAX)
}
