//! The key families with a hash tag of their own (`meetflow_shared::redis::Family`) on a real
//! 3-master Cluster: the rate limiter (a limiter and a job's held slot in one script), the tick
//! lock, the Zoom token cache (compare-and-delete), an admin session and the worker process
//! registry (the heartbeat script, the process list's pipeline) and the bookings store (its
//! scripts bind a booking, the reminder sets and the person set) each work there, every key they
//! leave hashes to its family's tag and to another slot than the namespace's `{ns}`, and the
//! installation's keys spread over more than one master.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, Method, header};
use meetflow_admin::web::auth::{Auth, COOKIE, Caller};
use meetflow_scheduler::periodic::acquire_tick;
use meetflow_shared::bookings::Bookings;
use meetflow_shared::config::RemindersSettings;
use meetflow_shared::providers::rate_limit::{Admission, RateLimiter};
use meetflow_shared::providers::zoom_api::{ZoomAuth, ZoomCredentials};
use meetflow_shared::queue::{NewJob, QueueClient};
use meetflow_shared::redis::{Family, Redis, hash_tag};
use meetflow_tests::fakes::FakeZoom;
use meetflow_tests::topology::TestCluster;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::support::queue::{counting, eventually, fast, spawn};
use crate::support::scheduler::{HOUR, due_ids, facts, now_ms};

const NS: &str = "fam";

/// `CLUSTER KEYSLOT key`, asked of any master.
async fn slot(cluster: &TestCluster, key: &str) -> i64 {
    let mut c = cluster.nodes()[0].conn().await.unwrap();
    redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query_async(&mut c)
        .await
        .unwrap()
}

/// The port of the master serving `slot` (`CLUSTER SLOTS`).
async fn master_of(cluster: &TestCluster, slot: i64) -> i64 {
    let mut c = cluster.nodes()[0].conn().await.unwrap();
    let ranges: Vec<(i64, i64, (String, i64))> = redis::cmd("CLUSTER")
        .arg("SLOTS")
        .query_async::<Vec<redis::Value>>(&mut c)
        .await
        .unwrap()
        .into_iter()
        .map(|range| {
            let redis::Value::Array(parts) = range else {
                panic!("CLUSTER SLOTS entry {range:?}")
            };
            let num = |v: &redis::Value| redis::from_redis_value_ref::<i64>(v).unwrap();
            let redis::Value::Array(master) = &parts[2] else {
                panic!("{parts:?}")
            };
            let host = redis::from_redis_value_ref::<String>(&master[0]).unwrap();
            (num(&parts[0]), num(&parts[1]), (host, num(&master[1])))
        })
        .collect();
    ranges
        .into_iter()
        .find(|(lo, hi, _)| (*lo..=*hi).contains(&slot))
        .map(|(_, _, (_, port))| port)
        .unwrap_or_else(|| panic!("no master serves slot {slot}"))
}

/// Every key on every master.
async fn all_keys(cluster: &TestCluster) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for n in cluster.nodes() {
        let mut c = n.conn().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut c)
            .await
            .unwrap();
        out.extend(keys);
    }
    out
}

async fn rate_limiter(redis: &Redis) {
    // One call per 10 s: a slot now; the next is held for job1 (further than its 100 ms) and,
    // asked again, the same held slot comes back, not a new one 10 s later.
    let limiter = RateLimiter::new(redis, "brevo", 1, Duration::from_secs(10));
    assert_eq!(
        limiter.acquire().await.unwrap(),
        Admission::Granted(Duration::ZERO)
    );
    let max = Duration::from_millis(100);
    let Admission::Held(first) = limiter.reserve_for("job1", max).await.unwrap() else {
        panic!("expected a held slot")
    };
    let Admission::Held(again) = limiter.reserve_for("job1", max).await.unwrap() else {
        panic!("expected the held slot again")
    };
    assert!(
        first > Duration::from_secs(9) && again <= first,
        "{first:?} {again:?}"
    );
    // Two slots in one run start after the held one.
    let run = limiter.reserve_run(2).await.unwrap();
    assert!(run > Duration::from_secs(19), "{run:?}");
}

async fn zoom_token(redis: &Redis) {
    meetflow_tests::install_crypto();
    let fake = FakeZoom::start().await.unwrap();
    let credentials = ZoomCredentials {
        account_id: SecretString::from(fake.account_id()),
        client_id: SecretString::from(fake.client_id()),
        client_secret: SecretString::from(fake.client_secret()),
    };
    let oauth = reqwest::Url::parse(&fake.oauth_base_url()).unwrap();
    let auth = ZoomAuth::new(oauth, &credentials, redis, Duration::from_secs(5)).unwrap();
    let token = auth.token().await.unwrap();
    let cached = auth.token().await.unwrap();
    assert_eq!(token.expose_secret(), cached.expose_secret());
    assert_eq!(
        fake.token_requests(),
        1,
        "the second read is the cached token"
    );
    // Invalidated (compare-and-delete on the cluster), the next read fetches a new one.
    auth.invalidate(&token).await.unwrap();
    auth.token().await.unwrap();
    assert_eq!(fake.token_requests(), 2);
}

async fn admin_session(redis: &Redis) {
    let token = "a-long-enough-admin-token-for-the-test";
    let auth = Auth::new(Some(&SecretString::from(token)), redis.clone());
    let sid = auth.login(token).await.unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1"));
    headers.insert(
        header::COOKIE,
        HeaderValue::from_str(&format!("{COOKIE}={sid}")).unwrap(),
    );
    let caller = auth.check(&Method::GET, &headers).await.unwrap();
    assert!(matches!(caller, Caller::Session { .. }), "{caller:?}");
}

/// The bookings family: a booking plans its reminders (the `booked` script: booking hash,
/// `reminders:due`, the person set), the due claim reads it back, a cancel calls them off.
async fn bookings(client: &QueueClient) {
    let store = Bookings::new(client.handle().clone(), RemindersSettings::default());
    let soon = facts(now_ms() + 48 * HOUR);
    store.booked(&soon).await.unwrap();
    assert_eq!(due_ids(client).await.len(), 3, "24h, 1h and the follow-up");
    store
        .canceled(&soon.invitee_uri, false, None)
        .await
        .unwrap();
    assert!(
        due_ids(client).await.is_empty(),
        "the cancel calls them off"
    );
}

async fn process_registry(client: &QueueClient) {
    let (runs, handler) = counting();
    let w = spawn(client, "q", fast(), handler);
    client
        .enqueue("q", NewJob::json(&json!({})).unwrap())
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(10), || async {
            runs.load(std::sync::atomic::Ordering::SeqCst) == 1
                && client
                    .processes()
                    .await
                    .unwrap()
                    .iter()
                    .any(|p| p.queues.contains_key("q"))
        })
        .await,
        "the worker's heartbeat lists it in the process list"
    );
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_families_with_their_own_tag_work_on_a_cluster_in_slots_of_their_own() {
    let cluster = TestCluster::start().await.unwrap();
    let client = QueueClient::connect(&cluster.url(), NS).await.unwrap();
    let redis = client.handle().clone();
    let keys = redis.keys().clone();

    rate_limiter(&redis).await;
    let now = meetflow_shared::queue::now_ms();
    let every = Duration::from_secs(60);
    assert!(
        acquire_tick(&redis, "t", every, now)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        acquire_tick(&redis, "t", every, now)
            .await
            .unwrap()
            .is_none(),
        "the tick lock is taken once"
    );
    zoom_token(&redis).await;
    admin_session(&redis).await;
    bookings(&client).await;
    process_registry(&client).await;

    // Every key the families left carries its family's tag; each family hashes elsewhere than
    // `{fam}` (where the queue's keys are).
    let ns_slot = slot(&cluster, &keys.job("x")).await;
    let left = all_keys(&cluster).await;
    for family in Family::ALL {
        let tag = format!("{NS}:{}", family.tag());
        let of_family: Vec<&String> = left.iter().filter(|k| hash_tag(k) == tag).collect();
        assert!(!of_family.is_empty(), "no key of {family:?} in {left:?}");
        for key in of_family {
            assert!(keys.owns(key), "{key}");
            assert_ne!(slot(&cluster, key).await, ns_slot, "{key}");
        }
    }
    for key in &left {
        assert!(keys.owns(key), "key outside the namespace: {key}");
    }
    for key in [
        keys.rate_limit("brevo"),
        keys.rate_limit_held("brevo", "job1"),
        keys.tick_lock("t", now.div_euclid(60_000)),
        keys.processes(),
    ] {
        assert!(left.contains(&key), "{key} in {left:?}");
    }
    assert!(left.iter().any(|k| k.starts_with(&keys.job(""))));
    // With the default namespace, the queue group, the bookings family and the rate limiters
    // (the three groups every job touches) are on three different masters of the usual even
    // split (`redis-cli --cluster create`, as here).
    let default = meetflow_shared::redis::Keys::new("meetflow");
    let mut owners = BTreeSet::new();
    for key in [
        default.job("x"),
        default.booking("x"),
        default.rate_limit("brevo"),
    ] {
        owners.insert(master_of(&cluster, slot(&cluster, &key).await).await);
    }
    assert_eq!(owners.len(), 3, "{owners:?}");
    let counts = cluster.key_counts().await.unwrap();
    assert!(
        counts.iter().filter(|&&n| n > 0).count() > 1,
        "the families spread beyond the namespace's shard: {counts:?}"
    );
}
