//! Text in the recipient's language: meeting times and how far ahead a reminder is sent
//! (`advance`), formatted by ICU4X from CLDR data compiled into the binary.
//!
//! - [`meeting_time`]: weekday, day, month and hour in the recipient's time zone, in the locale's
//!   own order, names, digits and calendar (`th` writes Thai month and day names, `ko` 오전/오후),
//!   then the zone's abbreviation. The clock (12 or 24 hours) is the locale's default;
//!   a Unicode extension forces one: `en-u-hc-h23` (24 hours), `de-u-hc-h12` (12 hours).
//! - [`advance`]: "in 24 hours", "in 1 hour", "in 2 days" — ICU4X's relative time formatter
//!   (`icu_experimental::relativetime`, CLDR's relative-time patterns with the locale's plural
//!   rules), in the largest whole unit: whole days from 48 hours on, else hours, minutes, seconds.
//!
//! CLDR separates some parts with no-break spaces (U+00A0, U+202F, "10:00\u{202f}AM"); they are
//! written as plain spaces, so a Latin-script SMS stays in the GSM 7-bit alphabet (a single
//! U+202F would make the whole message UCS-2, 70 characters per part instead of 160).
//!
//! No month or unit names are written here: every word comes from the locale data. A tag the
//! data does not know (it would fall back to the root locale) is refused by [`check`], so
//! configuration naming one stops at load.

use std::time::Duration;

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use fixed_decimal::Decimal;
use icu_datetime::DateTimeFormatter;
use icu_datetime::fieldsets::MDE;
use icu_datetime::input::{Date, DateTime as IcuDateTime, Time};
use icu_experimental::relativetime::{RelativeTimeFormatter, RelativeTimeFormatterOptions};
use icu_locale_core::Locale;

/// The locale used when a configured tag cannot be read (validation refuses such tags first).
pub const DEFAULT_LOCALE: &str = "en";

/// Why a locale tag is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocaleError {
    /// Not a BCP 47 tag.
    #[error("`{0}` is not a BCP 47 locale tag (e.g. en, th, pt-BR, zh-Hant)")]
    Syntax(String),
    /// A well-formed tag without locale data (it would fall back to the root locale).
    #[error("no locale data for `{0}` (e.g. en, th, zh, ja, ko, id, vi, ar, es, pt, fr, de, ro)")]
    Unknown(String),
}

/// `tag` as an ICU locale, or `en` when it cannot be read.
#[must_use]
pub fn locale_or_default(tag: &str) -> Locale {
    tag.trim()
        .parse()
        .or_else(|_| DEFAULT_LOCALE.parse())
        .unwrap_or(Locale::UNKNOWN)
}

/// Whether `tag` names a locale with data: parses as BCP 47, and formats differently from the
/// root locale (what ICU falls back to for a language it does not know).
pub fn check(tag: &str) -> Result<Locale, LocaleError> {
    let locale: Locale = tag
        .trim()
        .parse()
        .map_err(|_| LocaleError::Syntax(tag.to_owned()))?;
    let probe = DateTime::<Utc>::from_timestamp(1_776_790_800, 0).unwrap_or_default();
    let root = Locale::UNKNOWN;
    if locale != root
        && meeting_time(probe, Tz::UTC, &locale) == meeting_time(probe, Tz::UTC, &root)
    {
        return Err(LocaleError::Unknown(tag.to_owned()));
    }
    Ok(locale)
}

/// `at` in zone `tz`, written for `locale`: "Tue, Apr 21, 10:00 AM PDT",
/// "พุธ 22 เม.ย. 00:00 +07", "mie., 22 apr., 00:00 +07".
#[must_use]
pub fn meeting_time(at: DateTime<Utc>, tz: Tz, locale: &Locale) -> String {
    let local = at.with_timezone(&tz);
    let zone = local.format("%Z").to_string();
    let naive = local.naive_local();
    let formatted = (|| {
        let date = Date::try_new_iso(naive.year(), naive.month() as u8, naive.day() as u8).ok()?;
        let time = Time::try_new(naive.hour() as u8, naive.minute() as u8, 0, 0).ok()?;
        let formatter =
            DateTimeFormatter::try_new(locale.into(), MDE::medium().with_time_hm()).ok()?;
        Some(plain_spaces(
            &formatter.format(&IcuDateTime { date, time }).to_string(),
        ))
    })();
    match formatted {
        Some(text) => format!("{text} {zone}"),
        // Only when the locale data cannot be loaded (not with compiled data): still readable.
        None => local.format("%Y-%m-%d %H:%M %Z").to_string(),
    }
}

/// How long before the start a reminder goes out, for `locale`: "in 24 hours", "in 1 hour",
/// "in 30 minutes", "in 2 days" (whole days from 48 hours on, else the largest whole unit).
#[must_use]
pub fn advance(before: Duration, locale: &Locale) -> String {
    let s = before.as_secs();
    let options = RelativeTimeFormatterOptions::default();
    let prefs = locale.into();
    let (n, formatter) = if s >= 2 * 86_400 && s.is_multiple_of(86_400) {
        (
            s / 86_400,
            RelativeTimeFormatter::try_new_long_day(prefs, options),
        )
    } else if s >= 3600 && s.is_multiple_of(3600) {
        (
            s / 3600,
            RelativeTimeFormatter::try_new_long_hour(prefs, options),
        )
    } else if s >= 60 && s.is_multiple_of(60) {
        (
            s / 60,
            RelativeTimeFormatter::try_new_long_minute(prefs, options),
        )
    } else {
        (
            s,
            RelativeTimeFormatter::try_new_long_second(prefs, options),
        )
    };
    match formatter {
        Ok(f) => plain_spaces(&f.format(Decimal::from(n)).to_string()),
        // Only when the locale data cannot be loaded (not with compiled data).
        Err(_) => format!("+{n}"),
    }
}

/// `text` with its no-break spaces as plain spaces (see the module docs).
fn plain_spaces(text: &str) -> String {
    text.replace(['\u{a0}', '\u{202f}'], " ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn loc(tag: &str) -> Locale {
        check(tag).unwrap()
    }

    #[test]
    fn english_advance_reads_as_before() {
        let en = loc("en");
        let cases = [
            (24 * 3600, "in 24 hours"),
            (3600, "in 1 hour"),
            (1800, "in 30 minutes"),
            (48 * 3600, "in 2 days"),
            (36 * 3600, "in 36 hours"),
            (90 * 60, "in 90 minutes"),
            (60, "in 1 minute"),
            (45, "in 45 seconds"),
        ];
        for (secs, want) in cases {
            assert_eq!(advance(Duration::from_secs(secs), &en), want, "{secs}s");
        }
    }

    #[test]
    fn every_promised_locale_has_data_and_its_own_words() {
        let start = at("2026-04-21T17:00:00Z");
        let mut seen = std::collections::BTreeSet::new();
        for tag in [
            "en", "th", "zh", "ja", "ko", "id", "vi", "ar", "es", "pt", "fr", "de", "ro",
        ] {
            let l = loc(tag);
            let text = format!(
                "{} | {}",
                meeting_time(start, Tz::Asia__Bangkok, &l),
                advance(Duration::from_secs(24 * 3600), &l)
            );
            println!("{tag}: {text}");
            assert!(
                seen.insert(text.clone()),
                "{tag} reads like another locale: {text}"
            );
        }
    }

    #[test]
    fn thai_and_romanian_come_from_the_locale_data() {
        let start = at("2026-04-21T17:00:00Z");
        let th = meeting_time(start, Tz::Asia__Bangkok, &loc("th"));
        assert!(th.contains("เม.ย."), "{th}");
        assert!(th.contains("00:00"), "{th}");
        let ro = meeting_time(start, Tz::Europe__Bucharest, &loc("ro"));
        assert!(ro.contains("apr."), "{ro}");
        assert!(ro.contains("20:00"), "{ro}");
        assert!(ro.ends_with("EEST"), "{ro}");
        assert_eq!(
            advance(Duration::from_secs(3600), &loc("ro")),
            "peste 1 oră"
        );
    }

    #[test]
    fn the_clock_follows_the_locale_unless_the_tag_says() {
        let start = at("2026-04-21T17:00:00Z");
        let en = meeting_time(start, Tz::UTC, &loc("en"));
        assert!(en.contains("5:00 PM"), "plain space for GSM 7-bit: {en:?}");
        let en24 = meeting_time(start, Tz::UTC, &loc("en-u-hc-h23"));
        assert!(en24.contains("17:00") && !en24.contains("PM"), "{en24}");
        let de = meeting_time(start, Tz::UTC, &loc("de"));
        assert!(de.contains("17:00"), "{de}");
    }

    #[test]
    fn unknown_and_malformed_tags_are_refused() {
        assert!(matches!(check("xx"), Err(LocaleError::Unknown(_))));
        assert!(matches!(check("not a tag"), Err(LocaleError::Syntax(_))));
        assert!(check("pt-BR").is_ok());
    }
}
