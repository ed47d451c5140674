//! Real Redis topologies on loopback ports, for the tests that run on each `redis.url` form.
//!
//! - [`TestCluster`]: three `redis-server --cluster-enabled yes` masters joined with
//!   `redis-cli --cluster create`, without replicas or ([`TestCluster::start_with_replicas`])
//!   with one replica each; `redis+cluster://` URL over every node as a seed.
//!   [`TestCluster::fail_over_slot_of`] SIGKILLs the master serving a key's slot and promotes its
//!   replica (`CLUSTER FAILOVER FORCE`).
//! - [`TestSentinel`]: a master, one replica and three Sentinels (quorum 2, down after 1 s);
//!   `redis+sentinel://` URL. [`TestSentinel::fail_over`] SIGKILLs the master and forces a
//!   failover (`SENTINEL FAILOVER`), then waits until every Sentinel names the new master;
//!   [`TestSentinel::cut_replication`] before it makes the replica miss the master's last writes.
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
        Self::start_nodes(0).await
    }

    /// Three masters with one replica each (every replica in sync before this returns), so a
    /// master can be killed and its slots survive on the promoted replica, and `WAIT 1` is
    /// satisfied.
    pub async fn start_with_replicas() -> anyhow::Result<Self> {
        Self::start_nodes(1).await
    }

    async fn start_nodes(replicas: usize) -> anyhow::Result<Self> {
        let mut nodes = Vec::new();
        for _ in 0..3 * (1 + replicas) {
            nodes.push(TestRedis::start_with(cluster_node()).await?);
        }
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        let out = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
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
        me.wait_ok(None).await?;
        if replicas > 0 {
            for n in &me.nodes {
                if info(n.port(), &["INFO", "replication"])
                    .await?
                    .contains("role:master")
                {
                    wait_in_sync(n.port(), replicas).await?;
                }
            }
        }
        Ok(me)
    }

    /// Waits until every running node says `cluster_state:ok` and, with `slot_on`, names that
    /// node as the slot's master.
    async fn wait_ok(&self, slot_on: Option<(u16, u16)>) -> anyhow::Result<()> {
        let deadline = Instant::now() + FORM_TIMEOUT;
        for n in self.nodes.iter().filter(|n| n.pid().is_some()) {
            loop {
                let info = info(n.port(), &["CLUSTER", "INFO"])
                    .await
                    .unwrap_or_default();
                let owner_ok = match slot_on {
                    None => true,
                    Some((slot, port)) => slot_master(n.port(), slot).await.ok() == Some(port),
                };
                if info.contains("cluster_state:ok") && owner_ok {
                    break;
                }
                if Instant::now() > deadline {
                    bail!(
                        "cluster node {} not ok (slot owner {slot_on:?}): {info}",
                        n.port()
                    );
                }
                tokio::time::sleep(POLL).await;
            }
        }
        Ok(())
    }

    /// SIGKILLs the master serving `key`'s slot and forces a failover to its replica
    /// (`CLUSTER FAILOVER FORCE`: the other masters vote, the dead one is not asked), waits until
    /// every node names the replica as the slot's master, then joins a fresh node as the new
    /// master's replica (in sync before this returns) so `WAIT 1` can be satisfied again.
    /// Returns the new master's port. Needs [`Self::start_with_replicas`].
    pub async fn fail_over_slot_of(&mut self, key: &str) -> anyhow::Result<u16> {
        let alive = self.live_port()?;
        let slot: u16 = command(alive, &["CLUSTER", "KEYSLOT", key]).await?;
        let old = slot_master(alive, slot).await?;
        let old_id: String = command(old, &["CLUSTER", "MYID"]).await?;
        let mut replica = None;
        for n in self.nodes.iter().filter(|n| n.port() != old) {
            let role = info(n.port(), &["INFO", "replication"]).await?;
            if role.contains("role:slave") && replica_of_id(n.port()).await? == old_id {
                replica = Some(n.port());
            }
        }
        let new = replica.context("the slot's master has no replica")?;
        kill9_port(&mut self.nodes, old)?;
        let deadline = Instant::now() + FORM_TIMEOUT;
        // Refused while the replica still thinks its master is there: ask again.
        while command::<String>(new, &["CLUSTER", "FAILOVER", "FORCE"])
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                bail!("replica {new} refused CLUSTER FAILOVER FORCE");
            }
            tokio::time::sleep(POLL * 4).await;
        }
        self.wait_ok(Some((slot, new))).await?;
        let fresh = TestRedis::start_with(cluster_node()).await?;
        let new_id: String = command(new, &["CLUSTER", "MYID"]).await?;
        let _: String = command(
            fresh.port(),
            &["CLUSTER", "MEET", "127.0.0.1", &new.to_string()],
        )
        .await?;
        // The fresh node learns the new master's id through the handshake: until then
        // CLUSTER REPLICATE answers "Unknown node".
        while command::<String>(fresh.port(), &["CLUSTER", "REPLICATE", &new_id])
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                bail!("node {} could not replicate {new}", fresh.port());
            }
            tokio::time::sleep(POLL).await;
        }
        self.nodes.push(fresh);
        wait_in_sync(new, 1).await?;
        self.wait_ok(Some((slot, new))).await?;
        Ok(new)
    }

    /// SIGKILLs the master serving `key`'s slot and waits until every other node says
    /// `cluster_state:fail` (without a replica to promote, the slot has no master). Returns the
    /// killed master's port.
    pub async fn kill_master_of(&mut self, key: &str) -> anyhow::Result<u16> {
        let alive = self.live_port()?;
        let slot: u16 = command(alive, &["CLUSTER", "KEYSLOT", key]).await?;
        let old = slot_master(alive, slot).await?;
        kill9_port(&mut self.nodes, old)?;
        let deadline = Instant::now() + FORM_TIMEOUT;
        for n in self.nodes.iter().filter(|n| n.pid().is_some()) {
            while !info(n.port(), &["CLUSTER", "INFO"])
                .await
                .unwrap_or_default()
                .contains("cluster_state:fail")
            {
                if Instant::now() > deadline {
                    bail!("cluster node {} still says its state is ok", n.port());
                }
                tokio::time::sleep(POLL).await;
            }
        }
        Ok(old)
    }

    /// The port of a node that is running.
    fn live_port(&self) -> anyhow::Result<u16> {
        self.nodes
            .iter()
            .find(|n| n.pid().is_some())
            .map(TestRedis::port)
            .context("no cluster node is running")
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

    /// The nodes (masters and replicas, in start order; a killed one stays listed).
    pub fn nodes(&self) -> &[TestRedis] {
        &self.nodes
    }

    /// How many keys each node holds (`DBSIZE`), in node order.
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

    /// Makes the replicas lag: first waits until every replica has applied all the master
    /// executed before this call (a write of its own, then `WAIT`: on a loaded machine a replica
    /// can trail by more than 100 ms, and writes acknowledged before the cut were lost with it),
    /// then SIGSTOPs every replica and closes the master's replication links (`CLIENT KILL TYPE
    /// replica`), so writes the master acknowledges from now on reach no replica. A stopped
    /// replica cannot reconnect; [`Self::fail_over`] lets it run again.
    pub async fn cut_replication(&self) -> anyhow::Result<()> {
        let master = self.master().await?.port();
        let replicas = self
            .nodes
            .iter()
            .filter(|n| n.port() != master && n.pid().is_some())
            .count();
        let client = redis::Client::open(format!("redis://127.0.0.1:{master}"))?;
        // `WAIT` may block up to its own 10 s: longer than the client's default response timeout.
        let config =
            redis::AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(15)));
        let mut c = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        let () = redis::cmd("SET")
            .arg("topology:replication-barrier")
            .arg(1)
            .query_async(&mut c)
            .await?;
        let confirmed: usize = redis::cmd("WAIT")
            .arg(replicas)
            .arg(10_000)
            .query_async(&mut c)
            .await?;
        if confirmed < replicas {
            bail!("{confirmed} of {replicas} replicas caught up with master {master} within 10 s");
        }
        for n in self
            .nodes
            .iter()
            .filter(|n| n.port() != master && n.pid().is_some())
        {
            n.pause()?;
        }
        let closed: u64 = command(master, &["CLIENT", "KILL", "TYPE", "replica"]).await?;
        if closed == 0 {
            bail!("master {master} had no replication link to close");
        }
        Ok(())
    }

    /// SIGKILLs the current master, forces a failover to the replica and waits until every
    /// Sentinel names it. Then starts a fresh replica of the new master (in sync before this
    /// returns), so `WAIT 1` can be satisfied again. Returns the new master's port.
    pub async fn fail_over(&mut self) -> anyhow::Result<u16> {
        let old = self.sentinels[0].master_port().await?;
        kill9_port(&mut self.nodes, old)?;
        // A replica held by [`Self::cut_replication`] takes part again (SIGCONT is harmless to
        // a running one).
        for n in self.nodes.iter().filter(|n| n.pid().is_some()) {
            n.resume()?;
        }
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

/// SIGKILLs the node of `nodes` listening on `port`.
fn kill9_port(nodes: &mut [TestRedis], port: u16) -> anyhow::Result<()> {
    nodes
        .iter_mut()
        .find(|n| n.port() == port)
        .context("no such node")?
        .kill9()
}

/// A Cluster node: cluster mode, a node timeout of 2 s, and a replica's full sync at once.
fn cluster_node() -> TestRedisOptions {
    data_node()
        .arg("cluster-enabled", "yes")
        .arg("cluster-config-file", "nodes.conf")
        .arg("cluster-node-timeout", "2000")
}

/// The port of the master that node `port` says serves `slot` (`CLUSTER SLOTS`).
async fn slot_master(port: u16, slot: u16) -> anyhow::Result<u16> {
    let ranges: Vec<redis::Value> = command(port, &["CLUSTER", "SLOTS"]).await?;
    for range in ranges {
        let redis::Value::Array(parts) = range else {
            continue;
        };
        let (Some(lo), Some(hi), Some(master)) = (parts.first(), parts.get(1), parts.get(2)) else {
            continue;
        };
        let lo: u16 = redis::from_redis_value(lo.clone())?;
        let hi: u16 = redis::from_redis_value(hi.clone())?;
        if (lo..=hi).contains(&slot) {
            let (_, master_port): (String, u16) = match master {
                redis::Value::Array(m) if m.len() >= 2 => (
                    redis::from_redis_value(m[0].clone())?,
                    redis::from_redis_value(m[1].clone())?,
                ),
                _ => bail!("unexpected CLUSTER SLOTS entry"),
            };
            return Ok(master_port);
        }
    }
    bail!("node {port} names no master for slot {slot}")
}

/// The node id of the master that replica `port` follows (`CLUSTER NODES`, `myself,slave`).
async fn replica_of_id(port: u16) -> anyhow::Result<String> {
    let nodes: String = command(port, &["CLUSTER", "NODES"]).await?;
    nodes
        .lines()
        .find(|l| l.contains("myself"))
        .and_then(|l| l.split(' ').nth(3))
        .map(str::to_owned)
        .context("CLUSTER NODES has no myself line")
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
    command(port, words).await
}

/// One command to the node on `port`, over a fresh connection.
async fn command<T: redis::FromRedisValue>(port: u16, words: &[&str]) -> anyhow::Result<T> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}"))?;
    let mut c = client.get_multiplexed_async_connection().await?;
    let mut cmd = redis::cmd(words[0]);
    for w in &words[1..] {
        cmd.arg(*w);
    }
    Ok(cmd.query_async(&mut c).await?)
}
