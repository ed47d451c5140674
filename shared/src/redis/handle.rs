//! [`Redis`]: the cheap-to-clone handle every store receives — a multiplexed, self-reconnecting
//! connection plus the [`Keys`] of the installation's namespace.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::keys::Keys;

/// How long one Redis command may take before the client gives up on it. Longer than any stall we
/// ride out in place (a `DEBUG SLEEP 3` test), shorter than a lease.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// One installation's Redis: a shared connection and the key names. Clones share the connection.
#[derive(Clone)]
pub struct Redis {
    client: redis::Client,
    conn: ConnectionManager,
    keys: Keys,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("prefix", &self.keys.prefix())
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// Connects lazily: a Redis that is down at start is retried on first use, so processes start
    /// (and report not-ready) instead of crashing. Fails only on a malformed URL.
    pub fn connect(redis_url: &str, namespace: &str) -> redis::RedisResult<Self> {
        // `rediss://` URLs connect over rustls, which needs the process's crypto provider.
        crate::tls::install_crypto_provider();
        let client = redis::Client::open(redis_url)?;
        let conn = ConnectionManager::new_lazy_with_config(
            client.clone(),
            manager_config(RESPONSE_TIMEOUT),
        )?;
        Ok(Self {
            client,
            conn,
            keys: Keys::new(namespace),
        })
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
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// A new dedicated connection for blocking commands (BLPOP), which must not hold up the
    /// shared one; its response timeout covers `block`.
    pub async fn blocking_connection(
        &self,
        block: Duration,
    ) -> redis::RedisResult<ConnectionManager> {
        ConnectionManager::new_lazy_with_config(
            self.client.clone(),
            manager_config(block + RESPONSE_TIMEOUT),
        )
    }

    /// Fails unless Redis answers PING.
    pub async fn ping(&self) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }
}

fn manager_config(response: Duration) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_response_timeout(Some(response))
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_millis(500))
}
