#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::DateTime;

use super::*;
use crate::bookings::{Booking, BookingKey, BookingStatus, PlannedReminder, ReminderState};

const H: i64 = 3_600_000;
const M: i64 = 60_000;

fn settings() -> RemindersSettings {
    RemindersSettings::default()
}

fn booking(
    status: BookingStatus,
    start: i64,
    reminders: &[(ReminderKind, ReminderState, i64)],
) -> Booking {
    let key = BookingKey::parse("b1").unwrap();
    Booking {
        key: key.clone(),
        status,
        invitee_uri: None,
        start: DateTime::from_timestamp_millis(start),
        end: DateTime::from_timestamp_millis(start + 30 * M),
        timezone: None,
        phone: Some("+14155550132".into()),
        name: None,
        email: None,
        event_type: None,
        event_name: None,
        rescheduled_from: None,
        rescheduled_to: None,
        traceparent: None,
        updated_at: None,
        version: 1,
        reminders: reminders
            .iter()
            .map(|(kind, state, due)| PlannedReminder {
                id: PlannedReminder::id_for(&key, *kind),
                booking: key.clone(),
                kind: *kind,
                due_at: DateTime::from_timestamp_millis(*due).unwrap(),
                state: *state,
            })
            .collect(),
        links: crate::bookings::MessageLinks::default(),
    }
}

const R24: ReminderKind = ReminderKind::Before(Duration::from_secs(24 * 3600));
const R1: ReminderKind = ReminderKind::Before(Duration::from_secs(3600));

#[test]
fn default_schedule_is_24h_and_1h_before_and_30m_after_the_end() {
    let start = 1_000 * H;
    let got = schedule(&settings(), start, start + 30 * M);
    assert_eq!(
        got,
        vec![
            (R24, start - 24 * H),
            (R1, start - H),
            (ReminderKind::FollowUp, start + 60 * M)
        ]
    );
}

#[test]
fn follow_up_off_and_duplicate_offsets_collapse() {
    let mut s = settings();
    s.follow_up_after_end = None;
    s.offsets = vec![Duration::from_secs(3600), Duration::from_secs(3600)];
    assert_eq!(schedule(&s, 10 * H, 11 * H), vec![(R1, 9 * H)]);
}

#[test]
fn a_pre_meeting_reminder_is_current_until_the_meeting_starts() {
    let start = 100 * H;
    let b = booking(
        BookingStatus::Active,
        start,
        &[(R1, ReminderState::Planned, start - H)],
    );
    let judge_at = |now| judge(&settings(), Some(&b), R1, start - H, Some(start), now);
    assert_eq!(judge_at(start - H), Currentness::Current);
    assert_eq!(
        judge_at(start - 1),
        Currentness::Current,
        "late but still useful"
    );
    assert_eq!(
        judge_at(start),
        Currentness::Stale(StaleReason::MeetingStarted)
    );
}

#[test]
fn a_follow_up_is_current_within_max_lateness_only() {
    let start = 100 * H;
    let due = start + 60 * M;
    let b = booking(
        BookingStatus::Active,
        start,
        &[(ReminderKind::FollowUp, ReminderState::Planned, due)],
    );
    let judge_at = |now| {
        judge(
            &settings(),
            Some(&b),
            ReminderKind::FollowUp,
            due,
            None,
            now,
        )
    };
    assert_eq!(judge_at(due + 6 * H), Currentness::Current);
    assert_eq!(
        judge_at(due + 6 * H + 1),
        Currentness::Stale(StaleReason::TooLate)
    );
}

#[test]
fn canceled_rescheduled_moved_and_no_show_bookings_are_stale() {
    let start = 100 * H;
    let due = start - H;
    let s = settings();
    let canceled = booking(BookingStatus::Canceled, start, &[]);
    assert_eq!(
        judge(&s, Some(&canceled), R1, due, None, due),
        Currentness::Stale(StaleReason::Canceled)
    );
    let resched = booking(BookingStatus::Rescheduled, start, &[]);
    assert_eq!(
        judge(&s, Some(&resched), R1, due, None, due),
        Currentness::Stale(StaleReason::Rescheduled)
    );
    let active = booking(BookingStatus::Active, start, &[]);
    assert_eq!(
        judge(&s, Some(&active), R1, due, Some(start + H), due),
        Currentness::Stale(StaleReason::Moved)
    );
    assert_eq!(
        judge(&s, None, R1, due, None, due),
        Currentness::Stale(StaleReason::BookingUnknown)
    );
    let no_show = booking(BookingStatus::NoShow, start, &[]);
    let fu_due = start + H;
    assert_eq!(
        judge(
            &s,
            Some(&no_show),
            ReminderKind::FollowUp,
            fu_due,
            None,
            fu_due
        ),
        Currentness::Stale(StaleReason::NoShow)
    );
}

#[test]
fn after_an_outage_only_the_latest_due_pre_meeting_reminder_is_sent() {
    let start = 100 * H;
    let b = booking(
        BookingStatus::Active,
        start,
        &[
            (R24, ReminderState::Planned, start - 24 * H),
            (R1, ReminderState::Planned, start - H),
        ],
    );
    let s = settings();
    let now = start - 30 * M;
    assert_eq!(
        judge(&s, Some(&b), R24, start - 24 * H, None, now),
        Currentness::Stale(StaleReason::Superseded)
    );
    assert_eq!(
        judge(&s, Some(&b), R1, start - H, None, now),
        Currentness::Current
    );
    // before the 1h reminder is due, the 24h one is not superseded
    assert_eq!(
        judge(&s, Some(&b), R24, start - 24 * H, None, start - 2 * H),
        Currentness::Current
    );
}

#[test]
fn a_canceled_reminder_is_stale_even_if_the_booking_is_active() {
    let start = 100 * H;
    let b = booking(
        BookingStatus::Active,
        start,
        &[(R1, ReminderState::Canceled, start - H)],
    );
    assert_eq!(
        judge(&settings(), Some(&b), R1, start - H, None, start - H),
        Currentness::Stale(StaleReason::ReminderCanceled)
    );
}

/// Judges the only reminder, of `kind` in `state` due at `due`, of a booking in `status`, at `now`.
fn judge_one(
    status: BookingStatus,
    kind: ReminderKind,
    state: ReminderState,
    due: i64,
    now: i64,
) -> Currentness {
    let b = booking(status, 1_000 * H, &[(kind, state, due)]);
    judge(&settings(), Some(&b), kind, due, Some(1_000 * H), now)
}

#[test]
fn a_win_back_goes_only_to_a_cancelled_booking_it_was_not_called_off_for() {
    use BookingStatus as S;
    let due = 900 * H;
    let at = |status, state| judge_one(status, ReminderKind::WinBack, state, due, due + M);
    assert_eq!(
        at(S::Canceled, ReminderState::Planned),
        Currentness::Current
    );
    assert_eq!(
        at(S::Canceled, ReminderState::Canceled),
        Currentness::Stale(StaleReason::ReminderCanceled),
        "called off by a new booking"
    );
    assert_eq!(
        at(S::Rescheduled, ReminderState::Planned),
        Currentness::Stale(StaleReason::Rescheduled)
    );
    let late = judge_one(
        S::Canceled,
        ReminderKind::WinBack,
        ReminderState::Planned,
        due,
        due + 7 * H,
    );
    assert_eq!(late, Currentness::Stale(StaleReason::TooLate));
}

#[test]
fn an_apology_goes_only_while_the_invitee_is_still_a_no_show() {
    let due = 1_003 * H;
    let at = |status| {
        judge_one(
            status,
            ReminderKind::NoShow,
            ReminderState::Enqueued,
            due,
            due + M,
        )
    };
    assert_eq!(at(BookingStatus::NoShow), Currentness::Current);
    assert_eq!(
        at(BookingStatus::Active),
        Currentness::Stale(StaleReason::NoShowRemoved)
    );
    assert_eq!(
        at(BookingStatus::Canceled),
        Currentness::Stale(StaleReason::Canceled)
    );
}

#[test]
fn a_booking_processed_late_catches_up_on_what_it_was_owed() {
    let s = settings();
    let h = 3_600_000;
    let start = 100 * h;
    let end = start + h / 2;
    let all = schedule(&s, start, end);
    let past = |now: i64| -> Vec<(ReminderKind, i64)> {
        all.iter().copied().filter(|(_, d)| *d <= now).collect()
    };
    // Booked three days ahead, processed 30 minutes before the start: the 1 h reminder now.
    let now = start - h / 2;
    let got = catch_up(&s, &past(now), start - 72 * h, start, now);
    assert_eq!(
        got,
        vec![(ReminderKind::Before(Duration::from_secs(3600)), start - h)]
    );
    // Booked 30 minutes ahead: it never owed a pre-meeting reminder.
    assert!(catch_up(&s, &past(now), now - 60_000, start, now).is_empty());
    // Processed after the meeting: a follow-up within max lateness, no pre-meeting reminder.
    let now = end + h;
    let got = catch_up(&s, &past(now), start - 72 * h, start, now);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, ReminderKind::FollowUp);
    let much_later = end + 30 * h;
    assert!(catch_up(&s, &past(much_later), start - 72 * h, start, much_later).is_empty());
}
