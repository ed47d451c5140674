//! Ingest: the delivery log. Every accepted delivery (new, duplicate, not an event; Calendly,
//! Zoom) is logged with its job in the same script, found by person (e-mail or phone in any
//! format) and by time window, pages by a cursor that does not move while deliveries arrive,
//! and is trimmed by count and by bytes together with its indexes.

use std::time::Duration;

use meetflow_shared::delivery_log::{DeliveryLog, DeliveryRow, Filter, person_tag};
use meetflow_shared::events::Provider;
use meetflow_tests::fixtures::{CALENDLY_INVITEE_CREATED, ZOOM_PARTICIPANT_JOINED};
use serde_json::{Value, json};

use crate::support::ingest::{TestIngest, spawn_ingest, spawn_ingest_with};
use crate::support::worker::eventually;

/// The Calendly fixture for a fresh invitee, with `email` as the invitee's address.
fn booking(email: &str) -> Vec<u8> {
    let mut v: Value = serde_json::from_str(CALENDLY_INVITEE_CREATED).unwrap();
    v["payload"]["uri"] = json!(format!(
        "https://api.calendly.com/scheduled_events/e/invitees/{}",
        uuid::Uuid::new_v4()
    ));
    v["payload"]["email"] = json!(email);
    serde_json::to_vec(&v).unwrap()
}

async fn accepted(app: &TestIngest, body: &[u8]) {
    let r = app.calendly_signed(body).await;
    assert_eq!(r.status(), 200);
}

/// Unix ms now, with a little room on both sides so no delivery shares it.
async fn mark() -> i64 {
    tokio::time::sleep(Duration::from_millis(3)).await;
    let t = chrono::Utc::now().timestamp_millis();
    tokio::time::sleep(Duration::from_millis(3)).await;
    t
}

fn jobs(rows: &[DeliveryRow]) -> Vec<(&str, &str, &str)> {
    rows.iter()
        .map(|r| (r.provider.as_str(), r.event.as_str(), r.outcome.as_str()))
        .collect()
}

async fn all(log: &DeliveryLog, filter: &Filter) -> Vec<DeliveryRow> {
    log.page(filter, None, 1000).await.unwrap().items
}

#[tokio::test]
async fn every_delivery_is_logged_and_found_by_person_and_by_time_window() {
    let app = spawn_ingest().await;
    let log = DeliveryLog::new(app.queue.clone());
    let alice_a = booking("alice@example.com");
    accepted(&app, &alice_a).await;
    let t1 = mark().await;
    let jordan = booking("Jordan.Rivera@example.com");
    accepted(&app, &jordan).await;
    accepted(&app, &jordan).await; // a redelivery: logged as a duplicate
    assert_eq!(
        app.zoom_signed(ZOOM_PARTICIPANT_JOINED.as_bytes())
            .await
            .status(),
        200
    );
    accepted(&app, br#"{"not":"an event"}"#).await; // signed, not an event: dead letter
    let t2 = mark().await;
    let alice_c = booking("alice@example.com");
    accepted(&app, &alice_c).await;

    let everything = all(&log, &Filter::default()).await;
    assert_eq!(
        jobs(&everything),
        [
            ("calendly", "invitee.created", "created"),
            ("calendly", "-", "dead"),
            ("zoom", "meeting.participant_joined", "created"),
            ("calendly", "invitee.created", "duplicate"),
            ("calendly", "invitee.created", "created"),
            ("calendly", "invitee.created", "created"),
        ],
        "every accepted delivery, newest first"
    );
    assert_eq!(log.totals().await.unwrap().0, 6);

    // By person: the e-mail in any case, the phone in any format.
    let person = |p: &str| Filter {
        person: person_tag(p, None),
        ..Filter::default()
    };
    let alice = all(&log, &person("ALICE@example.com")).await;
    assert_eq!(
        alice.iter().map(|r| &r.id).collect::<Vec<_>>(),
        [&everything[0].id, &everything[5].id]
    );
    let jordan_rows = all(&log, &person("jordan.rivera@example.com")).await;
    // The Zoom participant is Jordan too (the fixture's participant e-mail).
    assert_eq!(
        jordan_rows.iter().map(|r| &r.id).collect::<Vec<_>>(),
        [&everything[2].id, &everything[3].id, &everything[4].id]
    );
    // Every Calendly booking carries Jordan's number (+1 415-555-0132).
    assert_eq!(all(&log, &person("+1 (415) 555-0132")).await.len(), 4);
    assert!(all(&log, &person("nobody@example.com")).await.is_empty());

    // By time window, with and without a provider.
    let window = Filter {
        since_ms: Some(t1),
        until_ms: Some(t2),
        ..Filter::default()
    };
    let inside = all(&log, &window).await;
    assert_eq!(
        inside.iter().map(|r| &r.id).collect::<Vec<_>>(),
        everything[1..5].iter().map(|r| &r.id).collect::<Vec<_>>()
    );
    let calendly_inside = all(
        &log,
        &Filter {
            provider: Some(Provider::Calendly),
            event: Some("invitee.created".into()),
            ..window.clone()
        },
    )
    .await;
    assert_eq!(
        calendly_inside.iter().map(|r| &r.id).collect::<Vec<_>>(),
        [&everything[3].id, &everything[4].id]
    );

    // The raw body, byte for byte, and the job it became.
    let d = log.get(&everything[4].id).await.unwrap().unwrap();
    assert_eq!(d.body.as_bytes(), jordan.as_slice());
    assert!(d.signed);
    assert_eq!(
        d.row.job, everything[3].job,
        "the duplicate names the same job"
    );
    assert!(app.queue.job(&d.row.job).await.unwrap().is_some());
}

#[tokio::test]
async fn a_page_cursor_holds_while_deliveries_arrive() {
    let app = spawn_ingest().await;
    let log = DeliveryLog::new(app.queue.clone());
    for _ in 0..5 {
        accepted(&app, &booking("jordan.rivera@example.com")).await;
    }
    let before = all(&log, &Filter::default()).await;
    let first = log.page(&Filter::default(), None, 2).await.unwrap();
    let mut seen: Vec<String> = first.items.iter().map(|r| r.id.clone()).collect();
    let mut cursor = first.next_cursor;
    while let Some(c) = cursor {
        // New deliveries land before page one; the pages after the cursor do not move.
        accepted(&app, &booking("new@example.com")).await;
        let page = log.page(&Filter::default(), Some(&c), 2).await.unwrap();
        seen.extend(page.items.iter().map(|r| r.id.clone()));
        cursor = page.next_cursor;
    }
    assert_eq!(
        seen,
        before.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        "no delivery repeated or skipped"
    );
    assert!(log.page(&Filter::default(), Some("junk"), 2).await.is_err());
}

async fn zcard(app: &TestIngest, key: &str) -> u64 {
    let mut conn = app.queue.redis();
    redis::cmd("ZCARD")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap()
}

async fn delivery_hashes(app: &TestIngest) -> usize {
    let mut conn = app.queue.redis();
    let pattern = app.queue.keys().delivery("*");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut conn)
        .await
        .unwrap();
    keys.len()
}

#[tokio::test]
async fn the_log_is_trimmed_to_max_entries_oldest_first_with_its_indexes() {
    let app = spawn_ingest_with(
        meetflow_tests::redis::TestRedis::start().await.unwrap(),
        "",
        |c| c.delivery_log.max_entries = 3,
    )
    .await;
    let log = DeliveryLog::new(app.queue.clone());
    let mut job_ids = Vec::new();
    for _ in 0..7 {
        let body = booking("jordan.rivera@example.com");
        accepted(&app, &body).await;
        let newest = log.page(&Filter::default(), None, 1).await.unwrap();
        job_ids.push(newest.items[0].job.clone());
    }
    let k = app.queue.keys().clone();
    assert!(
        eventually(Duration::from_secs(5), || async {
            zcard(&app, &k.deliveries()).await == 3
        })
        .await,
        "trimmed to max_entries"
    );
    let kept = all(&log, &Filter::default()).await;
    assert_eq!(
        kept.iter().map(|r| r.job.clone()).collect::<Vec<_>>(),
        job_ids[4..].iter().rev().cloned().collect::<Vec<_>>(),
        "the newest three"
    );
    assert_eq!(
        delivery_hashes(&app).await,
        3,
        "trimmed entries are deleted"
    );
    assert_eq!(zcard(&app, &k.deliveries_by("calendly")).await, 3);
    assert_eq!(
        zcard(&app, &k.deliveries_by("calendly:invitee.created")).await,
        3
    );
    let jordan = person_tag("jordan.rivera@example.com", None).unwrap();
    assert_eq!(zcard(&app, &k.deliveries_person(&jordan)).await, 3);
    let (_, bytes) = log.totals().await.unwrap();
    assert_eq!(bytes, kept.iter().map(|r| r.size).sum::<u64>());
}

#[tokio::test]
async fn the_log_is_trimmed_to_max_bytes_and_can_be_turned_off() {
    let body_size = booking("a@example.com").len() as u64;
    // Room for two payloads (each a little larger than its body), not three.
    let app = spawn_ingest_with(
        meetflow_tests::redis::TestRedis::start().await.unwrap(),
        "",
        |c| c.delivery_log.max_bytes = body_size * 2 + body_size / 2,
    )
    .await;
    let log = DeliveryLog::new(app.queue.clone());
    for _ in 0..5 {
        accepted(&app, &booking("a@example.com")).await;
    }
    let deliveries = app.queue.keys().deliveries();
    assert!(
        eventually(Duration::from_secs(5), || async {
            zcard(&app, &deliveries).await == 2
        })
        .await,
        "trimmed to max_bytes"
    );
    let (count, bytes) = log.totals().await.unwrap();
    assert!(
        count == 2 && bytes <= body_size * 2 + body_size / 2,
        "{count} {bytes}"
    );

    let off = spawn_ingest_with(
        meetflow_tests::redis::TestRedis::start().await.unwrap(),
        "",
        |c| c.delivery_log.retention = Duration::ZERO,
    )
    .await;
    accepted(&off, &booking("a@example.com")).await;
    assert_eq!(off.ready_ids().await.len(), 1);
    assert_eq!(zcard(&off, &off.queue.keys().deliveries()).await, 0);
}
