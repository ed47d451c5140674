//! What the person page (`meetflow-admin person`, `/person`, `/api/person`) finds a person and
//! their bookings' history by, beyond what the bookings store already keeps.
//!
//! - By e-mail: the bookings store's own person set ([`crate::redis::Keys::person_bookings`]).
//! - By phone: [`crate::redis::Keys::person_phone`], the booking keys of one E.164 number
//!   (hashed by [`phone_tag`], so no number is in a key name), written by the worker when it
//!   handles a booking's delivery.
//! - By Calendly scheduled event URI: [`crate::redis::Keys::event_bookings`], the booking keys
//!   (invitees) of one event, written at the same time.
//! - A booking's trail ([`crate::redis::Keys::booking_trail`]): one [`TrailEntry`] per Calendly
//!   delivery the worker handled for it, with the booking's status after it, newest first. This
//!   is the status history and the webhook deliveries of the page; the delivery's job id is its
//!   dedupe key, so the job (while its hash is retained) and the delivery log can be read by it.
//!
//! Both are bounded: at most [`CAP`] members or entries, and [`PERSON_INDEX_TTL`] after the last
//! write. Writes are one pipeline each and never fail a job (the caller logs and goes on): the
//! page is a view, not a source of truth.

use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::redis::{PERSON_INDEX_TTL, Redis, millis};

/// Most bookings one phone number keeps, and most entries one booking's trail keeps.
pub const CAP: usize = 50;

/// The tag of an E.164 number in key names: 16 hex digits of its SHA-256.
#[must_use]
pub fn phone_tag(e164: &str) -> String {
    let digest = Sha256::digest(format!("phone:{}", e164.trim()).as_bytes());
    hex::encode(&digest[..8])
}

/// The tag of a Calendly scheduled event URI in key names: its last path segment (the event's
/// UUID), lower-cased, or 16 hex digits of the URI's SHA-256 when that segment is not a plain id.
#[must_use]
pub fn event_tag(uri: &str) -> String {
    let trimmed = uri.trim().trim_end_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or_default();
    if (1..=64).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return last.to_ascii_lowercase();
    }
    let digest = Sha256::digest(trimmed.as_bytes());
    hex::encode(&digest[..8])
}

/// Who a booking is, for the indexes: its number and its scheduled event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Owners<'a> {
    /// The invitee's number, E.164.
    pub phone: Option<&'a str>,
    /// The scheduled event URI.
    pub event: Option<&'a str>,
}

/// One Calendly delivery handled for a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailEntry {
    /// When the worker handled it (unix ms).
    pub at_ms: i64,
    /// The event (`invitee.created`, `invitee.canceled`, `invitee_no_show.created`, ...).
    pub event: String,
    /// The delivery's job id (`wh:calendly:<hex>`): its dedupe key.
    pub delivery: String,
    /// `webhook`, `reconciled` (rebuilt from the Calendly API), `adopted` (from before
    /// go-live) or `backfill`.
    pub via: String,
    /// The booking's status after it (`active`, `canceled`, `rescheduled`, `no_show`), when
    /// stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// The person indexes of one namespace.
#[derive(Debug, Clone)]
pub struct PersonIndex {
    redis: Redis,
}

impl PersonIndex {
    /// The indexes of `redis`'s namespace.
    #[must_use]
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }

    /// Records that the worker handled `entry` for `booking`, and that `booking` belongs to its
    /// `owners` (number, scheduled event). One pipeline.
    ///
    /// # Errors
    /// When Redis fails.
    pub async fn record(
        &self,
        booking: &str,
        owners: Owners<'_>,
        entry: &TrailEntry,
    ) -> redis::RedisResult<()> {
        let keys = self.redis.keys();
        let ttl = i64::try_from(millis(PERSON_INDEX_TTL)).unwrap_or(i64::MAX);
        let cap = isize::try_from(CAP).unwrap_or(isize::MAX);
        let json = serde_json::to_string(entry).unwrap_or_default();
        let trail = keys.booking_trail(booking);
        let mut pipe = redis::pipe();
        pipe.lpush(&trail, json)
            .ignore()
            .ltrim(&trail, 0, cap - 1)
            .ignore()
            .pexpire(&trail, ttl)
            .ignore();
        let phone = owners
            .phone
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| keys.person_phone(&phone_tag(p)));
        let event = owners
            .event
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| keys.event_bookings(&event_tag(e)));
        for key in phone.iter().chain(event.iter()) {
            pipe.zadd(key, booking, entry.at_ms)
                .ignore()
                .zremrangebyrank(key, 0, -(cap + 1))
                .ignore()
                .pexpire(key, ttl)
                .ignore();
        }
        let mut conn = self.redis.conn();
        pipe.query_async::<()>(&mut conn).await
    }

    /// The booking keys of the phone number `e164`, most recently written first.
    ///
    /// # Errors
    /// When Redis fails.
    pub async fn bookings_of_phone(&self, e164: &str) -> redis::RedisResult<Vec<String>> {
        let mut conn = self.redis.conn();
        let cap = isize::try_from(CAP).unwrap_or(isize::MAX);
        conn.zrevrange(self.redis.keys().person_phone(&phone_tag(e164)), 0, cap - 1)
            .await
    }

    /// The booking keys (invitees) of the Calendly scheduled event `uri`, most recent first.
    ///
    /// # Errors
    /// When Redis fails.
    pub async fn bookings_of_event(&self, uri: &str) -> redis::RedisResult<Vec<String>> {
        let mut conn = self.redis.conn();
        let cap = isize::try_from(CAP).unwrap_or(isize::MAX);
        conn.zrevrange(
            self.redis.keys().event_bookings(&event_tag(uri)),
            0,
            cap - 1,
        )
        .await
    }

    /// The booking keys of the e-mail address `email` (the bookings store's person set).
    ///
    /// # Errors
    /// When Redis fails.
    pub async fn bookings_of_email(&self, email: &str) -> redis::RedisResult<Vec<String>> {
        if email.trim().is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.redis.conn();
        let tag = crate::domain::email_tag(email);
        let mut keys: Vec<String> = conn
            .smembers(self.redis.keys().person_bookings(&tag))
            .await?;
        keys.sort();
        keys.truncate(CAP);
        Ok(keys)
    }

    /// The trail of `booking`, newest first: each delivery once (a job run again after its
    /// lease lapsed records it again; its newest entry stays), entries that do not parse
    /// skipped.
    ///
    /// # Errors
    /// When Redis fails.
    pub async fn trail(&self, booking: &str) -> redis::RedisResult<Vec<TrailEntry>> {
        let mut conn = self.redis.conn();
        let cap = isize::try_from(CAP).unwrap_or(isize::MAX);
        let raw: Vec<String> = conn
            .lrange(self.redis.keys().booking_trail(booking), 0, cap - 1)
            .await?;
        let mut seen = std::collections::HashSet::new();
        Ok(raw
            .iter()
            .filter_map(|s| serde_json::from_str::<TrailEntry>(s).ok())
            .filter(|e| seen.insert(e.delivery.clone()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_tags_hide_the_number_and_ignore_spaces() {
        let t = phone_tag("+14155550132");
        assert_eq!(t, phone_tag(" +14155550132 "));
        assert_eq!(t.len(), 16);
        assert!(!t.contains("4155550132"));
        assert_ne!(t, crate::domain::email_tag("+14155550132"));
    }

    #[test]
    fn event_tags_are_the_event_id_or_a_hash() {
        assert_eq!(
            event_tag("https://api.calendly.com/scheduled_events/5F443A67-564e-4e90/"),
            "5f443a67-564e-4e90"
        );
        assert_eq!(event_tag("https://x/a b").len(), 16);
    }
}
