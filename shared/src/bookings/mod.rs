//! The current state of each booking and its planned reminders, in Redis.
//!
//! Why here (and not as delayed jobs in the queue): a reminder must never be sent for a time that
//! is no longer booked, whatever order Calendly's events arrive in. So the booking's current state
//! lives in one hash per booking, next to the records of its reminders, and every change is one
//! atomic Lua script (`store.rs`). The worker reports bookings ([`Bookings::booked`],
//! [`Bookings::canceled`], [`Bookings::no_show`]), which also plan the engagement flows
//! (`engagement.rs`); `meetflow-scheduler` enqueues each reminder onto
//! the SMS queue when it comes due (`due.rs`); the SMS handler checks [`Bookings::is_current`]
//! right before sending. The rules of what is planned and what is stale are pure functions in
//! [`plan`]; key names are built by [`crate::redis::Keys`].
//!
//! Memory: one hash per booking (listpack-encoded while its values stay short) plus one `due`
//! ZSET entry per planned reminder.

mod clock;
mod due;
mod engagement;
mod error;
mod facts;
mod model;
mod person;
pub mod plan;
mod record;
mod reminders;
mod scripts;
mod sms_check;
mod store;
mod workflow_rules;

use crate::config::RemindersSettings;
use crate::queue::QueueClient;
use crate::redis::{Keys, Redis};

pub use crate::domain::{BookingKey, ReminderKind};
pub use crate::jobs::MessageLinks;
pub use clock::Clock;
pub use due::{ClaimedReminder, Settled, Settlement};
pub use engagement::{Engagement, after_quiet_hours, zone_or};
pub use error::BookingError;
pub use model::{
    ApologyChange, Booking, BookingChange, BookingFacts, BookingStatus, CancelOutcome,
    NoShowOutcome, PlannedReminder, ReminderState,
};
pub use plan::{Currentness, StaleReason};
pub use sms_check::{SendGuard, SmsSubject, judge_event};
pub use store::Person;

/// The bookings store: a cheap-to-clone handle on Redis plus the reminder settings.
#[derive(Debug, Clone)]
pub struct Bookings {
    redis: Redis,
    /// The queue on the same Redis, to take back the SMS job of a reminder called off after it
    /// was enqueued.
    queue: QueueClient,
    settings: RemindersSettings,
    engagement: Engagement,
    /// The configuration whose event type workflows plan each booking ([`Bookings::with_workflows`]);
    /// `None`: every booking follows `settings` and `engagement`.
    workflows: Option<std::sync::Arc<crate::config::Settings>>,
    /// No engagement flow for any booking ([`Bookings::without_engagement`]).
    flows_off: bool,
    clock: Clock,
}

impl Bookings {
    /// A store on `redis`, planning with `reminders` (the config's `reminders:` block) and the
    /// system clock, with no engagement flow and no quiet hours (see
    /// [`Bookings::with_engagement`]).
    pub fn new(redis: Redis, reminders: RemindersSettings) -> Self {
        Self {
            queue: QueueClient::new(redis.clone()),
            redis,
            settings: reminders,
            engagement: Engagement::off(),
            workflows: None,
            flows_off: false,
            clock: Clock::system(),
        }
    }

    /// The same store, also planning the engagement flows and holding SMS that can wait for
    /// quiet hours as `engagement` says.
    pub fn with_engagement(mut self, engagement: Engagement) -> Self {
        self.engagement = engagement;
        self
    }

    /// The engagement flows in use.
    pub fn engagement(&self) -> &Engagement {
        &self.engagement
    }

    /// The same store, reading "now" from `clock` (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The reminder settings in use.
    pub fn settings(&self) -> &RemindersSettings {
        &self.settings
    }

    /// The Redis handle of this store.
    pub fn redis(&self) -> &Redis {
        &self.redis
    }

    /// The key names of this store.
    pub fn keys(&self) -> &Keys {
        self.redis.keys()
    }

    /// The clock in use.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}
