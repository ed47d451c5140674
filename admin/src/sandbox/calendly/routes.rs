//! The fake Calendly API's state and read endpoints: `/users/me`, `/scheduled_events`
//! (filters + cursor pagination), `/scheduled_events/{uuid}`, `.../invitees`,
//! `/event_types` and `POST /scheduling_links`. Webhook subscriptions and no-shows live
//! in `calendly_hooks`.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::data::{API, ORG_URI, current_user};
use super::hooks::Subscription;
use crate::sandbox::http::{RecordedRequest, json as json_resp};

/// Everything the fake Calendly knows.
#[derive(Debug, Default)]
pub struct Store {
    /// The fake's own origin, for `pagination.next_page` links.
    pub origin: String,
    /// Scheduled event resources.
    pub events: Vec<Value>,
    /// Invitee resources (each names its event in `event`).
    pub invitees: Vec<Value>,
    /// Event type resources.
    pub event_types: Vec<Value>,
    /// Webhook subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// Invitee no-show resources.
    pub no_shows: Vec<Value>,
    /// Free plan: `POST /webhook_subscriptions` answers 403.
    pub free_plan: bool,
    pages: HashMap<String, usize>,
}

/// Calendly's error body `{title, message[, details]}`.
pub fn cal_err(status: StatusCode, title: &str, message: &str) -> Response {
    json_resp(status, &json!({ "title": title, "message": message }))
}

/// 400 "Invalid Argument" naming the parameter.
pub fn invalid(param: &str, message: &str) -> Response {
    json_resp(
        StatusCode::BAD_REQUEST,
        &json!({
            "title": "Invalid Argument",
            "message": "The supplied parameters are invalid.",
            "details": [{ "parameter": param, "message": message }]
        }),
    )
}

/// 404 for an unknown resource.
pub fn not_found() -> Response {
    cal_err(
        StatusCode::NOT_FOUND,
        "Resource Not Found",
        "The server could not find the requested resource.",
    )
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().and_then(|s| s.parse().ok())
}

impl Store {
    /// Return `items` one page at a time as `{collection, pagination}`.
    fn page(&mut self, rec: &RecordedRequest, items: Vec<Value>) -> Response {
        let count = match rec.query_param("count").map(|c| c.parse::<usize>()) {
            None => 20,
            Some(Ok(n)) if (1..=100).contains(&n) => n,
            Some(_) => return invalid("count", "must be between 1 and 100"),
        };
        let offset = match rec.query_param("page_token") {
            None => 0,
            Some(t) => match self.pages.get(&t) {
                Some(o) => *o,
                None => return invalid("page_token", "is invalid"),
            },
        };
        let total = items.len();
        let collection: Vec<Value> = items.into_iter().skip(offset).take(count).collect();
        let mut token_for = |off: usize| {
            let t = uuid::Uuid::new_v4().simple().to_string();
            self.pages.insert(t.clone(), off);
            t
        };
        let next = (offset + count < total).then(|| token_for(offset + count));
        let prev = (offset > 0).then(|| token_for(offset.saturating_sub(count)));
        let link = |tok: &Option<String>| tok.as_ref().map(|t| self.link(rec, t));
        let pagination = json!({
            "count": collection.len(),
            "next_page": link(&next),
            "previous_page": link(&prev),
            "next_page_token": next,
            "previous_page_token": prev,
        });
        json_resp(
            StatusCode::OK,
            &json!({ "collection": collection, "pagination": pagination }),
        )
    }

    /// The same request URL on the fake with `page_token` replaced.
    fn link(&self, rec: &RecordedRequest, token: &str) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(raw) = rec.query.as_deref() {
            for (k, v) in
                url::form_urlencoded::parse(raw.as_bytes()).filter(|(k, _)| k != "page_token")
            {
                q.append_pair(&k, &v);
            }
        }
        q.append_pair("page_token", token);
        format!("{}{}?{}", self.origin, rec.path, q.finish())
    }

    /// `GET /scheduled_events`.
    fn list_events(&mut self, rec: &RecordedRequest) -> Response {
        let user = rec.query_param("user");
        let org = rec.query_param("organization");
        if user.is_none() && org.is_none() {
            return invalid("user", "one of user, organization or group is required");
        }
        if org.as_deref().is_some_and(|o| o != ORG_URI) {
            return cal_err(
                StatusCode::FORBIDDEN,
                "Permission Denied",
                "You do not have permission to access this resource.",
            );
        }
        let min = rec
            .query_param("min_start_time")
            .map(|s| s.parse::<DateTime<Utc>>());
        let max = rec
            .query_param("max_start_time")
            .map(|s| s.parse::<DateTime<Utc>>());
        let (min, max) = match (min.transpose(), max.transpose()) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return invalid("min_start_time", "must be an ISO 8601 timestamp"),
        };
        let status = rec.query_param("status");
        if status
            .as_deref()
            .is_some_and(|s| s != "active" && s != "canceled")
        {
            return invalid("status", "must be active or canceled");
        }
        let email = rec.query_param("invitee_email");
        let mut items: Vec<Value> = self
            .events
            .iter()
            .filter(|e| {
                let start = time(&e["start_time"]);
                let hosts = e["event_memberships"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                user.as_ref()
                    .is_none_or(|u| hosts.iter().any(|m| m["user"] == **u))
                    && min.is_none_or(|m| start.is_some_and(|s| s >= m))
                    && max.is_none_or(|m| start.is_some_and(|s| s < m))
                    && status.as_ref().is_none_or(|s| e["status"] == **s)
                    && email.as_ref().is_none_or(|em| {
                        self.invitees
                            .iter()
                            .any(|i| i["event"] == e["uri"] && i["email"] == **em)
                    })
            })
            .cloned()
            .collect();
        items.sort_by_key(|e| time(&e["start_time"]));
        if rec.query_param("sort").as_deref() == Some("start_time:desc") {
            items.reverse();
        }
        self.page(rec, items)
    }

    /// `GET /scheduled_events/{uuid}/invitees`.
    fn list_invitees(&mut self, uuid: &str, rec: &RecordedRequest) -> Response {
        let uri = format!("{API}/scheduled_events/{uuid}");
        if !self.events.iter().any(|e| e["uri"] == uri) {
            return not_found();
        }
        let status = rec.query_param("status");
        let email = rec.query_param("email");
        let items = self
            .invitees
            .iter()
            .filter(|i| i["event"] == uri)
            .filter(|i| status.as_ref().is_none_or(|s| i["status"] == **s))
            .filter(|i| email.as_ref().is_none_or(|e| i["email"] == **e))
            .cloned()
            .collect();
        self.page(rec, items)
    }

    /// `POST /scheduling_links`.
    fn scheduling_link(&self, body: &Value) -> Response {
        let owner = body["owner"].as_str().unwrap_or_default();
        if body["owner_type"] != "EventType" {
            return invalid("owner_type", "must be EventType");
        }
        if !self.event_types.iter().any(|t| t["uri"] == owner) {
            return invalid("owner", "event type not found");
        }
        let code = uuid::Uuid::new_v4().simple().to_string();
        json_resp(
            StatusCode::CREATED,
            &json!({ "resource": {
                "booking_url": format!("https://calendly.com/d/{}/product-demo", &code[..8]),
                "owner": owner, "owner_type": "EventType"
            }}),
        )
    }

    /// Route an authorised, in-budget request (webhook/no-show routes return `None`).
    pub fn route(&mut self, rec: &RecordedRequest) -> Option<Response> {
        let body = rec.json.clone().unwrap_or(Value::Null);
        let r = match (rec.method.as_str(), rec.segments().as_slice()) {
            ("GET", ["users", "me"]) => json_resp(StatusCode::OK, &current_user()),
            ("GET", ["scheduled_events"]) => self.list_events(rec),
            ("GET", ["scheduled_events", uuid]) => {
                let uri = format!("{API}/scheduled_events/{uuid}");
                match self.events.iter().find(|e| e["uri"] == uri) {
                    Some(e) => json_resp(StatusCode::OK, &json!({ "resource": e })),
                    None => not_found(),
                }
            }
            ("GET", ["scheduled_events", uuid, "invitees"]) => self.list_invitees(uuid, rec),
            ("GET", ["event_types"]) => {
                if rec.query_param("user").is_none() && rec.query_param("organization").is_none() {
                    return Some(invalid("user", "one of user or organization is required"));
                }
                let items = self.event_types.clone();
                self.page(rec, items)
            }
            ("POST", ["scheduling_links"]) => self.scheduling_link(&body),
            _ => return None,
        };
        Some(r)
    }
}
