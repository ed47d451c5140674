//! A change to a booking is recorded by Redis `TIME`, the clock the SMS handler's claims use,
//! not by the host clock of the process that records it. Before, a worker whose clock ran 30 s
//! ahead stamped a cancellation 30 s late (so "was this SMS claimed before the cancel?" could not
//! be answered from the store), and judged another booking of the person starting in 20 s as
//! already started: it planned a win-back for someone with a meeting still ahead.

use std::time::Duration;

use meetflow_shared::bookings::{Bookings, Clock, Engagement, Person};
use meetflow_shared::config::RemindersSettings;
use meetflow_shared::queue::QueueClient;
use meetflow_tests::redis::TestRedis;

use crate::support::scheduler::{NS, facts, key, now_ms};

/// Redis `TIME` in unix ms.
async fn redis_ms(client: &QueueClient) -> i64 {
    let (secs, micros): (i64, i64) = redis::cmd("TIME")
        .query_async(&mut client.redis())
        .await
        .unwrap();
    secs * 1000 + micros / 1000
}

fn win_back() -> Engagement {
    Engagement {
        win_back_after: Some(Duration::from_secs(24 * 3600)),
        ..Engagement::default()
    }
}

#[tokio::test]
async fn a_cancel_by_a_host_whose_clock_is_off_is_recorded_at_redis_time() {
    let redis = TestRedis::start().await.unwrap();
    let client = QueueClient::connect(&redis.url(), NS).await.unwrap();
    let bookings = Bookings::new(client.handle().clone(), RemindersSettings::default());
    for skew_ms in [30_000, -30_000] {
        let b = facts(now_ms() + 3_600_000);
        let host = bookings.clone().with_clock(Clock::skewed(skew_ms));
        host.booked(&b).await.unwrap();
        let booked = host.get(&key(&b)).await.unwrap().unwrap();
        let before = redis_ms(&client).await;
        host.canceled(&b.invitee_uri, false, None).await.unwrap();
        let after = redis_ms(&client).await;
        let canceled = host.get(&key(&b)).await.unwrap().unwrap();
        for (what, at, from, to) in [
            ("booked", booked.updated_at, before - 5_000, before),
            ("cancelled", canceled.updated_at, before, after),
        ] {
            let at = at.expect("updated_at is recorded").timestamp_millis();
            assert!(
                (from..=to).contains(&at),
                "a host {skew_ms} ms off recorded the booking {what} at {at}, Redis time {from}..={to}"
            );
        }
    }
}

#[tokio::test]
async fn a_host_clock_ahead_does_not_plan_a_win_back_for_someone_with_a_meeting_still_ahead() {
    let redis = TestRedis::start().await.unwrap();
    let client = QueueClient::connect(&redis.url(), NS).await.unwrap();
    let bookings = Bookings::new(client.handle().clone(), RemindersSettings::default())
        .with_engagement(win_back());
    let host = bookings.with_clock(Clock::skewed(30_000));
    let later = facts(now_ms() + 3_600_000);
    let soon = facts(now_ms() + 20_000);
    host.booked(&later).await.unwrap();
    host.booked(&soon).await.unwrap();
    let who = Person {
        email: Some(&later.email),
        timezone: later.timezone.as_deref(),
        ..Person::default()
    };
    let out = host
        .canceled_by(&later.invitee_uri, false, None, &who)
        .await
        .unwrap();
    assert!(
        !out.win_back_planned,
        "the person's other meeting starts in 20 s: no win-back, whatever the host clock says"
    );
}
