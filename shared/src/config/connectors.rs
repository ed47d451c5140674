//! `connectors:`: the sources of events, Calendly and Zoom (webhook secrets, API access, mapping
//! of their objects onto Brevo lists and attributes).

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::values::{RateLimit, duration, lenient_string, opt_duration, opt_string, secret};

/// `connectors:`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectorsSettings {
    /// Calendly webhooks and API.
    pub calendly: CalendlySettings,
    /// Zoom webhooks and API.
    pub zoom: ZoomSettings,
}

/// `connectors.calendly:`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendlySettings {
    /// Webhook signing key (`Calendly-Webhook-Signature`); required by ingest unless
    /// `allow_unsigned`.
    #[serde(with = "secret")]
    pub signing_key: Option<SecretString>,
    /// Accepted distance between the signature timestamp and now.
    #[serde(with = "duration")]
    pub tolerance: Duration,
    /// Accept deliveries without a signature (warned at start). For local trials only.
    pub allow_unsigned: bool,
    /// Period of the catch-up from the Calendly API; needs `access_token`.
    #[serde(with = "duration")]
    pub reconcile_every: Duration,
    /// Which meetings the reconciliation looks at, by start time around now.
    pub reconcile_window: ReconcileWindow,
    /// Personal access token or OAuth token for the Calendly API; optional.
    #[serde(with = "secret")]
    pub access_token: Option<SecretString>,
    /// Base URL of the Calendly API.
    pub api_base_url: String,
    /// Calendly API calls per window, shared by all replicas (Calendly allows 500 per user per
    /// minute on paid plans, 50 on the free one).
    pub rate_limit: RateLimit,
    /// Calendly event type (a name of your choice) -> Brevo list.
    pub event_mapping: BTreeMap<String, EventMapping>,
    /// Invitee fields and Q&A questions -> Brevo attributes.
    pub field_mapping: FieldMapping,
    /// Routing form submissions -> Brevo contacts and events.
    pub routing_forms: super::RoutingFormSettings,
}

impl Default for CalendlySettings {
    fn default() -> Self {
        Self {
            signing_key: None,
            tolerance: Duration::from_secs(180),
            allow_unsigned: false,
            reconcile_every: Duration::from_secs(15 * 60),
            reconcile_window: ReconcileWindow::default(),
            access_token: None,
            api_base_url: "https://api.calendly.com".into(),
            rate_limit: RateLimit {
                count: 500,
                per: Duration::from_secs(60),
            },
            event_mapping: BTreeMap::new(),
            field_mapping: FieldMapping::default(),
            routing_forms: super::RoutingFormSettings::default(),
        }
    }
}

/// `connectors.calendly.reconcile_window`: the reconciliation lists the scheduled events
/// starting in `[now - back, now + ahead]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReconcileWindow {
    /// How far back [24h]: meetings of the last day still get their missed no-show,
    /// cancellation, Brevo sync and follow-up.
    #[serde(with = "duration")]
    pub back: Duration,
    /// How far ahead [60d]; later bookings are healed once they come within it.
    #[serde(with = "duration")]
    pub ahead: Duration,
}

impl Default for ReconcileWindow {
    fn default() -> Self {
        Self {
            back: Duration::from_secs(24 * 3600),
            ahead: Duration::from_secs(60 * 24 * 3600),
        }
    }
}

/// `connectors.calendly.event_mapping.<name>`: one Calendly event type, its Brevo list(s) and
/// its workflow; every workflow key left unset takes the global value (see [`super::workflow`]).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventMapping {
    /// The event type's URI, `https://api.calendly.com/event_types/<uuid>`; empty = matched by
    /// the mapping's name.
    #[serde(deserialize_with = "lenient_string")]
    pub event_type_uri: String,
    /// The Brevo list invitees of this event type are added to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_id: Option<u64>,
    /// More Brevo lists for the same invitees.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<u64>,
    /// SMS template ids of this event type.
    #[serde(skip_serializing_if = "super::workflow::TemplateOverrides::is_empty")]
    pub templates: super::workflow::TemplateOverrides,
    /// Reminder offsets before the start.
    #[serde(
        with = "super::workflow::opt_duration_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub offsets: Option<Vec<Duration>>,
    /// Follow-up delay after the end; `null` turns follow-ups off for this type.
    #[serde(
        with = "super::workflow::tri_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub follow_up_after_end: Option<Option<Duration>>,
    /// Quiet hours of this type's SMS; `null` = none.
    #[serde(
        with = "super::workflow::tri_quiet",
        skip_serializing_if = "Option::is_none"
    )]
    pub quiet_hours: Option<Option<super::QuietHours>>,
    /// Locale of dates, times and `advance` (BCP 47: `th`, `ro`, `en-u-hc-h23`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Brevo event names of this type.
    #[serde(skip_serializing_if = "super::workflow::EventOverrides::is_empty")]
    pub brevo_events: super::workflow::EventOverrides,
    /// The SMS consent question of this type (else `sms.consent`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_consent: Option<super::ConsentQuestion>,
    /// Where this type's SMS number is looked for, in order (`sms.phone_sources`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_sources: Option<Vec<super::PhoneSource>>,
    /// Region of national-format numbers of this type (`sms.default_region`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_region: Option<String>,
    /// A follow-up due longer ago than this is dropped (`reminders.follow_up_max_lateness`).
    #[serde(
        with = "super::workflow::opt_duration_value",
        skip_serializing_if = "Option::is_none"
    )]
    pub follow_up_max_lateness: Option<Duration>,
    /// Win-back after a host's cancellation too (`engagement.win_back_after_host_cancellation`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub win_back_after_host_cancellation: Option<bool>,
}

/// `connectors.calendly.field_mapping`: which Brevo attribute receives which invitee field.
/// An attribute set to `null` or `""` is not written.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldMapping {
    /// Attribute for the invitee's first name (Calendly's `first_name`, else the full name's
    /// first word) [FIRSTNAME].
    #[serde(with = "opt_string")]
    pub first_name: Option<String>,
    /// Attribute for the invitee's last name (Calendly's `last_name`, else the rest of the full
    /// name) [LASTNAME].
    #[serde(with = "opt_string")]
    pub last_name: Option<String>,
    /// Attribute for the invitee's full name [none].
    #[serde(with = "opt_string")]
    pub name: Option<String>,
    /// Attribute for the invitee's `text_reminder_number` (normalised to E.164) [SMS].
    #[serde(with = "opt_string")]
    pub text_reminder_number: Option<String>,
    /// Q&A question (matched case-insensitively on the question text) -> attribute.
    pub questions_and_answers: BTreeMap<String, String>,
    /// Attribute for the event type's name [CALENDLY_EVENT_TYPE].
    #[serde(with = "opt_string")]
    pub event_type_name: Option<String>,
    /// Attribute for the meeting start time [MEETING_DATE].
    #[serde(with = "opt_string")]
    pub scheduled_at: Option<String>,
    /// Attribute for the booking status [BOOKING_STATUS], written as `status_values` say.
    #[serde(with = "opt_string")]
    pub status: Option<String>,
    /// The text written to the status attribute for each booking status.
    pub status_values: StatusValues,
    /// Calendly's UTM tracking fields -> attributes [none].
    pub tracking: TrackingMapping,
}

impl Default for FieldMapping {
    fn default() -> Self {
        Self {
            first_name: Some("FIRSTNAME".into()),
            last_name: Some("LASTNAME".into()),
            name: None,
            text_reminder_number: Some("SMS".into()),
            questions_and_answers: BTreeMap::new(),
            event_type_name: Some("CALENDLY_EVENT_TYPE".into()),
            scheduled_at: Some("MEETING_DATE".into()),
            status: Some("BOOKING_STATUS".into()),
            status_values: StatusValues::default(),
            tracking: TrackingMapping::default(),
        }
    }
}

/// `connectors.calendly.field_mapping.status_values`: the status attribute's text per status
/// (seed 000 writes `booked` where meetflow writes `active` by default).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatusValues {
    /// A booked, upcoming meeting [active].
    pub active: String,
    /// Cancelled [cancelled].
    pub cancelled: String,
    /// Moved to another time (the old booking) [rescheduled].
    pub rescheduled: String,
    /// Marked no-show [no_show].
    pub no_show: String,
}

impl Default for StatusValues {
    fn default() -> Self {
        Self {
            active: "active".into(),
            cancelled: "cancelled".into(),
            rescheduled: "rescheduled".into(),
            no_show: "no_show".into(),
        }
    }
}

/// `connectors.calendly.field_mapping.tracking`: Calendly's `tracking` fields -> attributes;
/// an unknown field is refused at load with its key.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackingMapping {
    /// Attribute for `utm_source`.
    #[serde(with = "opt_string")]
    pub utm_source: Option<String>,
    /// Attribute for `utm_medium`.
    #[serde(with = "opt_string")]
    pub utm_medium: Option<String>,
    /// Attribute for `utm_campaign`.
    #[serde(with = "opt_string")]
    pub utm_campaign: Option<String>,
    /// Attribute for `utm_content`.
    #[serde(with = "opt_string")]
    pub utm_content: Option<String>,
    /// Attribute for `utm_term`.
    #[serde(with = "opt_string")]
    pub utm_term: Option<String>,
    /// Attribute for `salesforce_uuid`.
    #[serde(with = "opt_string")]
    pub salesforce_uuid: Option<String>,
}

/// `connectors.zoom:`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZoomSettings {
    /// Secret token of the Zoom webhook app (signatures and URL validation).
    #[serde(with = "secret")]
    pub webhook_secret: Option<SecretString>,
    /// Server-to-server OAuth account id; optional (API calls off without it).
    #[serde(with = "secret")]
    pub account_id: Option<SecretString>,
    /// Server-to-server OAuth client id.
    #[serde(with = "secret")]
    pub client_id: Option<SecretString>,
    /// Server-to-server OAuth client secret.
    #[serde(with = "secret")]
    pub client_secret: Option<SecretString>,
    /// Base URL of the Zoom REST API.
    pub api_base_url: String,
    /// Base URL of the Zoom OAuth server (`/oauth/token`).
    pub oauth_base_url: String,
    /// Brevo lists fed from Zoom.
    pub lists: ZoomLists,
    /// Zoom's per-second limits per endpoint category, shared by all replicas.
    pub rate_limits: ZoomRateLimits,
    /// How long after a meeting or webinar ended its participants report may still be missing
    /// (404 code 3001, or an empty participant list): within it the job waits with growing
    /// delays, without spending attempts; after it a 404 is dead-lettered and an empty list is
    /// final. `0s` = no wait.
    #[serde(with = "duration")]
    pub report_wait: Duration,
    /// Period of the Zoom catch-up sweep (ended meetings and webinars, and recordings, whose
    /// webhook never came, listed from the Zoom API); needs the API credentials. `null` = off.
    #[serde(with = "opt_duration")]
    pub sweep_every: Option<Duration>,
    /// How far back each sweep looks, by end time (Zoom's reports take whole days: the days
    /// this reaches into are listed, and instances ending before it are left out). At most 30d.
    #[serde(with = "duration")]
    pub sweep_window: Duration,
    /// Zoom attendance fields -> Brevo attributes.
    pub field_mapping: ZoomFieldMapping,
}

/// `connectors.zoom.field_mapping`: which Brevo attribute receives which Zoom attendance field
/// (meetings and webinars); an attribute set to `null` or `""` is not written, an unknown key is
/// refused at load with its key.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZoomFieldMapping {
    /// First join time (RFC 3339) [JOIN_TIME].
    #[serde(with = "opt_string")]
    pub join_time: Option<String>,
    /// Minutes attended, all sessions summed and rounded up (0 for a registrant who missed)
    /// [ATTENDANCE_MINUTES].
    #[serde(with = "opt_string")]
    pub duration: Option<String>,
    /// The webinar's topic [none].
    #[serde(with = "opt_string")]
    pub webinar_title: Option<String>,
    /// `attended` or `missed` [ATTENDANCE_STATUS].
    #[serde(with = "opt_string")]
    pub attendance_status: Option<String>,
    /// The webinar registrant's tracking source (Zoom's `tracking_source.source_name`) [none].
    #[serde(with = "opt_string")]
    pub registration_source: Option<String>,
}

impl Default for ZoomFieldMapping {
    fn default() -> Self {
        Self {
            join_time: Some("JOIN_TIME".into()),
            duration: Some("ATTENDANCE_MINUTES".into()),
            webinar_title: None,
            attendance_status: Some("ATTENDANCE_STATUS".into()),
            registration_source: None,
        }
    }
}

impl ZoomFieldMapping {
    /// The attribute of a field, when written (`None` for `null` or `""`).
    #[must_use]
    pub fn attribute(field: &Option<String>) -> Option<&str> {
        field.as_deref().map(str::trim).filter(|a| !a.is_empty())
    }
}

/// `connectors.zoom.rate_limits`: Zoom limits calls per second per account and endpoint
/// category; the defaults are the Pro plan's (Free: 4, 2, 1; Business and up: 80, 60, 40).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZoomRateLimits {
    /// "Light" endpoints (`users/me`).
    pub light: RateLimit,
    /// "Medium" endpoints (past meeting and webinar participants, webinar registrants).
    pub medium: RateLimit,
    /// "Heavy" endpoints (reports; none called today).
    pub heavy: RateLimit,
}

impl Default for ZoomRateLimits {
    fn default() -> Self {
        Self {
            light: RateLimit::per_second(30),
            medium: RateLimit::per_second(20),
            heavy: RateLimit::per_second(10),
        }
    }
}

impl Default for ZoomSettings {
    fn default() -> Self {
        Self {
            webhook_secret: None,
            account_id: None,
            client_id: None,
            client_secret: None,
            api_base_url: "https://api.zoom.us/v2".into(),
            oauth_base_url: "https://zoom.us".into(),
            lists: ZoomLists::default(),
            rate_limits: ZoomRateLimits::default(),
            report_wait: Duration::from_secs(6 * 3600),
            sweep_every: Some(Duration::from_secs(3600)),
            sweep_window: Duration::from_secs(24 * 3600),
            field_mapping: ZoomFieldMapping::default(),
        }
    }
}

/// `connectors.zoom.lists`: Brevo list ids; `null` turns that sync off.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZoomLists {
    /// List for meeting participants.
    pub meeting_participants: Option<u64>,
    /// List for webinar attendees.
    pub webinar_attendees: Option<u64>,
    /// List for webinar registrants.
    pub webinar_registrants: Option<u64>,
}
