//! Value types and serde helpers used by the settings structs.
//!
//! Each value is parsed when the file is read (so a bad value is reported with its full key
//! path) and serialized back in the same human form, which is what `config check` prints.
//! Secrets serialize as `***` or `(unset)`: the settings can be dumped without leaking them.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveTime;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A rate such as `10/s` or `600/m`: `count` calls per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// How many calls are allowed in each window.
    pub count: u32,
    /// The window length (1 s, 1 min or 1 h).
    pub per: Duration,
}

impl RateLimit {
    /// Builds a limit of `count` calls per second.
    pub const fn per_second(count: u32) -> Self {
        Self {
            count,
            per: Duration::from_secs(1),
        }
    }

    /// The average number of calls per second this limit allows.
    pub fn per_second_f64(&self) -> f64 {
        f64::from(self.count) / self.per.as_secs_f64()
    }
}

impl FromStr for RateLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid rate limit `{s}` (expected e.g. `10/s`, `600/m`, `1000/h`)");
        let (count, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        if count == 0 {
            return Err(format!(
                "invalid rate limit `{s}`: count must be at least 1"
            ));
        }
        Ok(Self { count, per })
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            60 => "m",
            3600 => "h",
            _ => "s",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// A daily window `HH:MM-HH:MM` in the recipient's local time; may wrap midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    /// Start of the quiet window (inclusive).
    pub start: NaiveTime,
    /// End of the quiet window (exclusive).
    pub end: NaiveTime,
}

impl QuietHours {
    /// Whether `t` (local time) falls inside the window.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            t >= self.start && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

impl FromStr for QuietHours {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad =
            || format!("invalid quiet hours `{s}` (expected `HH:MM-HH:MM`, e.g. `21:00-08:00`)");
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        let start = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| bad())?;
        let end = NaiveTime::parse_from_str(b.trim(), "%H:%M").map_err(|_| bad())?;
        if start == end {
            return Err(format!("invalid quiet hours `{s}`: start equals end"));
        }
        Ok(Self { start, end })
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

macro_rules! serde_via_str {
    ($t:ty) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = lenient_string(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}
serde_via_str!(RateLimit);
serde_via_str!(QuietHours);

/// Accepts any YAML scalar (string, number, bool) as a string, so `template: 12345` works.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        S(String),
        U(u64),
        I(i64),
        F(f64),
        B(bool),
    }
    Ok(match Scalar::deserialize(d)? {
        Scalar::S(s) => s,
        Scalar::U(n) => n.to_string(),
        Scalar::I(n) => n.to_string(),
        Scalar::F(n) => n.to_string(),
        Scalar::B(b) => b.to_string(),
    })
}

/// [`lenient_string`] for optional values; `null` and `""` are `None`.
pub(crate) fn lenient_opt_string<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "lenient_string")] String);
    Ok(Option::<W>::deserialize(d)?
        .map(|w| w.0)
        .filter(|s| !s.is_empty()))
}

/// Parses `2s`, `30s`, `3m`, `24h`, `1h30m`, `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|e| {
        format!("invalid duration `{s}` ({e}; expected e.g. `500ms`, `30s`, `3m`, `1h30m`)")
    })
}

/// Serde helpers for `Duration` written as `30s`.
pub(crate) mod duration {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        parse_duration(&lenient_string(d)?).map_err(serde::de::Error::custom)
    }

    pub(crate) fn serialize<S: Serializer>(v: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_duration(*v))
    }
}

/// Serde helpers for `Option<Duration>`; `null` is `None`.
pub(crate) mod opt_duration {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        match lenient_opt_string(d)? {
            None => Ok(None),
            Some(s) => parse_duration(&s)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }

    pub(crate) fn serialize<S: Serializer>(v: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(&humantime::format_duration(*v)),
            None => s.serialize_none(),
        }
    }
}

/// Serde helpers for a list of durations (`[24h, 1h]`).
pub(crate) mod duration_list {
    use super::*;

    #[derive(Deserialize, Serialize)]
    struct D(#[serde(with = "super::duration")] Duration);

    pub(crate) fn deserialize<'de, De: Deserializer<'de>>(
        d: De,
    ) -> Result<Vec<Duration>, De::Error> {
        Ok(Vec::<D>::deserialize(d)?.into_iter().map(|x| x.0).collect())
    }

    pub(crate) fn serialize<S: Serializer>(v: &[Duration], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|d| D(*d)))
    }
}

/// Serde helpers for an IANA time zone name (`Europe/Paris`).
pub(crate) mod timezone {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<chrono_tz::Tz, D::Error> {
        let s = lenient_string(d)?;
        s.trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("unknown IANA time zone `{s}`")))
    }

    pub(crate) fn serialize<S: Serializer>(v: &chrono_tz::Tz, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.name())
    }
}

/// Serde helpers for optional secrets: `null`/`""` are unset; output is `***` or `(unset)`.
pub(crate) mod secret {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SecretString>, D::Error> {
        Ok(lenient_opt_string(d)?.map(SecretString::from))
    }

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<SecretString>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(if v.is_some() { "***" } else { "(unset)" })
    }
}

/// Serde helpers for `Option<String>` accepting any scalar; `""` is `None`.
pub(crate) mod opt_string {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        lenient_opt_string(d)
    }

    pub(crate) fn serialize<S: Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
}
