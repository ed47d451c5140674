//! The chaos run's processes: the built `meetflow-ingest`, `meetflow-worker` and
//! `meetflow-scheduler` binaries, one configuration file with secrets passed through the
//! environment, each process's stderr (JSON logs) appended to its own file, and SIGKILL +
//! restart of any of them.

use std::fs::OpenOptions;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use meetflow_tests::fakes::{FakeBrevo, FakeEngageLab, FakeZoom};

/// The event type the plan books, mapped to Brevo list 10.
pub(crate) const EVENT_TYPE: &str =
    "https://api.calendly.com/event_types/2b6c1f0a-7d3e-4c8b-9f21-5a4e8d0c6b13";
pub(crate) const CALENDLY_KEY: &str = "chaos-calendly-signing-key-5b1e";
pub(crate) const ZOOM_SECRET: &str = "chaos-zoom-webhook-secret-92ad";
pub(crate) const NS: &str = "chaos";

/// The built `name` binary (`meetflow-ingest`, ...; see [`meetflow_tests::binaries`]).
pub(crate) fn binary(name: &str) -> PathBuf {
    meetflow_tests::binaries::meetflow_binary(name.trim_start_matches("meetflow-"))
}

pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The configuration every process reads, and the environment carrying its secrets.
pub(crate) struct Config {
    pub(crate) path: PathBuf,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) ingest_port: u16,
}

pub(crate) fn write_config(
    dir: &Path,
    redis_url: &str,
    brevo: &FakeBrevo,
    engagelab: &FakeEngageLab,
    zoom: &FakeZoom,
    sms_rate: &str,
    wait_replicas: u32,
) -> Config {
    let ingest_port = free_port();
    let yaml = format!(
        r#"
redis: {{ url: "{redis_url}", namespace: {NS}, wait_replicas: {wait_replicas} }}
ingest: {{ listen: "127.0.0.1:{ingest_port}", max_body_bytes: 262144 }}
ops: {{ listen: "127.0.0.1:0" }}
connectors:
  calendly:
    signing_key: ${{CHAOS_CALENDLY_KEY}}
    tolerance: 3m
    event_mapping:
      product_demo: {{ event_type_uri: "{EVENT_TYPE}", list_id: 10 }}
    field_mapping:
      questions_and_answers: {{ company: COMPANY }}
      status: BOOKING_STATUS
  zoom:
    webhook_secret: ${{CHAOS_ZOOM_SECRET}}
    account_id: "{zaccount}"
    client_id: "{zid}"
    client_secret: ${{CHAOS_ZOOM_CLIENT_SECRET}}
    api_base_url: "{zapi}"
    oauth_base_url: "{zoauth}"
    lists: {{ meeting_participants: 15, webinar_attendees: 16, webinar_registrants: 17 }}
brevo: {{ api_key: "${{CHAOS_BREVO_KEY}}", base_url: "{burl}", rate_limit: 400/s }}
engagelab:
  dev_key: ${{CHAOS_ENGAGELAB_KEY}}
  dev_secret: ${{CHAOS_ENGAGELAB_SECRET}}
  base_url: "{eurl}"
  rate_limit: {sms_rate}
  templates: {{ confirmation: tpl_confirmation, cancellation: tpl_cancellation, reminder: tpl_reminder, follow_up: tpl_follow_up, host_notify: "" }}
engagement: {{ quiet_hours: null }}   # follow-ups fall inside the run whatever the time of day
queues:
  default: {{ concurrency: 16, lease: 2s, max_attempts: 25, backoff: {{ base: 100ms, cap: 1500ms }} }}
  sms: {{ concurrency: 48 }}   # room for the sends EngageLab holds 10 s (timeouts after accepting)
"#,
        zaccount = zoom.account_id(),
        zid = zoom.client_id(),
        zapi = zoom.api_base_url(),
        zoauth = zoom.oauth_base_url(),
        burl = brevo.base_url(),
        eurl = engagelab.base_url(),
    );
    let path = dir.join("meetflow.yaml");
    std::fs::write(&path, yaml).unwrap();
    let env = [
        ("CHAOS_CALENDLY_KEY", CALENDLY_KEY.to_owned()),
        ("CHAOS_ZOOM_SECRET", ZOOM_SECRET.to_owned()),
        ("CHAOS_ZOOM_CLIENT_SECRET", zoom.client_secret()),
        ("CHAOS_BREVO_KEY", brevo.api_key()),
        ("CHAOS_ENGAGELAB_KEY", engagelab.dev_key()),
        ("CHAOS_ENGAGELAB_SECRET", engagelab.dev_secret()),
        // Reminders a few seconds ahead, so they fall inside the run.
        ("MEETFLOW__REMINDERS__OFFSETS", "[16s, 8s]".to_owned()),
        ("MEETFLOW__REMINDERS__FOLLOW_UP_AFTER_END", "2s".to_owned()),
        ("MEETFLOW_LOG_FORMAT", "json".to_owned()),
        (
            "RUST_LOG",
            std::env::var("MEETFLOW_CHAOS_LOG").unwrap_or_else(|_| "info".to_owned()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Config {
        path,
        env,
        ingest_port,
    }
}

/// One role of the fleet: a binary with its arguments, restarted under the same name.
pub(crate) struct Proc {
    pub(crate) name: String,
    binary: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
    log: PathBuf,
    pub(crate) starts: u32,
    /// Extra environment of this role only (the skewed clock).
    env: Vec<(String, String)>,
}

impl Proc {
    pub(crate) fn new(name: &str, binary: &str, args: &[&str], logs: &Path) -> Self {
        Self {
            name: name.to_owned(),
            binary: self::binary(binary),
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            child: None,
            log: logs.join(format!("{name}.log")),
            starts: 0,
            env: Vec::new(),
        }
    }

    /// This role's host clock runs `secs` ahead (libfaketime, see
    /// [`meetflow_tests::binaries::clock_ahead_env`]): every host-clock reading of the process is
    /// shifted, as on a machine whose clock is off.
    pub(crate) fn clock_ahead(mut self, secs: u32) -> Self {
        self.env = meetflow_tests::binaries::clock_ahead_env(secs);
        self
    }

    /// Starts (or restarts) the process; stdout and stderr are appended to its log file.
    pub(crate) fn start(&mut self, config: &Config) {
        let log = || {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.log)
                .unwrap()
        };
        let child = Command::new(&self.binary)
            .arg("--config")
            .arg(&config.path)
            .args(&self.args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(config.env.iter().map(|(k, v)| (k, v)))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log())
            .stderr(log())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.binary.display()));
        self.child = Some(child);
        self.starts += 1;
    }

    /// SIGKILL, and reap it.
    pub(crate) fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether it exited on its own (a crash: the run fails on that).
    pub(crate) fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Sends SIGTERM (the graceful stop), without waiting.
    pub(crate) fn terminate(&self) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
        }
    }

    /// Waits for the exit after [`Proc::terminate`] (SIGKILL after 15 s); the exit status.
    pub(crate) fn wait_stopped(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait().ok()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Waits until `port` accepts connections.
pub(crate) async fn wait_port(port: u16, limit: Duration) {
    let deadline = Instant::now() + limit;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "port {port} never opened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
