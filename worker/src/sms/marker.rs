//! The at-most-once marker of an SMS, one per (booking, kind), in Redis
//! ([`meetflow_shared::redis::Keys::sms_marker`]).
//!
//! EngageLab has no idempotency key, so a retried POST can text a person twice. The SMS handler
//! therefore claims the marker (`SET NX` to `sending:<ms>:<attempt>`) right before the call, in
//! the same Lua step that checks the booking fields its last check read are unchanged
//! ([`SendGuard`]) and that the person is not on the suppression list
//! ([`meetflow_shared::sms_suppression`]: the number, or the booking's e-mail, with an entry
//! whose scope covers this kind; a suppressed SMS claims nothing and is never sent), and:
//! - on success sets it to `sent` (or `suppressed` for EngageLab's 3004);
//! - on a failure that certainly sent nothing (connect refused, a definite HTTP error) deletes
//!   its own claim, retrying the delete when Redis does not answer, so the retry sends;
//! - on an ambiguous failure (timeout after sending, 502/504, an unreadable 2xx) leaves it: the
//!   job goes to the dead letters as "possibly sent".
//!
//! A claim whose reply is lost (connection dropped after the command left) is read back: our
//! own token means the claim is ours. A later attempt that finds `sending:` (its process died
//! mid-call, or the claim was left by an ambiguous failure) does not send either, unless an
//! operator replayed that one job with `--resend` after the claim was made
//! ([`super::send_state`]). A marker lives [`meetflow_shared::redis::SMS_MARKER_TTL`].

use std::sync::LazyLock;
use std::time::Duration;

use meetflow_shared::bookings::SendGuard;
use meetflow_shared::redis::{Redis, RedisConn, SMS_MARKER_TTL, compare_and_delete, millis};
use meetflow_shared::sms_suppression::{Source, Target};

/// The field prefixes of every fed source, as the claim's ARGV[6].
static PREFIXES: LazyLock<String> = LazyLock::new(|| {
    Source::FED
        .iter()
        .map(|s| s.prefix())
        .collect::<Vec<_>>()
        .join(",")
});

/// Claims the marker (KEYS[1]) only while the guarded fields of the booking hash (KEYS[2]) hold
/// the values the last check read and neither the number (ARGV[3], a suppression field) nor,
/// when ARGV[5] is `1`, the booking's `email` is on the suppression list (KEYS[3]) with a scope
/// covering this SMS (an entry of scope `marketing` covers it only when ARGV[4] is `1`), under
/// the operator's field or any source's (ARGV[6]: the source prefixes, comma-separated). ARGV:
/// token, ttl ms, phone field, marketing, check e-mail, prefixes, then (field, value) pairs.
/// The number's and the e-mail's fields are read in one `HMGET` (every SMS pays this step).
static CLAIM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"local fields = {'email'}
for i = 7, #ARGV, 2 do fields[#fields + 1] = ARGV[i] end
local now = redis.call('HMGET', KEYS[2], unpack(fields))
for i = 7, #ARGV, 2 do
  if (now[(i - 5) / 2 + 1] or '') ~= ARGV[i + 1] then return {'changed'} end
end
local prefixes = {''}
for p in string.gmatch(ARGV[6], '[^,]+') do prefixes[#prefixes + 1] = p end
local targets = {}
if ARGV[3] ~= '' then targets[#targets + 1] = {'phone', ARGV[3]} end
local email = ARGV[5] == '1' and now[1]
if email then
  email = string.lower(string.match(email, '^%s*(.-)%s*$'))
  if email ~= '' then targets[#targets + 1] = {'email', 'email:' .. email} end
end
if #targets > 0 then
  local names = {}
  for _, t in ipairs(targets) do
    for _, p in ipairs(prefixes) do names[#names + 1] = p .. t[2] end
  end
  local found = redis.call('HMGET', KEYS[3], unpack(names))
  for ti, t in ipairs(targets) do
    for pi, p in ipairs(prefixes) do
      local v = found[(ti - 1) * #prefixes + pi]
      if v and (string.match(v, '^[^:]*') ~= 'marketing' or ARGV[4] == '1') then
        return {'suppressed', t[1], string.sub(p, 1, -2)}
      end
    end
  end
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'acquired'} end
return {'held', redis.call('GET', KEYS[1]) or ''}",
    )
});

/// Reads of a claim whose reply was lost, and deletes of a claim after a definite refusal.
const TRIES: u32 = 5;

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
    /// The booking changed since the last check: judge again.
    Changed,
    /// The person is on the suppression list for this SMS: the reason is `phone` or `email` for
    /// an operator's entry (what matched), else the entry's source (`brevo_blacklist`, ...).
    Suppressed(&'static str),
}

/// Who an SMS goes to, for the suppression check of the claim.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Recipient<'a> {
    /// The number in E.164.
    pub(crate) phone: &'a str,
    /// A marketing SMS (win-back, no-show apology, follow-up): entries of scope `marketing`
    /// stop it too.
    pub(crate) marketing: bool,
    /// Whether the booking's e-mail is checked too: not for a notice to the host, whose number
    /// is not the invitee's.
    pub(crate) booking_email: bool,
}

/// One SMS's marker.
#[derive(Debug, Clone)]
pub(crate) struct SmsMarker {
    redis: Redis,
    conn: RedisConn,
    key: String,
    suppression: String,
    token: String,
}

impl SmsMarker {
    /// The marker of `kind` for `booking`, claimed (if at all) by `attempt` at `now_ms`.
    pub(crate) fn new(redis: &Redis, booking: &str, kind: &str, attempt: u32, now_ms: i64) -> Self {
        Self {
            redis: redis.clone(),
            conn: redis.conn(),
            key: redis.keys().sms_marker(booking, kind),
            suppression: redis.keys().sms_suppression(),
            token: format!("sending:{now_ms}:{attempt}"),
        }
    }

    fn ttl_ms() -> u64 {
        millis(SMS_MARKER_TTL)
    }

    /// Claims the marker if the booking still reads as `guard` says and `to` is not suppressed,
    /// or reports what holds it. A reply lost on the way back is resolved by reading the marker:
    /// our token means ours.
    pub(crate) async fn claim(
        &self,
        guard: &SendGuard,
        to: Recipient<'_>,
    ) -> redis::RedisResult<Claim> {
        let mut conn = self.conn.clone();
        let mut inv = CLAIM.prepare_invoke();
        inv.key(&self.key)
            .key(&guard.key)
            .key(&self.suppression)
            .arg(&self.token)
            .arg(Self::ttl_ms())
            .arg(Target::Phone(to.phone.to_owned()).field())
            .arg(if to.marketing { "1" } else { "0" })
            .arg(if to.booking_email { "1" } else { "0" })
            .arg(&*PREFIXES);
        for (f, v) in &guard.fields {
            inv.arg(f).arg(v);
        }
        let reply: Vec<String> = match self.redis.invoke_durably(&mut conn, &inv).await {
            Ok(r) => r,
            // The claim is on the master only: a failover could lose it and let a retry send
            // again. Drop it (nothing was sent) and let the job retry.
            Err(e) if e.is_io_error() && self.redis.wait_replicas() > 0 => {
                tracing::warn!(marker = %self.key, error = %e, "SMS marker claim not confirmed by replicas; releasing it");
                self.release().await?;
                return Err(e);
            }
            Err(e) if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() => {
                tracing::warn!(marker = %self.key, error = %e, "SMS marker claim: reply lost; reading it back");
                return match self.read_back().await? {
                    Some(v) if v == self.token => Ok(Claim::Acquired),
                    Some(v) => Ok(Self::held(v)),
                    // It did not land: judging again claims anew.
                    None => Ok(Claim::Changed),
                };
            }
            Err(e) => return Err(e),
        };
        Ok(match reply.first().map(String::as_str) {
            Some("acquired") => Claim::Acquired,
            Some("held") => Self::held(reply.get(1).cloned().unwrap_or_default()),
            Some("suppressed") => Claim::Suppressed(
                match reply.get(2).map(String::as_str).and_then(Source::parse) {
                    Some(s) if s != Source::Operator => s.as_str(),
                    _ if reply.get(1).map(String::as_str) == Some("email") => "email",
                    _ => "phone",
                },
            ),
            _ => Claim::Changed,
        })
    }

    fn held(v: String) -> Claim {
        match v.strip_prefix("sending:") {
            Some(rest) => Claim::InFlight {
                since_ms: rest
                    .split(':')
                    .next()
                    .and_then(|ms| ms.parse().ok())
                    .unwrap_or(0),
            },
            // Expired between SET and GET: judge and claim again.
            None if v.is_empty() => Claim::Changed,
            None => Claim::Done(v),
        }
    }

    /// The marker's value, asking again (with a short pause) while Redis does not answer.
    async fn read_back(&self) -> redis::RedisResult<Option<String>> {
        let mut i = 0;
        loop {
            let mut conn = self.conn.clone();
            match redis::cmd("GET")
                .arg(&self.key)
                .query_async(&mut conn)
                .await
            {
                Ok(v) => return Ok(v),
                Err(e) if i + 1 >= TRIES => return Err(e),
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(50 << i)).await;
            i += 1;
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
    /// With `redis.wait_replicas`, waits until that many replicas have it: a failover then
    /// cannot bring back the `sending:` claim (which reads as "possibly sent").
    pub(crate) async fn finish(&self, outcome: &str) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        let mut set = redis::cmd("SET");
        set.arg(&self.key)
            .arg(outcome)
            .arg("PX")
            .arg(Self::ttl_ms());
        self.redis.query_durably::<()>(&mut conn, &set).await
    }

    /// Drops our claim: nothing was sent, a retry may send. Asked again (with a short pause)
    /// while Redis does not answer, so a definite refusal is not left looking like a send.
    pub(crate) async fn release(&self) -> redis::RedisResult<()> {
        let mut i = 0;
        loop {
            let mut conn = self.conn.clone();
            match compare_and_delete(&mut conn, &self.key, &self.token).await {
                Ok(_) => return Ok(()),
                Err(e) if i + 1 >= TRIES => return Err(e),
                Err(e) => {
                    tracing::warn!(marker = %self.key, error = %e, "SMS marker release failed; trying again");
                }
            }
            tokio::time::sleep(Duration::from_millis(50 << i)).await;
            i += 1;
        }
    }
}
