//! Forgiving serde helpers for provider JSON.
//!
//! Providers send `null` where an array is documented, numbers where strings are documented (Zoom
//! meeting ids), and empty strings for absent timestamps. These helpers absorb that variety so a
//! cosmetic difference does not turn a real booking into a dead letter. `Lenient` and `Obj` never
//! fail on a well-formed JSON value at all: the envelope head (event name, identity fields) is read
//! with them, so any JSON object yields a head.

use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A scalar read as text: strings as they are, numbers in decimal, anything else as `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Lenient(pub(crate) Option<String>);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientVisitor)
    }
}

struct LenientVisitor;

impl<'de> Visitor<'de> for LenientVisitor {
    type Value = Lenient;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Lenient, E> {
        Ok(Lenient(Some(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Lenient, E> {
        Ok(Lenient(Some(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Lenient, E> {
        Ok(Lenient(Some(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Lenient, E> {
        Ok(Lenient(Some(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Lenient, E> {
        Ok(Lenient(Some(v.to_string())))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Lenient, E> {
        Ok(Lenient(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Lenient, E> {
        Ok(Lenient(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Lenient, E> {
        Ok(Lenient(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Lenient, D::Error> {
        Lenient::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lenient, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Lenient(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lenient, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Lenient(None))
    }
}

/// An object read as `T`, or `None` when the value is not an object (null, scalar, array).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Obj<T>(pub(crate) Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ObjVisitor(PhantomData))
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Obj<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Obj(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Obj<T>, D::Error> {
        Obj::deserialize(d)
    }
    fn visit_none<E: de::Error>(self) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
}

/// Any JSON value read as optional text, never failing: strings as they are, numbers in decimal,
/// everything else `None` (`#[serde(default, deserialize_with = "any_text")]`).
pub(crate) fn any_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(Lenient::deserialize(deserializer)?.0)
}

/// An object read as `T`; any value that is not an object reads as `None`
/// (`#[serde(default, deserialize_with = "any_obj")]`). It fails only when `T` itself does.
pub(crate) fn any_obj<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Obj::<T>::deserialize(deserializer)?.0)
}

/// `null` or absent reads as an empty list (`#[serde(default, deserialize_with = "null_as_empty")]`).
pub(crate) fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// Optional text that may arrive as a JSON string or number (Zoom ids); `null` and absent are `None`.
pub(crate) fn opt_text<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    struct TextVisitor;
    impl<'de> Visitor<'de> for TextVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, a number or null")
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
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
    }
    deserializer.deserialize_option(TextVisitor)
}

/// An RFC 3339 timestamp; `null`, absent or `""` read as `None`, other text is an error.
pub(crate) fn opt_time<'de, D>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text.trim())
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| de::Error::custom("not an RFC 3339 timestamp")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Deserialize, Debug)]
    struct Probe {
        #[serde(default)]
        a: Lenient,
        #[serde(default)]
        b: Obj<Inner>,
        #[serde(default, deserialize_with = "null_as_empty")]
        c: Vec<u8>,
        #[serde(default, deserialize_with = "opt_time")]
        d: Option<DateTime<Utc>>,
    }

    #[derive(Deserialize, Debug)]
    struct Inner {
        #[serde(default)]
        x: Lenient,
    }

    #[test]
    fn lenient_reads_strings_and_numbers_and_ignores_the_rest() {
        let p: Probe = serde_json::from_str(r#"{"a":85746065432}"#).unwrap();
        assert_eq!(p.a.0.as_deref(), Some("85746065432"));
        let p: Probe = serde_json::from_str(r#"{"a":{"nested":[1,2,{"z":null}]}}"#).unwrap();
        assert_eq!(p.a.0, None);
        let p: Probe = serde_json::from_str(r#"{"a":null,"b":"text","c":null,"d":""}"#).unwrap();
        assert_eq!(
            (p.a.0, p.b.0.is_none(), p.c.len(), p.d),
            (None, true, 0, None)
        );
    }

    #[test]
    fn obj_reads_objects_with_lenient_fields() {
        let p: Probe = serde_json::from_str(r#"{"b":{"x":true,"y":1}}"#).unwrap();
        assert_eq!(p.b.0.unwrap().x.0, None);
        let p: Probe = serde_json::from_str(r#"{"b":{"x":"id"}}"#).unwrap();
        assert_eq!(p.b.0.unwrap().x.0.as_deref(), Some("id"));
    }

    #[test]
    fn opt_time_parses_rfc3339_and_rejects_other_text() {
        let p: Probe = serde_json::from_str(r#"{"d":"2026-04-14T16:20:58.421314Z"}"#).unwrap();
        assert_eq!(p.d.unwrap().timestamp_micros(), 1_776_183_658_421_314);
        assert!(serde_json::from_str::<Probe>(r#"{"d":"yesterday"}"#).is_err());
    }
}
