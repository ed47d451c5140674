//! Real Redis topologies on loopback ports, for the tests that run on each `redis.url` form.
//!
//! - [`TestCluster`]: three `redis-server --cluster-enabled yes` masters joined with
//!   `redis-cli --cluster create` (no replicas); `redis+cluster://` URL over all three seeds.
//! - [`TestSentinel`]: a master, one replica and three Sentinels (quorum 2, down after 1 s);
//!   `redis+sentinel://` URL. [`TestSentinel::fail_over`] SIGKILLs the master and forces a
//!   failover (`SENTINEL FAILOVER`), then waits until every Sentinel names the new master.
//!
//! Every process is stopped by its own pid on drop (and by a watchdog if the test process dies).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::redis::{TestRedis, TestRedisOptions, free_port, raw_command, spawn_watchdog};

/// The master's name in the Sentinels' configuration.
pub const MASTER_NAME: &str = "mymaster";
/// How long a topology may take to form (cluster slots agreed, replica in sync, Sentinels up).
const FORM_TIMEOUT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(50);

/// A 3-master Redis Cluster on loopback.
#[derive(Debug)]
pub struct TestCluster {
    nodes: Vec<TestRedis>,
}

impl TestCluster {
    /// Starts three cluster-enabled servers, assigns the slots and waits for `cluster_state:ok`
    /// on each.
    pub async fn start() -> anyhow::Result<Self> {
        let mut nodes = Vec::new();
        for _ in 0..3 {
            let opts = TestRedisOptions::new()
                .arg("cluster-enabled", "yes")
                .arg("cluster-config-file", "nodes.conf")
                .arg("cluster-node-timeout", "2000");
            nodes.push(TestRedis::start_with(opts).await?);
        }
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        let out = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .context("cannot run `redis-cli --cluster create` (is redis-cli installed?)")?;
        if !out.status.success() {
            bail!(
                "redis-cli --cluster create failed: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        let me = Self { nodes };
        let deadline = Instant::now() + FORM_TIMEOUT;
        for n in &me.nodes {
            loop {
                let info = info(n.port(), &["CLUSTER", "INFO"])
                    .await
                    .unwrap_or_default();
                if info.contains("cluster_state:ok") {
                    break;
                }
                if Instant::now() > deadline {
                    bail!("cluster node {} not ok: {info}", n.port());
                }
                tokio::time::sleep(POLL).await;
            }
        }
        Ok(me)
    }

    /// `redis+cluster://127.0.0.1:A,127.0.0.1:B,127.0.0.1:C`.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        format!("redis+cluster://{}", seeds.join(","))
    }

    /// The three masters.
    pub fn nodes(&self) -> &[TestRedis] {
        &self.nodes
    }

    /// How many keys each master holds (`DBSIZE`), in node order.
    pub async fn key_counts(&self) -> anyhow::Result<Vec<u64>> {
        let mut out = Vec::new();
        for n in &self.nodes {
            let mut c = n.conn().await?;
            out.push(redis::cmd("DBSIZE").query_async(&mut c).await?);
        }
        Ok(out)
    }
}

/// A `redis-server --sentinel` process.
#[derive(Debug)]
struct SentinelProc {
    child: Child,
    watchdog: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl Drop for SentinelProc {
    fn drop(&mut self) {
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl SentinelProc {
    async fn start(master_port: u16) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("meetflow-sentinel-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)?;
        let port = free_port()?;
        let conf = dir.join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {dir}\nlogfile sentinel.log\n\
                 sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 2\n\
                 sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
                 sentinel failover-timeout {MASTER_NAME} 4000\n\
                 sentinel parallel-syncs {MASTER_NAME} 1\n",
                dir = dir.display()
            ),
        )?;
        let child = Command::new("redis-server")
            .arg(&conf)
            .arg("--sentinel")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run `redis-server --sentinel`")?;
        let watchdog = spawn_watchdog(child.id(), &dir);
        let me = Self {
            child,
            watchdog,
            port,
            dir,
        };
        let deadline = Instant::now() + FORM_TIMEOUT;
        while !raw_command(port, b"*1\r\n$4\r\nPING\r\n")
            .await
            .is_ok_and(|r| r.starts_with(b"+PONG"))
        {
            if Instant::now() > deadline {
                bail!("sentinel on port {port} did not answer PING");
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(me)
    }

    async fn master_port(&self) -> anyhow::Result<u16> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", self.port))?;
        let mut c = client.get_multiplexed_async_connection().await?;
        let addr: Vec<String> = redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(MASTER_NAME)
            .query_async(&mut c)
            .await?;
        addr.get(1)
            .and_then(|p| p.parse().ok())
            .context("sentinel named no master")
    }
}

/// A master, a replica and three Sentinels on loopback.
#[derive(Debug)]
pub struct TestSentinel {
    /// The data nodes: the first is the master at start.
    pub nodes: Vec<TestRedis>,
    sentinels: Vec<SentinelProc>,
}

impl TestSentinel {
    /// Starts master, replica (in sync before this returns) and three Sentinels.
    pub async fn start() -> anyhow::Result<Self> {
        let master = TestRedis::start_with(data_node()).await?;
        let replica = TestRedis::start_with(data_node().replica_of(master.port())).await?;
        wait_in_sync(master.port(), 1).await?;
        let mut sentinels = Vec::new();
        for _ in 0..3 {
            sentinels.push(SentinelProc::start(master.port()).await?);
        }
        Ok(Self {
            nodes: vec![master, replica],
            sentinels,
        })
    }

    /// `redis+sentinel://127.0.0.1:A,127.0.0.1:B,127.0.0.1:C/mymaster`.
    pub fn url(&self) -> String {
        let list: Vec<String> = self
            .sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port))
            .collect();
        format!("redis+sentinel://{}/{MASTER_NAME}", list.join(","))
    }

    /// The data node the Sentinels name as master.
    pub async fn master(&self) -> anyhow::Result<&TestRedis> {
        let port = self.sentinels[0].master_port().await?;
        self.nodes
            .iter()
            .find(|n| n.port() == port)
            .context("the Sentinels name an unknown master")
    }

    /// SIGKILLs the current master, forces a failover to the replica and waits until every
    /// Sentinel names it. Then starts a fresh replica of the new master (in sync before this
    /// returns), so `WAIT 1` can be satisfied again. Returns the new master's port.
    pub async fn fail_over(&mut self) -> anyhow::Result<u16> {
        let old = self.sentinels[0].master_port().await?;
        let i = self
            .nodes
            .iter()
            .position(|n| n.port() == old)
            .context("unknown master")?;
        self.nodes[i].kill9()?;
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", self.sentinels[0].port))?;
        let mut c = client.get_multiplexed_async_connection().await?;
        let deadline = Instant::now() + FORM_TIMEOUT;
        // Forced: no need to wait for the Sentinels to agree the master is down. Refused
        // (NOGOODSLAVE, INPROG) while they are still deciding: ask again.
        loop {
            let r: redis::RedisResult<String> = redis::cmd("SENTINEL")
                .arg("FAILOVER")
                .arg(MASTER_NAME)
                .query_async(&mut c)
                .await;
            if r.is_ok() || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(POLL * 4).await;
        }
        let mut new = old;
        for s in &self.sentinels {
            loop {
                if let Ok(p) = s.master_port().await
                    && p != old
                {
                    new = p;
                    break;
                }
                if Instant::now() > deadline {
                    bail!("sentinel {} still names {old} as master", s.port);
                }
                tokio::time::sleep(POLL).await;
            }
        }
        let fresh = TestRedis::start_with(data_node().replica_of(new)).await?;
        self.nodes.push(fresh);
        wait_in_sync(new, 1).await?;
        Ok(new)
    }
}

/// A Sentinel set-up's data node: a replica's full sync starts at once (Redis waits 5 s by
/// default, for more replicas to share one transfer).
fn data_node() -> TestRedisOptions {
    TestRedisOptions::new().arg("repl-diskless-sync-delay", "0")
}

/// Waits until the master on `port` has `n` replicas online.
async fn wait_in_sync(port: u16, n: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + FORM_TIMEOUT;
    loop {
        let info = info(port, &["INFO", "replication"])
            .await
            .unwrap_or_default();
        let online = info
            .lines()
            .filter(|l| l.starts_with("slave") && l.contains("state=online"))
            .count();
        if info.contains("role:master") && online >= n {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("master {port} has {online} of {n} replicas online: {info}");
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn info(port: u16, words: &[&str]) -> anyhow::Result<String> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}"))?;
    let mut c = client.get_multiplexed_async_connection().await?;
    let mut cmd = redis::cmd(words[0]);
    for w in &words[1..] {
        cmd.arg(*w);
    }
    Ok(cmd.query_async(&mut c).await?)
}
