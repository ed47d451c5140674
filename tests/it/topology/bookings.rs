//! Bookings on Cluster and Sentinel: a booking plans its reminders, the due loop claims the one
//! that comes due and enqueues its SMS, and a cancel removes the pending ones.

use std::time::Duration;

use meetflow_scheduler::DueLoopSettings;
use meetflow_shared::bookings::Bookings;
use meetflow_shared::config::RemindersSettings;
use meetflow_shared::queue::QueueClient;
use meetflow_tests::topology::{TestCluster, TestSentinel};

use crate::support::queue::eventually;
use crate::support::scheduler::{HOUR, NS, due_ids, facts, now_ms, rem, sms_ids, spawn_loop};

async fn booking_paths(url: &str) {
    let client = QueueClient::connect(url, NS).await.unwrap();
    let bookings = Bookings::new(client.handle().clone(), RemindersSettings::default());
    // The 1 h reminder comes due in 600 ms; the 24 h one is already past.
    let soon = facts(now_ms() + HOUR + 600);
    bookings.booked(&soon).await.unwrap();
    let later = facts(now_ms() + 48 * HOUR);
    bookings.booked(&later).await.unwrap();
    assert_eq!(
        due_ids(&client).await.len(),
        2 + 3,
        "1h + follow-up, and three for later"
    );

    let out = bookings
        .canceled(&later.invitee_uri, false, None)
        .await
        .unwrap();
    assert_eq!(out.reminders_canceled, 3);

    let due = spawn_loop(&bookings, DueLoopSettings::default());
    assert!(
        eventually(Duration::from_secs(5), || async {
            sms_ids(&client).await.contains(&rem(&soon, "1h"))
        })
        .await,
        "on {url}: the due 1 h reminder became an SMS job"
    );
    due.stop().await;
    let left = due_ids(&client).await;
    assert_eq!(
        left,
        vec![rem(&soon, "followup")],
        "only the follow-up waits"
    );
}

#[tokio::test]
async fn bookings_plan_claim_and_cancel_on_a_cluster() {
    let cluster = TestCluster::start().await.unwrap();
    booking_paths(&cluster.url()).await;
}

#[tokio::test]
async fn bookings_plan_claim_and_cancel_through_sentinel() {
    let sentinel = TestSentinel::start().await.unwrap();
    booking_paths(&sentinel.url()).await;
}
