//! One clock for the scheduler: the claim script judges what is due by Redis `TIME`, so a
//! scheduler replica whose host clock runs 20 s ahead enqueues a reminder at its time, not 20 s
//! early (before, the host clock was passed to the script and decided).

use std::time::{Duration, Instant};

use meetflow_scheduler::DueLoopSettings;
use meetflow_shared::bookings::Clock;

use crate::support::scheduler::{HOUR, facts, fixture, now_ms, rem, spawn_loop};

#[tokio::test]
async fn a_scheduler_with_a_clock_20s_ahead_enqueues_a_reminder_at_its_time_not_before() {
    let f = fixture().await;
    // The 24 h reminder of this meeting is due in 1.5 s.
    let start = now_ms() + 24 * HOUR + 1_500;
    let b = facts(start);
    f.bookings.booked(&b).await.unwrap();
    let due = start - 24 * HOUR;
    let ahead = f.bookings.clone().with_clock(Clock::skewed(20_000));
    let running = spawn_loop(&ahead, DueLoopSettings::default());
    let id = rem(&b, "24h");
    let deadline = Instant::now() + Duration::from_secs(6);
    let mut created = None;
    while Instant::now() < deadline && created.is_none() {
        created = f.client.job(&id).await.unwrap().map(|j| j.created_ms);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    running.stop().await;
    let created = created.expect("the reminder is enqueued");
    let late = created - due;
    assert!(
        (0..500).contains(&late),
        "enqueued {late} ms after its due time (negative: early)"
    );
}
