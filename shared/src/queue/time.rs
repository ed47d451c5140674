//! Time in unix milliseconds, the unit every score and timestamp in Redis uses.
//!
//! The queue judges due times, lease expiry, reaping and promotion by Redis `TIME`, inside its
//! scripts, so the host clocks of workers and schedulers may disagree without effect. The host
//! clock ([`now_ms`]) only serves figures shown to people and callers' own absolute times.

use super::error::QueueError;
use crate::redis::RedisConn;

/// Now by this host's clock, in unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Now by Redis `TIME`, in unix milliseconds.
pub(crate) async fn redis_now_ms(conn: &mut RedisConn) -> Result<i64, QueueError> {
    let (secs, micros): (i64, i64) = redis::cmd("TIME").query_async(conn).await?;
    Ok(secs * 1000 + micros / 1000)
}
