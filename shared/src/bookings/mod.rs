//! The current state of each booking and its planned reminders, in Redis.
//!
//! Why here (and not as delayed jobs in the queue): a reminder must never be sent for a time that
//! is no longer booked, whatever order Calendly's events arrive in. So the booking's current state
//! lives in one hash per booking, next to the records of its reminders, and every change is one
//! atomic Lua script (`store.rs`). The worker reports bookings ([`Bookings::booked`],
//! [`Bookings::canceled`], [`Bookings::no_show`]); `meetflow-scheduler` enqueues each reminder onto
//! the SMS queue when it comes due (`due.rs`); the SMS handler checks [`Bookings::is_current`]
//! right before sending. The rules of what is planned and what is stale are pure functions in
//! [`plan`]; key names are in [`keys`].
//!
//! Memory: one hash per booking (listpack-encoded while its values stay short) plus one `due`
//! ZSET entry per planned reminder.

mod clock;
mod due;
mod error;
mod facts;
mod key;
pub mod keys;
mod kind;
mod model;
pub mod plan;
mod record;
mod reminders;
mod scripts;
mod store;

use crate::config::RemindersSettings;
use crate::queue::QueueClient;

pub use clock::Clock;
pub use due::{ClaimedReminder, Settled, Settlement};
pub use error::BookingError;
pub use key::BookingKey;
pub use keys::BookingKeys;
pub use kind::ReminderKind;
pub use model::{
    Booking, BookingChange, BookingFacts, BookingStatus, CancelOutcome, NoShowOutcome,
    PlannedReminder, ReminderState,
};
pub use plan::{Currentness, StaleReason};

/// The bookings store: a cheap-to-clone handle on Redis plus the reminder settings.
#[derive(Debug, Clone)]
pub struct Bookings {
    client: QueueClient,
    keys: BookingKeys,
    settings: RemindersSettings,
    clock: Clock,
}

impl Bookings {
    /// A store using `client`'s connection and namespace, planning with `reminders`
    /// (the config's `reminders:` block) and the system clock.
    pub fn new(client: QueueClient, reminders: RemindersSettings) -> Self {
        let keys = BookingKeys::new(client.keys().clone());
        Self {
            client,
            keys,
            settings: reminders,
            clock: Clock::system(),
        }
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

    /// The queue client (its connection and namespace).
    pub fn client(&self) -> &QueueClient {
        &self.client
    }

    /// The key names of this store.
    pub fn keys(&self) -> &BookingKeys {
        &self.keys
    }

    /// The clock in use.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}
