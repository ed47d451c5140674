//! The backfill (`meetflow-admin sync calendly`): bring Brevo and the bookings store up to date
//! with a range of Calendly's history, quietly.
//!
//! The CLI cuts `[since, until)` into one-day slices ([`slices`]) and enqueues one
//! [`crate::jobs::sync::SyncJob`] per slice on the `sync` queue; workers list each slice's
//! scheduled events (active and canceled) and their invitees through the Calendly API, paced by
//! the limiter every replica shares ([`calendly::pacer`], Calendly's documented 500 requests per
//! minute), and enqueue one backfill job per invitee on the `events` queue
//! ([`crate::jobs::synthetic::backfill_job`]): the worker records the booking in its final
//! state and syncs Brevo (contact, list, status, lifecycle events at their original times), and
//! sends no SMS.
//!
//! - Idempotent: the [`Ledger`] keeps, per booking, the state last brought over; a booking whose
//!   state is unchanged (or that meetflow already holds in that state from its webhooks) is
//!   skipped, so a second run enqueues nothing.
//! - Zoom ([`zoom`], `meetflow-admin sync zoom` and the periodic sweep): the same slices and
//!   runs; a slice lists the meetings and webinars that ended in it and their recordings, and
//!   the worker handles those whose webhook meetflow never handled, as the webhook would have.
//! - Resumable: a run is `<range>:<n>` ([`Runs`]); each done slice writes its counts under the
//!   run, so the CLI shows progress, and run again on the same range it resumes the unfinished
//!   run (slice job ids are per run and slice) instead of starting a new one.

pub mod calendly;
mod ledger;
mod runs;
pub mod zoom;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use ledger::{Ledger, State};
pub use runs::{Run, Runs};

/// The length of one slice.
pub const SLICE: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// `[since, until)` cut into [`SLICE`]s (the last one shorter); empty when `until <= since`.
pub fn slices(since: DateTime<Utc>, until: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut from = since;
    while from < until {
        let to = (from + SLICE).min(until);
        out.push((from, to));
        from = to;
    }
    out
}

/// What one slice saw and did (also the summary of a run: the sum of its slices).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Scheduled events listed.
    pub events: u64,
    /// Invitees listed.
    pub invitees: u64,
    /// Bookings brought over (new to meetflow, or whose state changed).
    pub synced: u64,
    /// ...of which active.
    pub active: u64,
    /// ...of which cancelled.
    pub canceled: u64,
    /// ...of which no-shows.
    pub no_show: u64,
    /// Bookings meetflow already had in the state Calendly lists (Zoom: instances whose
    /// webhook meetflow handled): nothing to do.
    pub unchanged: u64,
    /// Zoom: ended meetings listed.
    #[serde(default)]
    pub meetings: u64,
    /// Zoom: ended webinars listed.
    #[serde(default)]
    pub webinars: u64,
    /// Zoom: cloud recordings listed.
    #[serde(default)]
    pub recordings: u64,
}

impl Counts {
    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &Counts) {
        self.events += other.events;
        self.invitees += other.invitees;
        self.synced += other.synced;
        self.active += other.active;
        self.canceled += other.canceled;
        self.no_show += other.no_show;
        self.unchanged += other.unchanged;
        self.meetings += other.meetings;
        self.webinars += other.webinars;
        self.recordings += other.recordings;
    }

    /// Counts one booking brought over in `state`.
    pub fn synced(&mut self, state: State) {
        self.synced += 1;
        match state {
            State::Active => self.active += 1,
            State::Canceled => self.canceled += 1,
            State::NoShow => self.no_show += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_range_is_cut_into_days_and_the_last_slice_is_shorter() {
        let since: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let until: DateTime<Utc> = "2026-01-03T12:00:00Z".parse().unwrap();
        let s = slices(since, until);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].0, since);
        assert_eq!(s[2].1, until);
        assert_eq!(s[2].1 - s[2].0, chrono::TimeDelta::hours(12));
        assert!(slices(until, since).is_empty());
    }
}
