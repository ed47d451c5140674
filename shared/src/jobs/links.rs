//! [`MessageLinks`]: what an SMS about a booking can link to and name besides the booking itself
//! — Calendly's cancel and reschedule links, the meeting's join link and the host's name.
//!
//! Taken from the invitee when the booking arrives, stored with the booking (so reminders and
//! follow-ups planned by the scheduler carry them) and copied into every SMS job. Every field is
//! optional and defaults to absent, so jobs and bookings written before they existed still read.

use serde::{Deserialize, Serialize};

use crate::events::Invitee;

/// Links and names for the SMS templates of one booking.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageLinks {
    /// Calendly's cancel link of the invitee (`cancel_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_url: Option<String>,
    /// Calendly's reschedule link of the invitee (`reschedule_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reschedule_url: Option<String>,
    /// The meeting's join link (`scheduled_event.location.join_url`), where the location has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_url: Option<String>,
    /// The host's name (the first `scheduled_event.event_memberships[].user_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

fn text(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl MessageLinks {
    /// The links and host name of `invitee`'s booking (each absent when Calendly sent none).
    pub fn from_invitee(invitee: &Invitee) -> Self {
        let event = invitee.scheduled_event.as_ref();
        Self {
            cancel_url: text(invitee.cancel_url.as_deref()),
            reschedule_url: text(invitee.reschedule_url.as_deref()),
            join_url: text(
                event
                    .and_then(|e| e.location.as_ref())
                    .and_then(|l| l.join_url.as_deref()),
            ),
            host: event.and_then(|e| {
                e.event_memberships
                    .iter()
                    .find_map(|m| text(m.user_name.as_deref()))
            }),
        }
    }
}
