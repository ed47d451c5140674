//! The scheduler's side of the store: claim due reminders, turn them into SMS jobs, settle them.
//!
//! `claim_due` atomically moves due ids from `due` to `claimed` with a lease (and takes over
//! claims whose lease expired: a replica died between claim and settle), so two replicas never
//! work on the same reminder at once. The SMS job id is the reminder id, so if a replica dies
//! after enqueueing but before settling, the replica that re-claims it gets a duplicate no-op
//! from the queue: a reminder is enqueued at most once, and at least once while it is useful.

use std::collections::HashMap;
use std::time::Duration;

use redis::AsyncCommands;

use super::record::{REMINDER_PREFIX, parse_booking, parse_record};
use super::scripts::{ACK, CLAIM_DUE};
use super::{
    Booking, BookingError, BookingKey, Bookings, Currentness, PlannedReminder, ReminderKind,
    StaleReason, plan,
};
use crate::jobs::reminder::ReminderJob;

/// The first member of a ZSET with its score.
type Head = Vec<(String, f64)>;

/// A reminder this scheduler replica holds until it settles it (or its lease expires).
#[derive(Debug, Clone)]
pub struct ClaimedReminder {
    /// `rem:<booking>:<kind>`.
    pub id: String,
    /// Its booking and kind, `None` if the id is malformed (foreign data: dropped).
    pub parsed: Option<(BookingKey, ReminderKind)>,
    /// When it was due (ms); `None` when its booking record is gone.
    pub due_ms: Option<i64>,
    /// The booking's current state, `None` when gone.
    pub booking: Option<Booking>,
}

/// What became of a claim when it was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// It was still ours: the record is now `enqueued` / `dropped`.
    Done,
    /// Cancelled while we held it (or its booking is gone): a job we enqueued should go.
    Canceled,
    /// Another replica took it over after our lease expired and settled it: nothing to undo.
    TakenOver,
}

/// How a claimed reminder ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The SMS job is on the queue.
    Enqueued,
    /// Not worth sending any more.
    Dropped,
    /// Came due inside quiet hours: planned again for this time (ms), when the window ends.
    Deferred(i64),
}

impl Bookings {
    /// Claim up to `limit` due reminders for `lease`: first `held` (ids this replica claimed in a
    /// tick that failed half-way, still claimed), then expired claims of dead replicas, then due
    /// ones.
    pub async fn claim_due(
        &self,
        limit: usize,
        lease: Duration,
        held: &[String],
    ) -> Result<Vec<ClaimedReminder>, BookingError> {
        // "" = by Redis TIME: a scheduler's host clock never decides what is due.
        let now = self.clock.script_arg();
        let mut inv = CLAIM_DUE.prepare_invoke();
        inv.key(self.keys().reminders_due())
            .key(self.keys().reminders_claimed())
            .arg(self.keys().booking_prefix())
            .arg(now)
            .arg(limit)
            .arg(plan::ms(lease));
        for id in held {
            inv.arg(id);
        }
        let reply: Vec<(String, HashMap<String, String>)> =
            inv.invoke_async(&mut self.redis.conn()).await?;
        Ok(reply
            .into_iter()
            .map(|(id, fields)| {
                let parsed = PlannedReminder::parse_id(&id);
                let due_ms = parsed.as_ref().and_then(|(_, kind)| {
                    let field = format!("{REMINDER_PREFIX}{}", kind.label());
                    fields
                        .get(&field)
                        .and_then(|v| parse_record(v))
                        .map(|(_, due)| due)
                });
                let booking = parsed
                    .as_ref()
                    .and_then(|(key, _)| parse_booking(key, fields));
                ClaimedReminder {
                    id,
                    parsed,
                    due_ms,
                    booking,
                }
            })
            .collect())
    }

    /// Judge a claimed reminder now: the SMS job to enqueue, or why it is dropped.
    pub fn prepare(&self, claimed: &ClaimedReminder) -> Result<ReminderJob, StaleReason> {
        let (Some((key, kind)), Some(due_ms), Some(booking)) =
            (&claimed.parsed, claimed.due_ms, claimed.booking.as_ref())
        else {
            return Err(StaleReason::BookingUnknown);
        };
        let now = self.clock.now_ms();
        if let Currentness::Stale(reason) = plan::judge(
            &self.rules_of(Some(booking)),
            Some(booking),
            *kind,
            due_ms,
            None,
            now,
        ) {
            return Err(reason);
        }
        let (Some(start), Some(end)) = (booking.start, booking.end) else {
            return Err(StaleReason::BookingUnknown);
        };
        let Some(phone) = booking.phone.clone() else {
            return Err(StaleReason::NoPhone);
        };
        Ok(ReminderJob {
            v: ReminderJob::VERSION,
            reminder_id: claimed.id.clone(),
            booking: key.clone(),
            kind: *kind,
            due_at: chrono::DateTime::from_timestamp_millis(due_ms).unwrap_or(start),
            start,
            end,
            invitee_uri: booking.invitee_uri.clone().unwrap_or_default(),
            phone,
            name: booking.name.clone().unwrap_or_default(),
            timezone: booking.timezone.clone(),
            event_name: booking.event_name.clone().unwrap_or_default(),
            event_type: booking.event_type.clone(),
            links: booking.links.clone(),
        })
    }

    /// For an SMS that can wait and came due inside quiet hours (in its recipient's zone): when
    /// the window ends. `None`: send now.
    pub fn quiet_until(&self, job: &ReminderJob) -> Option<i64> {
        if !job.kind.can_wait() {
            return None;
        }
        let now = self.clock.now_ms();
        let tz = super::zone_or(job.timezone.as_deref(), self.settings.default_timezone);
        let (_, engagement) = self.rules(job.event_type.as_deref(), Some(&job.event_name));
        let until = super::after_quiet_hours(now, tz, engagement.quiet_hours.as_ref());
        (until > now).then_some(until)
    }

    /// Settle claimed reminders; returns what became of each claim.
    pub async fn settle(
        &self,
        outcomes: &[(String, Settlement)],
    ) -> Result<Vec<Settled>, BookingError> {
        if outcomes.is_empty() {
            return Ok(Vec::new());
        }
        let mut inv = ACK.prepare_invoke();
        inv.key(self.keys().reminders_claimed())
            .key(self.keys().reminders_due())
            .arg(self.keys().booking_prefix());
        for (id, outcome) in outcomes {
            let state = match outcome {
                Settlement::Enqueued => "enqueued".to_owned(),
                Settlement::Dropped => "dropped".to_owned(),
                Settlement::Deferred(until) => format!("defer:{until}"),
            };
            inv.arg(id).arg(state);
        }
        let flags: Vec<i64> = inv.invoke_async(&mut self.redis.conn()).await?;
        Ok(flags
            .into_iter()
            .map(|f| match f {
                1 => Settled::Done,
                2 => Settled::TakenOver,
                _ => Settled::Canceled,
            })
            .collect())
    }

    /// When the scheduler should look again: the earliest due time or claim expiry (ms), if any,
    /// on this store's clock (a due time by Redis `TIME` is moved onto the host clock, so the
    /// wait is right however far the host clock is off).
    pub async fn next_wake_ms(&self) -> Result<Option<i64>, BookingError> {
        let mut conn = self.redis.conn();
        let (due, claimed, (secs, micros)): (Head, Head, (i64, i64)) = redis::pipe()
            .zrange_withscores(self.keys().reminders_due(), 0, 0)
            .zrange_withscores(self.keys().reminders_claimed(), 0, 0)
            .cmd("TIME")
            .query_async(&mut conn)
            .await?;
        let shift = match self.clock.script_now_ms() {
            Some(_) => 0,
            None => self.clock.now_ms() - (secs * 1000 + micros / 1000),
        };
        Ok(due
            .into_iter()
            .chain(claimed)
            .map(|(_, score)| score as i64 + shift)
            .min())
    }

    /// Number of reminders waiting in `due` and held in `claimed` (for gauges and tests).
    pub async fn pending_counts(&self) -> Result<(u64, u64), BookingError> {
        let mut conn = self.redis.conn();
        let due: u64 = conn.zcard(self.keys().reminders_due()).await?;
        let claimed: u64 = conn.zcard(self.keys().reminders_claimed()).await?;
        Ok((due, claimed))
    }
}
