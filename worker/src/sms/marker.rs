//! The at-most-once marker of an SMS, one per (booking, kind), in Redis
//! ([`meetflow_shared::redis::Keys::sms_marker`]).
//!
//! EngageLab has no idempotency key, so a retried POST can text a person twice. The SMS handler
//! therefore claims the marker (`SET NX` to `sending:<ms>:<attempt>`) right before the call and:
//! - on success sets it to `sent` (or `suppressed` for EngageLab's 3004);
//! - on a failure that certainly sent nothing (connect refused, a definite HTTP error) deletes
//!   its own claim, so the retry sends;
//! - on an ambiguous failure (timeout after sending, 502/504, an unreadable 2xx) leaves it: the
//!   job goes to the dead letters ("possibly sent; check EngageLab before replaying").
//!
//! A later attempt that finds `sending:` (its process died mid-call, or the claim was left by an
//! ambiguous failure) does not send either, unless an operator replayed the job from the dead
//! letters after the claim was made (the job's `replayed_ms`): replaying is the operator's
//! decision that the first message did not go out. A marker lives
//! [`meetflow_shared::redis::SMS_MARKER_TTL`].

use meetflow_shared::redis::{Redis, SMS_MARKER_TTL, compare_and_delete, millis};
use redis::aio::ConnectionManager;

/// What claiming found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The marker is ours: send.
    Acquired,
    /// This SMS already went out (`sent`) or was suppressed by EngageLab.
    Done(String),
    /// Another attempt claimed it at `since_ms` and never finished: possibly sent.
    InFlight {
        /// When that claim was made (unix ms).
        since_ms: i64,
    },
}

/// One SMS's marker.
#[derive(Debug, Clone)]
pub(crate) struct SmsMarker {
    conn: ConnectionManager,
    key: String,
    token: String,
}

impl SmsMarker {
    /// The marker of `kind` for `booking`, claimed (if at all) by `attempt` at `now_ms`.
    pub(crate) fn new(redis: &Redis, booking: &str, kind: &str, attempt: u32, now_ms: i64) -> Self {
        Self {
            conn: redis.conn(),
            key: redis.keys().sms_marker(booking, kind),
            token: format!("sending:{now_ms}:{attempt}"),
        }
    }

    fn ttl_ms() -> u64 {
        millis(SMS_MARKER_TTL)
    }

    /// Claims the marker, or reports what holds it.
    pub(crate) async fn claim(&self) -> redis::RedisResult<Claim> {
        let mut conn = self.conn.clone();
        loop {
            let set: Option<String> = redis::cmd("SET")
                .arg(&self.key)
                .arg(&self.token)
                .arg("NX")
                .arg("PX")
                .arg(Self::ttl_ms())
                .query_async(&mut conn)
                .await?;
            if set.is_some() {
                return Ok(Claim::Acquired);
            }
            let current: Option<String> = redis::cmd("GET")
                .arg(&self.key)
                .query_async(&mut conn)
                .await?;
            // `None`: it expired between SET and GET; claim again.
            if let Some(v) = current {
                return Ok(match v.strip_prefix("sending:") {
                    Some(rest) => Claim::InFlight {
                        since_ms: rest
                            .split(':')
                            .next()
                            .and_then(|ms| ms.parse().ok())
                            .unwrap_or(0),
                    },
                    None => Claim::Done(v),
                });
            }
        }
    }

    /// Takes over a claim left by an earlier attempt (after an operator's replay).
    pub(crate) async fn take_over(&self) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        redis::cmd("SET")
            .arg(&self.key)
            .arg(&self.token)
            .arg("PX")
            .arg(Self::ttl_ms())
            .query_async::<()>(&mut conn)
            .await
    }

    /// Records that the SMS went out (`outcome` = `sent` | `suppressed`).
    pub(crate) async fn finish(&self, outcome: &str) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        redis::cmd("SET")
            .arg(&self.key)
            .arg(outcome)
            .arg("PX")
            .arg(Self::ttl_ms())
            .query_async::<()>(&mut conn)
            .await
    }

    /// Drops our claim: nothing was sent, a retry may send.
    pub(crate) async fn release(&self) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        compare_and_delete(&mut conn, &self.key, &self.token)
            .await
            .map(|_| ())
    }
}

/// When an operator last replayed job `id` from the dead letters (unix ms), if ever.
pub(crate) async fn replayed_ms(redis: &Redis, id: &str) -> redis::RedisResult<Option<i64>> {
    let mut conn = redis.conn();
    redis::cmd("HGET")
        .arg(redis.keys().job(id))
        .arg("replayed_ms")
        .query_async(&mut conn)
        .await
}
