//! A Calendly API v2 (docs/providers.md §1.5, §1.6 point 5, API side), served by the sandbox and
//! by the test fakes (`tests/src/fakes/calendly.rs` wraps [`Store`] with faults, a rate limit and
//! a request log): `/users/me`, scheduled events and invitees with cursor pagination, event
//! types, scheduling links, webhook subscriptions (free-plan 403) and no-shows that emit
//! webhooks. Endpoints are in [`routes`] and [`hooks`]; resource shapes in [`data`].
//!
//! Resource URIs keep Calendly's host (`https://api.calendly.com/...`) so they match the
//! webhooks; only pagination links point at the server itself.

pub mod data;
pub mod hooks;
pub mod routes;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

pub use data::{API, DEFAULT_EVENT_TYPE_URI, EventSeed, InviteeSeed, ORG_URI, USER_URI};
pub use hooks::{CalendlyDelivery, Outgoing, Subscription};
pub use routes::Store;

use super::http::RecordedRequest;

impl Store {
    /// A store answering at `origin` (for pagination links), with the samples' event type
    /// ("Product Demo (30 min)", [`DEFAULT_EVENT_TYPE_URI`]).
    pub fn seeded(origin: String) -> Self {
        let mut store = Self::default();
        store.origin = origin;
        store.event_types.push(data::event_type(
            DEFAULT_EVENT_TYPE_URI,
            "Product Demo (30 min)",
            "product-demo",
        ));
        store
    }

    /// Seed a scheduled event; returns its URI.
    pub fn add_event(&mut self, seed: &EventSeed) -> String {
        let e = seed.to_json();
        let uri = e["uri"].as_str().unwrap_or_default().to_owned();
        self.events.push(e);
        uri
    }

    /// Seed an invitee of `event` (URI or UUID); returns the invitee URI. Updates the event's
    /// `invitees_counter`.
    pub fn add_invitee(&mut self, event: &str, seed: &InviteeSeed) -> String {
        let uuid = event.rsplit('/').next().unwrap_or(event);
        let inv = seed.to_json(uuid);
        let uri = inv["uri"].as_str().unwrap_or_default().to_owned();
        let active = seed.status == "active";
        if let Some(e) = self.events.iter_mut().find(|e| e["uri"] == inv["event"]) {
            let c = &mut e["invitees_counter"];
            c["total"] = json!(c["total"].as_i64().unwrap_or(0) + 1);
            c["active"] = json!(c["active"].as_i64().unwrap_or(0) + i64::from(active));
        }
        self.invitees.push(inv);
        uri
    }

    /// Takes in what a webhook `payload` (an invitee with its `scheduled_event`) says: the event
    /// and the invitee are added, or replaced when their URIs are known, so the API answers
    /// what the webhook announced.
    pub fn apply_webhook_payload(&mut self, payload: &Value) {
        let mut invitee = payload.clone();
        let event = invitee
            .as_object_mut()
            .and_then(|o| o.remove("scheduled_event"));
        if let Some(event) = event.filter(|e| e["uri"].is_string()) {
            match self.events.iter_mut().find(|e| e["uri"] == event["uri"]) {
                Some(known) => *known = event,
                None => self.events.push(event),
            }
        }
        if !invitee["uri"].is_string() {
            return;
        }
        let ns = &invitee["no_show"];
        if ns["uri"].is_string() && !self.no_shows.iter().any(|n| n["uri"] == ns["uri"]) {
            self.no_shows
                .push(json!({"uri": ns["uri"], "invitee": invitee["uri"],
                "created_at": ns["created_at"]}));
        }
        if ns.is_null() {
            self.no_shows.retain(|n| n["invitee"] != invitee["uri"]);
        }
        match self
            .invitees
            .iter_mut()
            .find(|i| i["uri"] == invitee["uri"])
        {
            Some(known) => *known = invitee,
            None => self.invitees.push(invitee),
        }
    }

    /// An organization webhook subscription of every invitee event to `url`, its deliveries
    /// signed with `signing_key`, as an account set up for meetflow has.
    pub fn subscribe_for_meetflow(&mut self, url: &str, signing_key: &str) -> bool {
        let body = json!({
            "url": url, "scope": "organization", "organization": ORG_URI,
            "signing_key": signing_key,
            "events": ["invitee.created", "invitee.canceled", "invitee_no_show.created",
                "invitee_no_show.deleted", "routing_form_submission.created"],
        });
        self.subscribe(&body).status() == StatusCode::CREATED
    }

    /// The sandbox's Calendly: any bearer token is accepted (none gets Calendly's 401); the
    /// answer and the webhooks a no-show change emits.
    pub fn handle(&mut self, rec: &RecordedRequest) -> (Response, Vec<Outgoing>) {
        let bearer = rec
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|t| !t.trim().is_empty());
        if !bearer {
            let r = routes::cal_err(
                StatusCode::UNAUTHORIZED,
                "Unauthenticated",
                "The access token is invalid",
            );
            return (r, vec![]);
        }
        if let Some(r) = self.route(rec) {
            return (r, vec![]);
        }
        self.route_hooks(rec)
            .unwrap_or_else(|| (routes::not_found(), vec![]))
    }
}
