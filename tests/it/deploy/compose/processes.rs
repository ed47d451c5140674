//! Runs compose services as local processes: the container's binary, arguments and environment,
//! with only the container-specific values mapped to this machine (Redis -> a private
//! `TestRedis` that requires the compose Redis's password, reached with the compose redis.url's
//! credentials; listen addresses -> free loopback ports, /etc/meetflow -> ../config).

use std::collections::BTreeSet;
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use meetflow_tests::http::http_client_with_timeout;
use meetflow_tests::redis::{TestRedis, TestRedisOptions};

use super::services::{CONFIG_MOUNT, Service, compose_redis_password, config_path, repo};

/// A freshly started binary connects to Redis and binds its ports in well under a second; the
/// margin covers a loaded CI machine.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Idle processes drain at once on SIGTERM; workers may take their 30 s grace only with jobs.
const EXIT_TIMEOUT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(50);

/// The directory holding the built binaries: tests run from target/<profile>/deps/it-<hash>.
pub(super) fn binaries_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// The built binary, if it exists and is newer than its crate's and the shared crate's sources
/// (a stale binary would test yesterday's flags).
pub(super) fn fresh_binary(bins: &Path, binary: &str) -> Option<PathBuf> {
    let path = bins.join(binary);
    let krate = binary.strip_prefix("meetflow-")?;
    meetflow_tests::binaries::is_fresh(&path, krate).then_some(path)
}

/// One started service.
pub(super) struct Running {
    pub(super) name: String,
    pub(super) binary: String,
    pub(super) child: Child,
    pub(super) ops_port: u16,
    log: PathBuf,
}

impl Running {
    pub(super) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_loopback() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// The service's own redis.url (its credentials kept) pointed at `port` on this machine.
fn local_redis_url(svc: &Service, port: u16) -> String {
    let compose = svc
        .env
        .get("MEETFLOW__REDIS__URL")
        .unwrap_or_else(|| panic!("{}: no MEETFLOW__REDIS__URL", svc.name));
    let mut url = url::Url::parse(compose).unwrap_or_else(|e| panic!("{}: {e}", svc.name));
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(port)).unwrap();
    url.to_string()
}

fn spawn(svc: &Service, redis_port: u16, bins: &Path, logs: &Path) -> Running {
    let config_dir = repo().join("config");
    // The quick start copies config/meetflow.example.yaml to config/meetflow.yaml.
    let config = config_path(svc, &config_dir, Some("meetflow.example.yaml"));
    let mut env = svc.env.clone();
    env.insert(
        "MEETFLOW__REDIS__URL".into(),
        local_redis_url(svc, redis_port),
    );
    let ops = free_loopback();
    env.insert("MEETFLOW__OPS__LISTEN".into(), ops.clone());
    for key in ["MEETFLOW__INGEST__LISTEN", "MEETFLOW__ADMIN__LISTEN"] {
        if env.contains_key(key) {
            env.insert(key.into(), free_loopback());
        }
    }
    env.insert("MEETFLOW_CONFIG".into(), config.display().to_string());
    let args: Vec<String> = svc
        .args
        .iter()
        .map(|a| match a.strip_prefix(CONFIG_MOUNT) {
            Some(_) => config.display().to_string(),
            None => a.clone(),
        })
        .collect();
    let log = logs.join(format!("{}.log", svc.name));
    let out = File::create(&log).unwrap();
    let child = Command::new(bins.join(&svc.binary))
        .args(&args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(&env)
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: cannot start {}: {e}", svc.name, svc.binary));
    let ops_port = ops.rsplit(':').next().unwrap().parse().unwrap();
    Running {
        name: svc.name.clone(),
        binary: svc.binary.clone(),
        child,
        ops_port,
        log,
    }
}

async fn wait_ready(client: &reqwest::Client, r: &mut Running) {
    let url = format!("http://127.0.0.1:{}/readyz", r.ops_port);
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = r.child.try_wait().unwrap() {
            panic!(
                "{} exited with {status} before /readyz:\n{}",
                r.name,
                r.log_tail()
            );
        }
        if let Ok(resp) = client.get(&url).send().await
            && resp.status() == reqwest::StatusCode::OK
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{}: {url} not 200 after {READY_TIMEOUT:?}:\n{}",
            r.name,
            r.log_tail()
        );
        tokio::time::sleep(POLL).await;
    }
}

async fn terminate(r: &mut Running) {
    let pid = r.child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success(), "{}: kill -TERM failed", r.name);
    let deadline = Instant::now() + EXIT_TIMEOUT;
    loop {
        if let Some(status) = r.child.try_wait().unwrap() {
            assert!(
                status.success(),
                "{}: exited with {status} after SIGTERM:\n{}",
                r.name,
                r.log_tail()
            );
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{}: still running {EXIT_TIMEOUT:?} after SIGTERM:\n{}",
            r.name,
            r.log_tail()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Starts every service (one instance each) against one private Redis, checks that each answers
/// GET /readyz with 200 and serves its first-second metrics (super::metrics: build info, process
/// metrics, Redis up, `promtool check metrics` clean; the scheduler killed leaves the
/// scheduler-absent condition), then SIGTERMs the rest and expects exit status 0.
///
/// Needs up-to-date binaries in the test's target directory (`cargo build --bins`); without them
/// it prints SKIP and returns, unless MEETFLOW_REQUIRE_BINS is set, when it fails.
pub(super) async fn run_services_as_processes(services: Vec<Service>) {
    let bins = binaries_dir();
    let missing: BTreeSet<&str> = services
        .iter()
        .map(|s| s.binary.as_str())
        .filter(|b| fresh_binary(&bins, b).is_none())
        .collect();
    if !missing.is_empty() {
        let msg = format!(
            "missing or older than their sources in {}: {missing:?} (run `cargo build --bins`)",
            bins.display()
        );
        assert!(std::env::var_os("MEETFLOW_REQUIRE_BINS").is_none(), "{msg}");
        eprintln!("SKIP compose services as processes: {msg}");
        return;
    }
    // Like the compose Redis, this one refuses clients without the password.
    let password = compose_redis_password().expect("the compose Redis has no --requirepass");
    let redis = TestRedis::start_with(TestRedisOptions::new().arg("requirepass", &password))
        .await
        .unwrap();
    let logs = std::env::temp_dir().join(format!("meetflow-compose-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&logs).unwrap();
    let mut running: Vec<Running> = services
        .iter()
        .map(|s| spawn(s, redis.port(), &bins, &logs))
        .collect();
    let client = http_client_with_timeout(Duration::from_secs(2));
    for r in &mut running {
        wait_ready(&client, r).await;
    }
    super::metrics::check_first_seconds(&client, &mut running).await;
    for r in &mut running {
        terminate(r).await;
    }
    let _ = std::fs::remove_dir_all(&logs);
}
