//! The Calendly API resources this client reads and writes, beyond the invitee and scheduled
//! event models shared with the webhook parser ([`crate::events`]).

use std::fmt;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Whose data a list call or a webhook subscription covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything in an organization (URI).
    Organization(String),
    /// One user (URI) of an organization (URI).
    User {
        /// The organization URI.
        organization: String,
        /// The user URI.
        user: String,
    },
}

impl Scope {
    /// Calendly's `scope` value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Organization(_) => "organization",
            Self::User { .. } => "user",
        }
    }

    /// The organization URI.
    pub fn organization(&self) -> &str {
        match self {
            Self::Organization(o)
            | Self::User {
                organization: o, ..
            } => o,
        }
    }

    /// The filter used by list endpoints that take either `user` or `organization`.
    pub(super) fn owner_param(&self) -> (&'static str, String) {
        match self {
            Self::Organization(o) => ("organization", o.clone()),
            Self::User { user, .. } => ("user", user.clone()),
        }
    }
}

/// The authenticated user (`GET /users/me`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CalendlyUser {
    /// The user URI.
    pub uri: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The user's organization URI.
    pub current_organization: String,
    /// IANA time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The user's public booking page.
    #[serde(default)]
    pub scheduling_url: Option<String>,
}

/// Filter for `list_scheduled_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventsQuery {
    /// Whose events.
    pub scope: Scope,
    /// Events starting at or after this time.
    pub min_start_time: Option<chrono::DateTime<chrono::Utc>>,
    /// Events starting before this time.
    pub max_start_time: Option<chrono::DateTime<chrono::Utc>>,
    /// Only events with this status.
    pub status: Option<EventStatus>,
}

/// A scheduled event's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    /// Booked.
    Active,
    /// Cancelled.
    Canceled,
}

impl EventStatus {
    /// Calendly's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Canceled => "canceled",
        }
    }
}

/// A webhook subscription.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebhookSubscription {
    /// The subscription URI (use it to delete).
    pub uri: String,
    /// Where Calendly posts.
    pub callback_url: String,
    /// `active` or `disabled` (after 24 h of failed deliveries).
    #[serde(default)]
    pub state: Option<String>,
    /// Subscribed events.
    #[serde(default)]
    pub events: Vec<String>,
    /// `organization`, `user` or `group`.
    #[serde(default)]
    pub scope: Option<String>,
    /// Organization URI.
    #[serde(default)]
    pub organization: Option<String>,
    /// User URI, for user scope.
    #[serde(default)]
    pub user: Option<String>,
    /// When deliveries started failing, if they are.
    #[serde(default)]
    pub retry_started_at: Option<String>,
}

/// A webhook subscription to create.
#[derive(Clone)]
pub struct NewWebhookSubscription {
    /// The callback URL (our `/webhooks/calendly`).
    pub url: String,
    /// Events to receive, e.g. `invitee.created`.
    pub events: Vec<String>,
    /// Organization or user scope.
    pub scope: Scope,
    /// The signing key Calendly should sign deliveries with (optional for personal tokens).
    pub signing_key: Option<SecretString>,
}

impl fmt::Debug for NewWebhookSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewWebhookSubscription")
            .field("url", &self.url)
            .field("events", &self.events)
            .field("scope", &self.scope)
            .field("signing_key", &self.signing_key.as_ref().map(|_| "***"))
            .finish()
    }
}

/// An event type (a bookable meeting kind).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EventType {
    /// The event type URI (what `event_mapping.event_type_uri` holds).
    pub uri: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// URL slug.
    #[serde(default)]
    pub slug: Option<String>,
    /// Whether it can be booked.
    #[serde(default)]
    pub active: bool,
    /// The public booking page.
    #[serde(default)]
    pub scheduling_url: Option<String>,
    /// Length in minutes.
    #[serde(default)]
    pub duration: Option<u32>,
}

/// A no-show mark on an invitee.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InviteeNoShow {
    /// The mark's URI (use it to delete).
    pub uri: String,
    /// The invitee URI.
    pub invitee: String,
    /// When it was marked.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// `{ "resource": ... }`.
#[derive(Deserialize)]
pub(super) struct Resource<T> {
    pub(super) resource: T,
}

/// `{ "collection": [...], "pagination": { "next_page_token": ... } }`.
#[derive(Deserialize)]
pub(super) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub(super) collection: Vec<T>,
    #[serde(default)]
    pub(super) pagination: Option<Pagination>,
}

#[derive(Deserialize)]
pub(super) struct Pagination {
    #[serde(default)]
    pub(super) next_page_token: Option<String>,
}

/// The body of `POST /scheduling_links`.
#[derive(Serialize)]
pub(super) struct NewSchedulingLink<'a> {
    pub(super) max_event_count: u32,
    pub(super) owner: &'a str,
    pub(super) owner_type: &'static str,
}

/// `POST /scheduling_links` answer.
#[derive(Deserialize)]
pub(super) struct SchedulingLink {
    pub(super) booking_url: String,
}
