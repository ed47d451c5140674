//! [`Redis`]: the cheap-to-clone handle every store receives — a multiplexed, self-reconnecting
//! [`RedisConn`] (one Redis, Sentinel or Cluster: [`Topology`]) plus the [`Keys`] of the
//! installation's namespace, and `redis.wait_replicas` for the writes that acknowledge
//! something to the outside ([`Redis::invoke_durably`]).

use std::time::Duration;

use redis::{FromRedisValue, ScriptInvocation};

use super::conn::{RedisConn, Timeouts};
use super::keys::Keys;
use super::topology::Topology;

/// How long one Redis command may take before the client gives up on it. Longer than any stall we
/// ride out in place (a `DEBUG SLEEP 3` test), shorter than a lease.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// One installation's Redis: a shared connection and the key names. Clones share the connection.
#[derive(Clone)]
pub struct Redis {
    topology: std::sync::Arc<Topology>,
    conn: RedisConn,
    keys: Keys,
    wait_replicas: u32,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("prefix", &self.keys.prefix())
            .field("topology", &self.topology.kind())
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// Connects lazily: a Redis that is down at start is retried on first use, so processes start
    /// (and report not-ready) instead of crashing. Fails only on a malformed URL (the error names
    /// `redis.url` and never repeats the URL, which may hold a password).
    pub fn connect(redis_url: &str, namespace: &str) -> redis::RedisResult<Self> {
        // `rediss://` URLs connect over rustls, which needs the process's crypto provider.
        crate::tls::install_crypto_provider();
        let topology = Topology::parse(redis_url).map_err(|e| {
            redis::RedisError::from((
                redis::ErrorKind::InvalidClientConfig,
                "redis.url",
                e.to_string(),
            ))
        })?;
        let conn = RedisConn::open(&topology, timeouts(RESPONSE_TIMEOUT))?;
        Ok(Self {
            topology: std::sync::Arc::new(topology),
            conn,
            keys: Keys::new(namespace),
            wait_replicas: 0,
        })
    }

    /// Acknowledged writes ([`Self::invoke_durably`]) wait for `n` replicas (`redis.wait_replicas`).
    #[must_use]
    pub fn with_wait_replicas(mut self, n: u32) -> Self {
        self.wait_replicas = n;
        self
    }

    /// `redis.wait_replicas`.
    pub fn wait_replicas(&self) -> u32 {
        self.wait_replicas
    }

    /// What `redis.url` names.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The same connection, with the keys of another namespace (e.g. [`Keys::scratch`]).
    pub fn with_keys(&self, keys: Keys) -> Self {
        Self {
            keys,
            ..self.clone()
        }
    }

    /// Every key name.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The shared connection (a cheap clone; commands on it are pipelined with everyone's).
    pub fn conn(&self) -> RedisConn {
        self.conn.clone()
    }

    /// A new dedicated connection for blocking commands (BLPOP), which must not hold up the
    /// shared one; its response timeout covers `block`. On a Cluster it is a cluster connection
    /// of its own (a blocked node socket would hold up every command behind it).
    pub async fn blocking_connection(&self, block: Duration) -> redis::RedisResult<RedisConn> {
        RedisConn::open(&self.topology, timeouts(block + RESPONSE_TIMEOUT))
    }

    /// Runs `inv` (a script writing something the caller is about to acknowledge) and, when
    /// `redis.wait_replicas` is above 0, `WAIT`s in the same pipeline — so on the same
    /// connection and, on a Cluster, the same node — until that many replicas have it.
    /// Fewer confirmations within [`WAIT_TIMEOUT`] is [`WaitShortfall`] (as a Redis error of kind
    /// `Io`, which every caller treats as retryable): the write is on the master but a failover
    /// could still lose it, so it must not be acknowledged.
    pub async fn invoke_durably<T: FromRedisValue>(
        &self,
        conn: &mut RedisConn,
        inv: &ScriptInvocation<'_>,
    ) -> redis::RedisResult<T> {
        if self.wait_replicas == 0 {
            return inv.invoke_async(conn).await;
        }
        let mut pipe = redis::pipe();
        pipe.invoke_script(inv)
            .cmd("WAIT")
            .arg(self.wait_replicas)
            .arg(u64::try_from(WAIT_TIMEOUT.as_millis()).unwrap_or(u64::MAX));
        let (out, acked): (T, u32) = match pipe.query_async(conn).await {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                inv.load_async(conn).await?;
                pipe.query_async(conn).await?
            }
            other => other?,
        };
        self.confirm(acked)?;
        Ok(out)
    }

    /// `WAIT`s for `redis.wait_replicas` replicas after a plain command `cmd` (same pipeline).
    pub async fn query_durably<T: FromRedisValue>(
        &self,
        conn: &mut RedisConn,
        cmd: &redis::Cmd,
    ) -> redis::RedisResult<T> {
        if self.wait_replicas == 0 {
            return cmd.query_async(conn).await;
        }
        let mut pipe = redis::pipe();
        pipe.add_command(cmd.clone())
            .cmd("WAIT")
            .arg(self.wait_replicas)
            .arg(u64::try_from(WAIT_TIMEOUT.as_millis()).unwrap_or(u64::MAX));
        let (out, acked): (T, u32) = pipe.query_async(conn).await?;
        self.confirm(acked)?;
        Ok(out)
    }

    fn confirm(&self, acked: u32) -> redis::RedisResult<()> {
        if acked >= self.wait_replicas {
            return Ok(());
        }
        metrics::counter!("meetflow_redis_wait_shortfall_total").increment(1);
        Err(WaitShortfall {
            wanted: self.wait_replicas,
            acked,
        }
        .into())
    }

    /// Fails unless Redis answers PING.
    pub async fn ping(&self) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }
}

fn timeouts(response: Duration) -> Timeouts {
    Timeouts {
        connect: CONNECT_TIMEOUT,
        response,
    }
}

/// How long an acknowledged write waits for `redis.wait_replicas` replicas. Shorter than
/// ingest's request budget, so a shortfall still answers 503 in time.
pub const WAIT_TIMEOUT: Duration = Duration::from_millis(1000);

/// Fewer replicas than `redis.wait_replicas` confirmed a write within [`WAIT_TIMEOUT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("only {acked} of {wanted} Redis replicas confirmed the write (redis.wait_replicas)")]
pub struct WaitShortfall {
    /// `redis.wait_replicas`.
    pub wanted: u32,
    /// What `WAIT` answered.
    pub acked: u32,
}

impl From<WaitShortfall> for redis::RedisError {
    fn from(e: WaitShortfall) -> Self {
        redis::RedisError::from(std::io::Error::new(std::io::ErrorKind::TimedOut, e))
    }
}
