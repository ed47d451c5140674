//! The fake Calendly's webhook subscriptions (`/webhook_subscriptions`, with the free-plan
//! 403) and no-shows (`/invitee_no_shows`), which emit signed `invitee_no_show.created` /
//! `.deleted` deliveries to matching active subscriptions (docs/providers.md §1.1, §1.5).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::data::{API, ORG_URI, USER_URI};
use super::routes::{Store, cal_err, invalid, not_found};
use crate::sandbox::http::{RecordedRequest, empty, json as json_resp};

/// Events a subscription may ask for (GET /sample_webhook_data enum).
const EVENTS: [&str; 14] = [
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
    "routing_form_submission.created",
    "event_type.created",
    "event_type.updated",
    "event_type.deleted",
    "meeting_recap.created",
    "meeting_recap.updated",
    "meeting_recap.deleted",
    "contact.created",
    "contact.updated",
    "contact.deleted",
];

/// A subscription and the key its deliveries are signed with (none: unsigned).
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The API resource.
    pub resource: Value,
    /// The `signing_key` it was created with.
    pub signing_key: Option<String>,
}

/// A webhook to send once the state lock is released.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The subscription's callback URL.
    pub url: String,
    /// Event name.
    pub event: String,
    /// Body bytes (compact JSON).
    pub body: Vec<u8>,
    /// Signing key of the subscription, if any.
    pub key: Option<String>,
}

/// One delivery the fake made for a no-show change.
#[derive(Debug, Clone)]
pub struct CalendlyDelivery {
    /// Callback URL.
    pub url: String,
    /// Event name (`invitee_no_show.created`, ...).
    pub event: String,
    /// Exact body bytes sent (compact JSON).
    pub body: Vec<u8>,
    /// Response status, or `None` when the request failed.
    pub status: Option<u16>,
}

/// Calendly's timestamp format with microseconds.
pub fn now_micros() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

impl Store {
    /// `POST /webhook_subscriptions` with `body`.
    pub fn subscribe(&mut self, body: &Value) -> Response {
        if self.free_plan {
            return cal_err(
                StatusCode::FORBIDDEN,
                "Permission Denied",
                "Please upgrade your Calendly account to Standard",
            );
        }
        let Some(url) = body["url"].as_str().filter(|u| u.starts_with("http")) else {
            return invalid("url", "is not a valid URL");
        };
        let events: Vec<&str> = body["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if events.is_empty() || events.iter().any(|e| !EVENTS.contains(e)) {
            return invalid("events", "contains an unknown event or is empty");
        }
        let scope = body["scope"].as_str().unwrap_or_default();
        if !["user", "organization", "group"].contains(&scope) {
            return invalid("scope", "must be user, organization or group");
        }
        if body["organization"] != ORG_URI {
            return invalid("organization", "is invalid");
        }
        if scope == "user" && body["user"].as_str().is_none() {
            return invalid("user", "is required for user scope");
        }
        if scope != "organization" && events.contains(&"routing_form_submission.created") {
            return invalid(
                "events",
                "routing_form_submission.created requires organization scope",
            );
        }
        if self
            .subscriptions
            .iter()
            .any(|s| s.resource["callback_url"] == url && s.resource["scope"] == scope)
        {
            return cal_err(
                StatusCode::CONFLICT,
                "Already Exists",
                "Hook with this url already exists",
            );
        }
        let now = now_micros();
        let resource = json!({
            "uri": format!("{API}/webhook_subscriptions/{}", uuid::Uuid::new_v4()),
            "callback_url": url, "created_at": now, "updated_at": now, "retry_started_at": null,
            "state": "active", "events": events, "scope": scope, "organization": ORG_URI,
            "user": if scope == "user" { body["user"].clone() } else { Value::Null },
            "group": body.get("group").cloned().unwrap_or(Value::Null), "creator": USER_URI
        });
        let signing_key = body["signing_key"].as_str().map(str::to_owned);
        self.subscriptions.push(Subscription {
            resource: resource.clone(),
            signing_key,
        });
        json_resp(StatusCode::CREATED, &json!({ "resource": resource }))
    }

    /// `GET /webhook_subscriptions`.
    fn subscriptions_page(&mut self, rec: &RecordedRequest) -> Response {
        let Some(org) = rec.query_param("organization") else {
            return invalid("organization", "is required");
        };
        let Some(scope) = rec.query_param("scope") else {
            return invalid("scope", "is required");
        };
        let user = rec.query_param("user");
        if scope == "user" && user.is_none() {
            return invalid("user", "is required for user scope");
        }
        let items: Vec<Value> = self
            .subscriptions
            .iter()
            .map(|s| s.resource.clone())
            .filter(|s| s["organization"] == org && s["scope"] == scope)
            .filter(|s| user.as_ref().is_none_or(|u| s["user"] == **u))
            .collect();
        json_resp(
            StatusCode::OK,
            &json!({ "collection": items, "pagination": {
                "count": items.len(), "next_page": null, "previous_page": null,
                "next_page_token": null, "previous_page_token": null
            }}),
        )
    }

    /// The deliveries for `event` about `invitee` (with its event embedded).
    fn emit(&self, event: &str, invitee: &Value) -> Vec<Outgoing> {
        let mut payload = invitee.clone();
        if let Some(e) = self.events.iter().find(|e| e["uri"] == invitee["event"]) {
            payload["scheduled_event"] = e.clone();
        }
        let envelope = json!({ "created_at": now_micros(), "created_by": USER_URI, "event": event, "payload": payload });
        let body = serde_json::to_vec(&envelope).unwrap_or_default();
        self.subscriptions
            .iter()
            .filter(|s| s.resource["state"] == "active")
            .filter(|s| {
                s.resource["events"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|e| e == event))
            })
            .map(|s| Outgoing {
                url: s.resource["callback_url"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                event: event.to_owned(),
                body: body.clone(),
                key: s.signing_key.clone(),
            })
            .collect()
    }

    /// `POST /invitee_no_shows`.
    fn mark_no_show(&mut self, body: &Value) -> (Response, Vec<Outgoing>) {
        let Some(uri) = body["invitee"].as_str() else {
            return (invalid("invitee", "is required"), vec![]);
        };
        let Some(i) = self.invitees.iter().position(|x| x["uri"] == uri) else {
            return (not_found(), vec![]);
        };
        if !self.invitees[i]["no_show"].is_null() {
            return (invalid("invitee", "is already marked as a no-show"), vec![]);
        }
        let ns = json!({
            "uri": format!("{API}/invitee_no_shows/{}", uuid::Uuid::new_v4()),
            "invitee": uri, "created_at": now_micros()
        });
        self.invitees[i]["no_show"] = json!({ "uri": ns["uri"], "created_at": ns["created_at"] });
        self.no_shows.push(ns.clone());
        let out = self.emit("invitee_no_show.created", &self.invitees[i]);
        (
            json_resp(StatusCode::CREATED, &json!({ "resource": ns })),
            out,
        )
    }

    /// `DELETE /invitee_no_shows/{uuid}`.
    fn unmark_no_show(&mut self, uuid: &str) -> (Response, Vec<Outgoing>) {
        let uri = format!("{API}/invitee_no_shows/{uuid}");
        let Some(n) = self.no_shows.iter().position(|x| x["uri"] == uri) else {
            return (not_found(), vec![]);
        };
        let ns = self.no_shows.remove(n);
        let Some(i) = self.invitees.iter().position(|x| x["uri"] == ns["invitee"]) else {
            return (empty(StatusCode::NO_CONTENT), vec![]);
        };
        self.invitees[i]["no_show"] = Value::Null;
        let out = self.emit("invitee_no_show.deleted", &self.invitees[i]);
        (empty(StatusCode::NO_CONTENT), out)
    }

    /// Route subscription and no-show requests; `None` for other paths.
    pub fn route_hooks(&mut self, rec: &RecordedRequest) -> Option<(Response, Vec<Outgoing>)> {
        let body = rec.json.clone().unwrap_or(Value::Null);
        let find_sub = |s: &Store, uuid: &str| {
            let uri = format!("{API}/webhook_subscriptions/{uuid}");
            s.subscriptions
                .iter()
                .position(|x| x.resource["uri"] == uri)
        };
        let r = match (rec.method.as_str(), rec.segments().as_slice()) {
            ("GET", ["webhook_subscriptions"]) => self.subscriptions_page(rec),
            ("POST", ["webhook_subscriptions"]) => self.subscribe(&body),
            ("GET", ["webhook_subscriptions", uuid]) => match find_sub(self, uuid) {
                Some(i) => json_resp(
                    StatusCode::OK,
                    &json!({ "resource": self.subscriptions[i].resource }),
                ),
                None => not_found(),
            },
            ("DELETE", ["webhook_subscriptions", uuid]) => match find_sub(self, uuid) {
                Some(i) => {
                    self.subscriptions.remove(i);
                    empty(StatusCode::NO_CONTENT)
                }
                None => not_found(),
            },
            ("POST", ["invitee_no_shows"]) => return Some(self.mark_no_show(&body)),
            ("GET", ["invitee_no_shows", uuid]) => {
                let uri = format!("{API}/invitee_no_shows/{uuid}");
                match self.no_shows.iter().find(|x| x["uri"] == uri) {
                    Some(ns) => json_resp(StatusCode::OK, &json!({ "resource": ns })),
                    None => not_found(),
                }
            }
            ("DELETE", ["invitee_no_shows", uuid]) => return Some(self.unmark_no_show(uuid)),
            _ => return None,
        };
        Some((r, vec![]))
    }
}
