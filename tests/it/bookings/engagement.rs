//! The engagement flows in the bookings store and the due loop, against a real Redis with an
//! injected clock: the win-back after a cancellation (called off when the person books again,
//! never after a reschedule), the no-show apology (called off when the no-show is removed, also
//! after it was handed to the SMS queue), and quiet hours (follow-ups planned past them, due SMS
//! held by the scheduler; reminders never held).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::DateTime;
use meetflow_scheduler::{DueLoop, DueLoopSettings};
use meetflow_shared::bookings::{
    ApologyChange, BookingFacts, Bookings, CancelOutcome, Clock, Engagement, NoShowOutcome, Person,
    ReminderState,
};
use meetflow_shared::jobs::reminder::ReminderJob;

use crate::support::scheduler::{Fixture, HOUR, MIN, due_ids, facts, fixture, key, rem, sms_ids};

/// 2030-01-15 12:00 in Los Angeles (20:00 UTC): a fixed "now" in the future, so the TTLs the
/// scripts set from it stay in the future too.
const NOON_LA: i64 = 1_894_737_600_000;

/// A store whose clock reads `now` (move it with `set`), with the flows on.
struct Timed {
    now: Arc<AtomicI64>,
    bookings: Bookings,
}

impl Timed {
    fn new(f: &Fixture, engagement: Engagement) -> Self {
        let now = Arc::new(AtomicI64::new(NOON_LA));
        let read = now.clone();
        let bookings = f
            .bookings
            .clone()
            .with_engagement(engagement)
            .with_clock(Clock::from_fn(move || read.load(Ordering::SeqCst)));
        Self { now, bookings }
    }

    fn set(&self, ms: i64) {
        self.now.store(ms, Ordering::SeqCst);
    }

    /// `b` cancelled (or rescheduled) by its invitee.
    async fn cancel(&self, b: &BookingFacts, rescheduled: bool) -> CancelOutcome {
        self.cancel_as(b, rescheduled, false).await
    }

    /// `b` cancelled by its invitee, or by the host when `by_host`.
    async fn cancel_as(&self, b: &BookingFacts, rescheduled: bool, by_host: bool) -> CancelOutcome {
        let who = Person {
            email: Some(&b.email),
            timezone: b.timezone.as_deref(),
            canceled_by_host: by_host,
            ..Person::default()
        };
        let out = self
            .bookings
            .canceled_by(&b.invitee_uri, rescheduled, None, &who);
        out.await.unwrap()
    }

    fn due_loop(&self) -> DueLoop {
        DueLoop::new(self.bookings.clone(), DueLoopSettings::default())
    }
}

fn flows() -> Engagement {
    Engagement {
        win_back_after: Some(Duration::from_secs(24 * 3600)),
        no_show_after: Some(Duration::from_secs(2 * 3600)),
        quiet_hours: None,
        win_back_after_host_cancellation: false,
    }
}

/// A booking two days after `NOON_LA`, by `email`.
fn booking_by(email: &str) -> BookingFacts {
    let mut b = facts(NOON_LA + 48 * HOUR);
    b.email = email.into();
    b
}

async fn state(t: &Timed, id: &str) -> Option<ReminderState> {
    t.bookings.reminder_state(id).await.unwrap()
}

#[tokio::test]
async fn a_cancellation_plans_a_win_back_that_is_enqueued_when_due() {
    let f = fixture().await;
    let t = Timed::new(&f, flows());
    let b = booking_by("ana@example.com");
    t.bookings.booked(&b).await.unwrap();
    let out = t.cancel(&b, false).await;
    assert!(out.win_back_planned);
    assert_eq!(out.reminders_canceled, 3);
    assert_eq!(due_ids(&f.client).await, vec![rem(&b, "winback")]);
    let planned = t.bookings.get(&key(&b)).await.unwrap().unwrap();
    let wb = planned
        .reminders
        .iter()
        .find(|r| r.id == rem(&b, "winback"));
    assert_eq!(
        wb.map(|r| r.due_at.timestamp_millis()),
        Some(NOON_LA + 24 * HOUR)
    );

    let due_loop = t.due_loop();
    t.set(NOON_LA + 24 * HOUR - MIN);
    assert_eq!(due_loop.tick().await.unwrap().enqueued, 0, "not due yet");
    t.set(NOON_LA + 24 * HOUR + 1);
    assert_eq!(due_loop.tick().await.unwrap().enqueued, 1);
    assert_eq!(sms_ids(&f.client).await, vec![rem(&b, "winback")]);
    let job = f.client.job(&rem(&b, "winback")).await.unwrap().unwrap();
    let sms: ReminderJob = serde_json::from_str(job.payload.as_deref().unwrap()).unwrap();
    assert_eq!(sms.event_type.as_deref(), Some(b.event_type.as_str()));
    assert_eq!(
        state(&t, &rem(&b, "winback")).await,
        Some(ReminderState::Enqueued)
    );

    // A redelivered cancellation plans nothing more.
    let again = t.cancel(&b, false).await;
    assert!(again.already_ended && !again.win_back_planned);
}

#[tokio::test]
async fn a_host_cancellation_plans_no_win_back() {
    let f = fixture().await;
    let t = Timed::new(&f, flows());
    let b = booking_by("host.cancelled@example.com");
    t.bookings.booked(&b).await.unwrap();
    let out = t.cancel_as(&b, false, true).await;
    assert!(
        !out.win_back_planned,
        "the host cancelled: no invitee win-back"
    );
    assert_eq!(state(&t, &rem(&b, "winback")).await, None);
}

#[tokio::test]
async fn booking_again_before_the_win_back_is_due_calls_it_off() {
    let f = fixture().await;
    let t = Timed::new(&f, flows());
    let first = booking_by("Bo@Example.com");
    t.bookings.booked(&first).await.unwrap();
    let out = t.cancel(&first, false).await;
    assert!(out.win_back_planned);

    t.set(NOON_LA + 3 * HOUR);
    let again = booking_by("bo@example.com"); // same person, other case
    t.bookings.booked(&again).await.unwrap();
    assert_eq!(
        state(&t, &rem(&first, "winback")).await,
        Some(ReminderState::Canceled)
    );
    assert!(!due_ids(&f.client).await.contains(&rem(&first, "winback")));

    t.set(NOON_LA + 30 * HOUR);
    t.due_loop().tick().await.unwrap();
    assert!(!sms_ids(&f.client).await.contains(&rem(&first, "winback")));
}

#[tokio::test]
async fn a_win_back_already_on_the_sms_queue_is_called_off_by_a_new_booking() {
    let f = fixture().await;
    let t = Timed::new(&f, flows());
    let first = booking_by("cy@example.com");
    t.bookings.booked(&first).await.unwrap();
    t.cancel(&first, false).await;
    t.set(NOON_LA + 24 * HOUR + 1);
    assert_eq!(t.due_loop().tick().await.unwrap().enqueued, 1);

    t.bookings
        .booked(&booking_by("cy@example.com"))
        .await
        .unwrap();
    let id = rem(&first, "winback");
    assert_eq!(state(&t, &id).await, Some(ReminderState::Canceled));
    assert!(!sms_ids(&f.client).await.contains(&id));
    assert!(
        f.client.job(&id).await.unwrap().is_none(),
        "the pending SMS job is taken back"
    );
}

#[tokio::test]
async fn no_win_back_after_a_reschedule_or_when_the_person_has_booked_since() {
    let f = fixture().await;
    let t = Timed::new(&f, flows());
    let moved = booking_by("di@example.com");
    t.bookings.booked(&moved).await.unwrap();
    let out = t.cancel(&moved, true).await;
    assert!(!out.win_back_planned, "a reschedule is not a lost booking");

    let older = booking_by("eve@example.com");
    let newer = booking_by("eve@example.com");
    t.bookings.booked(&older).await.unwrap();
    t.bookings.booked(&newer).await.unwrap();
    let out = t.cancel(&older, false).await;
    assert!(!out.win_back_planned, "eve still has a booking");
    let out = t.cancel(&newer, false).await;
    assert!(out.win_back_planned, "now eve has nothing ahead");

    // Booked earlier, cancels the later one: the earlier one is still ahead.
    let first = booking_by("gia@example.com");
    let second = booking_by("gia@example.com");
    t.bookings.booked(&first).await.unwrap();
    t.bookings.booked(&second).await.unwrap();
    let out = t.cancel(&second, false).await;
    assert!(!out.win_back_planned, "gia still has the first booking");

    // A booking already past does not count as one ahead.
    let mut past = facts(NOON_LA - 3 * HOUR);
    past.email = "hal@example.com".into();
    let ahead = booking_by("hal@example.com");
    t.bookings.booked(&past).await.unwrap();
    t.bookings.booked(&ahead).await.unwrap();
    let out = t.cancel(&ahead, false).await;
    assert!(out.win_back_planned, "the past meeting is over");

    let off = Timed::new(&f, Engagement::off());
    let plain = booking_by("fay@example.com");
    off.bookings.booked(&plain).await.unwrap();
    let out = off.cancel(&plain, false).await;
    assert!(!out.win_back_planned, "flow off");

    let mut no_phone = booking_by("gus@example.com");
    no_phone.phone = None;
    t.bookings.booked(&no_phone).await.unwrap();
    let out = t.cancel(&no_phone, false).await;
    assert!(!out.win_back_planned, "nowhere to send it");
}

#[tokio::test]
async fn a_no_show_plans_the_apology_and_removing_it_before_it_is_due_calls_it_off() {
    let f = fixture().await;
    let t = Timed::new(&f, flows());
    let b = booking_by("hal@example.com");
    t.bookings.booked(&b).await.unwrap();
    let end = NOON_LA + 48 * HOUR + 30 * MIN;
    t.set(end + 5 * MIN);
    let marked = t
        .bookings
        .no_show_in(&b.invitee_uri, true, None)
        .await
        .unwrap();
    assert_eq!(
        marked,
        NoShowOutcome::Changed {
            follow_up_changed: true,
            apology: ApologyChange::Planned
        }
    );
    let id = rem(&b, "noshow");
    assert_eq!(state(&t, &id).await, Some(ReminderState::Planned));
    // A redelivered mark plans nothing twice.
    assert_eq!(
        t.bookings
            .no_show_in(&b.invitee_uri, true, None)
            .await
            .unwrap(),
        NoShowOutcome::Unchanged
    );

    t.set(end + HOUR);
    let cleared = t
        .bookings
        .no_show_in(&b.invitee_uri, false, None)
        .await
        .unwrap();
    assert_eq!(
        cleared,
        NoShowOutcome::Changed {
            follow_up_changed: true,
            apology: ApologyChange::CalledOff
        }
    );
    assert_eq!(state(&t, &id).await, Some(ReminderState::Canceled));
    t.set(end + 3 * HOUR);
    t.due_loop().tick().await.unwrap();
    assert!(!sms_ids(&f.client).await.contains(&id));
}

#[tokio::test]
async fn an_apology_on_the_sms_queue_is_taken_back_when_the_no_show_is_removed() {
    let f = fixture().await;
    let t = Timed::new(&f, flows());
    let b = booking_by("ivy@example.com");
    t.bookings.booked(&b).await.unwrap();
    let end = NOON_LA + 48 * HOUR + 30 * MIN;
    t.set(end);
    t.bookings
        .no_show_in(&b.invitee_uri, true, None)
        .await
        .unwrap();
    t.set(end + 2 * HOUR + 1);
    assert_eq!(t.due_loop().tick().await.unwrap().enqueued, 1);
    let id = rem(&b, "noshow");
    assert_eq!(sms_ids(&f.client).await, vec![id.clone()]);

    let cleared = t
        .bookings
        .no_show_in(&b.invitee_uri, false, None)
        .await
        .unwrap();
    assert!(matches!(
        cleared,
        NoShowOutcome::Changed {
            apology: ApologyChange::CalledOff,
            ..
        }
    ));
    assert!(sms_ids(&f.client).await.is_empty());
    assert!(f.client.job(&id).await.unwrap().is_none());
}

#[tokio::test]
async fn quiet_hours_move_a_follow_up_but_never_a_reminder() {
    let f = fixture().await;
    let t = Timed::new(
        &f,
        Engagement {
            quiet_hours: "21:00-08:00".parse().ok(),
            ..flows()
        },
    );
    // 20:00-20:30 in Los Angeles: the follow-up (30 min after the end) falls at 21:00.
    let start = NOON_LA + 48 * HOUR + 8 * HOUR;
    let mut b = facts(start);
    b.email = "jo@example.com".into();
    t.bookings.booked(&b).await.unwrap();
    let got = t.bookings.get(&key(&b)).await.unwrap().unwrap();
    let due = |label: &str| {
        got.reminders
            .iter()
            .find(|r| r.kind.label() == label)
            .map(|r| r.due_at.timestamp_millis())
    };
    assert_eq!(due("1h"), Some(start - HOUR), "reminders keep their time");
    assert_eq!(due("24h"), Some(start - 24 * HOUR));
    let next_morning = NOON_LA + 72 * HOUR - 4 * HOUR; // 08:00 LA, the day after
    assert_eq!(due("followup"), Some(next_morning));
    assert_eq!(
        DateTime::from_timestamp_millis(next_morning)
            .unwrap()
            .to_rfc3339(),
        "2030-01-18T16:00:00+00:00"
    );

    // 08:30 in Los Angeles: the 1 h reminder at 07:30 is inside quiet hours and keeps its time.
    let early = NOON_LA + 48 * HOUR - 3 * HOUR - 30 * MIN;
    let b = facts(early);
    t.bookings.booked(&b).await.unwrap();
    let got = t.bookings.get(&key(&b)).await.unwrap().unwrap();
    let one_hour = got.reminders.iter().find(|r| r.kind.label() == "1h");
    assert_eq!(
        one_hour.map(|r| r.due_at.timestamp_millis()),
        Some(early - HOUR)
    );
}

#[tokio::test]
async fn the_scheduler_holds_a_due_sms_that_can_wait_until_quiet_hours_end() {
    let f = fixture().await;
    let quiet = Engagement {
        quiet_hours: "21:00-08:00".parse().ok(),
        ..flows()
    };
    // Planned without quiet hours (e.g. before they were configured), due at 20:50 LA.
    let plain = Timed::new(&f, flows());
    let start = NOON_LA + 48 * HOUR + 8 * HOUR - 10 * MIN;
    let mut b = facts(start);
    b.email = "kai@example.com".into();
    plain.bookings.booked(&b).await.unwrap();

    let t = Timed::new(&f, quiet);
    // The scheduler was down: it looks at 23:00 LA, inside quiet hours.
    t.set(start + 3 * HOUR);
    let report = t.due_loop().tick().await.unwrap();
    assert_eq!(report.held, 1, "{report:?}");
    let id = rem(&b, "followup");
    assert!(!sms_ids(&f.client).await.contains(&id));
    assert_eq!(state(&t, &id).await, Some(ReminderState::Planned));
    let morning = NOON_LA + 72 * HOUR - 4 * HOUR;
    let got = t.bookings.get(&key(&b)).await.unwrap().unwrap();
    let fu = got.reminders.iter().find(|r| r.id == id).unwrap();
    assert_eq!(fu.due_at.timestamp_millis(), morning);

    t.set(morning + 1);
    let report = t.due_loop().tick().await.unwrap();
    assert_eq!(report.enqueued, 1, "{report:?}");
    assert_eq!(sms_ids(&f.client).await, vec![id]);
}
