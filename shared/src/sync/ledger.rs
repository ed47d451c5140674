//! [`Ledger`]: per booking, the state the backfill last brought over
//! ([`crate::redis::Keys::sync_state`]), and what a listed invitee needs ([`Decision`]).

use redis::AsyncCommands;

use crate::bookings::{BookingError, BookingKey, BookingStatus, Bookings};
use crate::events::Invitee;
use crate::queue::{QueueClient, QueueError};

/// A booking's state as the backfill brings it over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Booked and not cancelled.
    Active,
    /// Cancelled (or the old half of a reschedule).
    Canceled,
    /// Booked, and marked as a no-show.
    NoShow,
}

impl State {
    /// The state of an invitee as the Calendly API lists it (`None` for a status it does not
    /// know).
    pub fn of(invitee: &Invitee) -> Option<Self> {
        match invitee.status.as_deref() {
            Some("active") if invitee.no_show.is_some() => Some(Self::NoShow),
            Some("active") => Some(Self::Active),
            Some("canceled") => Some(Self::Canceled),
            _ => None,
        }
    }

    /// The state meetflow holds a booking in.
    pub fn held(status: BookingStatus) -> Self {
        match status {
            BookingStatus::Active => Self::Active,
            BookingStatus::Canceled | BookingStatus::Rescheduled => Self::Canceled,
            BookingStatus::NoShow => Self::NoShow,
        }
    }

    /// `active`, `canceled` or `no_show` (the ledger's value, the backfill job's identity).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Canceled => "canceled",
            Self::NoShow => "no_show",
        }
    }
}

/// What one listed invitee needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Bring it over in this state (new to meetflow, or its state changed).
    Bring(State),
    /// This run already brought it over (a slice run again after an interruption): enqueue
    /// again (the job id is the same, so nothing is stored twice) and count it as synced.
    Again(State),
    /// meetflow holds it in this state from its webhooks: record it, enqueue nothing.
    Held(State),
    /// The ledger has it in this state from an earlier run: nothing to do.
    Unchanged,
    /// A status the backfill does not know: skipped.
    Unknown,
}

/// The backfill's record of one source.
#[derive(Debug, Clone)]
pub struct Ledger {
    client: QueueClient,
    key: String,
}

impl Ledger {
    /// The ledger of `source` (`calendly`) under `client`'s namespace.
    pub fn new(client: QueueClient, source: &str) -> Self {
        Self {
            key: client.keys().sync_state(source),
            client,
        }
    }

    /// What `invitee` needs in run `run`, comparing its state with the ledger's and with the
    /// bookings store's.
    pub async fn decide(
        &self,
        bookings: &Bookings,
        invitee: &Invitee,
        run: &str,
    ) -> Result<Decision, BookingError> {
        let Some(state) = State::of(invitee) else {
            return Ok(Decision::Unknown);
        };
        let key = BookingKey::from_invitee_uri(&invitee.uri);
        let recorded: Option<String> = self
            .client
            .redis()
            .hget(&self.key, key.as_str())
            .await
            .map_err(QueueError::from)?;
        if let Some((was, by)) = recorded.as_deref().and_then(|r| r.split_once('|')) {
            if was == state.as_str() {
                return Ok(if by == run {
                    Decision::Again(state)
                } else {
                    Decision::Unchanged
                });
            }
            return Ok(Decision::Bring(state));
        }
        match bookings.get(&key).await? {
            Some(b) if State::held(b.status) == state => Ok(Decision::Held(state)),
            _ => Ok(Decision::Bring(state)),
        }
    }

    /// Records that run `run` brought (or found) the invitee `invitee_uri` in `state`.
    pub async fn record(
        &self,
        invitee_uri: &str,
        state: State,
        run: &str,
    ) -> Result<(), QueueError> {
        let key = BookingKey::from_invitee_uri(invitee_uri);
        let _: () = self
            .client
            .redis()
            .hset(&self.key, key.as_str(), format!("{}|{run}", state.as_str()))
            .await?;
        Ok(())
    }
}
