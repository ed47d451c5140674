//! Zoom's daily-limit 429 (`X-RateLimit-Type: Daily-limit`, `Retry-After` as a date such as
//! `2020-05-31T00:00:00Z`): the `meeting.ended` job waits in Redis until that time (one wake-up,
//! no attempt spent), then reads the participants. Before, the date was read as no hint and the
//! job came back every second until the limit lifted.

use std::time::{Duration, Instant};

use chrono::Utc;
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::ZOOM;
use meetflow_tests::fixtures;

use crate::support::worker::{env, eventually};

const FIXTURE_UUID: &str = "qS3M9hQZT3yb6BZ1e3oK1w==";

#[tokio::test]
async fn a_zoom_daily_limit_waits_until_its_date_with_a_handful_of_wake_ups() {
    let env = env().await;
    env.zoom.add_past_meeting_fixture(FIXTURE_UUID);
    let now = Utc::now();
    let until = chrono::DateTime::from_timestamp(now.timestamp() + 5, 0).unwrap();
    let until_instant = Instant::now() + (until - now).to_std().unwrap();
    env.zoom.daily_limit_until(until);
    let worker = env.start();
    env.deliver(Provider::Zoom, fixtures::ZOOM_MEETING_ENDED)
        .await;

    // The job is parked in the delayed set until Zoom's date: durable, not a sleeping task.
    let client = env.client.clone();
    let parked = eventually(Duration::from_secs(3), || {
        let client = client.clone();
        async move {
            let mut conn = client.redis();
            let runs: Vec<(String, f64)> = redis::cmd("ZRANGE")
                .arg(client.keys().delayed(ZOOM))
                .arg(0)
                .arg(-1)
                .arg("WITHSCORES")
                .query_async(&mut conn)
                .await
                .unwrap();
            runs.iter()
                .any(|(_, at)| *at >= (until.timestamp_millis() - 1000) as f64)
        }
    })
    .await;
    assert!(parked, "the zoom job is not delayed until {until}");

    let synced = eventually(Duration::from_secs(20), || async {
        env.brevo.list_members(15).len() == 2
    })
    .await;
    assert!(synced, "attendance not recorded after the limit lifted");
    let requests = env.zoom.requests();
    let before: Vec<_> = requests
        .iter()
        .filter(|r| r.path.contains("/participants") && r.at < until_instant)
        .collect();
    assert!(
        before.len() <= 2,
        "{} participant calls during the daily limit (woke up every second?)",
        before.len()
    );
    assert!(env.dead(ZOOM).await.is_empty());
    worker.stop().await;
}
