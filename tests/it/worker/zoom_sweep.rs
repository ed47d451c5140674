//! The Zoom catch-up sweep (`connectors.zoom.sweep_every`): the scheduler's tick enqueues a
//! `sync` job, the worker lists the account's ended meetings, webinars and recordings through the
//! fake Zoom API and handles those whose webhook never came, with the webhook path's job ids: a
//! dropped `meeting.ended` is healed once however often the sweep runs, and one that arrived is
//! not handled again. Each attempt of a sweep is counted by outcome
//! (`meetflow_zoom_sweep_runs_total`), the handled instances by kind
//! (`meetflow_zoom_sweep_healed_total`): the two series alerts.yaml watches.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use meetflow_scheduler::zoom_sweep::ZoomSweep;
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::{SYNC, ZOOM};
use meetflow_shared::providers::zoom_api::ZoomClient;
use meetflow_shared::sync::zoom::ZoomSlice;
use meetflow_tests::fakes::FakeZoom;
use serde_json::json;

use super::zoom::meeting_ended;
use crate::support::worker::{Env, JORDAN_EMAIL, env, eventually, metric};

const UUID: &str = "sw33pM9hQZT3yb6BZ1e3w==";
const MEETING_ID: u64 = 85_746_065_432;

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A meeting (the fixture's participants: Maya the host, Jordan twice) that ended 30 minutes
/// ago, in the user's report.
fn seed_meeting(env: &Env) {
    env.zoom.add_past_meeting_fixture(UUID);
    let end = Utc::now() - TimeDelta::minutes(30);
    env.zoom.add_ended(FakeZoom::report_row(
        UUID,
        MEETING_ID,
        2,
        "Product Demo (30 min): Jordan Rivera",
        &iso(end - TimeDelta::minutes(32)),
        &iso(end),
    ));
}

fn sweep(env: &Env) -> (ZoomSweep, i64) {
    let sweep = ZoomSweep::from_settings(&env.settings.connectors.zoom, env.client.clone())
        .expect("sweep on by default with API credentials");
    let every = i64::try_from(sweep.every().as_millis()).unwrap();
    (sweep, Utc::now().timestamp_millis() / every)
}

/// What a sweep of the last day would handle now: (handled already, still to handle).
async fn pending(env: &Env) -> (u64, u64) {
    let api = ZoomClient::from_settings(
        &env.settings.connectors.zoom,
        env.client.handle(),
        Duration::from_secs(5),
        Duration::from_secs(1),
    )
    .unwrap()
    .unwrap();
    let now = Utc::now();
    let (counts, missed) = ZoomSlice::new(api, env.client.clone())
        .missed(now - TimeDelta::days(1), now)
        .await
        .unwrap();
    assert_eq!(counts.synced, missed.len() as u64);
    (counts.unchanged, counts.synced)
}

fn gets(env: &Env, part: &str) -> usize {
    env.zoom
        .requests()
        .iter()
        .filter(|r| r.path.contains(part))
        .count()
}

fn events_named(env: &Env, name: &str, email: &str) -> usize {
    env.brevo
        .events()
        .iter()
        .filter(|e| e.event_name == name && e.identifiers["email_id"] == email)
        .count()
}

#[tokio::test]
async fn a_dropped_meeting_ended_is_healed_by_the_sweep_once() {
    let env = env().await;
    seed_meeting(&env);
    let worker = env.start();
    assert_eq!(pending(&env).await, (0, 1), "the meeting.ended never came");
    let (sweep, tick) = sweep(&env);
    assert!(sweep.run_tick(tick).await.unwrap().is_created());
    assert!(
        !sweep.run_tick(tick).await.unwrap().is_created(),
        "another replica on the same tick enqueues nothing"
    );
    env.settle().await;
    // The next tick looks at the same meeting again.
    assert!(sweep.run_tick(tick + 1).await.unwrap().is_created());
    env.settle().await;

    assert_eq!(
        gets(&env, "/report/users/"),
        3,
        "one report per sweep (and one for the check before)"
    );
    assert_eq!(gets(&env, "/participants"), 1, "one attendance read");
    assert_eq!(env.brevo.list_members(15).len(), 2);
    let j = env.brevo.contact(JORDAN_EMAIL).unwrap();
    assert_eq!(j.attributes["ATTENDANCE_STATUS"], "attended");
    assert_eq!(j.attributes["ATTENDANCE_MINUTES"], 27);
    assert_eq!(events_named(&env, "meeting_attended", JORDAN_EMAIL), 1);
    assert_eq!(
        pending(&env).await,
        (1, 0),
        "healed: nothing left to handle"
    );
    assert!(env.dead(SYNC).await.is_empty());
    assert!(env.dead(ZOOM).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn a_received_meeting_ended_is_not_handled_again_by_the_sweep() {
    let env = env().await;
    seed_meeting(&env);
    let worker = env.start();
    env.deliver(Provider::Zoom, &meeting_ended(UUID, 1_776_792_829_114))
        .await;
    env.settle().await;
    assert_eq!(gets(&env, "/participants"), 1);
    assert_eq!(pending(&env).await, (1, 0), "the webhook was handled");
    let (sweep, tick) = sweep(&env);
    sweep.run_tick(tick).await.unwrap();
    env.settle().await;

    assert_eq!(
        gets(&env, "/report/users/"),
        2,
        "the sweep listed it (after the check)"
    );
    assert_eq!(gets(&env, "/participants"), 1, "and left it alone");
    assert_eq!(events_named(&env, "meeting_attended", JORDAN_EMAIL), 1);
    assert!(env.dead(SYNC).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn the_sweep_is_off_with_sweep_every_null() {
    let mut env = env().await;
    env.settings.connectors.zoom.sweep_every = None;
    assert!(ZoomSweep::from_settings(&env.settings.connectors.zoom, env.client.clone()).is_none());
}

/// `meetflow_zoom_sweep_runs_total{outcome}` as this process counts it.
fn runs(outcome: &str) -> f64 {
    metric(&format!(
        "meetflow_zoom_sweep_runs_total{{outcome=\"{outcome}\"}}"
    ))
}

/// Whether this process exports `series` (at any value).
fn exported(series: &str) -> bool {
    let prefix = format!("{series} ");
    meetflow_shared::ops::metrics_handle()
        .render()
        .lines()
        .any(|l| l.starts_with(&prefix))
}

#[tokio::test]
async fn a_failing_sweep_run_is_counted_as_an_error_and_a_good_one_as_ok() {
    let env = env().await;
    seed_meeting(&env);
    // The check lists through the API first: the OAuth token is cached for the worker too, so
    // the fault below hits the sweep's first listing, not the token request.
    assert_eq!(pending(&env).await, (0, 1));
    let worker = env.start();
    let healed = "meetflow_zoom_sweep_healed_total{kind=\"meeting\"}";
    let at_zero = eventually(Duration::from_secs(5), || async {
        exported("meetflow_zoom_sweep_runs_total{outcome=\"error\"}")
            && exported("meetflow_zoom_sweep_runs_total{outcome=\"ok\"}")
            && exported(healed)
    })
    .await;
    assert!(
        at_zero,
        "a worker that can sweep exports the counters at 0 before the first run (increase() \
         cannot see a series' first sample)"
    );
    env.zoom.fail_next(
        1,
        400,
        json!({ "code": 4711, "message": "Invalid access token, does not contain scopes:[report:read:list_meetings:admin]" }),
    );
    let (sweep, tick) = sweep(&env);
    assert!(sweep.run_tick(tick).await.unwrap().is_created());
    env.settle().await;
    assert_eq!(
        env.dead(SYNC).await.len(),
        1,
        "a missing scope is not retried"
    );
    assert_eq!((runs("error"), runs("ok")), (1.0, 0.0));
    assert_eq!(metric(healed), 0.0, "the failed run healed nothing");

    // The scope granted, the next tick heals the meeting.
    assert!(sweep.run_tick(tick + 1).await.unwrap().is_created());
    env.settle().await;
    assert_eq!((runs("error"), runs("ok")), (1.0, 1.0));
    assert_eq!(metric(healed), 1.0);
    assert_eq!(pending(&env).await, (1, 0));
    worker.stop().await;
}
