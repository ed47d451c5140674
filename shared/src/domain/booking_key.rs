//! The key that names one booking in Redis, derived from the Calendly invitee URI.
//!
//! A Calendly booking is one invitee of one scheduled event; a reschedule creates a new invitee,
//! so the invitee identifies the booking *and* its time. The key is the invitee UUID (the last
//! path segment of `.../scheduled_events/{event}/invitees/{uuid}`): readable in `redis-cli` and
//! in the admin CLI, and stable across deliveries. A URI of another shape (never seen, but never
//! trusted either) gets `h` + 24 hex digits of its SHA-256 instead, so any input maps to a key
//! that is safe inside Redis key names and reminder ids (no `:`, no spaces).

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

/// The Redis name of one booking. Parse it from an invitee URI with [`BookingKey::from_invitee_uri`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct BookingKey(String);

impl BookingKey {
    /// The key of the booking made by `invitee_uri` (a Calendly invitee URI). Total: never fails.
    pub fn from_invitee_uri(invitee_uri: &str) -> Self {
        let trimmed = invitee_uri.trim().trim_end_matches('/');
        if let Some((head, last)) = trimmed.rsplit_once('/')
            && head.ends_with("/invitees")
            && is_safe_segment(last)
        {
            return Self(last.to_ascii_lowercase());
        }
        let digest = Sha256::digest(trimmed.as_bytes());
        Self(format!("h{}", &hex::encode(digest)[..24]))
    }

    /// Accept a key as printed by [`BookingKey::as_str`] (e.g. from the admin CLI); `None` when it
    /// could not have been produced by [`BookingKey::from_invitee_uri`].
    pub fn parse(key: &str) -> Option<Self> {
        is_safe_segment(key).then(|| Self(key.to_ascii_lowercase()))
    }

    /// The key or an invitee URI, whichever `input` is (what an operator types).
    pub fn from_uri_or_key(input: &str) -> Self {
        if input.contains('/') {
            Self::from_invitee_uri(input)
        } else {
            Self::parse(input).unwrap_or_else(|| Self::from_invitee_uri(input))
        }
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BookingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BookingKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for BookingKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom("invalid booking key"))
    }
}

fn is_safe_segment(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_invitee_uuid() {
        let uri = "https://api.calendly.com/scheduled_events/5f443a67-564e-4e90-a900-b0e92c02ec25/invitees/9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e";
        let key = BookingKey::from_invitee_uri(uri);
        assert_eq!(key.as_str(), "9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e");
        assert_eq!(BookingKey::from_uri_or_key(uri), key);
        assert_eq!(BookingKey::from_uri_or_key(key.as_str()), key);
    }

    #[test]
    fn an_odd_uri_gets_a_stable_hash_key_without_separators() {
        let a = BookingKey::from_invitee_uri("https://example.com/whatever?x=1 2");
        let b = BookingKey::from_invitee_uri("https://example.com/whatever?x=1 2");
        assert_eq!(a, b);
        assert!(a.as_str().starts_with('h'));
        assert_eq!(a.as_str().len(), 25);
        assert!(!a.as_str().contains(':'));
        let other = BookingKey::from_invitee_uri("https://api.calendly.com/invitees/a:b");
        assert!(!other.as_str().contains(':'));
    }

    #[test]
    fn parse_refuses_what_could_break_a_key_name() {
        assert!(BookingKey::parse("abc-123").is_some());
        assert!(BookingKey::parse("a:b").is_none());
        assert!(BookingKey::parse("").is_none());
        assert!(BookingKey::parse(&"a".repeat(65)).is_none());
    }
}
