//! The private-Redis harness: isolation, SIGKILL + restart with and without AOF.

use std::time::{Duration, Instant};

use meetflow_tests::redis::{TestRedis, TestRedisOptions};
use redis::AsyncCommands;

#[tokio::test]
async fn harness_redis_starts_fast_and_answers() {
    let t0 = Instant::now();
    let r = TestRedis::start().await.unwrap();
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(2), "startup took {took:?}");
    assert_eq!(r.url(), format!("redis://127.0.0.1:{}", r.port()));
    assert!(r.pid().is_some());
    let mut c = r.conn().await.unwrap();
    let () = c.set("k", "v").await.unwrap();
    let v: String = c.get("k").await.unwrap();
    assert_eq!(v, "v");
    let aof: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("appendonly")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(aof, vec!["appendonly", "no"]);
}

#[tokio::test]
async fn harness_redis_servers_are_isolated() {
    let a = TestRedis::start().await.unwrap();
    let b = TestRedis::start().await.unwrap();
    assert_ne!(a.port(), b.port());
    let mut ca = a.conn().await.unwrap();
    let mut cb = b.conn().await.unwrap();
    let () = ca.set("only-in-a", 1).await.unwrap();
    let got: Option<i64> = cb.get("only-in-a").await.unwrap();
    assert_eq!(got, None);
}

#[tokio::test]
async fn harness_redis_aof_survives_kill9_and_restart() {
    let mut r = TestRedis::start_with(TestRedisOptions::new().persistent())
        .await
        .unwrap();
    let port = r.port();
    let pid = r.pid().unwrap();
    let mut c = r.conn().await.unwrap();
    for i in 0..100 {
        let () = c.rpush("list", i).await.unwrap();
    }
    r.kill9().unwrap();
    assert_eq!(r.pid(), None);
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
    );
    r.restart().await.unwrap();
    assert_eq!(r.port(), port);
    assert_ne!(r.pid().unwrap(), pid);
    let mut c = r.conn().await.unwrap();
    let n: usize = c.llen("list").await.unwrap();
    assert_eq!(n, 100);
}

#[tokio::test]
async fn harness_redis_without_aof_loses_data_on_kill9() {
    let mut r = TestRedis::start().await.unwrap();
    let mut c = r.conn().await.unwrap();
    let () = c.set("k", "v").await.unwrap();
    r.kill9().unwrap();
    r.restart().await.unwrap();
    let mut c = r.conn().await.unwrap();
    let v: Option<String> = c.get("k").await.unwrap();
    assert_eq!(v, None, "in-memory mode must not persist anything");
}

#[tokio::test]
async fn harness_redis_stop_then_restart_keeps_aof() {
    let mut r = TestRedis::start_with(TestRedisOptions::new().persistent())
        .await
        .unwrap();
    let mut c = r.conn().await.unwrap();
    let () = c.set("k", "v").await.unwrap();
    r.stop().await.unwrap();
    assert_eq!(r.pid(), None);
    r.restart().await.unwrap();
    let mut c = r.conn().await.unwrap();
    let v: Option<String> = c.get("k").await.unwrap();
    assert_eq!(v.as_deref(), Some("v"));
}

#[tokio::test]
async fn harness_redis_drop_kills_and_cleans_up() {
    let r = TestRedis::start().await.unwrap();
    let dir = r.data_dir().to_owned();
    let port = r.port();
    assert!(dir.exists());
    drop(r);
    assert!(!dir.exists());
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn harness_redis_pause_stalls_until_resume() {
    let r = TestRedis::start().await.unwrap();
    let mut c = r.conn().await.unwrap();
    r.pause().unwrap();
    let stalled =
        tokio::time::timeout(Duration::from_millis(200), c.get::<_, Option<String>>("k")).await;
    assert!(stalled.is_err(), "a paused server must not answer");
    r.resume().unwrap();
    let v: Option<String> = tokio::time::timeout(Duration::from_secs(2), c.get("k"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v, None);
}

#[tokio::test]
async fn harness_redis_extra_args_are_applied() {
    let r = TestRedis::start_with(TestRedisOptions::new().arg("maxmemory", "8mb"))
        .await
        .unwrap();
    let mut c = r.conn().await.unwrap();
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(got[1], (8 * 1024 * 1024).to_string());
}

#[tokio::test]
async fn harness_redis_watchdog_kills_orphans() {
    // A child process that starts a server and then dies without running Drop: its
    // server must not outlive it.
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "harness::redis::orphan_helper",
            "--ignored",
            "--nocapture",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let port: u16 = text
        .lines()
        .find_map(|l| l.strip_prefix("ORPHAN_PORT="))
        .unwrap_or_else(|| panic!("helper printed no port: {text}"))
        .trim()
        .parse()
        .unwrap();
    let dir = std::path::PathBuf::from(
        text.lines()
            .find_map(|l| l.strip_prefix("ORPHAN_DIR="))
            .unwrap()
            .trim(),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while dir.exists() {
        assert!(Instant::now() < deadline, "orphan's data dir not removed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
    {
        assert!(
            Instant::now() < deadline,
            "orphaned redis-server still answers on {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Run only by `harness_redis_watchdog_kills_orphans`: start a server, then exit the
/// process without dropping it.
#[tokio::test]
#[ignore = "helper process for harness_redis_watchdog_kills_orphans"]
async fn orphan_helper() {
    let r = TestRedis::start().await.unwrap();
    println!("ORPHAN_PORT={}", r.port());
    println!("ORPHAN_DIR={}", r.data_dir().display());
    std::mem::forget(r);
    std::process::exit(0);
}
