//! The engagement flows the bookings store plans beside the reminders, and quiet hours.
//!
//! - Win-back: a plain cancellation (not a reschedule) plans a `winback` SMS
//!   `engagement.win_back_after` later, unless the person (same e-mail) has another booking still
//!   ahead; a new booking by the same person calls it off.
//! - No-show apology: `invitee_no_show.created` plans a `noshow` SMS `engagement.no_show_after`
//!   later; `invitee_no_show.deleted` calls it off.
//! - Quiet hours: an SMS that can wait (follow-up, win-back, apology; never a reminder before the
//!   meeting) whose time falls inside `engagement.quiet_hours` in the recipient's time zone is
//!   planned for the end of the window instead, and the scheduler holds one that comes due inside
//!   the window (after downtime) until the window ends.
//!
//! A flow is on while its EngageLab template is set (`engagelab.templates.win_back` /
//! `.no_show`), like every other kind of SMS.

use std::time::Duration;

use chrono::{DateTime, Days, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::{QuietHours, Settings, Workflow};

/// What the store needs to plan the engagement flows. [`Engagement::off`] plans none and holds
/// nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Engagement {
    /// Delay of the win-back SMS after a cancellation; `None` = flow off.
    pub win_back_after: Option<Duration>,
    /// Delay of the apology SMS after a no-show; `None` = flow off.
    pub no_show_after: Option<Duration>,
    /// The window that holds SMS that can wait; `None` = none.
    pub quiet_hours: Option<QuietHours>,
    /// A host's cancellation starts the win-back too (by default only an invitee's does).
    pub win_back_after_host_cancellation: bool,
}

impl Engagement {
    /// No flow, no quiet hours.
    pub fn off() -> Self {
        Self::default()
    }

    /// The flows and quiet hours configured in `settings` (a flow is on while its template is set).
    pub fn from_settings(settings: &Settings) -> Self {
        Self::for_workflow(settings, &settings.global_workflow())
    }

    /// The flows and quiet hours of workflow `wf` (an event type's, see
    /// [`Settings::workflow`]): a flow is on while the workflow's template is set.
    pub fn for_workflow(settings: &Settings, wf: &Workflow) -> Self {
        let e = &settings.engagement;
        let t = &wf.templates;
        let on = |template: &str, after: Duration| (!template.is_empty()).then_some(after);
        Self {
            win_back_after: on(&t.win_back, e.win_back_after),
            no_show_after: on(&t.no_show, e.no_show_after),
            quiet_hours: wf.quiet_hours,
            win_back_after_host_cancellation: wf.win_back_after_host_cancellation,
        }
    }
}

/// `due_ms`, or the end of the quiet window when `due_ms` falls inside it in zone `tz`.
pub fn after_quiet_hours(due_ms: i64, tz: Tz, quiet: Option<&QuietHours>) -> i64 {
    let Some(quiet) = quiet else {
        return due_ms;
    };
    let Some(due) = DateTime::<Utc>::from_timestamp_millis(due_ms) else {
        return due_ms;
    };
    let local = due.with_timezone(&tz).naive_local();
    if !quiet.contains(local.time()) {
        return due_ms;
    }
    // Inside the window: it ends today at `end`, unless the window wraps midnight and we are in
    // its evening part, where it ends tomorrow.
    let mut day = local.date();
    if quiet.start > quiet.end && local.time() >= quiet.start {
        day = day.checked_add_days(Days::new(1)).unwrap_or(day);
    }
    let end = NaiveDateTime::new(day, quiet.end);
    local_to_utc_ms(end, tz).map_or(due_ms, |end_ms| end_ms.max(due_ms))
}

/// A local time in `tz` as UTC milliseconds; a time skipped by a DST change moves forward to the
/// first valid time after it.
fn local_to_utc_ms(local: NaiveDateTime, tz: Tz) -> Option<i64> {
    (0..=4).find_map(|quarter_hours| {
        let t = local + chrono::Duration::minutes(15 * quarter_hours);
        tz.from_local_datetime(&t)
            .earliest()
            .map(|d| d.timestamp_millis())
    })
}

/// The zone named `name` (an IANA name from Calendly), or `fallback` when absent or unknown.
pub fn zone_or(name: Option<&str>, fallback: Tz) -> Tz {
    name.and_then(|n| n.parse::<Tz>().ok()).unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    fn quiet(s: &str) -> QuietHours {
        s.parse().unwrap()
    }

    #[test]
    fn a_time_outside_the_window_is_kept() {
        let q = quiet("21:00-08:00");
        let due = ms("2026-11-24T15:00:00-08:00");
        assert_eq!(
            after_quiet_hours(due, chrono_tz::America::Los_Angeles, Some(&q)),
            due
        );
        assert_eq!(after_quiet_hours(due, chrono_tz::UTC, None), due);
    }

    #[test]
    fn evening_and_early_morning_move_to_the_window_end_in_the_recipients_zone() {
        let q = quiet("21:00-08:00");
        let la = chrono_tz::America::Los_Angeles;
        assert_eq!(
            after_quiet_hours(ms("2026-11-24T22:30:00-08:00"), la, Some(&q)),
            ms("2026-11-25T08:00:00-08:00")
        );
        assert_eq!(
            after_quiet_hours(ms("2026-11-25T03:10:00-08:00"), la, Some(&q)),
            ms("2026-11-25T08:00:00-08:00")
        );
        // 22:30 in Los Angeles is 06:30 UTC: quiet in LA, not in Tokyo (15:30).
        let tokyo = chrono_tz::Asia::Tokyo;
        let due = ms("2026-11-24T22:30:00-08:00");
        assert_eq!(after_quiet_hours(due, tokyo, Some(&q)), due);
    }

    #[test]
    fn a_window_within_one_day_ends_the_same_day() {
        let q = quiet("12:00-14:00");
        assert_eq!(
            after_quiet_hours(ms("2026-11-24T13:00:00Z"), chrono_tz::UTC, Some(&q)),
            ms("2026-11-24T14:00:00Z")
        );
        let at_end = ms("2026-11-24T14:00:00Z");
        assert_eq!(after_quiet_hours(at_end, chrono_tz::UTC, Some(&q)), at_end);
    }

    #[test]
    fn a_window_end_skipped_by_daylight_saving_moves_forward() {
        // 2027-03-14: clocks in Los Angeles jump from 02:00 to 03:00.
        let q = quiet("21:00-02:30");
        let la = chrono_tz::America::Los_Angeles;
        let held = after_quiet_hours(ms("2027-03-13T23:00:00-08:00"), la, Some(&q));
        assert_eq!(held, ms("2027-03-14T03:00:00-07:00"));
    }

    #[test]
    fn zones_fall_back_when_unknown() {
        assert_eq!(zone_or(Some("Asia/Tokyo"), Tz::UTC), chrono_tz::Asia::Tokyo);
        assert_eq!(zone_or(Some("Mars/Olympus"), Tz::UTC), Tz::UTC);
        assert_eq!(
            zone_or(None, chrono_tz::Europe::Paris),
            chrono_tz::Europe::Paris
        );
    }
}
