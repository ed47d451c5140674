//! Worker: backpressure, not bounce, on the `brevo` queue (issue 16, item 3). One queue holds
//! jobs of two separately limited Brevo budgets (`/contacts` and `/events`); its lease gate keeps
//! a run of slots per budget, so a backlog of bookings (a contact sync and an event each) drains
//! at both limits with each job leased once: none is deferred and leased again, none gets a 429,
//! and the Redis commands per job stay under the bound (measured as the SMS drain is, in
//! [`super::backpressure`]).

use std::time::{Duration, Instant};

use chrono::Utc;
use meetflow_shared::bookings::{BookingFacts, BookingKey};
use meetflow_shared::config::{QueueSpec, QueuesSettings, RateLimit};
use meetflow_shared::jobs::brevo::{BrevoId, BrevoJob, ContactSync, EventTrack};
use meetflow_shared::jobs::{BREVO, JobSpec};
use meetflow_shared::queue::NewJob;
use meetflow_shared::shutdown::Shutdown;
use serde_json::Map;

use super::backpressure::{Measured, PER_JOB_MAX, run, stop};
use crate::support::worker::{Env, env, eventually};

/// Bookings in the backlog (two jobs each).
const BOOKINGS: usize = 40;
/// Each Brevo budget's limit as the fake enforces it, and as the worker is configured: a tenth
/// under it. The fake counts fixed one-second windows, each starting at the first call after
/// the last one ended, so calls spaced exactly one interval apart by the shared limiter get the
/// odd 429 when the call that opened a window reached it a few milliseconds late and the one ten
/// slots on did not (`scripts/bench-backpressure.sh` shows that at the default limits, with or
/// without the gate); a tenth under the limit absorbs that jitter.
const ENFORCED_PER_SECOND: u32 = 10;
const PER_SECOND: u32 = 9;

/// Brevo calls the fake received on `path` (a 429 is a call too).
fn posts(env: &Env, path: &str) -> usize {
    env.brevo
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .count()
}

/// Stores `BOOKINGS` bookings and queues what a new booking sends to Brevo: its contact sync
/// and its `booked` event, in that order (as the `events` handler does). Returns the job ids.
async fn backlog(env: &Env) -> Vec<String> {
    let start = Utc::now() + chrono::Duration::days(2);
    let store = env.bookings();
    let mut jobs = Vec::new();
    for i in 0..BOOKINGS {
        let uri = format!("https://api.calendly.com/invitees/brevo-backlog-{i}");
        let email = format!("backlog{i}@example.com");
        store
            .booked(&BookingFacts {
                invitee_uri: uri.clone(),
                start,
                end: start + chrono::Duration::minutes(30),
                timezone: Some("Europe/Berlin".into()),
                phone: None,
                name: "Back Log".into(),
                email: email.clone(),
                event_type: "https://api.calendly.com/event_types/backlog".into(),
                event_name: "Backlog".into(),
                old_invitee: None,
                links: Default::default(),
            })
            .await
            .unwrap();
        let key = BookingKey::from_invitee_uri(&uri);
        let contact = BrevoJob::contact(ContactSync {
            email: email.clone(),
            booking: Some(key.clone()),
            source: "calendly:invitee.created".into(),
            ..ContactSync::default()
        });
        let id = contact.job_id(&BrevoId::BookingCreated(key.clone()));
        jobs.push(NewJob::json(&contact).unwrap().with_id(id));
        let event = BrevoJob::event(EventTrack {
            event_name: "booked".into(),
            email,
            properties: Map::new(),
            date: None,
        });
        let id = event.job_id(&BrevoId::Event {
            subject: key.to_string(),
        });
        jobs.push(NewJob::json(&event).unwrap().with_id(id));
    }
    let ids = jobs.iter().map(|j| j.id().to_owned()).collect();
    env.client.enqueue_many(BREVO, jobs).await.unwrap();
    ids
}

#[tokio::test]
async fn a_rate_limited_brevo_backlog_drains_at_both_limits_without_bouncing() {
    // Arrange: both Brevo budgets at PER_SECOND, the fake enforcing ENFORCED_PER_SECOND (429
    // past it); the queue at the built-in concurrency, so more jobs are in flight than the
    // budgets serve within a job's wait for its slot (the test settings' 8 are not); the backlog
    // queued before the worker starts.
    let mut env = env().await;
    env.settings.brevo.rate_limit = RateLimit::per_second(PER_SECOND);
    env.brevo.rate_limit(ENFORCED_PER_SECOND);
    let concurrency = QueuesSettings::builtin_default().concurrency;
    env.settings.queues.0.insert(
        BREVO.to_owned(),
        QueueSpec {
            concurrency,
            ..QueueSpec::default()
        },
    );
    let ids = backlog(&env).await;
    let jobs = ids.len();
    let keys = env.client.keys().clone();
    let mut conn = env.client.redis();
    let mut measured = Measured::start(&mut conn).await;

    // Act: drain with a worker serving only the `brevo` queue.
    let started = Instant::now();
    let shutdown = Shutdown::new();
    let worker = run(&env, &[BREVO], &shutdown);
    let drained = eventually(Duration::from_secs(30), || async {
        env.brevo.contacts().len() >= BOOKINGS && env.brevo.events().len() >= BOOKINGS
    })
    .await;
    let drain = started.elapsed();
    assert!(
        drained,
        "only {} contacts and {} events of {BOOKINGS}",
        env.brevo.contacts().len(),
        env.brevo.events().len()
    );
    let acknowledged = measured
        .all_done(&conn, &keys, &ids, Duration::from_secs(5))
        .await;
    assert!(acknowledged, "every job is acknowledged");
    let (per_job, message) = measured.per_job(&mut conn, jobs).await;
    stop(shutdown, worker).await;

    // Assert: each call made once (no 429 from the fake), each job leased once (its fencing
    // token is its lease count) at attempt 1 with no error entry, nothing dead-lettered, and
    // few commands per job.
    assert_eq!(
        posts(&env, "/v3/contacts"),
        BOOKINGS,
        "each contact synced once"
    );
    assert_eq!(posts(&env, "/v3/events"), BOOKINGS, "each event sent once");
    for id in &ids {
        let (token, attempts, errors): (u64, u32, usize) = redis::pipe()
            .cmd("HGET")
            .arg(keys.job(id))
            .arg("token")
            .cmd("HGET")
            .arg(keys.job(id))
            .arg("attempts")
            .cmd("LLEN")
            .arg(keys.job_errors(id))
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            (token, attempts, errors),
            (1, 1, 0),
            "{id} leased once, at attempt 1, without an error entry (token, attempts, errors)"
        );
    }
    assert!(env.dead(BREVO).await.is_empty(), "nothing dead-lettered");
    let minimum = (BOOKINGS - 1) as f64 / f64::from(PER_SECOND);
    eprintln!(
        "drained {jobs} jobs in {:.1} s (the limits' minimum {minimum:.1} s; {:.1} s with the worker's start)",
        drain.as_secs_f64(),
        measured.elapsed().as_secs_f64()
    );
    // A contact sync reads its booking before and after its write; an event job makes its call
    // only. Before the gate each rate-limited job was leased, deferred to its slot, promoted and
    // leased again: about twice this.
    assert!(per_job < PER_JOB_MAX, "{message}");
}
