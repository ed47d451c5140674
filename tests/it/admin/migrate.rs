//! Key layout 2 (the bookings family under `{ns:bookings}`) against an installation an earlier
//! meetflow left in layout 1, on a real Redis: every binary refuses it with one line naming
//! `meetflow-admin migrate`; the migration refuses while workers run, moves every key with its
//! value and TTL (a dry run first moves nothing), leaves a key whose new name is taken unless
//! `--overwrite`, records the layout, and the binaries then start and see the bookings. A
//! process of the earlier version writing again after the migration is refused at the next start.

use std::process::{Command, Stdio};
use std::time::Duration;

use meetflow_shared::bookings::Bookings;
use meetflow_shared::config::RemindersSettings;
use meetflow_shared::queue::NewJob;
use meetflow_shared::redis::{Family, Redis};
use serde_json::json;

use crate::support::admin::{Admin, free_port, ok};
use crate::support::queue::{counting, eventually, fast, spawn};
use crate::support::scheduler::{HOUR, due_ids, facts, key, now_ms, scheduler_binary};

/// Every key of the bookings family (layout 2 names).
async fn family_keys(redis: &Redis) -> Vec<String> {
    let pattern = format!("{}*", redis.keys().family_prefix(Family::Bookings));
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut redis.conn())
        .await
        .unwrap();
    keys.sort();
    keys
}

/// Renames the bookings family to its layout-1 names and forgets the layout: the namespace as
/// the earlier version left it. Answers the layout-2 names.
async fn back_to_layout_1(redis: &Redis) -> Vec<String> {
    let keys = family_keys(redis).await;
    let mut conn = redis.conn();
    for key in &keys {
        let old = redis.keys().to_v1(key).unwrap();
        let _: () = redis::cmd("RENAME")
            .arg(key)
            .arg(old)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    let _: () = redis::cmd("DEL")
        .arg(redis.keys().layout())
        .query_async(&mut conn)
        .await
        .unwrap();
    keys
}

/// The scheduler on the admin's Redis: `None` when it becomes ready (it is then stopped), else
/// the last line of its stderr (it must have exited 1).
async fn scheduler_refusal(admin: &Admin) -> Option<String> {
    let port = free_port();
    let env = admin.command();
    let mut cmd = Command::new(scheduler_binary());
    cmd.envs(env.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env("MEETFLOW__OPS__LISTEN", format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = tokio::process::Command::from(cmd)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = meetflow_tests::http::http_client();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let ready = http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        if ready {
            let pid = child.id().unwrap().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
            return None;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the scheduler neither became ready nor exited"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    Some(stderr.lines().last().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn an_installation_of_layout_1_is_refused_then_migrated_with_values_and_ttls() {
    let admin = Admin::start().await;
    let redis = admin.client.handle().clone();
    let keys = redis.keys().clone();
    let store = Bookings::new(redis.clone(), RemindersSettings::default());
    let booking = facts(now_ms() + 48 * HOUR);
    store.booked(&booking).await.unwrap();
    let mut conn = redis.conn();
    let marker = keys.sms_marker("b1", "confirmation");
    let _: () = redis::cmd("SET")
        .arg(&marker)
        .arg("sent")
        .arg("PX")
        .arg(3_600_000)
        .query_async(&mut conn)
        .await
        .unwrap();
    let job = admin
        .client
        .enqueue("sms", NewJob::json(&json!({"k": 1})).unwrap())
        .await
        .unwrap();
    let moved = back_to_layout_1(&redis).await;
    assert!(
        moved.len() >= 4,
        "booking, due, person set, marker: {moved:?}"
    );
    assert!(
        due_ids(&admin.client).await.is_empty(),
        "layout 2 sees none"
    );

    // Every binary refuses, with one line that says what to do.
    let line = scheduler_refusal(&admin).await.expect("refused");
    assert!(
        line.starts_with("meetflow-scheduler: Redis holds keys of meetflow's earlier key layout")
            && line.contains("meetflow-admin migrate"),
        "{line}"
    );
    let refused = admin.cli(&["queues"]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("meetflow-admin migrate"));

    // Not while a worker runs.
    let (_, handler) = counting();
    let worker = spawn(&admin.client, "other", fast(), handler);
    assert!(
        eventually(Duration::from_secs(10), || async {
            !admin.client.processes().await.unwrap().is_empty()
        })
        .await
    );
    let busy = admin.cli(&["migrate"]).await;
    assert_eq!(busy.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&busy.stderr).contains("still send heartbeats"),
        "{}",
        String::from_utf8_lossy(&busy.stderr)
    );
    worker.shutdown().await.unwrap();

    // A dry run counts and moves nothing.
    let dry = ok(&admin.cli(&["migrate", "--dry-run", "--force"]).await);
    assert!(
        dry.contains(&format!("would move {} key(s)", moved.len())),
        "{dry}"
    );
    assert!(family_keys(&redis).await.is_empty());

    // A key written under both names is left, and the layout not recorded, unless --overwrite.
    let _: () = redis::cmd("SET")
        .arg(&marker)
        .arg("sending:1:1")
        .query_async(&mut conn)
        .await
        .unwrap();
    let clash = admin.cli(&["migrate", "--force"]).await;
    assert_eq!(clash.status.code(), Some(1));
    let said = String::from_utf8_lossy(&clash.stdout);
    assert!(
        said.contains(&format!("moved {} key(s)", moved.len() - 1))
            && said.contains(&format!(
                "left (its new name exists): {}",
                keys.to_v1(&marker).unwrap()
            )),
        "{said}"
    );
    assert!(scheduler_refusal(&admin).await.is_some(), "still refused");
    let done = ok(&admin.cli(&["migrate", "--force", "--overwrite"]).await);
    assert!(
        done.contains("moved 1 key(s)") && done.contains("layout 2 recorded"),
        "{done}"
    );

    // Every key is back with its value and TTL; the queue's keys were not touched.
    assert_eq!(family_keys(&redis).await, moved);
    let (value, ttl): (String, i64) = redis::pipe()
        .cmd("GET")
        .arg(&marker)
        .cmd("PTTL")
        .arg(&marker)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        value, "sent",
        "the earlier layout's marker won with --overwrite"
    );
    assert!(ttl > 3_000_000 && ttl <= 3_600_000, "TTL kept: {ttl}");
    assert_eq!(due_ids(&admin.client).await.len(), 3, "24h, 1h, follow-up");
    let read = store.get(&key(&booking)).await.unwrap();
    assert!(read.is_some(), "the booking reads back");
    assert!(admin.client.job(job.id()).await.unwrap().is_some());
    let layout: String = redis::cmd("GET")
        .arg(keys.layout())
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(layout, "2");
    assert_eq!(scheduler_refusal(&admin).await, None, "it starts now");

    // An earlier-version process still running writes a layout-1 key: the next start refuses.
    let _: () = redis::cmd("ZADD")
        .arg(keys.to_v1(&keys.reminders_due()).unwrap())
        .arg(1)
        .arg("rem:x:rem-1h")
        .query_async(&mut conn)
        .await
        .unwrap();
    let line = scheduler_refusal(&admin).await.expect("refused again");
    assert!(line.contains("reminders:due"), "{line}");
}

#[tokio::test]
async fn a_new_namespace_records_layout_2_at_the_first_start() {
    let admin = Admin::start().await;
    assert_eq!(scheduler_refusal(&admin).await, None);
    let layout: Option<String> = redis::cmd("GET")
        .arg(admin.client.keys().layout())
        .query_async(&mut admin.client.handle().conn())
        .await
        .unwrap();
    assert_eq!(layout.as_deref(), Some("2"));
    let nothing = ok(&admin.cli(&["migrate", "--force"]).await);
    assert!(nothing.contains("moved 0 key(s)"), "{nothing}");
}

#[tokio::test]
async fn migrating_back_restores_layout_1_for_a_rollback_and_forward_again() {
    let admin = Admin::start().await;
    let redis = admin.client.handle().clone();
    let store = Bookings::new(redis.clone(), RemindersSettings::default());
    store.booked(&facts(now_ms() + 48 * HOUR)).await.unwrap();
    assert_eq!(scheduler_refusal(&admin).await, None, "layout 2 recorded");
    let keys = family_keys(&redis).await;

    let back = ok(&admin.cli(&["migrate", "--back", "--force"]).await);
    assert!(
        back.contains(&format!(
            "moved {} key(s) of key layout 2 to layout 1",
            keys.len()
        )) && back.contains("layout record removed"),
        "{back}"
    );
    assert!(family_keys(&redis).await.is_empty());
    let mut conn = redis.conn();
    for key in &keys {
        let old = redis.keys().to_v1(key).unwrap();
        let there: bool = redis::cmd("EXISTS")
            .arg(&old)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(there, "{old}");
    }
    assert!(
        scheduler_refusal(&admin).await.is_some(),
        "this release refuses layout 1"
    );

    ok(&admin.cli(&["migrate", "--force"]).await);
    assert_eq!(family_keys(&redis).await, keys);
    assert_eq!(due_ids(&admin.client).await.len(), 3);
    assert_eq!(scheduler_refusal(&admin).await, None);
}
