//! [`RedisConn`]: the one connection type every store uses, whatever [`Topology`] `redis.url`
//! names. It is a cheap clone (all clones share the multiplexed sockets) and implements
//! [`redis::aio::ConnectionLike`], so commands, pipelines and scripts run on it unchanged.
//!
//! - `Single`: the redis crate's `ConnectionManager` (reconnects by itself).
//! - `Cluster`: the redis crate's async cluster connection (routes each command by its key's slot,
//!   follows `MOVED`/`ASK`, refreshes the slot map), made on first use so a cluster that is down
//!   at start is retried instead of failing the process.
//! - `Sentinel`: a `ConnectionManager` to the master the Sentinels name (the redis crate's
//!   Sentinel client asks them, and checks the node's `ROLE`). When a command fails in a way that
//!   means the master moved — the connection is refused or dropped, a timeout, `READONLY` (the old
//!   master came back as a replica), `MASTERDOWN` — the manager is dropped and the next command
//!   asks the Sentinels again. The failed command itself returns its error: callers already treat
//!   a Redis error as retryable, and replaying a write that may have landed is theirs to judge.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{
    MultipleNodeRoutingInfo, ResponsePolicy, Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr,
};
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{Cmd, FromRedisValue, Pipeline, RedisFuture, RedisResult, Value};

use super::topology::{Node, Topology};

/// Connect and response time limits of one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) connect: Duration,
    pub(crate) response: Duration,
}

impl Timeouts {
    fn manager_config(self) -> ConnectionManagerConfig {
        ConnectionManagerConfig::new()
            .set_response_timeout(Some(self.response))
            .set_connection_timeout(Some(self.connect))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500))
    }
}

/// A connection to the installation's Redis, whatever its topology.
#[derive(Clone)]
pub enum RedisConn {
    /// One Redis.
    Single(ConnectionManager),
    /// A Redis Cluster (boxed: its client is large, the other variants are a pointer).
    Cluster(Box<LazyCluster>),
    /// The master named by Sentinels.
    Sentinel(SentinelManaged),
}

impl std::fmt::Debug for RedisConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Single(_) => "RedisConn::Single",
            Self::Cluster(_) => "RedisConn::Cluster",
            Self::Sentinel(_) => "RedisConn::Sentinel",
        })
    }
}

impl RedisConn {
    /// A lazily connecting connection to `topology`. Fails only on a URL the redis crate refuses.
    pub(crate) fn open(topology: &Topology, timeouts: Timeouts) -> RedisResult<Self> {
        Ok(match topology {
            Topology::Single(url) => {
                let client = redis::Client::open(url.as_str())?;
                Self::Single(ConnectionManager::new_lazy_with_config(
                    client,
                    timeouts.manager_config(),
                )?)
            }
            Topology::Cluster {
                seeds,
                username,
                password,
                tls,
            } => {
                // The response timeout bounds each request as a whole, retries included (the
                // builder's overall timeout; `ClusterConfig`'s alone leaves it unbounded), and the
                // retries wait 50-500 ms: with the crate's defaults a request answered
                // CLUSTERDOWN during a failover slept in a backoff growing to minutes, and ingest,
                // whose batches waited on it, took no webhook for the rest of the chaos run.
                let mut builder = ClusterClient::builder(seeds.iter().map(node_url))
                    .connection_timeout(timeouts.connect)
                    .response_timeout(timeouts.response)
                    .overall_response_timeout(Some(timeouts.response))
                    .min_retry_wait(50)
                    .max_retry_wait(500);
                if let Some(u) = username {
                    builder = builder.username(u);
                }
                if let Some(p) = password {
                    builder = builder.password(p);
                }
                if *tls {
                    builder = builder.tls(redis::TlsMode::Secure);
                }
                Self::Cluster(Box::new(LazyCluster {
                    client: builder.build()?,
                    config: ClusterConfig::new()
                        .set_connection_timeout(timeouts.connect)
                        .set_response_timeout(timeouts.response),
                    conn: Arc::new(tokio::sync::OnceCell::new()),
                }))
            }
            Topology::Sentinel {
                sentinels,
                master,
                password,
                tls,
            } => {
                let mut data = redis::RedisConnectionInfo::default();
                if let Some(p) = password {
                    data = data.set_password(p);
                }
                let mut info =
                    SentinelNodeConnectionInfo::default().set_redis_connection_info(data);
                if *tls {
                    info = info.set_tls_mode(redis::TlsMode::Secure);
                }
                let client = SentinelClient::build(
                    sentinels.iter().map(node_url).collect(),
                    master.clone(),
                    Some(info),
                    SentinelServerType::Master,
                )?;
                Self::Sentinel(SentinelManaged {
                    inner: Arc::new(SentinelInner {
                        sentinel: tokio::sync::Mutex::new(client),
                        config: timeouts.manager_config(),
                        current: Mutex::new(None),
                        generations: AtomicU64::new(0),
                    }),
                })
            }
        })
    }

    /// Sends `cmd` to every master — on a Cluster each primary, otherwise the one Redis — and
    /// answers each one's reply (or its error) by node address (empty for the one Redis).
    ///
    /// # Errors
    /// No connection at all.
    pub async fn on_each_master<T: FromRedisValue>(
        &mut self,
        cmd: &Cmd,
    ) -> RedisResult<Vec<(String, RedisResult<T>)>> {
        let Self::Cluster(c) = self else {
            return Ok(vec![(String::new(), cmd.query_async(self).await)]);
        };
        let routing = RoutingInfo::MultiNode((
            MultipleNodeRoutingInfo::AllMasters,
            Some(ResponsePolicy::Special),
        ));
        let reply = c.get().await?.route_command(cmd.clone(), routing).await?;
        let Value::Map(pairs) = reply else {
            return Ok(vec![(
                String::new(),
                redis::from_redis_value(reply).map_err(Into::into),
            )]);
        };
        Ok(pairs
            .into_iter()
            .map(|(node, v)| {
                let node = redis::from_redis_value::<String>(node).unwrap_or_default();
                let v = match v {
                    Value::ServerError(e) => Err(e.into()),
                    v => redis::from_redis_value(v).map_err(Into::into),
                };
                (node, v)
            })
            .collect())
    }

    /// Sends `cmd` to the master holding `key`'s slot: on a Cluster the primary that owns it
    /// (for a keyless command like `SCAN` that must see that node's keys), otherwise the one
    /// Redis.
    ///
    /// # Errors
    /// The command's error, or no connection.
    pub async fn on_master_of<T: FromRedisValue>(
        &mut self,
        key: &str,
        cmd: &Cmd,
    ) -> RedisResult<T> {
        let Self::Cluster(c) = self else {
            return cmd.query_async(self).await;
        };
        let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(
            Route::with_key(key, SlotAddr::Master),
        ));
        let reply = c.get().await?.route_command(cmd.clone(), routing).await?;
        redis::from_redis_value(reply).map_err(Into::into)
    }
}

fn node_url(n: &Node) -> String {
    format!("redis://{}:{}", n.host, n.port)
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => {
                Box::pin(async move { c.get().await?.req_packed_command(cmd).await })
            }
            Self::Sentinel(s) => Box::pin(async move {
                let (generation, mut conn) = s.current().await?;
                let out = conn.req_packed_command(cmd).await;
                s.judge(generation, out)
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => Box::pin(async move {
                c.get()
                    .await?
                    .req_packed_commands(pipeline, offset, count)
                    .await
            }),
            Self::Sentinel(s) => Box::pin(async move {
                let (generation, mut conn) = s.current().await?;
                let out = conn.req_packed_commands(pipeline, offset, count).await;
                s.judge(generation, out)
            }),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(_) | Self::Sentinel(_) => 0,
        }
    }
}

/// The async cluster connection, made on first use (and again after a failed first attempt).
#[derive(Clone)]
pub struct LazyCluster {
    client: ClusterClient,
    config: ClusterConfig,
    conn: Arc<tokio::sync::OnceCell<ClusterConnection>>,
}

impl LazyCluster {
    async fn get(&self) -> RedisResult<ClusterConnection> {
        self.conn
            .get_or_try_init(|| {
                self.client
                    .get_async_connection_with_config(self.config.clone())
            })
            .await
            .cloned()
    }
}

/// A connection manager to the master the Sentinels name, replaced after a failover.
#[derive(Clone)]
pub struct SentinelManaged {
    inner: Arc<SentinelInner>,
}

struct SentinelInner {
    sentinel: tokio::sync::Mutex<SentinelClient>,
    config: ConnectionManagerConfig,
    /// The manager in use and its generation (so a late error of an older one drops nothing).
    current: Mutex<Option<(u64, ConnectionManager)>>,
    generations: AtomicU64,
}

impl SentinelManaged {
    fn cached(&self) -> Option<(u64, ConnectionManager)> {
        self.inner
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    async fn current(&self) -> RedisResult<(u64, ConnectionManager)> {
        if let Some(c) = self.cached() {
            return Ok(c);
        }
        let mut sentinel = self.inner.sentinel.lock().await;
        if let Some(c) = self.cached() {
            return Ok(c);
        }
        let client = sentinel.async_get_client().await?;
        let manager = ConnectionManager::new_with_config(client, self.inner.config.clone()).await?;
        let mut slot = self
            .inner
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let generation = self.inner.generations.fetch_add(1, Ordering::Relaxed);
        *slot = Some((generation, manager.clone()));
        tracing::info!(generation, "Redis Sentinel: connected to the master");
        Ok((generation, manager))
    }

    /// Passes `out` through; an error meaning the master moved drops manager `generation`.
    fn judge<T>(&self, generation: u64, out: RedisResult<T>) -> RedisResult<T> {
        if let Err(e) = &out
            && master_moved(e)
        {
            let mut slot = self
                .inner
                .current
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if slot.as_ref().is_some_and(|(g, _)| *g == generation) {
                tracing::warn!(error = %e, "Redis Sentinel: asking the Sentinels for the master again");
                *slot = None;
            }
        }
        out
    }
}

/// Whether `e` means the node is no longer (or not reachably) the master.
fn master_moved(e: &redis::RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || matches!(e.code(), Some("READONLY" | "MASTERDOWN" | "LOADING"))
}
