//! `meetflow-admin sandbox`: Brevo-, EngageLab-, Calendly- and Zoom-compatible endpoints for
//! local runs without provider credentials. Point `brevo.base_url` at `http://ADDR/v3`,
//! `engagelab.base_url` at `http://ADDR/v1`, `connectors.calendly.api_base_url` at
//! `http://ADDR`, `connectors.zoom.api_base_url` at `http://ADDR/v2` and
//! `connectors.zoom.oauth_base_url` at `http://ADDR`; any api key, Basic credentials or bearer
//! token is accepted, but a call without them gets the provider's 401 (Brevo `unauthorized`
//! "Key not found", EngageLab code 2001, Calendly "Unauthenticated", Zoom code 124), and a call
//! the real API refuses gets its documented error.
//!
//! The Calendly and Zoom APIs ([`calendly`], [`zoom`]) are the test fakes' own code. They serve
//! the bookings of the sandbox's [`crate::samples::Scene`]: `send-test-webhook --sandbox URL`
//! asks `POST /sandbox/webhooks/{calendly|zoom}/{event}` for its sample, and the sandbox takes
//! in what it says (the booking, its cancellation or no-show, the Zoom meeting's participants,
//! the webinar's registrants and attendees) before handing it out, so the reconciliation, the
//! scheduling links, the attendance and the webinar jobs find what the webhooks announced. A
//! no-show marked through its Calendly API is followed by the signed `invitee_no_show.*`
//! webhook to each matching webhook subscription, as Calendly does.
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
pub mod calendly;
mod callbacks;
mod engagelab;
pub mod http;
mod recorder;
mod request_log;
mod scene;
pub mod zoom;

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
    calendly: std::sync::Mutex<calendly::Store>,
    zoom: std::sync::Mutex<zoom::Meetings>,
    scene: std::sync::Mutex<crate::samples::Scene>,
    callbacks: Option<Callbacks>,
}

/// First path segments of the Calendly API (served at the root).
const CALENDLY_ROOTS: &[&str] = &[
    "users",
    "scheduled_events",
    "event_types",
    "scheduling_links",
    "webhook_subscriptions",
    "invitee_no_shows",
];

/// Lock a mutex, recovering from poisoning (a panicked request must not stop the sandbox).
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Sandbox {
    /// A sandbox appending to `record` (parent folders are created), posting delivery
    /// callbacks when `callbacks` is set.
    pub fn new(record: PathBuf, callbacks: Option<Callbacks>) -> std::io::Result<Self> {
        Ok(Self {
            recorder: Recorder::open(record)?,
            brevo: brevo::Contacts::default(),
            engagelab: engagelab::Ids::default(),
            calendly: std::sync::Mutex::new(calendly::Store::seeded(String::new())),
            zoom: std::sync::Mutex::new(zoom::Meetings::default()),
            scene: std::sync::Mutex::new(crate::samples::Scene::default()),
            callbacks,
        })
    }

    /// Its Calendly posts the webhooks of no-show changes to `url` (ingest's
    /// `/webhooks/calendly`), signed with `signing_key`, as an organization subscription would.
    pub fn subscribe_calendly(&self, url: &str, signing_key: &str) -> bool {
        lock(&self.calendly).subscribe_for_meetflow(url, signing_key)
    }

    /// The routes: `/v3/...` (Brevo), `/v1/messages` (EngageLab), `/v2/...` and `/oauth/token`
    /// (Zoom), `/users/me`, `/scheduled_events`, ... (Calendly), `/sandbox/webhooks/...` (the
    /// samples), anything else 404 (recorded).
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
        ["v2", ..] | ["oauth", "token"] => "zoom",
        [first, ..] if CALENDLY_ROOTS.contains(first) => "calendly",
        ["sandbox", "webhooks", provider, event] if method == Method::POST => {
            let (provider, event) = ((*provider).to_owned(), (*event).to_owned());
            return scene::samples(&sb, &provider, &event).await;
        }
        _ => "unknown",
    };
    if provider_of == "calendly" || provider_of == "zoom" {
        return other_provider(&sb, provider_of, method, uri, headers, body, parsed).await;
    }
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

/// A Calendly or Zoom call: logged for the checker, answered by the shared provider code,
/// recorded; a no-show change's webhooks are posted afterwards.
async fn other_provider(
    sb: &Arc<Sandbox>,
    provider: &'static str,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    parsed: Value,
) -> Response {
    request_log::append(&request_log::Received {
        provider,
        method: method.as_str(),
        path: uri.path(),
        query: uri.query(),
        headers: &headers,
        body: &parsed,
    });
    let rec = http::RecordedRequest::new(method.as_str(), uri.path(), uri.query(), headers, body);
    let (response, outgoing) = if provider == "calendly" {
        lock(&sb.calendly).handle(&rec)
    } else {
        (lock(&sb.zoom).handle(&rec), vec![])
    };
    let full_path = uri
        .path_and_query()
        .map_or_else(|| rec.path.clone(), |p| p.as_str().to_owned());
    sb.recorder
        .record(RecordedCall::now(
            provider,
            method.as_str(),
            &full_path,
            response.status().as_u16(),
            parsed,
        ))
        .await;
    if !outgoing.is_empty() {
        tokio::spawn(scene::deliver(sb.clone(), outgoing));
    }
    response
}

/// Binds `listen` and serves until `shutdown` (with `calendly_webhooks` = (URL, signing key), a
/// Calendly webhook subscription to that URL); returns the bound address and the server task.
pub async fn serve(
    listen: SocketAddr,
    record: PathBuf,
    callbacks: Option<Callbacks>,
    calendly_webhooks: Option<(String, String)>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let sandbox =
        Arc::new(Sandbox::new(record.clone(), callbacks).map_err(|e| {
            anyhow::anyhow!("cannot open the record file {}: {e}", record.display())
        })?);
    if let Some((url, key)) = calendly_webhooks
        && !sandbox.subscribe_calendly(&url, &key)
    {
        anyhow::bail!("the Calendly webhook URL {url:?} is not an http(s) URL");
    }
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    lock(&sandbox.calendly).origin = format!("http://{addr}");
    let app = sandbox.router();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    });
    Ok((addr, task))
}
