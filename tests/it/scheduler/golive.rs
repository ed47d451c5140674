//! Quiet go-live and complete healing of the Calendly reconciliation, end to end: the
//! reconciler against the fake Calendly API over real HTTP, the worker running in this process
//! against the fake Brevo and EngageLab, one private Redis.
//!
//! - Setting the access token on an account that already has bookings adopts them quietly:
//!   Brevo synced and reminders planned, no confirmation, host notice or Brevo `booked` event;
//!   a booking made after go-live whose webhook was dropped is still healed with its
//!   confirmation.
//! - Calendly's own `invitee.created` arriving late (a retry, an ingest outage) changes nothing
//!   for a booking adopted at go-live (still no confirmation), nor for one healed as new (still
//!   one confirmation).
//! - A no-show marked (and then removed) in Calendly whose webhook was lost is healed both ways.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use meetflow_scheduler::baseline::Baseline;
use meetflow_scheduler::reconcile::Reconciler;
use meetflow_shared::bookings::{BookingKey, BookingStatus};
use meetflow_shared::events::Provider;
use meetflow_shared::providers::calendly_api::CalendlyClient;
use meetflow_tests::fakes::{EventSeed, FakeCalendlyApi, InviteeSeed};

use crate::support::worker::{Env, HOST_PHONE, JORDAN_PHONE, created, env};

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
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

/// One event starting at `start` (30 minutes long) with one invitee; returns the invitee URI.
fn seed(fake: &FakeCalendlyApi, start: DateTime<Utc>, invitee: InviteeSeed) -> String {
    let end = start + chrono::Duration::minutes(30);
    let event = fake.add_event(EventSeed::new(&iso(start), &iso(end)));
    fake.add_invitee(&event, invitee)
}

async fn with_host_phone() -> Env {
    let mut env = env().await;
    env.settings.engagelab.host_phone = Some("+44 20 7183 8750".into());
    env
}

async fn due_count(env: &Env) -> u64 {
    redis::cmd("ZCARD")
        .arg(env.client.keys().reminders_due())
        .query_async(&mut env.client.redis())
        .await
        .unwrap()
}

#[tokio::test]
async fn go_live_adopts_existing_bookings_quietly_and_heals_a_later_missed_one() {
    let env = with_host_phone().await;
    let fake = FakeCalendlyApi::start().await.unwrap();
    let now = Utc::now();
    // 200 bookings made over the last weeks, meetings over the next days.
    let booked_at = iso(now - chrono::Duration::days(20));
    for i in 0..200 {
        let start = now + chrono::Duration::hours(48) + chrono::Duration::minutes(15 * i);
        seed(
            &fake,
            start,
            InviteeSeed::new(&format!("guest{i}@example.com"), "Guest Person")
                .phone("+1 415-555-0132")
                .created_at(&booked_at),
        );
    }
    // three runs of ~210 calls each: more than a minute of Calendly's budget, less than an hour
    fake.rate_limit(5000, Duration::from_secs(60));
    let reconciler = Reconciler::new(api(&fake), env.bookings());
    let worker = env.start();

    let first = reconciler.run_once().await.unwrap();
    env.settle().await;

    // What the invitees and the host see first: nothing (before the fix: 400 SMS).
    assert_eq!(
        env.engagelab.sent_count(),
        0,
        "no confirmation, no host notice"
    );
    assert_eq!(first.invitees, 200);
    assert_eq!(
        (first.adopted_created, first.healed_created),
        (200, 0),
        "{first:?}"
    );
    assert!(
        env.brevo.events().is_empty(),
        "no Brevo booked event: {:?}",
        env.brevo.events().first()
    );
    assert_eq!(
        env.brevo.contacts().len(),
        200,
        "every invitee synced to Brevo"
    );
    assert_eq!(
        due_count(&env).await,
        600,
        "24 h, 1 h and follow-up planned for each"
    );
    assert!(env.dead("events").await.is_empty());
    let baseline = Baseline::new(env.client.clone()).get().await.unwrap();
    assert!(baseline.is_some_and(|b| b >= now), "{baseline:?}");

    // After go-live: a booking whose webhook was dropped is healed as new, confirmation included.
    let missed = seed(
        &fake,
        Utc::now() + chrono::Duration::hours(30),
        InviteeSeed::new("late@example.com", "Late Booker")
            .phone("+1 415-555-0132")
            .created_at(&iso(Utc::now())),
    );
    let second = reconciler.run_once().await.unwrap();
    env.settle().await;

    assert_eq!(
        (second.adopted_created, second.healed_created),
        (0, 1),
        "{second:?}"
    );
    let sent = env.engagelab.sent();
    let mut templates: Vec<_> = sent.iter().map(|s| s.template_id.as_str()).collect();
    templates.sort_unstable();
    assert_eq!(
        templates,
        ["tpl_confirmation", "tpl_host_notify"],
        "{sent:?}"
    );
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1);
    assert_eq!(env.engagelab.sent_to(HOST_PHONE).len(), 1);
    let booking = env
        .booking(&BookingKey::from_invitee_uri(&missed))
        .await
        .unwrap();
    assert_eq!(booking.status, BookingStatus::Active);

    // A third run finds nothing to do.
    let third = reconciler.run_once().await.unwrap();
    assert_eq!(
        (third.adopted_created, third.healed_created),
        (0, 0),
        "{third:?}"
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_late_webhook_neither_confirms_an_adopted_booking_nor_confirms_a_healed_one_twice() {
    let env = with_host_phone().await;
    let fake = FakeCalendlyApi::start().await.unwrap();
    let start = Utc::now() + chrono::Duration::hours(48);
    let adopted = seed(
        &fake,
        start,
        InviteeSeed::new("early@example.com", "Early Booker")
            .phone("+1 415-555-0132")
            .created_at(&iso(Utc::now() - chrono::Duration::days(20))),
    );
    let reconciler = Reconciler::new(api(&fake), env.bookings());
    let worker = env.start();
    let first = reconciler.run_once().await.unwrap();
    env.settle().await;
    assert_eq!(first.adopted_created, 1, "{first:?}");

    // Calendly's own delivery of that booking comes in after go-live (another delivery id).
    env.deliver(Provider::Calendly, &created(&adopted, start))
        .await;
    env.settle().await;
    assert_eq!(
        env.engagelab.sent_count(),
        0,
        "the booking predates go-live: no confirmation, no host notice: {:?}",
        env.engagelab.sent()
    );
    assert!(
        env.brevo.events().is_empty(),
        "no Brevo booked event: {:?}",
        env.brevo.events()
    );

    // A booking made after go-live whose webhook was lost is healed as new, then its webhook
    // comes after all: one confirmation, one host notice, one booked event.
    let later = start + chrono::Duration::hours(1);
    let healed = seed(
        &fake,
        later,
        InviteeSeed::new("late@example.com", "Late Booker")
            .phone("+1 415-555-0132")
            .created_at(&iso(Utc::now())),
    );
    let second = reconciler.run_once().await.unwrap();
    env.settle().await;
    assert_eq!(second.healed_created, 1, "{second:?}");
    env.deliver(Provider::Calendly, &created(&healed, later))
        .await;
    env.settle().await;
    let mut templates: Vec<_> = env
        .engagelab
        .sent()
        .into_iter()
        .map(|s| s.template_id)
        .collect();
    templates.sort_unstable();
    assert_eq!(templates, ["tpl_confirmation", "tpl_host_notify"]);
    assert_eq!(env.brevo.events().len(), 1, "{:?}", env.brevo.events());
    assert!(env.dead("events").await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn a_lost_no_show_mark_and_its_removal_are_healed() {
    let env = env().await;
    let fake = FakeCalendlyApi::start().await.unwrap();
    let client = api(&fake);
    Baseline::new(env.client.clone())
        .set(Utc::now() - chrono::Duration::days(30))
        .await
        .unwrap();
    let uri = seed(
        &fake,
        Utc::now() - chrono::Duration::hours(2),
        InviteeSeed::new("ana@example.com", "Ana Lucia")
            .phone("+1 415-555-0132")
            .created_at(&iso(Utc::now() - chrono::Duration::days(3))),
    );
    let key = BookingKey::from_invitee_uri(&uri);
    let reconciler = Reconciler::new(client.clone(), env.bookings());
    let worker = env.start();
    assert_eq!(reconciler.run_once().await.unwrap().healed_created, 1);
    env.settle().await;
    assert_eq!(
        env.booking(&key).await.unwrap().status,
        BookingStatus::Active
    );

    // The host marks the no-show; no webhook subscription, so the webhook is lost.
    let mark = client.create_invitee_no_show(&uri).await.unwrap();
    let report = reconciler.run_once().await.unwrap();
    env.settle().await;
    assert_eq!(report.healed_no_show_created, 1, "{report:?}");
    assert_eq!(
        env.booking(&key).await.unwrap().status,
        BookingStatus::NoShow
    );
    assert_eq!(
        reconciler.run_once().await.unwrap().healed_no_show_created,
        0,
        "healed once"
    );

    // The mark is removed, and that webhook is lost too.
    client.delete_invitee_no_show(&mark.uri).await.unwrap();
    let report = reconciler.run_once().await.unwrap();
    env.settle().await;
    assert_eq!(report.healed_no_show_deleted, 1, "{report:?}");
    assert_eq!(
        env.booking(&key).await.unwrap().status,
        BookingStatus::Active
    );
    let again = reconciler.run_once().await.unwrap();
    assert_eq!(
        (again.healed_no_show_created, again.healed_no_show_deleted),
        (0, 0),
        "{again:?}"
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_no_show_from_before_go_live_is_adopted_without_an_apology() {
    let mut env = env().await;
    env.settings.engagelab.templates.no_show = "tpl_no_show".into();
    let fake = FakeCalendlyApi::start().await.unwrap();
    let client = api(&fake);
    let two_hours_ago = Utc::now() - chrono::Duration::hours(2);
    let old = seed(
        &fake,
        two_hours_ago,
        InviteeSeed::new("old@example.com", "Old Guest")
            .phone("+1 415-555-0132")
            .created_at(&iso(Utc::now() - chrono::Duration::days(3)))
            .no_show_at(&iso(Utc::now() - chrono::Duration::minutes(50))),
    );
    let new = seed(
        &fake,
        two_hours_ago,
        InviteeSeed::new("new@example.com", "New Guest")
            .phone("+1 415-555-0132")
            .created_at(&iso(Utc::now() - chrono::Duration::days(3))),
    );
    let reconciler = Reconciler::new(client.clone(), env.bookings());
    let worker = env.start();
    let first = reconciler.run_once().await.unwrap();
    env.settle().await;
    assert_eq!(first.adopted_created, 2, "{first:?}");

    // After go-live the host marks the other invitee; that webhook is lost.
    client.create_invitee_no_show(&new).await.unwrap();
    let second = reconciler.run_once().await.unwrap();
    env.settle().await;
    assert_eq!(
        (second.adopted_no_show, second.healed_no_show_created),
        (1, 1),
        "{second:?}"
    );

    let apology = |b: &meetflow_shared::bookings::Booking| {
        b.reminders
            .iter()
            .any(|r| r.kind == meetflow_shared::bookings::ReminderKind::NoShow)
    };
    let old_booking = env
        .booking(&BookingKey::from_invitee_uri(&old))
        .await
        .unwrap();
    assert_eq!(old_booking.status, BookingStatus::NoShow);
    assert!(!apology(&old_booking), "{old_booking:?}");
    let new_booking = env
        .booking(&BookingKey::from_invitee_uri(&new))
        .await
        .unwrap();
    assert_eq!(new_booking.status, BookingStatus::NoShow);
    assert!(apology(&new_booking), "{new_booking:?}");
    let no_show_events: Vec<_> = env
        .brevo
        .events()
        .into_iter()
        .filter(|e| e.event_name == "booking_no_show")
        .map(|e| {
            e.identifiers["email_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(no_show_events, ["new@example.com"]);
    assert_eq!(env.engagelab.sent_count(), 0);
    worker.stop().await;
}
