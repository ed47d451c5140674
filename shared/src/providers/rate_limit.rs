//! A provider rate limit shared by every worker replica, enforced in Redis.
//!
//! Why in Redis: Brevo allows 10 contact calls per second per *account*, however many worker
//! containers run; a per-process limiter would multiply the budget by the replica count.
//!
//! Algorithm: GCRA with no burst, in one Lua script (atomic, Redis clock via `TIME`, so replica
//! clocks do not matter). The key holds the "theoretical arrival time" (TAT): the earliest time
//! the next call may start. Calls are spaced by `interval = per / count`, so any window of length
//! `per` holds at most `count` calls. A caller *reserves* the next free slot if it is at most
//! `max_wait` away (the TAT advances by one interval) and then sleeps until it; a slot further
//! away is not reserved and the caller learns how long to wait. A job handler names itself (the
//! job id, [`RateLimiter::until_ready_for`]): then a far slot *is* reserved for that job (held
//! under [`crate::redis::Keys::rate_limit_held`]) and the job is delayed to it once
//! ([`crate::queue::JobError::Defer`]: no attempt, no error entry, enqueue time kept) instead of
//! bouncing through the queue every second; when it comes back it takes its own slot. Reserving
//! means one round trip per call and first-come-first-served order among waiting replicas.

use std::time::Duration;

use crate::redis::{Redis, RedisConn, Script};

/// KEYS[1] = limiter key, KEYS[2] (optional) = the holder's reservation key; ARGV[1] = interval
/// (µs); ARGV[2] = max wait (µs).
/// Returns {outcome, wait until the slot (µs), the slot's start (µs, Redis clock)}; outcome 1 =
/// reserved (start after the wait), 0 = not reserved (no holder given), 2 = held for the holder:
/// a slot further than the max wait is reserved under KEYS[2] and taken when the holder comes
/// back (kept ten minutes past its start, so a late holder still finds it).
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if KEYS[2] then
  local held = redis.call('GET', KEYS[2])
  if held then
    held = tonumber(held)
    local wait = held - now
    if wait > tonumber(ARGV[2]) then return {2, wait, held} end
    redis.call('DEL', KEYS[2])
    if wait < 0 then wait = 0 end
    return {1, wait, held}
  end
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now
local held = wait > tonumber(ARGV[2])
if held and not KEYS[2] then
  return {0, wait, tat}
end
local next_tat = tat + tonumber(ARGV[1])
local ttl_ms = math.floor((next_tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', ttl_ms)
if held then
  redis.call('SET', KEYS[2], string.format('%.0f', tat), 'PX', math.floor(wait / 1000) + 600000)
  return {2, wait, tat}
end
return {1, wait, tat}
";

static GCRA: Script = Script::new("gcra", SCRIPT);

/// KEYS[1] = limiter key; ARGV[1] = interval (µs), ARGV[2] = how many slots, ARGV[3] (optional)
/// = horizon (µs). Reserves that many consecutive slots from the next free one, however far away,
/// or with a horizon only those that start within it from now, and returns {the wait until the
/// first (µs, Redis clock), how many were reserved}. Used by a queue's lease gate
/// ([`crate::queue::LeaseGate`]), which only leases as many jobs as slots fit in its window, so
/// the run is never far away.
const RUN_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local interval = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
if ARGV[3] then
  local fit = 0
  local last = now + tonumber(ARGV[3])
  if tat <= last then fit = math.floor((last - tat) / interval) + 1 end
  if fit < n then n = fit end
end
if n > 0 then
  local next_tat = tat + interval * n
  redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.floor((next_tat - now) / 1000) + 1000)
end
return {tat - now, n}
";

static GCRA_RUN: Script = Script::new("gcra_run", RUN_SCRIPT);

/// The limiter could not answer, or the wait is longer than the caller accepts.
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    /// Redis failed (retryable).
    #[error("rate limiter redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The next free slot is further away than the caller's `max_wait`; nothing was reserved.
    #[error("rate limited for {0:?}")]
    WaitTooLong(Duration),
    /// The next free slot is further away than the caller's `max_wait`, and it is reserved for
    /// the caller (the holder): come back after this delay and the slot is yours.
    #[error("rate limited: a slot is reserved in {0:?}")]
    Reserved(Duration),
}

/// The answer to one request for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// A slot is reserved for this caller; start the call after this delay (zero = now).
    Granted(Duration),
    /// No slot was reserved: the next one is this far away.
    Wait(Duration),
    /// A slot this far away is reserved for the holder, who comes back for it then.
    Held(Duration),
}

/// One provider's shared limit. Cheap to clone (a connection handle and a key).
#[derive(Clone)]
pub struct RateLimiter {
    conn: RedisConn,
    keys: crate::redis::Keys,
    name: String,
    key: String,
    interval_us: u64,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("key", &self.key)
            .field("interval_us", &self.interval_us)
            .finish_non_exhaustive()
    }
}

/// A slot as the script reports it (used by tests to check spacing on the Redis clock).
#[derive(Debug, Clone, Copy)]
struct Slot {
    reserved: bool,
    held: bool,
    wait: Duration,
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the tests check slot spacing on the Redis clock")
    )]
    start_us: i64,
}

impl RateLimiter {
    /// At most `count` calls per `per` for everyone using the limit `name` (e.g. `brevo`) on
    /// `redis` (key [`crate::redis::Keys::rate_limit`]). `count` 0 is treated as 1.
    pub fn new(redis: &Redis, name: &str, count: u32, per: Duration) -> Self {
        let per_us = u64::try_from(per.as_micros()).unwrap_or(u64::MAX).max(1);
        let interval_us = per_us.div_ceil(u64::from(count.max(1)));
        Self {
            conn: redis.conn(),
            keys: redis.keys().clone(),
            name: name.to_owned(),
            key: redis.keys().rate_limit(name),
            interval_us,
        }
    }

    /// The Redis key of the limit (its identity: limiters on one key share one budget).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The spacing between two calls.
    pub fn interval(&self) -> Duration {
        Duration::from_micros(self.interval_us)
    }

    /// Takes a slot only if one is free now.
    pub async fn acquire(&self) -> Result<Admission, RateLimitError> {
        self.reserve(Duration::ZERO).await
    }

    /// Reserves the next slot if it starts within `max_wait`.
    pub async fn reserve(&self, max_wait: Duration) -> Result<Admission, RateLimitError> {
        self.admission(None, max_wait).await
    }

    /// Like [`Self::reserve`], for a `holder` (a job id) that can come back later: a slot further
    /// than `max_wait` away is reserved for it ([`Admission::Held`]), and when the holder asks
    /// again it gets that same slot instead of a new one. One reservation per holder and limit.
    pub async fn reserve_for(
        &self,
        holder: &str,
        max_wait: Duration,
    ) -> Result<Admission, RateLimitError> {
        self.admission(Some(holder), max_wait).await
    }

    async fn admission(
        &self,
        holder: Option<&str>,
        max_wait: Duration,
    ) -> Result<Admission, RateLimitError> {
        let slot = self.slot(holder, max_wait).await?;
        Ok(if slot.reserved {
            Admission::Granted(slot.wait)
        } else if slot.held {
            Admission::Held(slot.wait)
        } else {
            Admission::Wait(slot.wait)
        })
    }

    /// Reserves a slot within `max_wait` and sleeps until it starts. Keep `max_wait` short (a
    /// second or two): a longer wait comes back as [`RateLimitError::WaitTooLong`] so the job can
    /// be re-enqueued for later instead of holding a worker.
    pub async fn until_ready(&self, max_wait: Duration) -> Result<(), RateLimitError> {
        admit(self.reserve(max_wait).await?).await
    }

    /// Backpressure for a job: takes the slot reserved for `holder` (a job id) or a new one, and
    /// sleeps until it starts when that is within `max_wait`. A slot further away is reserved
    /// for the holder and comes back as [`RateLimitError::Reserved`] (the wait until it): the job
    /// is delayed to that slot once ([`crate::queue::JobError::Defer`]) instead of asking again
    /// every second.
    pub async fn until_ready_for(
        &self,
        holder: &str,
        max_wait: Duration,
    ) -> Result<(), RateLimitError> {
        admit(self.reserve_for(holder, max_wait).await?).await
    }

    /// Reserves `n` consecutive slots from the next free one in one round trip and returns the
    /// wait until the first; slot `i` starts `i` intervals after it. Nothing is checked against
    /// a maximum wait: the caller sizes `n` to what it can use soon (see
    /// [`crate::queue::LeaseGate`]).
    pub async fn reserve_run(&self, n: u32) -> Result<Duration, RateLimitError> {
        Ok(self.reserve_run_within(n, None).await?.0)
    }

    /// Like [`Self::reserve_run`], but with a `horizon` only the slots that start within it from
    /// now are reserved (possibly none): returns the wait until the first and how many were
    /// reserved (all `n` without a horizon).
    pub async fn reserve_run_within(
        &self,
        n: u32,
        horizon: Option<Duration>,
    ) -> Result<(Duration, u32), RateLimitError> {
        let mut conn = self.conn.clone();
        let mut inv = GCRA_RUN.key(&self.key);
        inv.arg(self.interval_us).arg(n.max(1));
        if let Some(h) = horizon {
            inv.arg(u64::try_from(h.as_micros()).unwrap_or(u64::MAX));
        }
        let (wait_us, granted): (i64, i64) = inv.invoke_async(&mut conn).await?;
        Ok((
            Duration::from_micros(u64::try_from(wait_us).unwrap_or(0)),
            u32::try_from(granted).unwrap_or(0),
        ))
    }

    /// Waits for a slot of this limit for the job `holder`: the slot a queue's lease gate
    /// reserved for it (`reserved`, [`crate::queue::JobContext::slot`]) when the job reaches its
    /// call on time, else one of its own ([`Self::until_ready_for`]). A job more than one
    /// interval late for its reserved slot (a slow start) takes a new one: calling late on an old
    /// slot would crowd the next run's slots.
    pub async fn until_reserved_or_ready_for(
        &self,
        reserved: Option<tokio::time::Instant>,
        holder: &str,
        max_wait: Duration,
    ) -> Result<(), RateLimitError> {
        let on_time =
            |at: &tokio::time::Instant| tokio::time::Instant::now() <= *at + self.interval();
        match reserved.filter(on_time) {
            Some(at) => {
                tokio::time::sleep_until(at).await;
                Ok(())
            }
            None => self.until_ready_for(holder, max_wait).await,
        }
    }

    async fn slot(&self, holder: Option<&str>, max_wait: Duration) -> Result<Slot, RateLimitError> {
        let max_wait_us = u64::try_from(max_wait.as_micros()).unwrap_or(u64::MAX);
        let mut conn = self.conn.clone();
        let mut inv = GCRA.key(&self.key);
        if let Some(holder) = holder {
            inv.key(self.keys.rate_limit_held(&self.name, holder));
        }
        let (outcome, wait_us, start_us): (i64, i64, i64) = inv
            .arg(self.interval_us)
            .arg(max_wait_us)
            .invoke_async(&mut conn)
            .await?;
        Ok(Slot {
            reserved: outcome == 1,
            held: outcome == 2,
            wait: Duration::from_micros(u64::try_from(wait_us).unwrap_or(0)),
            start_us,
        })
    }
}

/// Sleeps until a granted slot starts; a slot too far away is the error the caller maps.
async fn admit(admission: Admission) -> Result<(), RateLimitError> {
    match admission {
        Admission::Granted(wait) => {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            Ok(())
        }
        Admission::Wait(wait) => Err(RateLimitError::WaitTooLong(wait)),
        Admission::Held(wait) => Err(RateLimitError::Reserved(wait)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    use super::*;
    use crate::providers::test_redis::TestNamespace;
    use crate::queue::JobError;

    #[tokio::test]
    async fn a_second_call_inside_the_interval_must_wait_and_reserves_nothing() {
        let ns = TestNamespace::new();
        let limiter = RateLimiter::new(&ns.handle(), "t", 1, Duration::from_secs(10));

        assert_eq!(
            limiter.acquire().await.unwrap(),
            Admission::Granted(Duration::ZERO)
        );
        let Admission::Wait(wait) = limiter.acquire().await.unwrap() else {
            panic!("expected a wait")
        };
        assert!(
            wait > Duration::from_secs(9) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        let err = limiter
            .until_ready(Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(
            matches!(err, RateLimitError::WaitTooLong(w) if w > Duration::from_secs(9)),
            "{err:?}"
        );
        assert!(matches!(
            JobError::from(err),
            JobError::Retry {
                consume_attempt: false,
                ..
            }
        ));

        let mut conn = ns.connect().await;
        let pttl: i64 = redis::cmd("PTTL")
            .arg(ns.keys.rate_limit("t"))
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(
            pttl > 0 && pttl <= 11_000,
            "the key expires when idle: {pttl}"
        );
        ns.cleanup().await;
    }

    #[tokio::test]
    async fn a_far_slot_is_reserved_for_its_holder_and_given_to_it_when_it_comes_back() {
        // Arrange: one call per 10 s, the first slot taken.
        let ns = TestNamespace::new();
        let limiter = RateLimiter::new(&ns.handle(), "t", 1, Duration::from_secs(10));
        let short = Duration::from_millis(100);
        assert_eq!(
            limiter.acquire().await.unwrap(),
            Admission::Granted(Duration::ZERO)
        );

        // Act: job "a" asks twice, job "b" once; then "a" comes back within reach of its slot.
        let Admission::Held(first) = limiter.reserve_for("a", short).await.unwrap() else {
            panic!("expected a held slot")
        };
        let Admission::Held(again) = limiter.reserve_for("a", short).await.unwrap() else {
            panic!("expected the same held slot")
        };
        let Admission::Held(other) = limiter.reserve_for("b", short).await.unwrap() else {
            panic!("expected a held slot for b")
        };
        let taken = limiter
            .reserve_for("a", Duration::from_secs(11))
            .await
            .unwrap();

        // Assert: "a" holds the next slot (~10 s), asking again does not push it further, "b"
        // holds the one after (~20 s), and "a" is granted its own slot, not a new one.
        assert!(
            first > Duration::from_secs(9) && first <= Duration::from_secs(10),
            "{first:?}"
        );
        assert!(again <= first, "{again:?} vs {first:?}");
        assert!(other > Duration::from_secs(19), "{other:?}");
        assert!(
            matches!(taken, Admission::Granted(w) if w <= first),
            "{taken:?}"
        );
        let err = limiter.until_ready_for("c", short).await.unwrap_err();
        assert!(
            matches!(JobError::from(err), JobError::Defer { after, .. } if after > Duration::from_secs(29)),
            "a job is deferred to its reserved slot"
        );
        ns.cleanup().await;
    }

    #[tokio::test]
    async fn two_replicas_together_never_exceed_the_rate_in_any_window() {
        // Arrange: 10 calls per 500 ms (one per 50 ms), two "replicas" with their own
        // connections, three concurrent callers each, for 1.5 s.
        let ns = TestNamespace::new();
        let (count, per) = (10_usize, Duration::from_millis(500));
        let replicas = [
            RateLimiter::new(&ns.handle(), "brevo", count as u32, per),
            RateLimiter::new(&ns.handle(), "brevo", count as u32, per),
        ];
        let slots = Arc::new(Mutex::new(Vec::new()));
        let deadline = Instant::now() + Duration::from_millis(1500);

        // Act
        let mut tasks = Vec::new();
        for (replica, limiter) in replicas.iter().enumerate() {
            for _ in 0..3 {
                let (limiter, slots) = (limiter.clone(), slots.clone());
                tasks.push(tokio::spawn(async move {
                    while Instant::now() < deadline {
                        let before = Instant::now();
                        let slot = limiter.slot(None, Duration::from_secs(1)).await.unwrap();
                        if !slot.reserved {
                            tokio::time::sleep(slot.wait).await;
                            continue;
                        }
                        tokio::time::sleep(slot.wait).await;
                        assert!(before.elapsed() >= slot.wait);
                        slots.lock().unwrap().push((slot.start_us, replica));
                    }
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }

        // Assert: on the Redis clock, any `count + 1` consecutive slots span at least `per`.
        let mut slots = slots.lock().unwrap().clone();
        slots.sort_unstable();
        let per_us = per.as_micros() as i64;
        for w in slots.windows(count + 1) {
            assert!(
                w[count].0 - w[0].0 >= per_us,
                "{} calls within {per:?}: {w:?}",
                count + 1
            );
        }
        // ... and the budget is actually used, by both replicas.
        assert!(slots.len() >= 25, "only {} calls in 1.5 s", slots.len());
        for replica in 0..2 {
            assert!(
                slots.iter().any(|s| s.1 == replica),
                "replica {replica} never got a slot"
            );
        }
        ns.cleanup().await;
    }
}
