//! Zoom and Calendly API calls share a rate limit across replicas (issue 15, item 4). Two
//! clients on one Redis (two worker replicas) calling at once stay within the configured rate
//! as the provider sees it: the fakes record when each request arrived, and refuse with 429
//! what is over their own (the provider's) limit.

use std::time::{Duration, Instant};

use futures::future::join_all;
use meetflow_shared::providers::calendly_api::CalendlyClient;
use meetflow_shared::providers::call_limit::CallLimit;
use meetflow_shared::providers::rate_limit::RateLimiter;
use meetflow_shared::providers::zoom_api::{ZoomAuth, ZoomClient, ZoomCredentials, ZoomLimits};
use meetflow_shared::redis::Redis;
use meetflow_tests::fakes::{FakeCalendlyApi, FakeZoom, RecordedRequest};
use meetflow_tests::redis::TestRedis;

/// The configured rate (per second), the provider's (the fakes'), and calls per replica.
const RATE: u32 = 8;
const PROVIDER_RATE: u32 = 10;
const CALLS: usize = 12;
/// How long a call may wait for its slot (the whole burst fits in it).
const MAX_WAIT: Duration = Duration::from_secs(5);

/// A replica's handle on the shared Redis.
fn replica(redis: &TestRedis) -> Redis {
    Redis::connect(&redis.url(), "limits").unwrap()
}

fn limit(redis: &Redis, name: &str, per_second: u32) -> CallLimit {
    CallLimit::new(
        RateLimiter::new(redis, name, per_second, Duration::from_secs(1)),
        MAX_WAIT,
    )
}

/// The most requests that arrived within any `window` (sliding, from each arrival).
fn most_within(requests: &[RecordedRequest], window: Duration) -> usize {
    let mut at: Vec<Instant> = requests.iter().map(|r| r.at).collect();
    at.sort();
    (0..at.len())
        .map(|i| at[i..].iter().take_while(|t| **t - at[i] < window).count())
        .max()
        .unwrap_or(0)
}

/// The burst stayed within `RATE` per second at the provider: a window a little shorter than a
/// second (arrival jitter) never holds more than `RATE` requests.
fn assert_within_rate(requests: &[RecordedRequest], what: &str) {
    assert_eq!(
        requests.len(),
        2 * CALLS,
        "{what}: every call reached the provider once"
    );
    let most = most_within(requests, Duration::from_millis(900));
    assert!(
        most <= RATE as usize,
        "{what}: {most} requests within 900 ms, the configured rate is {RATE}/s"
    );
}

#[tokio::test]
async fn zoom_calls_of_two_replicas_share_the_category_limit() {
    meetflow_tests::install_crypto();
    let redis = TestRedis::start().await.unwrap();
    let fake = FakeZoom::start().await.unwrap();
    fake.add_past_meeting("burst-meeting", Vec::new());
    fake.rate_limit(PROVIDER_RATE);
    let credentials = ZoomCredentials {
        account_id: fake.account_id().into(),
        client_id: fake.client_id().into(),
        client_secret: fake.client_secret().into(),
    };
    let clients: Vec<ZoomClient> = (0..2)
        .map(|_| {
            let r = replica(&redis);
            let auth = ZoomAuth::new(
                fake.oauth_base_url().parse().unwrap(),
                &credentials,
                &r,
                Duration::from_secs(5),
            )
            .unwrap();
            // Participants are a Medium endpoint: only the medium limit applies to them.
            ZoomClient::new(fake.api_base_url().parse().unwrap(), auth).with_limits(ZoomLimits {
                light: limit(&r, "zoom_light", 1000),
                medium: limit(&r, "zoom_medium", RATE),
                heavy: limit(&r, "zoom_heavy", 1000),
            })
        })
        .collect();
    // One token first, so the burst is API calls only.
    clients[0].users_me().await.unwrap();
    let before = fake.requests().len();

    let started = Instant::now();
    let calls = clients.iter().flat_map(|c| {
        (0..CALLS).map(move |_| async move { c.past_meeting_participants("burst-meeting").await })
    });
    let results = join_all(calls).await;
    let took = started.elapsed();

    for r in &results {
        assert!(r.is_ok(), "a call failed (429 from the provider?): {r:?}");
    }
    let burst: Vec<RecordedRequest> = fake.requests()[before..]
        .iter()
        .filter(|r| r.path.starts_with("/v2/past_meetings/"))
        .cloned()
        .collect();
    assert_within_rate(&burst, "zoom");
    assert!(
        took >= Duration::from_millis(2500),
        "{} calls at {RATE}/s took only {took:?}",
        2 * CALLS
    );
}

#[tokio::test]
async fn calendly_calls_of_two_replicas_share_one_budget() {
    meetflow_tests::install_crypto();
    let redis = TestRedis::start().await.unwrap();
    let fake = FakeCalendlyApi::start().await.unwrap();
    fake.rate_limit(PROVIDER_RATE, Duration::from_secs(1));
    let clients: Vec<CalendlyClient> = (0..2)
        .map(|_| {
            let r = replica(&redis);
            CalendlyClient::new(
                url::Url::parse(&fake.base_url()).unwrap(),
                fake.access_token().into(),
                Duration::from_secs(5),
            )
            .unwrap()
            .with_limit(limit(&r, "calendly", RATE))
        })
        .collect();

    let calls = clients
        .iter()
        .flat_map(|c| (0..CALLS).map(move |_| async move { c.users_me().await }));
    let results = join_all(calls).await;

    for r in &results {
        assert!(r.is_ok(), "a call failed (429 from the provider?): {r:?}");
    }
    let burst: Vec<RecordedRequest> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/users/me")
        .collect();
    assert_within_rate(&burst, "calendly");
}
