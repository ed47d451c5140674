//! Attendance-based no-show marks, kept for operators: when the worker marks an invitee no-show
//! in Calendly because they never joined the booked Zoom meeting
//! (`engagement.no_show_detection`), it records the mark here; `meetflow-admin no-shows list`
//! shows them and `no-shows undo INVITEE_URI` removes one in Calendly and records the undo.
//!
//! One JSON STRING per booking ([`crate::redis::Keys::auto_no_show`], TTL
//! [`AUTO_NO_SHOW_TTL`]) plus a ZSET index by time of the mark
//! ([`crate::redis::Keys::auto_no_shows`], pruned of entries older than the TTL on every write).
//! A record also stops the worker from marking the same booking again (after an undo, or when
//! the same meeting's end is processed twice).

use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

use crate::domain::BookingKey;
use crate::redis::{AUTO_NO_SHOW_TTL, Redis, millis};

/// One mark meetflow made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoNoShow {
    /// The booking (invitee UUID).
    pub booking: String,
    /// The Calendly invitee URI.
    pub invitee_uri: String,
    /// The Calendly no-show URI (`DELETE` removes it).
    pub no_show_uri: String,
    /// The Zoom meeting instance (UUID) the invitee did not join.
    pub meeting_uuid: String,
    /// The Zoom meeting id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<String>,
    /// When it was marked, Unix ms.
    pub marked_ms: i64,
    /// When an operator undid it, Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone_ms: Option<i64>,
    /// Who undid it (`cli:<user>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone_by: Option<String>,
}

impl AutoNoShow {
    /// `marked` or `undone`.
    pub fn state(&self) -> &'static str {
        if self.undone_ms.is_some() {
            "undone"
        } else {
            "marked"
        }
    }
}

/// The store of marks. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AutoNoShows {
    redis: Redis,
}

impl AutoNoShows {
    /// The marks on `redis`.
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }

    /// Stores (or replaces) `mark` and indexes it by its time; drops index entries older than
    /// [`AUTO_NO_SHOW_TTL`] (their records have expired).
    pub async fn put(&self, mark: &AutoNoShow) -> redis::RedisResult<()> {
        let keys = self.redis.keys();
        let json = serde_json::to_string(mark)
            .map_err(|e| redis::RedisError::from(std::io::Error::other(e)))?;
        let oldest = mark.marked_ms - millis(AUTO_NO_SHOW_TTL) as i64;
        redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(keys.auto_no_show(&mark.booking))
            .arg(json)
            .arg("PX")
            .arg(millis(AUTO_NO_SHOW_TTL))
            .ignore()
            .cmd("ZADD")
            .arg(keys.auto_no_shows())
            .arg(mark.marked_ms)
            .arg(&mark.booking)
            .ignore()
            .cmd("ZREMRANGEBYSCORE")
            .arg(keys.auto_no_shows())
            .arg("-inf")
            .arg(oldest - 1)
            .ignore()
            .query_async::<()>(&mut self.redis.conn())
            .await
    }

    /// The mark of `booking`, if meetflow made one (and it has not expired).
    pub async fn get(&self, booking: &BookingKey) -> redis::RedisResult<Option<AutoNoShow>> {
        let raw: Option<String> = self
            .redis
            .conn()
            .get(self.redis.keys().auto_no_show(booking.as_str()))
            .await?;
        Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
    }

    /// The marks, newest first, at most `limit`.
    pub async fn list(&self, limit: usize) -> redis::RedisResult<Vec<AutoNoShow>> {
        let keys = self.redis.keys();
        let mut conn = self.redis.conn();
        let bookings: Vec<String> = conn
            .zrevrange(keys.auto_no_shows(), 0, limit.max(1) as isize - 1)
            .await?;
        if bookings.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = bookings.iter().map(|b| keys.auto_no_show(b)).collect();
        let raw: Vec<Option<String>> = redis::cmd("MGET")
            .arg(&names)
            .query_async(&mut conn)
            .await?;
        Ok(raw
            .into_iter()
            .flatten()
            .filter_map(|r| serde_json::from_str(&r).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_mark_round_trips_and_says_whether_it_was_undone() {
        let mut m = AutoNoShow {
            booking: "b1".into(),
            invitee_uri: "https://api.calendly.com/scheduled_events/E/invitees/b1".into(),
            no_show_uri: "https://api.calendly.com/invitee_no_shows/n1".into(),
            meeting_uuid: "/ab//c==".into(),
            meeting_id: Some("85746065432".into()),
            marked_ms: 1,
            undone_ms: None,
            undone_by: None,
        };
        assert_eq!(m.state(), "marked");
        let text = serde_json::to_string(&m).unwrap();
        assert!(!text.contains("undone"), "{text}");
        assert_eq!(serde_json::from_str::<AutoNoShow>(&text).unwrap(), m);
        m.undone_ms = Some(2);
        assert_eq!(m.state(), "undone");
    }
}
