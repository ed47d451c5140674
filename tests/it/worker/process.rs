//! Worker: the `meetflow-worker` binary. Flags (`--queues` with an unknown name exits 2, a queue
//! without its provider's credentials exits 1 with a one-line reason), SIGTERM (exit 0), and an
//! SMS whose worker is killed mid-send is not sent a second time by the worker that takes over.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use meetflow_shared::events::Provider;
use meetflow_shared::jobs::SMS;

use crate::support::worker::{
    Env, JORDAN_PHONE, created, env, eventually, in_two_days, new_invitee,
};
use meetflow_shared::bookings::BookingKey;

/// The `meetflow-worker` binary (see [`meetflow_tests::binaries`]).
fn worker_binary() -> PathBuf {
    meetflow_tests::binaries::meetflow_binary("worker")
}

pub(crate) fn config_file(yaml: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("meetflow-worker-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("meetflow.yaml");
    std::fs::write(&path, yaml).unwrap();
    (dir, path)
}

fn command(config: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(worker_binary());
    c.arg("--config")
        .arg(config)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    c
}

pub(crate) fn spawn(config: &Path, args: &[&str], envs: &[(&str, &str)]) -> Child {
    command(config, args)
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn bad_queue_names_and_missing_credentials_stop_the_worker_with_one_line() {
    let env = env().await;
    let (dir, config) = config_file(&env.yaml);
    let out = command(&config, &["--queues", "events,mail"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("mail"));

    let no_zoom = env
        .yaml
        .replace(&env.zoom.client_secret(), "")
        .replace(&env.zoom.client_id(), "")
        .replace(&env.zoom.account_id(), "");
    std::fs::write(&config, no_zoom).unwrap();
    let out = command(&config, &["--queues", "zoom"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("meetflow-worker: queue zoom: connectors.zoom."),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn sigterm_finishes_the_sms_in_flight_and_exits_0() {
    let env = env().await;
    env.engagelab.set_latency(Duration::from_millis(1500));
    let (dir, config) = config_file(&env.yaml);
    let mut child = spawn(&config, &[], &[]);
    let up = eventually(Duration::from_secs(30), || async {
        child_consumers(&env).await >= 4
    })
    .await;
    assert!(up, "the worker did not start serving its queues");
    let (uri, key) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    let calling = eventually(Duration::from_secs(30), || async {
        !env.engagelab.requests().is_empty()
    })
    .await;
    assert!(calling, "the SMS call started");
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = wait_exit(&mut child, Duration::from_secs(15))
        .await
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status}");
    assert_eq!(env.engagelab.sent_count(), 1, "the call in flight finished");
    let marker = env.client.keys().sms_marker(key.as_str(), "confirmation");
    assert_eq!(env.get(&marker).await.as_deref(), Some("sent"));
    let _ = std::fs::remove_dir_all(dir);
}

/// How many queues have a live consumer (a worker process heartbeat).
async fn child_consumers(env: &crate::support::worker::Env) -> usize {
    let mut n = 0;
    for q in meetflow_shared::jobs::ALL_QUEUES {
        let mut conn = env.client.redis();
        let c: usize = redis::cmd("ZCARD")
            .arg(env.client.keys().consumers(q))
            .query_async(&mut conn)
            .await
            .unwrap_or(0);
        n += usize::from(c > 0);
    }
    n
}

/// A worker process killed while EngageLab holds its answer to Jordan's confirmation, and the
/// `sms` worker started after it (with the same `overrides`), once the job reached the dead
/// letters. `stop` ends the second worker and removes the config.
pub(crate) struct KilledMidSend {
    pub(crate) key: BookingKey,
    second: Child,
    dir: PathBuf,
}

impl KilledMidSend {
    pub(crate) async fn run(env: &Env, overrides: &[(&str, &str)]) -> Self {
        env.engagelab
            .set_timeout_after_send(Some(Duration::from_secs(30)));
        let (dir, config) = config_file(&env.yaml);
        let mut first = spawn(&config, &["--queues", "events,sms"], overrides);
        let (uri, key) = new_invitee();
        env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
            .await;
        let sent = eventually(Duration::from_secs(30), || async {
            env.engagelab.sent_count() == 1
        })
        .await;
        assert!(sent, "the first worker sent the SMS");
        first.kill().unwrap();
        first.wait().unwrap();

        env.engagelab.set_timeout_after_send(None);
        let second = spawn(&config, &["--queues", "sms"], overrides);
        let dead = eventually(Duration::from_secs(30), || async {
            !env.dead(SMS).await.is_empty()
        })
        .await;
        assert!(dead, "the job ran again after its lease expired");
        Self { key, second, dir }
    }

    pub(crate) fn stop(mut self) {
        self.second.kill().unwrap();
        self.second.wait().unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn a_worker_killed_mid_send_does_not_text_twice() {
    let env = env().await;
    let run = KilledMidSend::run(&env, &[("MEETFLOW__QUEUES__SMS__LEASE", "2s")]).await;
    let key = run.key.clone();
    let letters = env.dead(SMS).await;
    let message = &letters[0].errors.last().unwrap().message;
    assert!(
        message.starts_with("possibly sent; check EngageLab before replaying"),
        "{message}"
    );
    assert_eq!(
        env.engagelab.sent_to(JORDAN_PHONE).len(),
        1,
        "not sent twice"
    );
    let marker = env.client.keys().sms_marker(key.as_str(), "confirmation");
    assert!(env.get(&marker).await.unwrap().starts_with("sending:"));
    run.stop();
}
