//! A private `redis-server` per test.
//!
//! Tests must never touch the machine's shared Redis on 6379, and must not see each
//! other's keys. [`TestRedis`] spawns its own `redis-server` on a free port of
//! 127.0.0.1 with a fresh temp directory, waits until `PING` answers, and kills the
//! process and removes the directory on drop. It can also be SIGKILLed and restarted on
//! the same port and data directory, which is how AOF durability is tested.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long to wait for a fresh (or restarted) server to answer `PING`.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Poll interval while waiting for the server.
const POLL: Duration = Duration::from_millis(5);
/// How many fresh ports to try when the chosen one was taken in the meantime.
const PORT_ATTEMPTS: usize = 5;

/// Options for [`TestRedis::start_with`].
#[derive(Debug, Clone, Default)]
pub struct TestRedisOptions {
    persistent: bool,
    extra_args: Vec<String>,
}

impl TestRedisOptions {
    /// Default options: no RDB snapshots, no AOF (pure in-memory).
    pub fn new() -> Self {
        Self::default()
    }

    /// Turn on AOF with `appendfsync always`, so every acknowledged write survives a
    /// SIGKILL followed by [`TestRedis::restart`].
    pub fn persistent(mut self) -> Self {
        self.persistent = true;
        self
    }

    /// Pass an extra `--name value` pair to `redis-server` (e.g. `("maxmemory", "8mb")`).
    pub fn arg(mut self, name: &str, value: &str) -> Self {
        self.extra_args.push(format!("--{name}"));
        self.extra_args.push(value.to_owned());
        self
    }
}

/// A running private `redis-server`; killed and cleaned up on drop.
#[derive(Debug)]
pub struct TestRedis {
    child: Option<Child>,
    /// Kills the server if the test process dies without running `Drop` (nextest timeout).
    watchdog: Option<Child>,
    port: u16,
    dir: PathBuf,
    opts: TestRedisOptions,
}

impl TestRedis {
    /// Start an in-memory server (`--save "" --appendonly no`) on a free port.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(TestRedisOptions::default()).await
    }

    /// Start a server with the given options on a free port.
    pub async fn start_with(opts: TestRedisOptions) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("meetflow-redis-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        let mut me = Self {
            child: None,
            watchdog: None,
            port: 0,
            dir,
            opts,
        };
        let mut last_err = None;
        for _ in 0..PORT_ATTEMPTS {
            me.port = free_port()?;
            match me.spawn_and_wait().await {
                Ok(()) => return Ok(me),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow::anyhow!("redis-server did not start")))
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The TCP port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id of the running server (`None` after `kill9`/`stop`).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The server's data directory (holds `appendonlydir/` in persistent mode).
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// A `redis::Client` for this server.
    pub fn client(&self) -> anyhow::Result<redis::Client> {
        redis::Client::open(self.url()).context("open redis client")
    }

    /// A fresh multiplexed async connection.
    pub async fn conn(&self) -> anyhow::Result<redis::aio::MultiplexedConnection> {
        self.client()?
            .get_multiplexed_async_connection()
            .await
            .context("connect to test redis")
    }

    /// A `ConnectionManager` (reconnects by itself; what the services use).
    pub async fn connection_manager(&self) -> anyhow::Result<redis::aio::ConnectionManager> {
        self.client()?
            .get_connection_manager()
            .await
            .context("connection manager to test redis")
    }

    /// SIGKILL the server and wait until the process is gone. Data not yet in the AOF is
    /// lost, exactly as in a crash. The data directory is kept for [`Self::restart`].
    pub fn kill9(&mut self) -> anyhow::Result<()> {
        self.stop_watchdog();
        if let Some(mut child) = self.child.take() {
            // std's Child::kill sends SIGKILL on Unix.
            child.kill().context("SIGKILL redis-server")?;
            child.wait().context("wait for killed redis-server")?;
        }
        Ok(())
    }

    /// Stop the server gracefully (`SHUTDOWN`; AOF is flushed), falling back to SIGKILL
    /// after 5 s. The data directory is kept for [`Self::restart`].
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if self.child.is_none() {
            return Ok(());
        }
        // The server closes the connection instead of replying; ignore the outcome.
        let _ = raw_command(self.port, b"*1\r\n$8\r\nSHUTDOWN\r\n").await;
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && child.try_wait().context("poll redis-server")?.is_some()
            {
                self.child = None;
                self.stop_watchdog();
                return Ok(());
            }
            tokio::time::sleep(POLL).await;
        }
        self.kill9()
    }

    /// Start the server again on the SAME port and data directory (after `kill9` or
    /// `stop`), and wait until `PING` answers (i.e. the AOF is loaded).
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.kill9()?;
        let mut last_err = None;
        // The port was just released; retry briefly in case it lingers.
        for _ in 0..PORT_ATTEMPTS {
            match self.spawn_and_wait().await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    last_err = Some(e);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow::anyhow!("redis-server did not restart")))
    }

    /// Freeze the server with SIGSTOP (connections hang, nothing is answered): simulates a
    /// stalled Redis. Undo with [`Self::resume`].
    pub fn pause(&self) -> anyhow::Result<()> {
        self.signal("-STOP")
    }

    /// Undo [`Self::pause`] with SIGCONT.
    pub fn resume(&self) -> anyhow::Result<()> {
        self.signal("-CONT")
    }

    fn signal(&self, sig: &str) -> anyhow::Result<()> {
        let pid = self.pid().context("redis-server is not running")?;
        let status = Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .context("run kill")?;
        if !status.success() {
            bail!("kill {sig} {pid} failed: {status}");
        }
        Ok(())
    }

    fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "--port".into(),
            self.port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--dir".into(),
            self.dir.display().to_string(),
            "--logfile".into(),
            "redis.log".into(),
            "--save".into(),
            String::new(),
            "--daemonize".into(),
            "no".into(),
        ];
        if self.opts.persistent {
            args.extend(["--appendonly", "yes", "--appendfsync", "always"].map(String::from));
        } else {
            args.extend(["--appendonly", "no"].map(String::from));
        }
        args.extend(self.opts.extra_args.iter().cloned());
        args
    }

    async fn spawn_and_wait(&mut self) -> anyhow::Result<()> {
        let child = Command::new("redis-server")
            .args(self.args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run `redis-server`: is it installed and on PATH? (apt-get install redis-server)")?;
        self.stop_watchdog();
        self.watchdog = spawn_watchdog(child.id(), &self.dir);
        self.child = Some(child);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait().context("poll redis-server")?
            {
                self.child = None;
                self.stop_watchdog();
                bail!(
                    "redis-server on port {} exited early ({status}); log tail:\n{}",
                    self.port,
                    self.log_tail()
                );
            }
            // A server started with `requirepass` answers an unauthenticated PING with NOAUTH.
            if let Ok(reply) = raw_command(self.port, b"*1\r\n$4\r\nPING\r\n").await
                && (reply.starts_with(b"+PONG") || reply.starts_with(b"-NOAUTH"))
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill9()?;
                bail!(
                    "redis-server on port {} did not answer PING within {READY_TIMEOUT:?}; log tail:\n{}",
                    self.port,
                    self.log_tail()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn stop_watchdog(&mut self) {
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop_watchdog();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `sh` loop that SIGKILLs `redis_pid` and deletes `dir` once this process is gone, so
/// a test killed by a timeout leaves no orphaned server behind. Best effort: `None` if
/// `sh` is missing.
fn spawn_watchdog(redis_pid: u32, dir: &Path) -> Option<Child> {
    let script = r#"while kill -0 "$0" 2>/dev/null; do sleep 0.5; done
kill -9 "$1" 2>/dev/null; sleep 0.2; rm -rf "$2""#;
    let args = [
        std::process::id().to_string(),
        redis_pid.to_string(),
        dir.display().to_string(),
    ];
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

/// Ask the OS for a free port on 127.0.0.1 (released immediately; callers retry on a race).
fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("bind an ephemeral port")?;
    Ok(l.local_addr()?.port())
}

/// Send one RESP command on a fresh connection and return the first reply chunk.
async fn raw_command(port: u16, cmd: &[u8]) -> std::io::Result<Vec<u8>> {
    let io = async {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
        s.write_all(cmd).await?;
        let mut buf = vec![0u8; 256];
        let n = s.read(&mut buf).await?;
        buf.truncate(n);
        Ok(buf)
    };
    tokio::time::timeout(Duration::from_millis(500), io)
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
}
