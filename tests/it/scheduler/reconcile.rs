//! The periodic Calendly reconciliation against the fake Calendly API over real HTTP: a booking
//! whose webhook never came is healed (once, however many runs), a missed cancellation too, a
//! disabled webhook subscription is reported, Calendly's rate limit is waited out, and a
//! periodic task runs once per tick across replicas.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::SecondsFormat;
use meetflow_scheduler::baseline::Baseline;
use meetflow_scheduler::periodic::{acquire_tick, run_periodic};
use meetflow_scheduler::reconcile::Reconciler;
use meetflow_shared::bookings::{BookingFacts, BookingKey, Clock};
use meetflow_shared::events::calendly::{CalendlyEvent, parse};
use meetflow_shared::jobs::{EVENTS, WebhookJob};
use meetflow_shared::providers::calendly_api::{CalendlyClient, NewWebhookSubscription, Scope};
use meetflow_tests::fakes::{EventSeed, FakeCalendlyApi, InviteeSeed, ORG_URI};
use tokio_util::sync::CancellationToken;

use crate::support::scheduler::{Fixture, HOUR, MIN, fixture, now_ms};

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn api(fake: &FakeCalendlyApi) -> CalendlyClient {
    meetflow_tests::install_crypto();
    CalendlyClient::new(
        url::Url::parse(&fake.base_url()).unwrap(),
        fake.access_token().into(),
        Duration::from_secs(5),
    )
    .unwrap()
}

/// A reconciler of an installation live since 2026-01-01 (its go-live baseline), so the seeded
/// invitees (booked 2026-04-14, the fixture's time) are bookings whose webhook was missed.
async fn live(f: &Fixture, api: CalendlyClient) -> Reconciler {
    Baseline::new(f.client.clone())
        .set(chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap())
        .await
        .unwrap();
    Reconciler::new(api, f.bookings.clone())
}

/// Seed one event starting `start_ms` with one invitee; returns the invitee URI.
fn seed(fake: &FakeCalendlyApi, start_ms: i64, invitee: InviteeSeed) -> String {
    let event = fake.add_event(EventSeed::new(&iso(start_ms), &iso(start_ms + 30 * MIN)));
    fake.add_invitee(&event, invitee)
}

async fn events_jobs(f: &Fixture) -> Vec<WebhookJob> {
    let mut conn = f.client.redis();
    let ids: Vec<String> = redis::cmd("LRANGE")
        .arg(f.client.keys().ready(EVENTS))
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut jobs = Vec::new();
    for id in ids {
        let record = f.client.job(&id).await.unwrap().unwrap();
        jobs.push(serde_json::from_str(record.payload.as_deref().unwrap()).unwrap());
    }
    jobs
}

#[tokio::test]
async fn reconciliation_heals_a_booking_whose_webhook_never_came() {
    let f = fixture().await;
    let fake = FakeCalendlyApi::start().await.unwrap();
    let start = now_ms() + 48 * HOUR;
    let missed = seed(
        &fake,
        start,
        InviteeSeed::new("ana@example.com", "Ana Lúcia").phone("+1 415-555-0132"),
    );
    let known = seed(
        &fake,
        start + HOUR,
        InviteeSeed::new("bo@example.com", "Bo"),
    );
    let canceled = seed(
        &fake,
        start + 2 * HOUR,
        InviteeSeed::new("cy@example.com", "Cy").canceled(),
    );
    let long_gone = seed(
        &fake,
        start + 3 * HOUR,
        InviteeSeed::new("di@example.com", "Di").canceled(),
    );
    let mut known_facts = crate::support::scheduler::facts(start + HOUR);
    known_facts.invitee_uri = known.clone();
    f.bookings.booked(&known_facts).await.unwrap();
    let mut cancel_facts = crate::support::scheduler::facts(start + 2 * HOUR);
    cancel_facts.invitee_uri = canceled.clone();
    f.bookings.booked(&cancel_facts).await.unwrap(); // its invitee.canceled never came
    let reconciler = live(&f, api(&fake)).await;

    let report = reconciler.run_once().await.unwrap();

    assert_eq!((report.events, report.invitees), (4, 4));
    assert_eq!(
        (report.healed_created, report.healed_canceled),
        (1, 1),
        "{report:?}"
    );
    let jobs = events_jobs(&f).await;
    assert_eq!(jobs.len(), 2);
    let mut healed = Vec::new();
    for job in &jobs {
        let delivery = parse(&job.raw_body().unwrap()).unwrap();
        match &delivery.event {
            CalendlyEvent::InviteeCreated(inv) => {
                assert_eq!(inv.uri, missed);
                assert_eq!(inv.text_reminder_number.as_deref(), Some("+1 415-555-0132"));
                let facts = BookingFacts::from_invitee(inv, Some("+14155550132".into())).unwrap();
                assert_eq!(facts.start.timestamp_millis(), start);
                // what the worker does with it: the booking and its reminders exist
                f.bookings.booked(&facts).await.unwrap();
                healed.push("created");
            }
            CalendlyEvent::InviteeCanceled(inv) => {
                assert_eq!(inv.uri, canceled);
                f.bookings.canceled(&inv.uri, false, None).await.unwrap();
                healed.push("canceled");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    healed.sort_unstable();
    assert_eq!(healed, ["canceled", "created"]);
    let booking = f
        .bookings
        .get(&BookingKey::from_invitee_uri(&missed))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(booking.reminders.len(), 3);
    assert!(
        !f.bookings.seen(&long_gone).await.unwrap(),
        "a cancelled booking never seen is left alone"
    );

    // Nothing left to heal; a run before the worker caught up would not double the jobs either.
    let again = reconciler.run_once().await.unwrap();
    assert_eq!((again.healed_created, again.healed_canceled), (0, 0));
    assert_eq!(events_jobs(&f).await.len(), 2);
}

#[tokio::test]
async fn two_runs_before_the_worker_catches_up_enqueue_the_heal_once() {
    let f = fixture().await;
    let fake = FakeCalendlyApi::start().await.unwrap();
    seed(
        &fake,
        now_ms() + 48 * HOUR,
        InviteeSeed::new("ana@example.com", "Ana"),
    );
    let reconciler = live(&f, api(&fake)).await;
    assert_eq!(reconciler.run_once().await.unwrap().healed_created, 1);
    assert_eq!(reconciler.run_once().await.unwrap().healed_created, 0);
    assert_eq!(events_jobs(&f).await.len(), 1);
}

#[tokio::test]
async fn a_disabled_webhook_subscription_is_reported() {
    let f = fixture().await;
    let fake = FakeCalendlyApi::start().await.unwrap();
    let client = api(&fake);
    let scope = Scope::Organization(ORG_URI.to_owned());
    for url in ["https://hooks.example.com/a", "https://hooks.example.com/b"] {
        let new = NewWebhookSubscription {
            url: url.into(),
            events: vec!["invitee.created".into()],
            scope: scope.clone(),
            signing_key: None,
        };
        let sub = client.create_webhook_subscription(&new).await.unwrap();
        if url.ends_with('a') {
            assert!(fake.disable_subscription(&sub.uri));
        }
    }
    let report = Reconciler::new(client, f.bookings.clone())
        .run_once()
        .await
        .unwrap();
    assert_eq!(report.subscriptions_disabled, 1);
}

#[tokio::test]
async fn calendly_rate_limits_are_waited_out() {
    let f = fixture().await;
    let fake = FakeCalendlyApi::start().await.unwrap();
    for i in 0..4 {
        seed(
            &fake,
            now_ms() + 48 * HOUR + i * HOUR,
            InviteeSeed::new("x@example.com", "X"),
        );
    }
    fake.rate_limit(3, Duration::from_secs(1));
    let report = live(&f, api(&fake)).await.run_once().await.unwrap();
    assert_eq!(report.healed_created, 4);
    let throttled = fake.requests().len();
    assert!(
        throttled > 7,
        "some calls were answered 429 and retried ({throttled} requests)"
    );
}

#[tokio::test]
async fn a_periodic_task_runs_once_per_tick_across_replicas() {
    let f = fixture().await;
    let every = Duration::from_millis(200);
    let now = now_ms();
    let first = acquire_tick(f.client.handle(), "t", every, now)
        .await
        .unwrap();
    let second = acquire_tick(f.client.handle(), "t", every, now)
        .await
        .unwrap();
    assert_eq!((first, second), (Some(now / 200), None));

    let runs: Arc<Mutex<Vec<i64>>> = Arc::default();
    let stop = CancellationToken::new();
    let mut replicas = Vec::new();
    for _ in 0..3 {
        let (client, runs, stop) = (f.client.handle().clone(), runs.clone(), stop.clone());
        replicas.push(tokio::spawn(async move {
            run_periodic(client, Clock::system(), "p", every, stop, |tick| {
                let runs = runs.clone();
                async move {
                    runs.lock().unwrap().push(tick);
                    Ok::<(), String>(())
                }
            })
            .await;
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    stop.cancel();
    for r in replicas {
        r.await.unwrap();
    }
    let runs = runs.lock().unwrap().clone();
    let distinct: HashSet<i64> = runs.iter().copied().collect();
    assert_eq!(distinct.len(), runs.len(), "one run per tick: {runs:?}");
    assert!(runs.len() >= 3, "a run every tick: {runs:?}");
}
