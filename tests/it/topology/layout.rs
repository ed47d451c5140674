//! The key layout migration on a real 3-master Cluster: the layout-1 keys (all in the `{ns}`
//! slot) are found by scanning the master that holds that slot, and moved to `{ns:bookings}`
//! (another slot, here another master) with `DUMP` / `RESTORE`, since a Cluster refuses a
//! `RENAME` across slots; and back again, as before a rollback.

use meetflow_shared::bookings::Bookings;
use meetflow_shared::config::RemindersSettings;
use meetflow_shared::process::layout::{self, Direction, Layout};
use meetflow_shared::queue::QueueClient;
use meetflow_shared::redis::{Family, Redis};
use meetflow_tests::topology::TestCluster;

use crate::support::scheduler::{HOUR, due_ids, facts, now_ms};

/// A namespace whose `{ns}` and `{ns:bookings}` slots are on different masters of the even split.
const NS: &str = "lay";

/// The keys of the bookings family, on every master.
async fn family_keys(cluster: &TestCluster, redis: &Redis) -> Vec<String> {
    let prefix = redis.keys().family_prefix(Family::Bookings);
    let mut out = Vec::new();
    for node in cluster.nodes() {
        let mut c = node.conn().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut c)
            .await
            .unwrap();
        out.extend(keys);
    }
    out.sort();
    out
}

/// Moves `keys` to their layout-1 names across slots (what an earlier version wrote).
async fn back_to_layout_1(redis: &Redis, keys: &[String]) {
    let mut conn = redis.conn();
    for key in keys {
        let (ttl, dump): (i64, Vec<u8>) = redis::pipe()
            .cmd("PTTL")
            .arg(key)
            .cmd("DUMP")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
        let old = redis.keys().to_v1(key).unwrap();
        let _: () = redis::cmd("RESTORE")
            .arg(&old)
            .arg(ttl.max(0))
            .arg(dump)
            .query_async(&mut conn)
            .await
            .unwrap();
        let _: () = redis::cmd("DEL")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    let _: () = redis::cmd("DEL")
        .arg(redis.keys().layout())
        .query_async(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn layout_1_keys_move_across_cluster_slots() {
    let cluster = TestCluster::start().await.unwrap();
    let client = QueueClient::connect(&cluster.url(), NS).await.unwrap();
    let redis = client.handle().clone();
    let store = Bookings::new(redis.clone(), RemindersSettings::default());
    for i in 0..3 {
        store
            .booked(&facts(now_ms() + (48 + i) * HOUR))
            .await
            .unwrap();
    }
    assert_eq!(layout::check(&redis).await.unwrap(), Layout::Fresh);
    assert_eq!(layout::inspect(&redis).await.unwrap(), Layout::Current);
    let keys = family_keys(&cluster, &redis).await;
    assert!(keys.len() >= 5, "3 bookings, due, the person: {keys:?}");

    back_to_layout_1(&redis, &keys).await;
    assert!(family_keys(&cluster, &redis).await.is_empty());
    assert!(due_ids(&client).await.is_empty());
    let Layout::Earlier { example } = layout::inspect(&redis).await.unwrap() else {
        panic!("layout 1 not found on the cluster")
    };
    assert!(redis.keys().from_v1(&example).is_some(), "{example}");

    let done = layout::migrate(&redis, Direction::Forward, false, false)
        .await
        .unwrap();
    assert_eq!(done.moved, keys.len() as u64);
    assert!(done.conflicts.is_empty() && done.recorded, "{done:?}");
    assert_eq!(family_keys(&cluster, &redis).await, keys);
    assert_eq!(due_ids(&client).await.len(), 9, "three bookings' reminders");
    assert_eq!(layout::inspect(&redis).await.unwrap(), Layout::Current);

    // And back (before a rollback), scanning the master of `{ns:bookings}` this time.
    let back = layout::migrate(&redis, Direction::Back, false, false)
        .await
        .unwrap();
    assert_eq!(back.moved, keys.len() as u64);
    assert!(family_keys(&cluster, &redis).await.is_empty());
    assert!(matches!(
        layout::inspect(&redis).await.unwrap(),
        Layout::Earlier { .. }
    ));
}
