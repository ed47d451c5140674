//! Pure rules: which reminders a booking gets, and whether a reminder is still worth sending.
//!
//! Both the scheduler (when a reminder comes due) and the SMS handler (right before sending,
//! through [`super::Bookings::is_current`]) apply [`judge`], so a reminder is checked against
//! the booking's *current* state twice: nothing is sent for a time that is no longer booked.
//!
//! Catch-up rules (after downtime of the scheduler, Redis or the workers):
//! - a pre-meeting reminder is sent late as long as the meeting has not started;
//! - when several pre-meeting reminders of one booking are late at once (e.g. the 24 h and the
//!   1 h reminder after a 23 h outage), only the latest is sent, the earlier ones are
//!   [`StaleReason::Superseded`];
//! - a follow-up is sent up to `reminders.follow_up_max_lateness` after its due time;
//! - everything else is dropped and counted (`meetflow_reminders_dropped_total{reason}`).

use std::time::Duration;

use crate::config::RemindersSettings;

use super::{Booking, BookingStatus, ReminderKind, ReminderState};

/// Every reminder of a booking that starts at `start_ms` and ends at `end_ms`, as
/// `(kind, due_ms)`, earliest first. Duplicate offsets collapse into one.
pub fn schedule(
    settings: &RemindersSettings,
    start_ms: i64,
    end_ms: i64,
) -> Vec<(ReminderKind, i64)> {
    let mut out: Vec<(ReminderKind, i64)> = settings
        .offsets
        .iter()
        .map(|d| (ReminderKind::Before(*d), start_ms.saturating_sub(ms(*d))))
        .collect();
    if let Some(after) = settings.follow_up_after_end {
        out.push((ReminderKind::FollowUp, end_ms.saturating_add(ms(after))));
    }
    out.sort_by_key(|(kind, due)| (*due, *kind));
    out.dedup_by_key(|(kind, _)| *kind);
    out
}

/// Of the reminders `past` (`(kind, due_ms)`, due at or before `now_ms`) of a booking made at
/// `booked_at_ms` and starting at `start_ms`, the ones still worth planning when the booking is
/// processed late: only those that came due after it was made (a booking made 30 minutes ahead
/// never owed its 24 h reminder), and of those the latest pre-meeting reminder while the meeting
/// has not started (the earlier ones would be superseded) and a follow-up within
/// `follow_up_max_lateness` of its due time.
pub fn catch_up(
    settings: &RemindersSettings,
    past: &[(ReminderKind, i64)],
    booked_at_ms: i64,
    start_ms: i64,
    now_ms: i64,
) -> Vec<(ReminderKind, i64)> {
    let owed = past
        .iter()
        .filter(|(_, due)| *due >= booked_at_ms && *due <= now_ms);
    let latest_before = owed
        .clone()
        .filter(|(kind, _)| kind.is_before_start() && now_ms < start_ms)
        .max_by_key(|(_, due)| *due)
        .copied();
    let follow_ups = owed.filter(|(kind, due)| {
        matches!(kind, ReminderKind::FollowUp)
            && now_ms <= due.saturating_add(ms(settings.follow_up_max_lateness))
    });
    latest_before
        .into_iter()
        .chain(follow_ups.copied())
        .collect()
}

/// Why a reminder is not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaleReason {
    /// The booking is not stored (never seen, or expired long ago).
    BookingUnknown,
    /// The booking was cancelled.
    Canceled,
    /// The booking was rescheduled: the new invitee has its own reminders.
    Rescheduled,
    /// The invitee was marked no-show: no follow-up.
    NoShow,
    /// The meeting time differs from the one the reminder was planned for.
    Moved,
    /// This reminder was cancelled.
    ReminderCanceled,
    /// A pre-meeting reminder whose meeting has already started.
    MeetingStarted,
    /// A later pre-meeting reminder of the same booking is also due: only that one is sent.
    Superseded,
    /// A follow-up later than `reminders.follow_up_max_lateness`.
    TooLate,
    /// The booking has no phone number to send to.
    NoPhone,
    /// A no-show apology whose no-show was removed (`invitee_no_show.deleted`).
    NoShowRemoved,
}

impl StaleReason {
    /// The metric label / log value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BookingUnknown => "booking_unknown",
            Self::Canceled => "canceled",
            Self::Rescheduled => "rescheduled",
            Self::NoShow => "no_show",
            Self::Moved => "moved",
            Self::ReminderCanceled => "reminder_canceled",
            Self::MeetingStarted => "meeting_started",
            Self::Superseded => "superseded",
            Self::TooLate => "too_late",
            Self::NoPhone => "no_phone",
            Self::NoShowRemoved => "no_show_removed",
        }
    }
}

impl std::fmt::Display for StaleReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a reminder should still be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Currentness {
    /// Send it.
    Current,
    /// Drop it, for this reason.
    Stale(StaleReason),
}

/// Judge reminder `kind`, due at `due_ms`, of `booking` (its current state) at `now_ms`.
/// `planned_start_ms` is the meeting start the reminder was planned for, when known (the SMS
/// job carries it); a different current start means the meeting moved.
pub fn judge(
    settings: &RemindersSettings,
    booking: Option<&Booking>,
    kind: ReminderKind,
    due_ms: i64,
    planned_start_ms: Option<i64>,
    now_ms: i64,
) -> Currentness {
    use Currentness::Stale;
    let Some(booking) = booking else {
        return Stale(StaleReason::BookingUnknown);
    };
    if let Some(reason) = status_rules_out(booking.status, kind) {
        return Stale(reason);
    }
    let Some(start) = booking.start.map(|s| s.timestamp_millis()) else {
        return Stale(StaleReason::BookingUnknown);
    };
    if planned_start_ms.is_some_and(|p| p != start) {
        return Stale(StaleReason::Moved);
    }
    let id = super::PlannedReminder::id_for(&booking.key, kind);
    let me = booking.reminders.iter().find(|r| r.id == id);
    if me.is_some_and(|r| r.state == ReminderState::Canceled) {
        return Stale(StaleReason::ReminderCanceled);
    }
    match kind {
        ReminderKind::Before(_) => {
            if now_ms >= start {
                return Stale(StaleReason::MeetingStarted);
            }
            let superseded = booking.reminders.iter().any(|r| {
                let due = r.due_at.timestamp_millis();
                r.kind.is_before_start()
                    && r.id != id
                    && due > due_ms
                    && due <= now_ms
                    && matches!(r.state, ReminderState::Planned | ReminderState::Enqueued)
            });
            if superseded {
                return Stale(StaleReason::Superseded);
            }
        }
        ReminderKind::FollowUp | ReminderKind::WinBack | ReminderKind::NoShow => {
            if now_ms > due_ms.saturating_add(ms(settings.follow_up_max_lateness)) {
                return Stale(StaleReason::TooLate);
            }
        }
    }
    Currentness::Current
}

/// Why a booking in `status` gets no SMS of `kind`, if it does not. Reminders and follow-ups are
/// for active bookings (a no-show keeps its reminders but loses its follow-up); a win-back is for
/// a cancelled booking only, an apology for a no-show only.
fn status_rules_out(status: BookingStatus, kind: ReminderKind) -> Option<StaleReason> {
    use BookingStatus as S;
    match (kind, status) {
        (ReminderKind::WinBack, S::Canceled) => None,
        (ReminderKind::NoShow, S::NoShow) => None,
        (ReminderKind::NoShow, S::Active) => Some(StaleReason::NoShowRemoved),
        (ReminderKind::WinBack, S::Active | S::NoShow) => Some(StaleReason::ReminderCanceled),
        (_, S::Canceled) => Some(StaleReason::Canceled),
        (_, S::Rescheduled) => Some(StaleReason::Rescheduled),
        (ReminderKind::FollowUp, S::NoShow) => Some(StaleReason::NoShow),
        (_, S::Active | S::NoShow) => None,
    }
}

/// A duration in milliseconds, saturating.
pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
