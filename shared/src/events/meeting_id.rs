//! The numeric Zoom meeting id, which arrives as a JSON string or a JSON number.
//!
//! `meeting.*` events send `"id":"85746065432"`, `recording.completed` and
//! `webinar.registration_created` send `"id":85746065432`, and Calendly puts the number in
//! `scheduled_event.location.data.id`. One type reads all of them so a booking and its meeting
//! events compare equal.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A Zoom meeting or webinar id (11 digits today), kept as its decimal text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MeetingId(String);

impl MeetingId {
    /// Reads an id from text: ASCII digits only, 1 to 20 of them, surrounding spaces ignored.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let ok = !text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| Self(text.to_owned()))
    }

    /// The id as decimal text, e.g. for `GET /v2/meetings/{id}`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for MeetingId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MeetingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for MeetingId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MeetingId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MeetingIdVisitor)
    }
}

struct MeetingIdVisitor;

impl Visitor<'_> for MeetingIdVisitor {
    type Value = MeetingId;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a meeting id as a number or a string of digits")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<MeetingId, E> {
        Ok(MeetingId(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<MeetingId, E> {
        u64::try_from(v)
            .map(|v| MeetingId(v.to_string()))
            .map_err(|_| E::custom("negative meeting id"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<MeetingId, E> {
        MeetingId::parse(v).ok_or_else(|| E::custom("meeting id is not a string of digits"))
    }
}

/// An optional id where `null`, absent and `""` all mean "none"
/// (`#[serde(default, deserialize_with = "opt_meeting_id")]`).
pub(crate) fn opt_meeting_id<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<MeetingId>, D::Error> {
    struct OptVisitor;
    impl<'de> Visitor<'de> for OptVisitor {
        type Value = Option<MeetingId>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a meeting id, an empty string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            MeetingIdVisitor.visit_u64(v).map(Some)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            MeetingIdVisitor.visit_i64(v).map(Some)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.trim().is_empty() {
                return Ok(None);
            }
            MeetingIdVisitor.visit_str(v).map(Some)
        }
    }
    d.deserialize_option(OptVisitor)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn string_and_number_ids_are_equal() {
        let a: MeetingId = serde_json::from_str("\"85746065432\"").unwrap();
        let b: MeetingId = serde_json::from_str("85746065432").unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"85746065432\"");
    }

    #[test]
    fn optional_ids_treat_empty_and_null_as_none() {
        #[derive(Deserialize)]
        struct P {
            #[serde(default, deserialize_with = "opt_meeting_id")]
            id: Option<MeetingId>,
        }
        for (body, want) in [
            (r#"{"id":""}"#, None),
            (r#"{"id":null}"#, None),
            ("{}", None),
            (r#"{"id":7}"#, Some("7")),
        ] {
            let p: P = serde_json::from_str(body).unwrap();
            assert_eq!(p.id.as_ref().map(MeetingId::as_str), want, "{body}");
        }
    }

    #[test]
    fn non_digit_ids_are_rejected() {
        for bad in [
            "\"\"",
            "\"12a\"",
            "-4",
            "1.5",
            "true",
            "\"123456789012345678901\"",
        ] {
            assert!(serde_json::from_str::<MeetingId>(bad).is_err(), "{bad}");
        }
    }
}
