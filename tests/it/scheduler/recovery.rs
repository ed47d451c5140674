//! The due loop when things fail: a replica that died between claim and settle is taken over
//! after its lease without a second SMS job; Redis gone for good makes the loop give up (the
//! process then exits non-zero). Process-level crashes: `scheduler_process`.

use std::time::{Duration, Instant};

use meetflow_scheduler::{DueLoop, DueLoopSettings, SchedulerError};
use meetflow_shared::bookings::{Settled, Settlement};
use meetflow_shared::jobs::SMS;
use meetflow_shared::queue::NewJob;
use tokio_util::sync::CancellationToken;

use crate::support::scheduler::{HOUR, facts, fixture, now_ms, rem, sms_ids};

#[tokio::test]
async fn a_replica_dying_between_claim_and_settle_is_taken_over_without_a_second_job() {
    let f = fixture().await;
    let b1 = facts(now_ms() + 24 * HOUR + 100);
    let b2 = facts(now_ms() + 24 * HOUR + 100);
    f.bookings.booked(&b1).await.unwrap();
    f.bookings.booked(&b2).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let lease = Duration::from_millis(600);
    // the dead replica claimed both; it enqueued b1's job but died before settling
    let claimed = f.bookings.claim_due(10, lease, &[]).await.unwrap();
    assert_eq!(claimed.len(), 2);
    let c1 = claimed.iter().find(|c| c.id == rem(&b1, "24h")).unwrap();
    let job = f.bookings.prepare(c1).unwrap();
    f.client
        .enqueue(SMS, NewJob::json(&job).unwrap().with_id(c1.id.clone()))
        .await
        .unwrap();
    assert!(
        f.bookings
            .claim_due(10, lease, &[])
            .await
            .unwrap()
            .is_empty(),
        "claims are exclusive"
    );

    let due = DueLoop::new(
        f.bookings.clone(),
        DueLoopSettings {
            lease,
            ..DueLoopSettings::default()
        },
    );
    let started = Instant::now();
    let mut report = due.tick().await.unwrap();
    while report.claimed == 0 && started.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        report = due.tick().await.unwrap();
    }

    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "taken over only after the lease"
    );
    assert_eq!(
        (report.claimed, report.enqueued, report.duplicates),
        (2, 1, 1)
    );
    let mut sms = sms_ids(&f.client).await;
    sms.sort();
    let mut want = vec![rem(&b1, "24h"), rem(&b2, "24h")];
    want.sort();
    assert_eq!(sms, want);
    assert_eq!(
        f.bookings.pending_counts().await.unwrap().1,
        0,
        "nothing left claimed"
    );
}

#[tokio::test]
async fn the_due_loop_gives_up_when_redis_stays_unreachable() {
    let mut f = fixture().await;
    let settings = DueLoopSettings {
        give_up: Duration::from_millis(800),
        ..DueLoopSettings::default()
    };
    let running = DueLoop::new(f.bookings.clone(), settings);
    f.redis.kill9().unwrap();
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        Duration::from_secs(20),
        running.run(CancellationToken::new()),
    )
    .await
    .expect("the loop stops by itself");
    assert!(
        matches!(outcome, Err(SchedulerError::GaveUp(_))),
        "{outcome:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(800));
}

#[tokio::test]
async fn a_slow_replica_whose_claim_was_taken_over_does_not_undo_the_job() {
    let f = fixture().await;
    let b = facts(now_ms() + 24 * HOUR + 50);
    f.bookings.booked(&b).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let lease = Duration::from_millis(300);
    // replica A claims, then stalls past its lease
    let claimed = f.bookings.claim_due(10, lease, &[]).await.unwrap();
    assert_eq!(claimed.len(), 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    // replica B takes over and finishes
    let b_loop = DueLoop::new(
        f.bookings.clone(),
        DueLoopSettings {
            lease,
            ..DueLoopSettings::default()
        },
    );
    assert_eq!(b_loop.tick().await.unwrap().enqueued, 1);
    // replica A wakes up: its enqueue is a duplicate, its settle finds the claim gone
    let job = f.bookings.prepare(&claimed[0]).unwrap();
    let again = f
        .client
        .enqueue(
            SMS,
            NewJob::json(&job).unwrap().with_id(claimed[0].id.clone()),
        )
        .await
        .unwrap();
    assert!(!again.is_created());
    let settled = f
        .bookings
        .settle(&[(claimed[0].id.clone(), Settlement::Enqueued)])
        .await
        .unwrap();

    assert_eq!(settled, vec![Settled::TakenOver]);
    assert_eq!(
        sms_ids(&f.client).await,
        vec![rem(&b, "24h")],
        "the job stays, once"
    );
}
