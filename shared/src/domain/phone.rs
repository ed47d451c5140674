//! `PhoneNumber`: a number in E.164 (`+14155550132`), the only form Brevo's `SMS` attribute
//! and EngageLab's `to` accept. Calendly gives human formats (`+1 415-555-0132`).

use std::fmt;
use std::str::FromStr;

/// Why a string is not a usable phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing but spaces.
    #[error("empty phone number")]
    Empty,
    /// The default region is not an ISO 3166-1 alpha-2 code.
    #[error("unknown region `{0}`")]
    UnknownRegion(String),
    /// The text does not parse as a phone number.
    #[error("not a phone number")]
    Unparseable,
    /// It parses but is not a valid number for its country.
    #[error("not a valid number for its country")]
    Invalid,
}

/// A valid phone number, held in E.164 form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

/// Longest input we try to parse; real numbers with formatting are far shorter.
const MAX_INPUT: usize = 64;

impl PhoneNumber {
    /// Loads the numbering plan metadata, which the first parse otherwise loads (about 0.1 s in
    /// a release build, seconds in a debug build, blocking the thread it runs on). The worker's
    /// SMS queue calls it before it leases: otherwise the first jobs of a rate-limited run stall
    /// on it past the provider slots reserved for them, and are sent back to the queue.
    pub fn warm_up() {
        let _ = Self::parse("+14155550132", None);
    }

    /// Parses `raw` (any common format); `default_region` (e.g. `"US"`) is used when `raw` has
    /// no `+<country code>`. Returns the number in E.164.
    pub fn parse(raw: &str, default_region: Option<&str>) -> Result<PhoneNumber, PhoneError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(PhoneError::Empty);
        }
        if raw.len() > MAX_INPUT || raw.chars().any(char::is_control) {
            return Err(PhoneError::Unparseable);
        }
        let region = match default_region {
            Some(r) => Some(
                phonenumber::country::Id::from_str(&r.trim().to_ascii_uppercase())
                    .map_err(|_| PhoneError::UnknownRegion(r.to_owned()))?,
            ),
            None => None,
        };
        let number = phonenumber::parse(region, raw).map_err(|_| PhoneError::Unparseable)?;
        if !phonenumber::is_valid(&number) {
            return Err(PhoneError::Invalid);
        }
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        Ok(PhoneNumber(e164))
    }

    /// The E.164 text, e.g. `+14155550132`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number's country as an ISO 3166-1 alpha-2 code (`US`, `TH`), or `unknown` when the
    /// country code is shared and the number does not tell which (a metric label: bounded).
    pub fn country(&self) -> String {
        phonenumber::parse(None, &self.0)
            .ok()
            .and_then(|n| n.country().id())
            .map_or_else(|| "unknown".to_owned(), |id| id.as_ref().to_owned())
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<&str> for PhoneNumber {
    type Error = PhoneError;

    /// Parses an international number (with `+<country code>`).
    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        Self::parse(raw, None)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn human_formats_become_e164() {
        for raw in [
            "+1 415-555-0132",
            "+1 (415) 555-0132",
            "+14155550132",
            " +1.415.555.0132 ",
        ] {
            assert_eq!(
                PhoneNumber::parse(raw, None).unwrap().as_str(),
                "+14155550132",
                "{raw}"
            );
        }
        let fr = PhoneNumber::parse("06 12 34 56 78", Some("FR")).unwrap();
        assert_eq!(fr.to_string(), "+33612345678");
        let gb = PhoneNumber::parse("07400 123456", Some("gb")).unwrap();
        assert_eq!(gb.as_ref(), "+447400123456");
    }

    #[test]
    fn national_number_without_region_is_rejected() {
        assert!(PhoneNumber::parse("415-555-0132", None).is_err());
        assert_eq!(
            PhoneNumber::parse("415-555-0132", Some("US"))
                .unwrap()
                .as_str(),
            "+14155550132"
        );
    }

    #[test]
    fn garbage_is_rejected_with_a_reason() {
        assert_eq!(PhoneNumber::parse("  ", None), Err(PhoneError::Empty));
        assert!(PhoneNumber::parse("call me maybe", None).is_err());
        assert_eq!(
            PhoneNumber::parse("+1 415", Some("US")).unwrap_err(),
            PhoneError::Invalid
        );
        assert!(matches!(
            PhoneNumber::parse("0612345678", Some("XX")),
            Err(PhoneError::UnknownRegion(_))
        ));
        assert!(PhoneNumber::parse(&"9".repeat(200), None).is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(raw in ".{0,80}", region in proptest::option::of("[A-Za-z]{0,3}")) {
            let _ = PhoneNumber::parse(&raw, region.as_deref());
        }

        #[test]
        fn digit_soup_never_panics_and_output_is_e164(raw in "[+0-9 ()./-]{0,30}") {
            if let Ok(p) = PhoneNumber::parse(&raw, Some("US")) {
                prop_assert!(p.as_str().starts_with('+'));
                prop_assert!(p.as_str()[1..].chars().all(|c| c.is_ascii_digit()));
                prop_assert_eq!(PhoneNumber::parse(p.as_str(), None).unwrap(), p);
            }
        }
    }
}
