//! EngageLab delivery callbacks (`docs/providers.md` 4.3): the body EngageLab posts to
//! `POST /webhooks/engagelab` and the `X-CALLBACK-ID` header that signs it.
//!
//! The header is `timestamp={ts};nonce={nonce};username={u};signature={hex}` with
//! `signature = hex(HMAC-SHA256(callback secret, ts + nonce + u))`: the body is not covered, so
//! ingest also bounds the timestamp to a window. The body is `{"total": n, "rows": [...]}`; a row
//! is a message status (`message_id`, `custom_args` echoed from the send, `status.message_status`
//! one of `plan`, `target_valid`, `target_invalid`, `sent`, `sent_failed`, `delivered`,
//! `delivered_failed`, and `error_code`) or a notification (`notification.event`, e.g.
//! `insufficient_balance`). Reading is lenient: ids as strings or numbers, unknown fields ignored,
//! a row that is neither kind is kept as [`CallbackRow::Other`].

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

/// The signature header's name.
pub const CALLBACK_HEADER: &str = "x-callback-id";

/// `hex(HMAC-SHA256(secret, timestamp + nonce + username))`, the `signature` part of
/// `X-CALLBACK-ID`.
#[must_use]
pub fn callback_signature(secret: &str, timestamp: &str, nonce: &str, username: &str) -> String {
    hex::encode(
        callback_mac(secret, timestamp, nonce, username)
            .finalize()
            .into_bytes(),
    )
}

/// The keyed MAC over `timestamp + nonce + username`, ready to finalize or verify.
#[must_use]
pub fn callback_mac(secret: &str, timestamp: &str, nonce: &str, username: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.as_bytes());
    mac.update(nonce.as_bytes());
    mac.update(username.as_bytes());
    mac
}

/// A whole `X-CALLBACK-ID` value, signed with `secret`.
#[must_use]
pub fn callback_header(secret: &str, timestamp: i64, nonce: &str, username: &str) -> String {
    let ts = timestamp.to_string();
    let signature = callback_signature(secret, &ts, nonce, username);
    format!("timestamp={ts};nonce={nonce};username={username};signature={signature}")
}

/// The parts of an `X-CALLBACK-ID` value (not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackId<'a> {
    /// `timestamp`, as sent (the signed text).
    pub timestamp: &'a str,
    /// `nonce`.
    pub nonce: &'a str,
    /// `username` (empty when absent).
    pub username: &'a str,
    /// `signature` (hex).
    pub signature: &'a str,
}

impl<'a> CallbackId<'a> {
    /// Splits `timestamp=..;nonce=..;username=..;signature=..` (any order, spaces around parts
    /// ignored). `None` when `timestamp`, `nonce` or `signature` is missing or a part repeats.
    #[must_use]
    pub fn parse(value: &'a str) -> Option<Self> {
        let (mut ts, mut nonce, mut user, mut sig) = (None, None, None, None);
        for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, v) = part.split_once('=')?;
            let slot = match name.trim() {
                "timestamp" => &mut ts,
                "nonce" => &mut nonce,
                "username" => &mut user,
                "signature" => &mut sig,
                _ => continue,
            };
            if slot.replace(v.trim()).is_some() {
                return None;
            }
        }
        Some(Self {
            timestamp: ts?,
            nonce: nonce?,
            username: user.unwrap_or(""),
            signature: sig?,
        })
    }
}

/// A callback body: `{"total": n, "rows": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct CallbackBody {
    /// How many rows EngageLab says it sent.
    #[serde(default)]
    pub total: Option<u64>,
    /// The rows (absent in the console's validation POST `{}`).
    #[serde(default)]
    pub rows: Vec<Value>,
}

/// One row of a callback, read.
#[derive(Debug, Clone, PartialEq)]
pub enum CallbackRow {
    /// A message's status.
    Status(StatusRow),
    /// An account notification (`insufficient_balance`, ...).
    Notification {
        /// `notification.event`.
        event: String,
    },
    /// Neither: ignored (counted).
    Other,
}

/// A message status row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct StatusRow {
    /// EngageLab's message id (as returned by the send).
    #[serde(default, deserialize_with = "lenient_text")]
    pub message_id: Option<String>,
    /// The number the message went to.
    #[serde(default, deserialize_with = "lenient_text")]
    pub to: Option<String>,
    /// `custom_args` as sent with the message.
    #[serde(default)]
    pub custom_args: Option<Map<String, Value>>,
    /// When EngageLab reported it (Unix seconds or milliseconds).
    #[serde(default, deserialize_with = "lenient_int")]
    pub itime: Option<i64>,
    /// `status`.
    #[serde(default)]
    pub status: RowStatus,
}

/// `status` of a status row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RowStatus {
    /// `plan`, `target_valid`, `target_invalid`, `sent`, `sent_failed`, `delivered`,
    /// `delivered_failed`.
    #[serde(default)]
    pub message_status: String,
    /// `0` = ok; else EngageLab's error code.
    #[serde(default, deserialize_with = "lenient_int")]
    pub error_code: Option<i64>,
    /// `status_data` (its `message_id` is used when the row has none).
    #[serde(default)]
    pub status_data: Option<Map<String, Value>>,
}

impl StatusRow {
    /// The message id: the row's, else `status.status_data.message_id`.
    #[must_use]
    pub fn message_id(&self) -> Option<String> {
        self.message_id.clone().or_else(|| {
            let v = self.status.status_data.as_ref()?.get("message_id")?;
            text_of(v)
        })
    }

    /// A `custom_args` value as text.
    #[must_use]
    pub fn arg(&self, name: &str) -> Option<String> {
        text_of(self.custom_args.as_ref()?.get(name)?)
    }
}

/// Reads one row (never fails: an unreadable row is [`CallbackRow::Other`]).
#[must_use]
pub fn read_row(row: &Value) -> CallbackRow {
    if let Some(event) = row
        .get("notification")
        .and_then(|n| n.get("event"))
        .and_then(Value::as_str)
    {
        return CallbackRow::Notification {
            event: event.to_owned(),
        };
    }
    if row.get("status").is_some_and(Value::is_object)
        && let Ok(s) = StatusRow::deserialize(row)
    {
        return CallbackRow::Status(s);
    }
    CallbackRow::Other
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.as_ref().and_then(text_of))
}

fn lenient_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn header_round_trips_and_signs_ts_nonce_username() {
        let h = callback_header("s3cret", 1_767_225_600, "n1", "meetflow");
        let id = CallbackId::parse(&h).expect("parses");
        assert_eq!(id.timestamp, "1767225600");
        assert_eq!(id.username, "meetflow");
        assert_eq!(
            id.signature,
            callback_signature("s3cret", "1767225600", "n1", "meetflow")
        );
        assert_ne!(
            id.signature,
            callback_signature("other", "1767225600", "n1", "meetflow")
        );
        assert!(CallbackId::parse("timestamp=1;timestamp=2;nonce=a;signature=b").is_none());
        assert!(CallbackId::parse("nonce=a;signature=b").is_none());
        assert!(CallbackId::parse("").is_none());
    }

    #[test]
    fn rows_read_leniently() {
        let status = json!({"message_id": 1972488990804201472_u64, "to": "+14155550132",
            "server": "sms", "itime": "1767225600", "custom_args": {"booking": "b1", "kind": "rem-24h"},
            "status": {"message_status": "delivered_failed", "error_code": "5012",
                       "status_data": {"msg_time": 1}}});
        let CallbackRow::Status(s) = read_row(&status) else {
            panic!("a status row")
        };
        assert_eq!(s.message_id().as_deref(), Some("1972488990804201472"));
        assert_eq!(s.arg("kind").as_deref(), Some("rem-24h"));
        assert_eq!(s.status.error_code, Some(5012));
        assert_eq!(s.to.as_deref(), Some("+14155550132"));
        assert_eq!(s.itime, Some(1_767_225_600));
        let inner =
            json!({"status": {"message_status": "sent", "status_data": {"message_id": "9"}}});
        let CallbackRow::Status(s) = read_row(&inner) else {
            panic!("a status row")
        };
        assert_eq!(s.message_id().as_deref(), Some("9"));
        let n = json!({"server": "sms", "itime": 1, "notification": {"event": "insufficient_balance", "notification_data": {}}});
        assert_eq!(
            read_row(&n),
            CallbackRow::Notification {
                event: "insufficient_balance".into()
            }
        );
        assert_eq!(read_row(&json!(3)), CallbackRow::Other);
        assert_eq!(read_row(&json!({"status": "x"})), CallbackRow::Other);
    }
}
