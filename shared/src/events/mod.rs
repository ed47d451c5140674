//! Calendly and Zoom webhook models, read from the raw bytes a provider sent.
//!
//! Ingest verifies a signature over the raw body and stores that body untouched; workers read it
//! back with [`calendly::parse`] and [`zoom::parse`] and decide what it means. Both readers are
//! total: any byte string yields a value or a typed [`EventError`], never a panic (property tests
//! in `proptests.rs`). The models follow `docs/providers.md`: every field a provider may leave out
//! or send as `null` is an `Option`, unknown fields are ignored, and events we do not model are
//! kept by name (`Other`) so a worker can acknowledge them.
//!
//! [`identity`] derives the de-duplication key of a delivery, the id of its job.

pub mod calendly;
mod calendly_invitee;
mod error;
pub mod identity;
mod lenient;
mod meeting_id;
pub mod zoom;
mod zoom_objects;

#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod location_tests;
#[cfg(test)]
mod proptests;

use serde::{Deserialize, Serialize};

pub use calendly_invitee::{
    Cancellation, EventGuest, EventMembership, Invitee, InviteesCounter, Location, LocationData,
    NoShow, Payment, QuestionAndAnswer, Reconfirmation, RoutingFormAnswer, RoutingFormResult,
    RoutingFormSubmission, ScheduledEvent, Tracking,
};
pub use error::EventError;
pub use meeting_id::MeetingId;
pub use zoom_objects::{
    CustomQuestion, MeetingObject, Participant, ParticipantObject, Passcode, Recording,
    RecordingFile, Registrant, RegistrationObject, WEBINAR_TYPES, is_webinar_type,
};

/// The provider that sent a webhook delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Calendly webhooks v2.
    Calendly,
    /// Zoom Marketplace webhooks.
    Zoom,
    /// EngageLab SMS delivery callbacks.
    #[serde(rename = "engagelab")]
    EngageLab,
}

impl Provider {
    /// Lower-case name used in job ids, metric labels and logs (`calendly`, `zoom`, `engagelab`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Calendly => "calendly",
            Self::Zoom => "zoom",
            Self::EngageLab => "engagelab",
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
