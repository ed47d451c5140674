//! The delivery state of each SMS, as EngageLab's delivery callbacks report it, kept in one Redis
//! HASH per SMS ([`crate::redis::Keys::sms_delivery`], keyed like the at-most-once marker by
//! booking and kind) plus an index from EngageLab's `message_id` to that SMS
//! ([`crate::redis::Keys::sms_message`]).
//!
//! The worker records `accepted` (with the message id EngageLab returned, the kind and the
//! recipient's country) when a send is accepted; each callback row then moves the state forward:
//! `accepted` -> `sent` -> `delivered` | `delivered_failed`, or `sent_failed` / `target_invalid`.
//! The move is one Lua step that only ever goes forward (ranks below), so a redelivered callback
//! changes nothing and a late `sent` never downgrades `delivered`; a final state is never replaced
//! by another one. A callback that arrives before the accept was recorded creates the record (the
//! accept then leaves its status alone).

use std::collections::HashMap;
use std::sync::LazyLock;

use redis::AsyncCommands;
use serde::Serialize;

use crate::redis::{Redis, SMS_MARKER_TTL, millis};

/// A status EngageLab reports for a message (those that move the state; `plan` and
/// `target_valid` are earlier than `accepted` and ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Handed to the carrier.
    Sent,
    /// The handset got it.
    Delivered,
    /// The carrier refused it.
    SentFailed,
    /// The carrier took it but could not deliver it.
    DeliveredFailed,
    /// EngageLab judged the number unusable.
    TargetInvalid,
}

impl DeliveryStatus {
    /// Reads EngageLab's `message_status`; `None` for statuses that do not move the state.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "sent_failed" => Self::SentFailed,
            "delivered_failed" => Self::DeliveredFailed,
            "target_invalid" => Self::TargetInvalid,
            _ => return None,
        })
    }

    /// EngageLab's name (also the stored value and the metric label).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::SentFailed => "sent_failed",
            Self::DeliveredFailed => "delivered_failed",
            Self::TargetInvalid => "target_invalid",
        }
    }

    /// A failure to deliver (`sent_failed`, `delivered_failed`, `target_invalid`).
    #[must_use]
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Self::SentFailed | Self::DeliveredFailed | Self::TargetInvalid
        )
    }
}

/// Moves the state (KEYS[1]) forward to ARGV[1] when its rank is higher than the current one.
/// ARGV: status, error code (or ''), now ms, ttl ms, message id (or ''), kind (or ''). Answers
/// `{'changed'|'same', previous status, accepted_ms, kind, country}`.
static REPORT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"local function rank(s)
  if s == 'delivered' or s == 'delivered_failed' or s == 'sent_failed' or s == 'target_invalid' then return 3 end
  if s == 'sent' then return 2 end
  if s == 'accepted' then return 1 end
  return 0
end
local f = redis.call('HMGET', KEYS[1], 'status', 'accepted_ms', 'kind', 'country')
local cur, acc, kind, country = f[1] or '', f[2] or '', f[3] or ARGV[6], f[4] or ''
if rank(ARGV[1]) <= rank(cur) then return {'same', cur, acc, kind, country} end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated_ms', ARGV[3])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'error_code', ARGV[2]) end
if ARGV[5] ~= '' then redis.call('HSETNX', KEYS[1], 'message_id', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSETNX', KEYS[1], 'kind', ARGV[6]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'changed', cur, acc, kind, country}",
    )
});

/// Records an accepted send: `status` `accepted` unless a callback already wrote one, the fields
/// (ARGV from 3 on: field, value pairs), the TTL (ARGV[1] ms) on the record (KEYS[1]) and, when
/// KEYS[2] is given, the message index (KEYS[2] = ARGV[2]). One script rather than a
/// MULTI/EXEC transaction: the same atomic write with one command fewer, on every accepted SMS.
static ACCEPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"redis.call('HSETNX', KEYS[1], 'status', 'accepted')
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
if KEYS[2] then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1",
    )
});

/// What one reported status did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The state moved (`false`: a redelivery or an out-of-order row; nothing changed).
    pub changed: bool,
    /// The status before (empty when none was recorded).
    pub previous: String,
    /// When EngageLab accepted the send (unix ms), if recorded.
    pub accepted_ms: Option<i64>,
    /// The SMS kind (`confirmation`, `rem-24h`, ...), if known.
    pub kind: String,
    /// The recipient's country (ISO alpha-2 or `unknown`), if recorded.
    pub country: String,
}

/// The delivery state of one SMS, as operators see it (no phone number).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// `accepted`, `sent`, `delivered`, `sent_failed`, `delivered_failed` or `target_invalid`.
    pub status: String,
    /// EngageLab's error code of a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// EngageLab's message id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// When the state last moved (unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_ms: Option<i64>,
}

/// The delivery records in Redis.
#[derive(Debug, Clone)]
pub struct Deliveries {
    redis: Redis,
}

impl Deliveries {
    /// The records of `redis`'s namespace.
    #[must_use]
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }

    /// Records that EngageLab accepted the SMS `kind` of `booking` as `message_id`, to a number
    /// in `country`. Leaves a status a callback already wrote alone.
    ///
    /// # Errors
    /// When Redis fails.
    pub async fn accepted(
        &self,
        booking: &str,
        kind: &str,
        message_id: Option<&str>,
        country: &str,
        now_ms: i64,
    ) -> redis::RedisResult<()> {
        let keys = self.redis.keys();
        let key = keys.sms_delivery(booking, kind);
        let ttl = millis(SMS_MARKER_TTL);
        let now = now_ms.to_string();
        let mut fields = vec![
            ("kind", kind),
            ("country", country),
            ("booking", booking),
            ("accepted_ms", now.as_str()),
        ];
        fields.extend(message_id.map(|id| ("message_id", id)));
        let mut inv = ACCEPT.prepare_invoke();
        inv.key(&key).arg(ttl).arg(format!("{booking}|{kind}"));
        if let Some(id) = message_id {
            inv.key(keys.sms_message(id));
        }
        for (field, value) in &fields {
            inv.arg(*field).arg(*value);
        }
        let mut conn = self.redis.conn();
        inv.invoke_async::<()>(&mut conn).await
    }

    /// The (booking, kind) of the SMS EngageLab calls `message_id`, if this installation sent it.
    ///
    /// # Errors
    /// When Redis fails.
    pub async fn find(&self, message_id: &str) -> redis::RedisResult<Option<(String, String)>> {
        let mut conn = self.redis.conn();
        let v: Option<String> = conn.get(self.redis.keys().sms_message(message_id)).await?;
        Ok(v.and_then(|v| {
            let (booking, kind) = v.rsplit_once('|')?;
            Some((booking.to_owned(), kind.to_owned()))
        }))
    }

    /// Moves the SMS `kind` of `booking` forward to `status` (see the module doc).
    ///
    /// # Errors
    /// When Redis fails.
    pub async fn report(
        &self,
        booking: &str,
        kind: &str,
        status: DeliveryStatus,
        error_code: Option<i64>,
        message_id: Option<&str>,
        now_ms: i64,
    ) -> redis::RedisResult<Transition> {
        let mut conn = self.redis.conn();
        let reply: Vec<String> = REPORT
            .key(self.redis.keys().sms_delivery(booking, kind))
            .arg(status.as_str())
            .arg(error_code.map(|c| c.to_string()).unwrap_or_default())
            .arg(now_ms)
            .arg(millis(SMS_MARKER_TTL))
            .arg(message_id.unwrap_or_default())
            .arg(kind)
            .invoke_async(&mut conn)
            .await?;
        let part = |i: usize| reply.get(i).cloned().unwrap_or_default();
        Ok(Transition {
            changed: part(0) == "changed",
            previous: part(1),
            accepted_ms: part(2).parse().ok(),
            kind: part(3),
            country: part(4),
        })
    }

    /// The delivery state of the SMS `kind` of `booking`, if any was recorded.
    ///
    /// # Errors
    /// When Redis fails.
    pub async fn get(&self, booking: &str, kind: &str) -> redis::RedisResult<Option<Delivery>> {
        let mut conn = self.redis.conn();
        let h: HashMap<String, String> = conn
            .hgetall(self.redis.keys().sms_delivery(booking, kind))
            .await?;
        let Some(status) = h.get("status").cloned() else {
            return Ok(None);
        };
        Ok(Some(Delivery {
            status,
            error_code: h.get("error_code").cloned(),
            message_id: h.get("message_id").cloned(),
            updated_ms: h.get("updated_ms").and_then(|v| v.parse().ok()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_and_classify() {
        for s in [
            DeliveryStatus::Sent,
            DeliveryStatus::Delivered,
            DeliveryStatus::SentFailed,
            DeliveryStatus::DeliveredFailed,
            DeliveryStatus::TargetInvalid,
        ] {
            assert_eq!(DeliveryStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(DeliveryStatus::parse("plan"), None);
        assert_eq!(DeliveryStatus::parse("target_valid"), None);
        assert!(DeliveryStatus::DeliveredFailed.is_failure());
        assert!(!DeliveryStatus::Delivered.is_failure());
    }
}
