//! Seed data for the fake Calendly API, shaped like the real resources: scheduled events
//! and invitees are built from the `invitee_created.json` sample (`shared/src/events/testdata/`) with the seed's
//! fields written over it, so every field a client may read is present.
//!
//! Resource URIs keep Calendly's host (`https://api.calendly.com/...`) so they match the
//! webhook fixtures; only pagination links point at the fake itself.

use serde_json::{Value, json};

/// The `invitee.created` sample the resources are built from.
const INVITEE_CREATED: &str =
    include_str!("../../../../shared/src/events/testdata/invitee_created.json");

/// Calendly's API host, used in resource URIs.
pub const API: &str = "https://api.calendly.com";
/// The fake's current user (the host in the fixtures).
pub const USER_URI: &str = "https://api.calendly.com/users/8f1c3c0e-2a6b-4d51-9a0e-3b7d6f2c9a41";
/// The fake's organization.
pub const ORG_URI: &str =
    "https://api.calendly.com/organizations/3d1f7b2a-6c4e-4a8d-b5e0-9f2c7a1d4e6b";
/// The event type of the fixtures ("Product Demo (30 min)"), seeded by default.
pub const DEFAULT_EVENT_TYPE_URI: &str =
    "https://api.calendly.com/event_types/2b6c1f0a-7d3e-4c8b-9f21-5a4e8d0c6b13";

/// The fixture invitee payload (with its embedded `scheduled_event`).
fn fixture_payload() -> Value {
    serde_json::from_str::<Value>(INVITEE_CREATED)
        .ok()
        .and_then(|v| v.get("payload").cloned())
        .unwrap_or_else(|| json!({ "scheduled_event": {} }))
}

/// A scheduled event to seed with `FakeCalendlyApi::add_event` (tests) or [`super::Store::add_event`].
#[derive(Debug, Clone)]
pub struct EventSeed {
    /// Event UUID (default: random).
    pub uuid: String,
    /// Event name.
    pub name: String,
    /// RFC 3339 start (`2026-04-21T17:00:00.000000Z`).
    pub start_time: String,
    /// RFC 3339 end.
    pub end_time: String,
    /// `active` or `canceled`.
    pub status: String,
    /// Event type URI.
    pub event_type: String,
    /// Host user URI (the event membership).
    pub user: String,
}

impl EventSeed {
    /// An active "Product Demo (30 min)" hosted by [`USER_URI`], at the given times.
    pub fn new(start_time: &str, end_time: &str) -> Self {
        Self {
            uuid: uuid::Uuid::new_v4().to_string(),
            name: "Product Demo (30 min)".to_owned(),
            start_time: start_time.to_owned(),
            end_time: end_time.to_owned(),
            status: "active".to_owned(),
            event_type: DEFAULT_EVENT_TYPE_URI.to_owned(),
            user: USER_URI.to_owned(),
        }
    }

    /// Mark the event canceled.
    pub fn canceled(mut self) -> Self {
        self.status = "canceled".to_owned();
        self
    }

    /// Set the UUID.
    pub fn uuid(mut self, uuid: &str) -> Self {
        self.uuid = uuid.to_owned();
        self
    }

    /// Set the event type URI.
    pub fn event_type(mut self, uri: &str) -> Self {
        self.event_type = uri.to_owned();
        self
    }

    /// Set the host user URI.
    pub fn user(mut self, uri: &str) -> Self {
        self.user = uri.to_owned();
        self
    }

    /// The API resource.
    pub fn to_json(&self) -> Value {
        let mut e = fixture_payload()["scheduled_event"].clone();
        e["uri"] = json!(format!("{API}/scheduled_events/{}", self.uuid));
        e["name"] = json!(self.name);
        e["start_time"] = json!(self.start_time);
        e["end_time"] = json!(self.end_time);
        e["status"] = json!(self.status);
        e["event_type"] = json!(self.event_type);
        e["event_memberships"] = json!([{ "user": self.user, "user_email": "maya.chen@example.com", "user_name": "Maya Chen" }]);
        e["invitees_counter"] = json!({ "total": 0, "active": 0, "limit": 1 });
        if self.status == "canceled" {
            e["cancellation"] = json!({
                "canceled_by": "Maya Chen", "reason": null, "canceler_type": "host",
                "created_at": "2026-04-18T13:44:09.552187Z"
            });
        }
        e
    }
}

/// An invitee to seed with `FakeCalendlyApi::add_invitee` (tests) or [`super::Store::add_invitee`].
#[derive(Debug, Clone)]
pub struct InviteeSeed {
    /// Invitee UUID (default: random).
    pub uuid: String,
    /// Email.
    pub email: String,
    /// Full name.
    pub name: String,
    /// `text_reminder_number`, formatted as Calendly sends it (`+1 415-555-0132`), or none.
    pub text_reminder_number: Option<String>,
    /// `active` or `canceled`.
    pub status: String,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// RFC 3339 `created_at` (and `updated_at`) of the invitee; default: the fixture's
    /// (2026-04-14, long before any test's go-live).
    pub created_at: Option<String>,
    /// RFC 3339 time of a no-show mark already on the invitee (`no_show` object), if any.
    pub no_show_at: Option<String>,
}

impl InviteeSeed {
    /// An active invitee with no phone, time zone America/Los_Angeles.
    pub fn new(email: &str, name: &str) -> Self {
        Self {
            uuid: uuid::Uuid::new_v4().to_string(),
            email: email.to_owned(),
            name: name.to_owned(),
            text_reminder_number: None,
            status: "active".to_owned(),
            timezone: Some("America/Los_Angeles".to_owned()),
            created_at: None,
            no_show_at: None,
        }
    }

    /// Set when the invitee booked (`created_at` and `updated_at`, RFC 3339).
    pub fn created_at(mut self, at: &str) -> Self {
        self.created_at = Some(at.to_owned());
        self
    }

    /// Seed the invitee already marked no-show at `at` (RFC 3339).
    pub fn no_show_at(mut self, at: &str) -> Self {
        self.no_show_at = Some(at.to_owned());
        self
    }

    /// Set the SMS reminder number.
    pub fn phone(mut self, formatted: &str) -> Self {
        self.text_reminder_number = Some(formatted.to_owned());
        self
    }

    /// Mark the invitee canceled.
    pub fn canceled(mut self) -> Self {
        self.status = "canceled".to_owned();
        self
    }

    /// Set the UUID.
    pub fn uuid(mut self, uuid: &str) -> Self {
        self.uuid = uuid.to_owned();
        self
    }

    /// The API resource for an invitee of `event_uuid`.
    pub fn to_json(&self, event_uuid: &str) -> Value {
        let mut i = fixture_payload();
        if let Some(o) = i.as_object_mut() {
            o.remove("scheduled_event");
        }
        let (first, last) = match self.name.split_once(' ') {
            Some((f, l)) => (json!(f), json!(l)),
            None => (Value::Null, Value::Null),
        };
        i["uri"] = json!(format!(
            "{API}/scheduled_events/{event_uuid}/invitees/{}",
            self.uuid
        ));
        i["event"] = json!(format!("{API}/scheduled_events/{event_uuid}"));
        i["email"] = json!(self.email);
        i["name"] = json!(self.name);
        i["first_name"] = first;
        i["last_name"] = last;
        i["text_reminder_number"] = json!(self.text_reminder_number);
        i["status"] = json!(self.status);
        i["timezone"] = json!(self.timezone);
        i["cancel_url"] = json!(format!("https://calendly.com/cancellations/{}", self.uuid));
        i["reschedule_url"] = json!(format!("https://calendly.com/reschedulings/{}", self.uuid));
        if let Some(at) = &self.created_at {
            i["created_at"] = json!(at);
            i["updated_at"] = json!(at);
        }
        if let Some(at) = &self.no_show_at {
            i["no_show"] = json!({
                "uri": format!("{API}/invitee_no_shows/{}", uuid::Uuid::new_v4()),
                "created_at": at,
            });
        }
        if self.status == "canceled" {
            i["cancellation"] = json!({
                "canceled_by": self.name, "reason": null, "canceler_type": "invitee",
                "created_at": "2026-04-18T13:44:09.552187Z"
            });
        }
        i
    }
}

/// An event type resource.
pub fn event_type(uri: &str, name: &str, slug: &str) -> Value {
    json!({
        "uri": uri, "name": name, "slug": slug, "active": true, "kind": "solo",
        "duration": 30, "type": "StandardEventType", "pooling_type": null, "color": "#0069ff",
        "scheduling_url": format!("https://calendly.com/maya-chen/{slug}"),
        "profile": { "type": "User", "name": "Maya Chen", "owner": USER_URI },
        "secret": false, "booking_method": "instant", "admin_managed": false,
        "created_at": "2025-11-02T09:12:44.120394Z", "updated_at": "2026-03-30T15:01:07.553201Z"
    })
}

/// `GET /users/me`.
pub fn current_user() -> Value {
    json!({ "resource": {
        "uri": USER_URI, "name": "Maya Chen", "slug": "maya-chen", "email": "maya.chen@example.com",
        "scheduling_url": "https://calendly.com/maya-chen", "timezone": "America/Los_Angeles",
        "avatar_url": null, "locale": "en", "resource_type": "User",
        "created_at": "2025-10-20T08:00:00.000000Z", "updated_at": "2026-03-30T15:01:07.553201Z",
        "current_organization": ORG_URI
    }})
}
