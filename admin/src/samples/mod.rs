//! Realistic sample deliveries of every event meetflow handles, in the shape Calendly and Zoom
//! send (`docs/providers.md`), for `send-test-webhook` and the sandbox. All personal data is
//! fictitious (example.com mail, a 555 number).
//!
//! The samples are about the bookings of a [`Scene`]: `invitee.created` books a new meeting, and
//! the later events (a cancellation, a reschedule, a no-show, the Zoom meeting's end, its
//! recording) are about the latest booking, so they tell one coherent story. `send-test-webhook`
//! alone uses a fresh scene each time (every event about a fresh booking); with the sandbox
//! (`--sandbox URL`), the sandbox keeps the scene and serves the same bookings from its Calendly
//! and Zoom APIs. Ids and timestamps are fresh on every call, so the ingest's de-duplication
//! treats each run as a new delivery.

pub mod calendly;
pub mod zoom;

use chrono::{DateTime, Duration, DurationRound, Utc};
use uuid::Uuid;

pub use calendly::CALENDLY_EVENTS;
pub use zoom::ZOOM_EVENTS;

/// One booking of the scene: a Calendly invitee of a scheduled event with a Zoom location.
#[derive(Debug, Clone)]
pub struct Booking {
    /// Invitee UUID.
    pub invitee: Uuid,
    /// Scheduled event UUID.
    pub event: Uuid,
    /// When it was booked.
    pub created: DateTime<Utc>,
    /// Meeting start.
    pub start: DateTime<Utc>,
    /// The Zoom meeting id of its location.
    pub meeting_id: u64,
    /// The Zoom meeting instance UUID (the one `meeting.ended` and the participants use).
    pub meeting_uuid: String,
    /// The no-show mark's URI, when the invitee is marked no-show.
    pub no_show: Option<String>,
    /// Canceled (or rescheduled away).
    pub canceled: bool,
}

impl Booking {
    /// A booking made now for a meeting `days` days ahead, on the hour.
    pub fn new(now: DateTime<Utc>, days: i64) -> Self {
        let start = (now + Duration::days(days))
            .duration_trunc(Duration::hours(1))
            .unwrap_or(now);
        let digits = Uuid::new_v4().as_u128() % 90_000_000_000 + 10_000_000_000;
        Self {
            invitee: Uuid::new_v4(),
            event: Uuid::new_v4(),
            created: now - Duration::minutes(5),
            start,
            meeting_id: u64::try_from(digits).unwrap_or(85_746_065_432),
            meeting_uuid: format!("{}==", &Uuid::new_v4().simple().to_string()[..22]),
            no_show: None,
            canceled: false,
        }
    }

    /// `https://api.calendly.com/scheduled_events/<uuid>`.
    pub fn event_uri(&self) -> String {
        format!("https://api.calendly.com/scheduled_events/{}", self.event)
    }

    /// The invitee's URI.
    pub fn invitee_uri(&self) -> String {
        format!("{}/invitees/{}", self.event_uri(), self.invitee)
    }
}

/// The webinar of the scene: one registrant who attended (the invitee) and one who did not.
#[derive(Debug, Clone)]
pub struct Webinar {
    /// Webinar id.
    pub id: u64,
    /// The occurrence's UUID.
    pub uuid: String,
    /// Start of the occurrence.
    pub start: DateTime<Utc>,
}

/// The bookings and the webinar the samples are about.
#[derive(Debug, Clone, Default)]
pub struct Scene {
    /// Every booking, oldest first.
    pub bookings: Vec<Booking>,
    /// The webinar, once an event needed it.
    pub webinar: Option<Webinar>,
}

impl Scene {
    /// The latest booking still active, booking one (two days ahead) when there is none.
    pub fn current(&mut self, now: DateTime<Utc>) -> &mut Booking {
        let i = match self.bookings.iter().rposition(|b| !b.canceled) {
            Some(i) => i,
            None => {
                self.bookings.push(Booking::new(now, 2));
                self.bookings.len() - 1
            }
        };
        &mut self.bookings[i]
    }

    /// The webinar, created (ended 5 minutes ago) on first use.
    pub fn webinar(&mut self, now: DateTime<Utc>) -> Webinar {
        self.webinar
            .get_or_insert_with(|| Webinar {
                id: 91_234_567_890,
                uuid: format!("{}==", &Uuid::new_v4().simple().to_string()[..22]),
                start: now - Duration::minutes(65),
            })
            .clone()
    }
}

/// The invitee of every booking (Calendly) and the attendee of every meeting (Zoom).
pub const INVITEE_EMAIL: &str = "jordan.rivera@example.com";
/// The host.
pub const HOST_EMAIL: &str = "maya.chen@example.com";
/// A webinar registrant who does not attend.
pub const ABSENT_EMAIL: &str = "priya.natarajan@example.com";
