//! Settings of the outbound side: Brevo (contacts, events), EngageLab (SMS), and when messages
//! go out (reminders, follow-ups, engagement flows).

use std::time::Duration;

use chrono_tz::Tz;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::values::{
    QuietHours, RateLimit, duration, duration_list, lenient_string, opt_duration, opt_string,
    secret, timezone,
};

/// `brevo:`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrevoSettings {
    /// API key (`api-key` header); optional: without it the worker talks to `base_url`
    /// unauthenticated, which only the local sandbox accepts.
    #[serde(with = "secret")]
    pub api_key: Option<SecretString>,
    /// Base URL of the Brevo API.
    pub base_url: String,
    /// Calls per window, shared by all worker replicas: the default of every budget in
    /// [`Self::rate_limits`].
    pub rate_limit: RateLimit,
    /// Separate budgets per endpoint group (Brevo limits `/contacts` and `/events` apart); a
    /// budget left out is `rate_limit`.
    pub rate_limits: BrevoRateLimits,
}

/// `brevo.rate_limits`: one shared budget per Brevo endpoint group, so a backlog on one group
/// never slows the other. Brevo's general plan allows 10/s on each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrevoRateLimits {
    /// `/contacts` calls (upserts, attendance syncs); `null` = `brevo.rate_limit`.
    pub contacts: Option<RateLimit>,
    /// `POST /events` calls; `null` = `brevo.rate_limit`.
    pub events: Option<RateLimit>,
}

impl BrevoSettings {
    /// The budget of `/contacts` calls.
    pub fn contacts_rate(&self) -> RateLimit {
        self.rate_limits.contacts.unwrap_or(self.rate_limit)
    }

    /// The budget of `POST /events` calls.
    pub fn events_rate(&self) -> RateLimit {
        self.rate_limits.events.unwrap_or(self.rate_limit)
    }
}

impl Default for BrevoSettings {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: "https://api.brevo.com/v3".into(),
            rate_limit: RateLimit::per_second(10),
            rate_limits: BrevoRateLimits::default(),
        }
    }
}

/// `engagelab:`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngagelabSettings {
    /// Dev key (HTTP basic user); optional (sandbox mode without it).
    #[serde(with = "secret")]
    pub dev_key: Option<SecretString>,
    /// Dev secret (HTTP basic password).
    #[serde(with = "secret")]
    pub dev_secret: Option<SecretString>,
    /// Base URL of the EngageLab SMS API.
    pub base_url: String,
    /// Template id per kind of SMS; an empty id turns that kind off.
    pub templates: SmsTemplates,
    /// Also notify the host at this number (any format with a country code); optional.
    #[serde(with = "opt_string")]
    pub host_phone: Option<String>,
    /// Calls per window, shared by all worker replicas.
    pub rate_limit: RateLimit,
    /// Secret of EngageLab's delivery callbacks: verifies `X-CALLBACK-ID` on
    /// `POST /webhooks/engagelab`. Unset or empty = the route answers 404 (callbacks off).
    #[serde(with = "secret")]
    pub callback_secret: Option<SecretString>,
    /// The callback username set in EngageLab's console; when set, `X-CALLBACK-ID` must name it.
    #[serde(with = "opt_string")]
    pub callback_username: Option<String>,
    /// The static `Authorization` value set in EngageLab's console for the callback (e.g.
    /// `Bearer <token>`): when set, `POST /webhooks/engagelab` requires exactly this header, on
    /// its own or together with `X-CALLBACK-ID` (then both must pass).
    #[serde(with = "secret")]
    pub callback_authorization: Option<SecretString>,
    /// Template id -> the parameters its text uses (optional): a parameter meetflow does not
    /// send is refused at load; at send time a declared parameter without a value is counted
    /// (`meetflow_sms_template_params_missing_total`) and logged.
    pub template_params: std::collections::BTreeMap<String, Vec<String>>,
}

/// Every template parameter meetflow sends (each whenever it knows the value).
pub const TEMPLATE_PARAMS: &[&str] = &[
    "name",
    "first_name",
    "event",
    "time",
    "end_time",
    "advance",
    "cancel_url",
    "reschedule_url",
    "join_url",
    "host",
    "booking_url",
];

impl Default for EngagelabSettings {
    fn default() -> Self {
        Self {
            dev_key: None,
            dev_secret: None,
            base_url: "https://smsapi.engagelab.com/v1".into(),
            templates: SmsTemplates::default(),
            host_phone: None,
            rate_limit: RateLimit::per_second(20),
            callback_secret: None,
            callback_username: None,
            callback_authorization: None,
            template_params: std::collections::BTreeMap::new(),
        }
    }
}

/// `engagelab.templates`: EngageLab template ids; `""` turns that kind of SMS off.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsTemplates {
    /// Sent when a booking is created.
    #[serde(deserialize_with = "lenient_string")]
    pub confirmation: String,
    /// Sent when a booking is cancelled.
    #[serde(deserialize_with = "lenient_string")]
    pub cancellation: String,
    /// Sent at each `reminders.offsets` before the start.
    #[serde(deserialize_with = "lenient_string")]
    pub reminder: String,
    /// Sent `reminders.follow_up_after_end` after the end.
    #[serde(deserialize_with = "lenient_string")]
    pub follow_up: String,
    /// Sent to `engagelab.host_phone` on new bookings.
    #[serde(deserialize_with = "lenient_string")]
    pub host_notify: String,
    /// Re-engagement after a cancellation.
    #[serde(deserialize_with = "lenient_string")]
    pub win_back: String,
    /// Apology after a no-show.
    #[serde(deserialize_with = "lenient_string")]
    pub no_show: String,
    /// To the invitee when the host cancelled ("we had to cancel, book a new time"), with
    /// `booking_url`; empty = the plain cancellation SMS instead.
    #[serde(deserialize_with = "lenient_string")]
    pub host_cancellation: String,
}

/// `reminders:`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemindersSettings {
    /// Reminder SMS this long before the meeting start.
    #[serde(with = "duration_list")]
    pub offsets: Vec<Duration>,
    /// Follow-up SMS this long after the meeting end; `null` turns follow-ups off.
    #[serde(with = "opt_duration")]
    pub follow_up_after_end: Option<Duration>,
    /// Time zone used when the invitee has none (IANA name).
    #[serde(with = "timezone")]
    pub default_timezone: Tz,
    /// A follow-up due longer ago than this (after downtime) is dropped.
    #[serde(with = "duration")]
    pub follow_up_max_lateness: Duration,
}

impl Default for RemindersSettings {
    fn default() -> Self {
        Self {
            offsets: vec![Duration::from_secs(24 * 3600), Duration::from_secs(3600)],
            follow_up_after_end: Some(Duration::from_secs(30 * 60)),
            default_timezone: Tz::UTC,
            follow_up_max_lateness: Duration::from_secs(6 * 3600),
        }
    }
}

/// `engagement:`: optional flows; each is off while its template or event name is empty.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngagementSettings {
    /// Brevo custom event names; `""` turns that event off.
    pub brevo_events: BrevoEvents,
    /// Delay of the win-back SMS after a cancellation.
    #[serde(with = "duration")]
    pub win_back_after: Duration,
    /// Delay of the apology SMS after a no-show.
    #[serde(with = "duration")]
    pub no_show_after: Duration,
    /// Window (recipient's time zone) that holds non-urgent SMS; never reminders. `null` = none.
    pub quiet_hours: Option<QuietHours>,
    /// Brevo list for webinar registrants who did not attend; optional.
    pub webinar_missed_list: Option<u64>,
    /// Attendance-based no-shows; `null` (the default) = off.
    pub no_show_detection: Option<super::NoShowDetection>,
    /// Also start the win-back after a host's cancellation [false]: by default only an
    /// invitee's cancellation does (the host cancellation has its own SMS).
    pub win_back_after_host_cancellation: bool,
}

impl Default for EngagementSettings {
    fn default() -> Self {
        Self {
            brevo_events: BrevoEvents::default(),
            win_back_after: Duration::from_secs(24 * 3600),
            no_show_after: Duration::from_secs(2 * 3600),
            quiet_hours: "21:00-08:00".parse().ok(),
            webinar_missed_list: None,
            no_show_detection: None,
            win_back_after_host_cancellation: false,
        }
    }
}

/// `engagement.brevo_events`: the Brevo event name tracked for each booking change.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrevoEvents {
    /// A booking was created [booking_created].
    #[serde(deserialize_with = "lenient_string")]
    pub booked: String,
    /// A booking was cancelled [booking_cancelled].
    #[serde(deserialize_with = "lenient_string")]
    pub cancelled: String,
    /// A booking was rescheduled [booking_rescheduled].
    #[serde(deserialize_with = "lenient_string")]
    pub rescheduled: String,
    /// The invitee was marked no-show [booking_no_show].
    #[serde(deserialize_with = "lenient_string")]
    pub no_show: String,
    /// The invitee attended the Zoom meeting [meeting_attended].
    #[serde(deserialize_with = "lenient_string")]
    pub attended: String,
    /// The Zoom meeting ended [meeting_ended].
    #[serde(deserialize_with = "lenient_string")]
    pub ended: String,
    /// EngageLab reported an SMS to the invitee delivered [sms_delivered].
    #[serde(deserialize_with = "lenient_string")]
    pub sms_delivered: String,
    /// EngageLab reported an SMS to the invitee failed (`sent_failed`, `delivered_failed`,
    /// `target_invalid`) [sms_failed], so an automation can fall back to e-mail.
    #[serde(deserialize_with = "lenient_string")]
    pub sms_failed: String,
    /// A Zoom cloud recording is ready [recording_ready]: to bookers, Zoom-only participants
    /// with an e-mail, and a webinar's attendees and absentees; it carries the share URL (and
    /// the passcode when Zoom gives one).
    #[serde(deserialize_with = "lenient_string")]
    pub recording_ready: String,
}

impl Default for BrevoEvents {
    fn default() -> Self {
        Self {
            booked: "booking_created".into(),
            cancelled: "booking_cancelled".into(),
            rescheduled: "booking_rescheduled".into(),
            no_show: "booking_no_show".into(),
            attended: "meeting_attended".into(),
            ended: "meeting_ended".into(),
            sms_delivered: "sms_delivered".into(),
            sms_failed: "sms_failed".into(),
            recording_ready: "recording_ready".into(),
        }
    }
}
