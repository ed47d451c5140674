//! Fake Calendly API v2 (docs/providers.md §1.5, §1.6 point 5, API side): bearer-token
//! auth (401 with Calendly's `{title, message}`), `X-RateLimit-*` headers on every
//! response and 429 over budget, scheduled events and invitees with cursor pagination,
//! event types, scheduling links, webhook subscriptions (free-plan 403) and no-shows
//! that emit signed webhooks. The endpoints and resource shapes are the sandbox's
//! (`meetflow_admin::sandbox::calendly`), shared so both answer alike.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::common::{Faults, RecordedRequest, Server, Window, lock, record, set_header};
use meetflow_admin::sandbox::calendly::data::{API, event_type};
use meetflow_admin::sandbox::calendly::routes::{self, cal_err};
use meetflow_admin::sandbox::calendly::{
    CalendlyDelivery, EventSeed, InviteeSeed, Outgoing, Store,
};

/// The personal access token the fake accepts.
const TOKEN: &str = "eyJraWQiOiJmYWtlLWNhbGVuZGx5In0.fake-calendly-pat.test";

#[derive(Debug)]
struct Inner {
    log: Vec<RecordedRequest>,
    faults: Faults,
    window: Window,
    store: Store,
    deliveries: Vec<CalendlyDelivery>,
}

type Shared = Arc<Mutex<Inner>>;

/// A fake Calendly API server.
#[derive(Debug)]
pub struct FakeCalendlyApi {
    shared: Shared,
    server: Server,
}

impl FakeCalendlyApi {
    /// Start on 127.0.0.1 with a free port, with the fixtures' event type seeded and
    /// Calendly's paid-plan budget (500 requests per minute) enforced.
    pub async fn start() -> anyhow::Result<Self> {
        let store = Store::seeded(String::new());
        let shared = Arc::new(Mutex::new(Inner {
            log: Vec::new(),
            faults: Faults::default(),
            window: Window::new(500, Duration::from_secs(60), true),
            store,
            deliveries: Vec::new(),
        }));
        let router = Router::new().fallback(handle).with_state(shared.clone());
        let server = Server::start(router).await?;
        lock(&shared).store.origin = server.origin();
        Ok(Self { shared, server })
    }

    /// `connectors.calendly.api_base_url`: `http://127.0.0.1:PORT` (no path). Build request
    /// URLs from it and resource UUIDs; resource URIs keep `https://api.calendly.com`.
    pub fn base_url(&self) -> String {
        self.server.origin()
    }

    /// The only bearer token the fake accepts.
    pub fn access_token(&self) -> String {
        TOKEN.to_owned()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).log.clone()
    }

    /// Seed a scheduled event; returns its URI.
    pub fn add_event(&self, seed: EventSeed) -> String {
        lock(&self.shared).store.add_event(&seed)
    }

    /// Seed an invitee of `event` (URI or UUID); returns the invitee URI. Updates the
    /// event's `invitees_counter`.
    pub fn add_invitee(&self, event: &str, seed: InviteeSeed) -> String {
        lock(&self.shared).store.add_invitee(event, &seed)
    }

    /// Seed an event type; returns its URI.
    pub fn add_event_type(&self, name: &str, slug: &str) -> String {
        let uri = format!("{API}/event_types/{}", uuid::Uuid::new_v4());
        lock(&self.shared)
            .store
            .event_types
            .push(event_type(&uri, name, slug));
        uri
    }

    /// All seeded events (API resources).
    pub fn events(&self) -> Vec<Value> {
        lock(&self.shared).store.events.clone()
    }

    /// The invitee resource with this URI.
    pub fn invitee(&self, uri: &str) -> Option<Value> {
        lock(&self.shared)
            .store
            .invitees
            .iter()
            .find(|i| i["uri"] == uri)
            .cloned()
    }

    /// Current webhook subscriptions (API resources).
    pub fn subscriptions(&self) -> Vec<Value> {
        lock(&self.shared)
            .store
            .subscriptions
            .iter()
            .map(|s| s.resource.clone())
            .collect()
    }

    /// Set a subscription's state to `disabled` (as after 24 h of failed deliveries).
    /// Returns false when no subscription has this URI.
    pub fn disable_subscription(&self, uri: &str) -> bool {
        let mut g = lock(&self.shared);
        let found = g
            .store
            .subscriptions
            .iter_mut()
            .find(|s| s.resource["uri"] == uri);
        found
            .map(|s| s.resource["state"] = json!("disabled"))
            .is_some()
    }

    /// Free plan: `POST /webhook_subscriptions` answers 403 "Please upgrade...".
    pub fn set_free_plan(&self, on: bool) {
        lock(&self.shared).store.free_plan = on;
    }

    /// Current no-show resources.
    pub fn no_shows(&self) -> Vec<Value> {
        lock(&self.shared).store.no_shows.clone()
    }

    /// Webhook deliveries made so far (completed ones).
    pub fn deliveries(&self) -> Vec<CalendlyDelivery> {
        lock(&self.shared).deliveries.clone()
    }

    /// Wait until at least `n` deliveries completed (or `timeout`), then return them all.
    pub async fn wait_for_deliveries(&self, n: usize, timeout: Duration) -> Vec<CalendlyDelivery> {
        let deadline = Instant::now() + timeout;
        loop {
            let d = self.deliveries();
            if d.len() >= n || Instant::now() >= deadline {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Allow `limit` requests per `window`; more get 429 (headers on every response).
    pub fn rate_limit(&self, limit: u32, window: Duration) {
        lock(&self.shared).window = Window::new(limit, window, true);
    }

    /// Answer the next `n` requests with `status` and JSON `body` (after recording them).
    pub fn fail_next(&self, n: usize, status: u16, body: Value) {
        lock(&self.shared).faults.fail_next(n, status, body);
    }

    /// Delay every response by `d` before processing.
    pub fn set_latency(&self, d: Duration) {
        lock(&self.shared).faults.set_latency(d);
    }
}

/// Send one webhook (signed now when the subscription has a key) and record the outcome.
async fn deliver(shared: Shared, out: Outgoing) {
    let mut headers = Vec::new();
    if let Some(key) = &out.key {
        let sig = crate::signing::calendly_signature(key, crate::webhook::now_unix(), &out.body);
        headers.push(("Calendly-Webhook-Signature", sig));
    }
    let status = crate::webhook::send_raw(&out.url, &headers, &out.body)
        .await
        .ok()
        .map(|r| r.status);
    lock(&shared).deliveries.push(CalendlyDelivery {
        url: out.url,
        event: out.event,
        body: out.body,
        status,
    });
}

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let rec = record("calendly", req).await;
    let latency = {
        let mut g = lock(&shared);
        g.log.push(rec.clone());
        g.faults.latency()
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (mut resp, budget, outgoing) = {
        let mut g = lock(&shared);
        let budget = g.window.take();
        let (resp, out) = if !budget.allowed {
            let r = cal_err(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                "You have exceeded the rate limit. Please try again later.",
            );
            (r, vec![])
        } else if let Some(r) = g.faults.take() {
            (r, vec![])
        } else if rec.header("authorization") != Some(format!("Bearer {TOKEN}").as_str()) {
            (
                cal_err(
                    StatusCode::UNAUTHORIZED,
                    "Unauthenticated",
                    "The access token is invalid",
                ),
                vec![],
            )
        } else if let Some(r) = g.store.route(&rec) {
            (r, vec![])
        } else if let Some(pair) = g.store.route_hooks(&rec) {
            pair
        } else {
            (routes::not_found(), vec![])
        };
        (resp, budget, out)
    };
    for out in outgoing {
        tokio::spawn(deliver(shared.clone(), out));
    }
    set_header(&mut resp, "x-ratelimit-limit", budget.limit);
    set_header(&mut resp, "x-ratelimit-remaining", budget.remaining);
    set_header(&mut resp, "x-ratelimit-reset", budget.reset_secs);
    resp
}
