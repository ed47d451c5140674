//! The due loop against a real Redis: reminders are enqueued on time (24 h, 1 h, follow-up),
//! cancelled ones never, two loops never enqueue one twice, the catch-up rules after downtime,
//! and the SMS handler's last check. Failures: `scheduler_recovery`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use meetflow_scheduler::{DueLoop, DueLoopSettings};
use meetflow_shared::bookings::{Bookings, Currentness, ReminderState, StaleReason};
use meetflow_shared::jobs::{SMS, reminder::ReminderJob};

use crate::support::scheduler::{
    Fixture, HOUR, MIN, due_ids, facts, fixture, key, now_ms, rem, sms_ids, spawn_loop,
};

/// Waits until `id` is a job; returns its enqueue time (ms).
async fn enqueued_at(f: &Fixture, id: &str, limit: Duration) -> Option<i64> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(job) = f.client.job(id).await.unwrap() {
            return Some(job.created_ms);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

/// Book a meeting starting 24 h + 2 s from now; run a loop whose clock is `shift` ahead; the
/// reminder `kind` (due `due_offset` ms after the real booking start - 24 h - ...) must be
/// enqueued within 300 ms of its due time, not before.
async fn check_on_time(shift_ms: i64, kind: &str, due_of: impl Fn(i64) -> i64) {
    let f = fixture().await;
    let start = now_ms() + 24 * HOUR + 2_000;
    let b = facts(start);
    f.bookings.booked(&b).await.unwrap();
    let due = due_of(start);
    let shifted = f.at_offset(shift_ms);

    let running = spawn_loop(&shifted, DueLoopSettings::default());
    let id = rem(&b, kind);
    let at = enqueued_at(&f, &id, Duration::from_secs(5)).await;
    running.stop().await;

    let at = at.unwrap_or_else(|| panic!("{kind} reminder never enqueued"));
    let late = at + shift_ms - due;
    assert!(
        (0..300).contains(&late),
        "{kind} enqueued {late} ms after its due time"
    );
    let job: ReminderJob =
        serde_json::from_str(&f.client.job(&id).await.unwrap().unwrap().payload.unwrap()).unwrap();
    assert_eq!(job.kind.label(), kind);
    assert_eq!(job.start.timestamp_millis(), start);
    assert_eq!(job.phone, "+14155550132");
    assert_eq!(
        f.bookings.reminder_state(&id).await.unwrap(),
        Some(ReminderState::Enqueued)
    );
}

#[tokio::test]
async fn the_24h_reminder_of_a_meeting_24h_and_2s_ahead_is_enqueued_2s_later() {
    check_on_time(0, "24h", |start| start - 24 * HOUR).await;
}

#[tokio::test]
async fn the_1h_reminder_is_enqueued_at_its_time() {
    // the loop's clock is 23 h ahead: the 1 h reminder is 2 s away (the 24 h one is late: sent at once)
    check_on_time(23 * HOUR, "1h", |start| start - HOUR).await;
}

#[tokio::test]
async fn the_follow_up_is_enqueued_30_minutes_after_the_end() {
    // 30-minute meeting: the follow-up is due at start + 1 h; the clock is 25 h ahead
    check_on_time(25 * HOUR, "followup", |start| start + HOUR).await;
}

#[tokio::test]
async fn a_reminder_cancelled_before_its_time_is_never_enqueued() {
    let f = fixture().await;
    let b = facts(now_ms() + 24 * HOUR + 500);
    f.bookings.booked(&b).await.unwrap();
    let running = spawn_loop(&f.bookings, DueLoopSettings::default());
    f.bookings
        .canceled(&b.invitee_uri, false, None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    running.stop().await;
    assert!(sms_ids(&f.client).await.is_empty());
    assert_eq!(
        f.bookings.reminder_state(&rem(&b, "24h")).await.unwrap(),
        Some(ReminderState::Canceled)
    );
}

#[tokio::test]
async fn two_loops_at_once_enqueue_every_reminder_exactly_once() {
    let f = fixture().await;
    let n = 300;
    let base = now_ms() + 24 * HOUR + 800;
    let mut ids = HashSet::new();
    for i in 0..n {
        let b = facts(base + i * 3);
        f.bookings.booked(&b).await.unwrap();
        ids.insert(rem(&b, "24h"));
    }
    let small = DueLoopSettings {
        batch: 7,
        ..DueLoopSettings::default()
    };
    // two replicas, each with its own connection
    let other = fixture_client_for(&f).await;
    let a = spawn_loop(&f.bookings, small.clone());
    let b = spawn_loop(&other, small);
    let deadline = Instant::now() + Duration::from_secs(10);
    while sms_ids(&f.client).await.len() < ids.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.stop().await;
    b.stop().await;

    let sms = sms_ids(&f.client).await;
    assert_eq!(sms.len(), ids.len(), "each reminder once on the sms queue");
    assert_eq!(sms.iter().cloned().collect::<HashSet<_>>(), ids);
    assert_eq!(f.client.stats(SMS).await.unwrap().ready, n as u64);
    for id in &ids {
        assert_eq!(
            f.bookings.reminder_state(id).await.unwrap(),
            Some(ReminderState::Enqueued)
        );
    }
    assert_eq!(
        f.bookings.pending_counts().await.unwrap(),
        (2 * n as u64, 0),
        "1h + follow-up remain"
    );
}

async fn fixture_client_for(f: &Fixture) -> Bookings {
    let client =
        meetflow_shared::queue::QueueClient::connect(&f.redis.url(), crate::support::scheduler::NS)
            .await
            .unwrap();
    Bookings::new(client.handle().clone(), f.bookings.settings().clone())
}

#[tokio::test]
async fn after_downtime_late_reminders_follow_the_catch_up_rules() {
    let f = fixture().await;
    let now = now_ms();
    // Planned 25 h ago (the planner's clock), then the scheduler was down until now.
    let past = f.at_offset(-25 * HOUR);
    let soon = facts(now + 30 * MIN); // 24h and 1h both late, meeting not started
    let started = facts(now - 10 * MIN); // meeting started 10 min ago
    let fu_too_late = facts(now - 7 * HOUR - 30 * MIN); // follow-up due 6.5 h ago
    let fu_late_ok = facts(now - 5 * HOUR); // follow-up due 4 h ago
    for b in [&soon, &started, &fu_too_late, &fu_late_ok] {
        past.booked(b).await.unwrap();
    }

    let report = DueLoop::new(f.bookings.clone(), DueLoopSettings::default())
        .tick()
        .await
        .unwrap();

    let mut sms = sms_ids(&f.client).await;
    sms.sort();
    let mut want = vec![rem(&soon, "1h"), rem(&fu_late_ok, "followup")];
    want.sort();
    assert_eq!(sms, want);
    let bookings = &f.bookings;
    let state = |id: String| async move { bookings.reminder_state(&id).await.unwrap() };
    assert_eq!(
        state(rem(&soon, "24h")).await,
        Some(ReminderState::Dropped),
        "superseded by the 1 h reminder"
    );
    assert_eq!(
        state(rem(&started, "1h")).await,
        Some(ReminderState::Dropped),
        "meeting started"
    );
    assert_eq!(
        state(rem(&started, "followup")).await,
        Some(ReminderState::Planned),
        "not due yet"
    );
    assert_eq!(
        state(rem(&fu_too_late, "followup")).await,
        Some(ReminderState::Dropped),
        "beyond 6 h"
    );
    assert_eq!(report.enqueued, 2);
    // Planned by a clock 25 h behind, so reminders already due then were never planned:
    // soon 24h (superseded) + started 24h, 1h + fu_too_late 1h, follow-up + fu_late_ok 1h.
    assert_eq!((report.claimed, report.dropped), (8, 6), "{report:?}");
}

#[tokio::test]
async fn the_sms_handler_check_drops_a_reminder_whose_booking_changed_after_enqueue() {
    let f = fixture().await;
    let b = facts(now_ms() + 24 * HOUR + 50);
    f.bookings.booked(&b).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    DueLoop::new(f.bookings.clone(), DueLoopSettings::default())
        .tick()
        .await
        .unwrap();
    let id = rem(&b, "24h");
    let record = f.client.job(&id).await.unwrap().unwrap();
    let job: ReminderJob = serde_json::from_str(record.payload.as_deref().unwrap()).unwrap();
    assert_eq!(
        record.group.as_deref(),
        Some(format!("booking:{}", key(&b)).as_str())
    );
    assert_eq!(
        f.bookings.is_current(&job).await.unwrap(),
        Currentness::Current
    );

    let out = f
        .bookings
        .canceled(&b.invitee_uri, true, None)
        .await
        .unwrap();

    assert_eq!(out.already_enqueued, vec![id.clone()]);
    assert!(
        f.client.job(&id).await.unwrap().is_none(),
        "the pending job was taken back"
    );
    assert_eq!(
        f.bookings.is_current(&job).await.unwrap(),
        Currentness::Stale(StaleReason::Rescheduled)
    );
    assert!(due_ids(&f.client).await.is_empty());
}
