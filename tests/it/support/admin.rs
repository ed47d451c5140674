//! Helpers of the `meetflow-admin` tests: the built binary run as a process against a private
//! Redis, dead letters made the way production makes them, and `serve` on a free port.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use meetflow_shared::queue::{
    ErrorClass, JobContext, JobError, NewJob, QueueClient, QueueSettings, run_queue,
};
use meetflow_tests::redis::TestRedis;
use tokio_util::sync::CancellationToken;

/// Namespace of every admin test.
pub(crate) const NS: &str = "adm";

/// The `meetflow-admin` binary (see [`meetflow_tests::binaries`]).
pub(crate) fn admin_binary() -> PathBuf {
    meetflow_tests::binaries::meetflow_binary("admin")
}

pub(crate) fn repo_root() -> PathBuf {
    meetflow_tests::binaries::workspace_root()
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private Redis, a queue client on it, and the admin binary pointed at it.
pub(crate) struct Admin {
    pub(crate) redis: TestRedis,
    pub(crate) client: QueueClient,
}

impl Admin {
    pub(crate) async fn start() -> Self {
        let redis = TestRedis::start().await.unwrap();
        let client = QueueClient::connect(&redis.url(), NS).await.unwrap();
        Self { redis, client }
    }

    /// `meetflow-admin` with the environment of a user whose only config is the Redis URL.
    pub(crate) fn command(&self) -> Command {
        let mut cmd = Command::new(admin_binary());
        for (k, _) in std::env::vars_os() {
            // The conformance log of the suite stays: the sandbox appends its traffic to it.
            if k.to_string_lossy().starts_with("MEETFLOW") && k != "MEETFLOW_REQUEST_LOG" {
                cmd.env_remove(k);
            }
        }
        cmd.env("MEETFLOW__REDIS__URL", self.redis.url())
            .env("MEETFLOW__REDIS__NAMESPACE", NS)
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Runs the CLI with `args` (stdin closed) and returns its output.
    /// `meetflow-admin sandbox --listen 127.0.0.1:PORT --record RECORD`, no stdin.
    pub(crate) fn sandbox_command(&self, port: u16, record: &std::path::Path) -> Command {
        let mut cmd = self.command();
        cmd.args([
            "sandbox",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--record",
        ])
        .arg(record)
        .stdin(Stdio::null());
        cmd
    }

    pub(crate) async fn cli(&self, args: &[&str]) -> Output {
        let mut cmd = self.command();
        cmd.args(args).stdin(Stdio::null());
        run(cmd).await
    }

    /// A dead letter stored directly (as ingest does for a body it cannot parse).
    pub(crate) async fn bury(
        &self,
        queue: &str,
        id: &str,
        payload: &serde_json::Value,
        class: ErrorClass,
        reason: &str,
    ) {
        let job = NewJob::json(payload).unwrap().with_id(id);
        assert!(
            self.client
                .bury(queue, job, class, reason)
                .await
                .unwrap()
                .is_created()
        );
    }

    /// Dead letters that went through every attempt of a real worker: each attempt fails with a
    /// provider error and the last one is rejected for good.
    pub(crate) async fn kill_through_worker(
        &self,
        queue: &str,
        jobs: Vec<(String, serde_json::Value)>,
    ) {
        let n = jobs.len() as u64;
        for (id, payload) in jobs {
            let job = NewJob::json(&payload).unwrap().with_id(id).max_attempts(3);
            self.client.enqueue(queue, job).await.unwrap();
        }
        let settings = QueueSettings {
            concurrency: 4,
            backoff_base: Duration::from_millis(10),
            backoff_cap: Duration::from_millis(40),
            ..QueueSettings::default()
        };
        let stop = CancellationToken::new();
        let signal = stop.clone();
        let client = self.client.clone();
        let q = queue.to_owned();
        let handler = |_p: serde_json::Value, ctx: JobContext| async move {
            if ctx.attempt < ctx.max_attempts {
                Err(JobError::retry(
                    ErrorClass::ProviderServer,
                    format!(
                        "engagelab: HTTP 500 code 1000 internal error (attempt {})",
                        ctx.attempt
                    ),
                ))
            } else {
                Err(JobError::permanent(
                    ErrorClass::ProviderRejected,
                    "engagelab: HTTP 400 code 4001 template not found for +14155550132",
                ))
            }
        };
        let worker = tokio::spawn(async move {
            run_queue(client, &q, settings, handler, signal.cancelled_owned()).await
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.client.dead_letters().count(Some(queue)).await.unwrap() < n {
            assert!(Instant::now() < deadline, "jobs did not die in time");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(20), worker)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

/// Runs `cmd` to completion without blocking the test's runtime (servers in it keep serving).
pub(crate) async fn run(cmd: Command) -> Output {
    tokio::process::Command::from(cmd).output().await.unwrap()
}

/// Stdout of a successful run (panics with stderr otherwise).
pub(crate) fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A running `meetflow-admin serve` (SIGTERM and wait on drop).
pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) ops: u16,
}

impl Drop for Served {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// SIGTERM, then wait (SIGKILL after 10 s).
pub(crate) fn terminate(child: &mut Child) {
    if !matches!(child.try_wait(), Ok(None)) {
        return; // already exited (and reaped): its pid may belong to someone else now
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits until `port` on loopback accepts connections.
pub(crate) async fn wait_port(port: u16, child: &mut Child) {
    if let Err(status) = port_opens(port, child).await {
        panic!("process exited early: {status}");
    }
}

/// Waits until `port` on loopback accepts connections, or the process exits (its status).
async fn port_opens(port: u16, child: &mut Child) -> Result<(), std::process::ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(status);
        }
        assert!(Instant::now() < deadline, "port {port} never opened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Admin {
    /// `meetflow-admin serve` on a free loopback port with `token`.
    pub(crate) async fn serve(&self, token: Option<&str>) -> Served {
        self.serve_with(token, None).await
    }

    /// `meetflow-admin [--config FILE] serve` on a free loopback port with `token`.
    pub(crate) async fn serve_with(&self, token: Option<&str>, config: Option<&Path>) -> Served {
        // A free port can be taken by a parallel test between our probe and the bind (the
        // server then exits 1): try again on new ports.
        for _ in 0..2 {
            if let Ok(served) = self.try_serve(token, config).await {
                return served;
            }
        }
        match self.try_serve(token, config).await {
            Ok(served) => served,
            Err(status) => panic!("process exited early: {status}"),
        }
    }

    async fn try_serve(
        &self,
        token: Option<&str>,
        config: Option<&Path>,
    ) -> Result<Served, std::process::ExitStatus> {
        let (port, ops) = (free_port(), free_port());
        let mut cmd = self.command();
        if let Some(path) = config {
            cmd.arg("--config").arg(path);
        }
        cmd.arg("serve")
            .env("MEETFLOW__ADMIN__LISTEN", format!("127.0.0.1:{port}"))
            .env("MEETFLOW__OPS__LISTEN", format!("127.0.0.1:{ops}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(t) = token {
            cmd.env("MEETFLOW__ADMIN__TOKEN", t);
        }
        let mut child = cmd.spawn().unwrap();
        port_opens(port, &mut child).await?;
        Ok(Served {
            child,
            base: format!("http://127.0.0.1:{port}"),
            ops,
        })
    }
}

/// An HTTP client for the admin API (no redirects followed: the tests look at them).
pub(crate) fn http() -> reqwest::Client {
    meetflow_tests::http::install_crypto();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `GET path` on a served admin, with the bearer `token` if any.
pub(crate) async fn api_get(s: &Served, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = http().get(format!("{}{path}", s.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// `POST path` with a JSON `body` on a served admin, with the bearer `token` if any.
pub(crate) async fn api_post(
    s: &Served,
    path: &str,
    body: serde_json::Value,
    token: Option<&str>,
) -> reqwest::Response {
    let mut req = http().post(format!("{}{path}", s.base)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// Runs `tests/browser/run.sh SCRIPT` (installing Chromium and playwright-core when missing) with
/// `env` and `SCREENSHOT_DIR` = target/screenshots; asserts every step passed and returns the
/// screenshot folder.
pub(crate) async fn run_browser(script: &str, env: &[(&str, &str)]) -> PathBuf {
    let screenshots = repo_root().join("target/screenshots");
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("tests/browser/run.sh"))
        .arg(script)
        .env("SCREENSHOT_DIR", &screenshots)
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(cmd).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser run failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("browser: all steps passed"), "{stdout}");
    screenshots
}

/// Asserts each `<prefix>-<name>.png` in `dir` is a real screenshot.
pub(crate) fn assert_screenshots(dir: &Path, prefix: &str, names: &[&str]) {
    for name in names {
        let png = std::fs::read(dir.join(format!("{prefix}-{name}.png"))).unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{name} screenshot"
        );
    }
}
