//! `meetflow-admin sandbox`: Brevo- and EngageLab-compatible endpoints for local runs without
//! provider credentials. Point `brevo.base_url` at `http://ADDR/v3` and `engagelab.base_url` at
//! `http://ADDR/v1`; any api key or Basic credentials are accepted, but a call without them gets
//! the provider's 401 (Brevo `unauthorized` "Key not found", EngageLab code 2001), and a call
//! the real API refuses gets its documented error.
//!
//! Every call is answered the way the real API answers a success ([`brevo`], [`engagelab`]) and
//! recorded as one JSON line `{time, provider, method, path, status, body}`, appended to the
//! record file and printed on stdout, so a person sees exactly what meetflow would have sent.
//! The body is recorded as sent (it is what the user asked to see); credentials are not.
//! With a callback URL ([`Callbacks`]), every accepted SMS is followed by signed delivery
//! callbacks (`sent`, then `delivered` or, for a share of them, `delivered_failed`) posted to
//! ingest's `POST /webhooks/engagelab`, as EngageLab does.
//! With `MEETFLOW_REQUEST_LOG` set, each call is also appended there with its headers
//! (credentials redacted) for the providers' conformance checker ([`request_log`]).

mod brevo;
mod callbacks;
mod engagelab;
mod recorder;
mod request_log;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;

pub use callbacks::Callbacks;
pub use recorder::{RecordedCall, Recorder};
pub use request_log::REQUEST_LOG_ENV;

/// Shared state of the sandbox server.
#[derive(Debug)]
pub struct Sandbox {
    recorder: Recorder,
    brevo: brevo::Contacts,
    engagelab: engagelab::Ids,
    callbacks: Option<Callbacks>,
}

impl Sandbox {
    /// A sandbox appending to `record` (parent folders are created), posting delivery
    /// callbacks when `callbacks` is set.
    pub fn new(record: PathBuf, callbacks: Option<Callbacks>) -> std::io::Result<Self> {
        Ok(Self {
            recorder: Recorder::open(record)?,
            brevo: brevo::Contacts::default(),
            engagelab: engagelab::Ids::default(),
            callbacks,
        })
    }

    /// The routes: `/v3/...` (Brevo), `/v1/messages` (EngageLab), anything else 404 (recorded).
    pub fn router(self: Arc<Self>) -> Router {
        Router::new().fallback(handle).with_state(self)
    }
}

/// The provider's 401 when the credentials it requires are missing or malformed.
fn unauthorized(provider: &str, headers: &HeaderMap) -> Option<Value> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or_default()
    };
    match provider {
        "brevo" if header("api-key").is_empty() && header("partner-key").is_empty() => {
            Some(json!({"code": "unauthorized", "message": "Key not found"}))
        }
        "engagelab" => {
            use base64::Engine as _;
            let basic = header("authorization")
                .strip_prefix("Basic ")
                .and_then(|c| {
                    base64::engine::general_purpose::STANDARD
                        .decode(c.trim())
                        .ok()
                })
                .is_some_and(|d| d.contains(&b':'));
            (!basic).then(|| json!({"code": 2001, "message": "authentication failed"}))
        }
        _ => None,
    }
}

async fn handle(
    State(sb): State<Arc<Sandbox>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let parsed: Value = serde_json::from_slice(&body).unwrap_or_else(|_| {
        if body.is_empty() {
            Value::Null
        } else {
            Value::String(String::from_utf8_lossy(&body).into_owned())
        }
    });
    let provider_of = match segments.as_slice() {
        ["v3", ..] => "brevo",
        ["v1", "messages"] => "engagelab",
        _ => "unknown",
    };
    request_log::append(&request_log::Received {
        provider: provider_of,
        method: method.as_str(),
        path: &path,
        query: uri.query(),
        headers: &headers,
        body: &parsed,
    });
    let refused = unauthorized(provider_of, &headers);
    let (provider, status, answer) = match segments.as_slice() {
        _ if refused.is_some() => (provider_of, StatusCode::UNAUTHORIZED, refused),
        ["v3", rest @ ..] => {
            let (status, answer) = sb.brevo.handle(&method, rest, &parsed);
            ("brevo", status, answer)
        }
        ["v1", "messages"] if method == Method::POST => {
            let (status, answer) = sb.engagelab.send(&parsed);
            if let (Some(cb), Some(a)) = (&sb.callbacks, &answer) {
                cb.spawn(sb.clone(), callbacks::accepted(&parsed, a));
            }
            ("engagelab", status, answer)
        }
        _ => (
            "unknown",
            StatusCode::NOT_FOUND,
            Some(json!({"code": "not_found", "message": "the sandbox has no such endpoint"})),
        ),
    };
    let full_path = uri
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    sb.recorder
        .record(RecordedCall::now(
            provider,
            method.as_str(),
            &full_path,
            status.as_u16(),
            parsed,
        ))
        .await;
    match answer {
        Some(v) => (status, axum::Json(v)).into_response(),
        None => status.into_response(),
    }
}

/// Binds `listen` and serves until `shutdown`; returns the bound address and the server task.
pub async fn serve(
    listen: SocketAddr,
    record: PathBuf,
    callbacks: Option<Callbacks>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let sandbox =
        Arc::new(Sandbox::new(record.clone(), callbacks).map_err(|e| {
            anyhow::anyhow!("cannot open the record file {}: {e}", record.display())
        })?);
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    let app = sandbox.router();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    });
    Ok((addr, task))
}
