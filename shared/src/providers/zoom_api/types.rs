//! What the Zoom API answers: participant sessions, webinar registrants, the app's user, and the
//! one page shape every list endpoint shares.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use crate::domain::redact;

/// One join session of one participant (a person who joined twice appears twice); the rows of
/// both `past_meetings/{uuid}/participants` and `past_webinars/{uuid}/participants`.
#[derive(Clone, Default, PartialEq, Deserialize)]
pub struct Participant {
    /// Zoom's participant id (empty for guests).
    #[serde(default)]
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// The participant's e-mail; `None` for guests who gave none.
    #[serde(default, deserialize_with = "non_empty")]
    pub user_email: Option<String>,
    /// When this session started.
    #[serde(default, deserialize_with = "lenient_time")]
    pub join_time: Option<DateTime<Utc>>,
    /// When this session ended.
    #[serde(default, deserialize_with = "lenient_time")]
    pub leave_time: Option<DateTime<Utc>>,
    /// Length of this session in seconds.
    #[serde(default)]
    pub duration: u64,
    /// `in_meeting` or `in_waiting_room`.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether the participant belongs to the host's account.
    #[serde(default)]
    pub internal_user: bool,
}

impl fmt::Debug for Participant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Participant")
            .field("id", &self.id)
            .field("user_email", &self.user_email.as_deref().map(redact::email))
            .field("join_time", &self.join_time)
            .field("leave_time", &self.leave_time)
            .field("duration", &self.duration)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// One registrant of a webinar (`GET /webinars/{id}/registrants`, approved ones by default).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
pub struct WebinarRegistrant {
    /// Registrant id.
    #[serde(default)]
    pub id: String,
    /// The registrant's e-mail; `None` when Zoom sent none.
    #[serde(default, deserialize_with = "non_empty")]
    pub email: Option<String>,
    /// First name.
    #[serde(default, deserialize_with = "non_empty")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, deserialize_with = "non_empty")]
    pub last_name: Option<String>,
    /// `approved`, `pending`, `denied`.
    #[serde(default)]
    pub status: Option<String>,
    /// Where the registrant came from (the webinar's tracking source), when Zoom sent one.
    #[serde(default)]
    pub tracking_source: Option<TrackingSource>,
}

/// A webinar registrant's `tracking_source`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TrackingSource {
    /// The tracking source's name (e.g. `Newsletter`).
    #[serde(default, deserialize_with = "non_empty")]
    pub source_name: Option<String>,
}

impl WebinarRegistrant {
    /// The tracking source's name, when Zoom sent one.
    #[must_use]
    pub fn registration_source(&self) -> Option<&str> {
        self.tracking_source
            .as_ref()
            .and_then(|t| t.source_name.as_deref())
    }

    /// First and last name joined by a space (empty when neither is known).
    #[must_use]
    pub fn name(&self) -> String {
        [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl fmt::Debug for WebinarRegistrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebinarRegistrant")
            .field("id", &self.id)
            .field("email", &self.email.as_deref().map(redact::email))
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// The user the app acts as (`GET /users/me`).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ZoomUser {
    /// Zoom user id.
    pub id: String,
    /// The account the user belongs to.
    #[serde(default)]
    pub account_id: String,
    /// The user's e-mail.
    #[serde(default)]
    pub email: String,
}

impl fmt::Debug for ZoomUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZoomUser")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("email", &redact::email(&self.email))
            .finish()
    }
}

/// One page of a Zoom list: the rows sit under `participants`, `registrants`, `users` or
/// `meetings`; the last page has an empty (or no) `next_page_token`.
#[derive(Deserialize)]
pub(super) struct Page<T> {
    #[serde(
        default = "Vec::new",
        alias = "participants",
        alias = "registrants",
        alias = "users",
        alias = "meetings"
    )]
    pub(super) rows: Vec<T>,
    #[serde(default)]
    pub(super) next_page_token: Option<String>,
}

fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.trim().is_empty()))
}

fn lenient_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc)))
}
