//! Worker: Brevo's `/contacts` and `/events` have separate shared budgets (issue 15, item 4).
//! Brevo limits the two endpoint groups apart (10/s each on the general plan); with one bucket
//! for both, a contact backlog held every event back behind it.

use std::time::{Duration, Instant};

use meetflow_shared::config::RateLimit;
use meetflow_shared::jobs::BREVO;
use meetflow_shared::jobs::brevo::{BrevoJob, ContactSync, EventTrack};
use meetflow_shared::queue::NewJob;

use super::brevo::contact_posts;
use crate::support::worker::{env, eventually};

/// Contact jobs in the backlog, and the Brevo rate (each budget) they drain under.
const CONTACTS: usize = 16;
const PER_SECOND: u32 = 2;

#[tokio::test]
async fn an_event_is_not_held_back_by_a_contact_backlog() {
    // Arrange: `brevo.rate_limit` alone (the default of both budgets), 2/s; a backlog of 16
    // contact syncs (8 s of budget) queued and draining.
    let mut env = env().await;
    env.settings.brevo.rate_limit = RateLimit::per_second(PER_SECOND);
    let contacts: Vec<NewJob> = (0..CONTACTS)
        .map(|i| {
            let sync = ContactSync {
                email: format!("backlog{i}@example.com"),
                source: "test".into(),
                ..ContactSync::default()
            };
            NewJob::json(&BrevoJob::contact(sync))
                .unwrap()
                .with_id(format!("brevo:test:contact:{i}"))
        })
        .collect();
    env.client.enqueue_many(BREVO, contacts).await.unwrap();
    let worker = env.start();
    let draining = eventually(Duration::from_secs(10), || async {
        contact_posts(&env) >= 2
    })
    .await;
    assert!(draining, "the contact backlog drains");

    // Act: one event joins the queue behind the backlog.
    let event = EventTrack {
        date: None,
        event_name: "booking_created".into(),
        email: "event@example.com".into(),
        properties: serde_json::Map::new(),
    };
    let job = NewJob::json(&BrevoJob::event(event))
        .unwrap()
        .with_id("brevo:test:event");
    let queued = Instant::now();
    env.client.enqueue(BREVO, job).await.unwrap();
    let sent = eventually(Duration::from_secs(15), || async {
        !env.brevo.events().is_empty()
    })
    .await;
    let waited = queued.elapsed();
    let contacts_then = contact_posts(&env);

    // Assert: the event went out within about one interval of its own budget, while the
    // contact backlog was still draining at its rate.
    assert!(sent, "the event is sent");
    assert!(
        waited < Duration::from_millis(2500),
        "the event waited {waited:?} behind the contact backlog ({contacts_then} of {CONTACTS} contacts sent by then)"
    );
    assert!(
        contacts_then < CONTACTS,
        "the backlog was still draining when the event went out"
    );
    env.settle().await;
    assert_eq!(contact_posts(&env), CONTACTS, "every contact synced");
    assert!(env.dead(BREVO).await.is_empty());
    worker.stop().await;
}
