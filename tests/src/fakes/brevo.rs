//! Fake Brevo API v3 (docs/providers.md §3.5): `api-key` auth (and the IP allow-list
//! 401), per-category fixed-window rate limits with `x-sib-ratelimit-*` headers on every
//! response, and the contacts/lists/import/events endpoints (logic in `brevo_contacts`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::brevo_contacts::route;
use super::brevo_store::Store;
pub use super::brevo_store::{BrevoContact, BrevoEvent};
use super::common::{Faults, RecordedRequest, Server, Window, lock, record, set_header};

/// The API key the fake accepts.
const API_KEY: &str =
    "xkeysib-fake0000000000000000000000000000000000000000000000000000000000-TestKey1";

/// Brevo's error shape (`code`, `message`) for an unknown or missing key.
const KEY_NOT_FOUND: &str = r#"{"code":"unauthorized","message":"Key not found"}"#;
/// A 429 body (undocumented by Brevo; clients must not parse it).
const RATE_LIMITED: &str =
    r#"{"code":"too_many_requests","message":"Too many requests in this window"}"#;

#[derive(Debug)]
struct Inner {
    log: Vec<RecordedRequest>,
    faults: Faults,
    ip_allowlist: bool,
    contacts_window: Window,
    events_window: Window,
    other_window: Window,
    store: Store,
}

type Shared = Arc<Mutex<Inner>>;

/// A fake Brevo server. See the module docs for what it reproduces.
#[derive(Debug)]
pub struct FakeBrevo {
    shared: Shared,
    server: Server,
}

impl FakeBrevo {
    /// Start on 127.0.0.1 with a free port. Rate limits are reported in headers but not
    /// enforced until [`Self::rate_limit`] or [`Self::realistic_rate_limits`] is called.
    pub async fn start() -> anyhow::Result<Self> {
        let hour = Duration::from_secs(3600);
        let second = Duration::from_secs(1);
        let shared = Arc::new(Mutex::new(Inner {
            log: Vec::new(),
            faults: Faults::default(),
            ip_allowlist: false,
            contacts_window: Window::new(1000, second, false),
            events_window: Window::new(1000, second, false),
            other_window: Window::new(100, hour, false),
            store: Store::default(),
        }));
        let router = Router::new().fallback(handle).with_state(shared.clone());
        let server = Server::start(router).await?;
        Ok(Self { shared, server })
    }

    /// Base URL to configure as `brevo.base_url`: `http://127.0.0.1:PORT/v3`.
    pub fn base_url(&self) -> String {
        format!("{}/v3", self.server.origin())
    }

    /// The only `api-key` this fake accepts.
    pub fn api_key(&self) -> String {
        API_KEY.to_owned()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).log.clone()
    }

    /// The contact with this email (case-insensitive).
    pub fn contact(&self, email: &str) -> Option<BrevoContact> {
        lock(&self.shared).store.by_email(email).cloned()
    }

    /// The contact with this numeric id.
    pub fn contact_by_id(&self, id: i64) -> Option<BrevoContact> {
        lock(&self.shared)
            .store
            .contacts
            .iter()
            .find(|c| c.id == id)
            .cloned()
    }

    /// All contacts, in creation order.
    pub fn contacts(&self) -> Vec<BrevoContact> {
        lock(&self.shared).store.contacts.clone()
    }

    /// Emails of the contacts in list `list_id`, sorted (concurrent workers create contacts in
    /// no fixed order).
    pub fn list_members(&self, list_id: i64) -> Vec<String> {
        let g = lock(&self.shared);
        let mut members: Vec<String> = g
            .store
            .contacts
            .iter()
            .filter(|c| c.list_ids.contains(&list_id))
            .filter_map(|c| c.email.clone())
            .collect();
        members.sort();
        members
    }

    /// Events received on `POST /v3/events`, in order.
    pub fn events(&self) -> Vec<BrevoEvent> {
        lock(&self.shared).store.events.clone()
    }

    /// Create a contact directly (no request); returns its id.
    pub fn seed_contact(&self, email: &str, attributes: Value) -> i64 {
        lock(&self.shared)
            .store
            .insert(Some(email), None, attributes)
    }

    /// Changes the contact with this email as a person would in Brevo's app (an SMS blacklist,
    /// an attribute, a list); `false` when there is no such contact. `GET /v3/contacts/{id}`
    /// answers with the change from then on.
    pub fn edit_contact(&self, email: &str, edit: impl FnOnce(&mut BrevoContact)) -> bool {
        let mut g = lock(&self.shared);
        let email = email.to_lowercase();
        match g
            .store
            .contacts
            .iter_mut()
            .find(|c| c.email.as_deref() == Some(email.as_str()))
        {
            Some(c) => {
                edit(c);
                true
            }
            None => false,
        }
    }

    /// Answer 400 "Invalid phone number" whenever this `SMS` value is sent.
    pub fn reject_phone(&self, sms: &str) {
        lock(&self.shared)
            .store
            .rejected_phones
            .insert(sms.to_owned());
    }

    /// Create another contact that owns this `SMS`, so using it elsewhere gets the
    /// "SMS is already associated with another Contact" 400.
    pub fn sms_owned_by_another(&self, sms: &str) {
        lock(&self.shared)
            .store
            .insert(None, None, json!({ "SMS": sms }));
    }

    /// Answer the next `n` requests with `status` and JSON `body` (after recording them,
    /// before auth); rate-limit headers are still added.
    pub fn fail_next(&self, n: usize, status: u16, body: Value) {
        lock(&self.shared).faults.fail_next(n, status, body);
    }

    /// Delay every response by `d` (before any processing).
    pub fn set_latency(&self, d: Duration) {
        lock(&self.shared).faults.set_latency(d);
    }

    /// Enforce `per_sec` requests per 1-second window on `/contacts*` and `/events`
    /// (separate budgets, like Brevo's 10 RPS each).
    pub fn rate_limit(&self, per_sec: u32) {
        self.rate_limit_window(per_sec, Duration::from_secs(1));
    }

    /// Enforce `limit` requests per `period` on `/contacts*` and `/events` (separate budgets).
    pub fn rate_limit_window(&self, limit: u32, period: Duration) {
        let mut g = lock(&self.shared);
        g.contacts_window = Window::new(limit, period, true);
        g.events_window = Window::new(limit, period, true);
    }

    /// Enforce Brevo's general limits: contacts 10/s, events 10/s, all others 100/h.
    pub fn realistic_rate_limits(&self) {
        self.rate_limit(10);
        lock(&self.shared).other_window = Window::new(100, Duration::from_secs(3600), true);
    }

    /// Switch the IP allow-list mode: every request gets the "unrecognised IP address" 401.
    pub fn ip_allowlist_mode(&self, on: bool) {
        lock(&self.shared).ip_allowlist = on;
    }
}

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let rec = record("brevo", req).await;
    let latency = {
        let mut g = lock(&shared);
        g.log.push(rec.clone());
        g.faults.latency()
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut g = lock(&shared);
    let window = if rec.path.starts_with("/v3/contacts") {
        &mut g.contacts_window
    } else if rec.path.starts_with("/v3/events") {
        &mut g.events_window
    } else {
        &mut g.other_window
    };
    let budget = window.take();
    let mut resp = if !budget.allowed {
        raw_json(StatusCode::TOO_MANY_REQUESTS, RATE_LIMITED)
    } else if let Some(r) = g.faults.take() {
        r
    } else if rec.header("api-key") != Some(API_KEY) {
        raw_json(StatusCode::UNAUTHORIZED, KEY_NOT_FOUND)
    } else if g.ip_allowlist {
        super::common::json(
            StatusCode::UNAUTHORIZED,
            &json!({
                "code": "unauthorized",
                "message": "We have detected you are using an unrecognised IP address 127.0.0.1. If you performed this action make sure to add the new IP address in this link: https://app.brevo.com/security/authorised_ips"
            }),
        )
    } else {
        route(&mut g.store, &rec)
    };
    set_header(&mut resp, "x-sib-ratelimit-limit", budget.limit);
    set_header(&mut resp, "x-sib-ratelimit-remaining", budget.remaining);
    set_header(&mut resp, "x-sib-ratelimit-reset", budget.reset_secs);
    resp
}

/// A response whose body is a fixture's text, sent as is.
fn raw_json(status: StatusCode, body: &'static str) -> Response {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    super::common::json(status, &v)
}
