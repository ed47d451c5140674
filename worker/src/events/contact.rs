//! A Calendly invitee as a Brevo contact: attributes from `connectors.calendly.field_mapping`,
//! the list from `connectors.calendly.event_mapping`.
//!
//! Booking questions (`field_mapping.questions_and_answers`, key -> attribute) match a question
//! case-insensitively: a question equal to the key first, else a question holding the key as a
//! whole word or words (`company` matches "Company name", not "Companyless"). An event type is
//! found by its URI, else by name (the mapping's key compared with the event type's name, ignoring
//! case and punctuation: `discovery_call` matches "Discovery Call"). An event type without a
//! mapping still syncs, without a list, and is counted
//! (`meetflow_calendly_unmapped_event_type_total`).

use meetflow_shared::bookings::BookingStatus;
use meetflow_shared::config::{FieldMapping, StatusValues, name_words as words};
use meetflow_shared::domain::PhoneNumber;
use meetflow_shared::events::{Invitee, QuestionAndAnswer, Tracking};
use serde_json::{Map, Value};

use super::phone::sms_attribute;

/// The non-empty answer to the question `key` designates (see the module docs).
pub(crate) fn find_answer<'a>(qa: &'a [QuestionAndAnswer], key: &str) -> Option<&'a str> {
    let answered = || {
        qa.iter().filter_map(|q| {
            let answer = q.answer.as_deref().filter(|a| !a.trim().is_empty())?;
            Some((q.question.as_deref()?, answer))
        })
    };
    let key_l = key.trim().to_lowercase();
    if let Some((_, a)) = answered().find(|(q, _)| q.trim().to_lowercase() == key_l) {
        return Some(a);
    }
    let key_words = words(key);
    if key_words.is_empty() {
        return None;
    }
    answered()
        .find(|(q, _)| {
            words(q)
                .windows(key_words.len())
                .any(|w| w == key_words.as_slice())
        })
        .map(|(_, a)| a)
}

/// The value written to `field_mapping.status` for a booking status
/// (`field_mapping.status_values`).
pub(crate) fn status_text(values: &StatusValues, status: BookingStatus) -> String {
    match status {
        BookingStatus::Active => values.active.clone(),
        BookingStatus::Canceled => values.cancelled.clone(),
        BookingStatus::Rescheduled => values.rescheduled.clone(),
        BookingStatus::NoShow => values.no_show.clone(),
    }
}

/// First and last name: the given parts where Calendly (or Zoom) sent them, else the full
/// name split after its first word ("Nguyễn Thị Lan" -> "Nguyễn", "Thị Lan").
pub(crate) fn name_parts(
    first: Option<&str>,
    last: Option<&str>,
    full: Option<&str>,
) -> (Option<String>, Option<String>) {
    let clean = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (first, last) = (clean(first), clean(last));
    if first.is_some() {
        return (first, last);
    }
    let Some(full) = clean(full) else {
        return (None, last);
    };
    match full.split_once(char::is_whitespace) {
        Some((f, rest)) => (Some(f.to_owned()), last.or_else(|| clean(Some(rest)))),
        None => (Some(full), last),
    }
}

/// The name attributes of a person (`first_name`, `last_name`, `name` of the field mapping).
pub(crate) fn name_attributes(
    fm: &FieldMapping,
    first: Option<&str>,
    last: Option<&str>,
    full: Option<&str>,
) -> Map<String, Value> {
    let mut out = Map::new();
    let full_name = full
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            let joined = [first, last]
                .into_iter()
                .flatten()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            (!joined.is_empty()).then_some(joined)
        });
    let (first, last) = name_parts(first, last, full);
    for (attr, value) in [
        (&fm.name, full_name),
        (&fm.first_name, first),
        (&fm.last_name, last),
    ] {
        if let (Some(attr), Some(value)) = (attr.as_deref().filter(|a| !a.is_empty()), value) {
            out.insert(attr.to_owned(), Value::String(value));
        }
    }
    out
}

/// The invitee's display name: `name`, else first and last name.
pub(crate) fn display_name(invitee: &Invitee) -> String {
    match invitee
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(n) => n.to_owned(),
        None => [invitee.first_name.as_deref(), invitee.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Calendly's UTM tracking values under the attributes of `field_mapping.tracking`.
pub(crate) fn tracking_attributes(
    fm: &FieldMapping,
    tracking: Option<&Tracking>,
) -> Map<String, Value> {
    let mut out = Map::new();
    let tracking = tracking.cloned().unwrap_or_default();
    let map = &fm.tracking;
    for (attr, value) in [
        (&map.utm_source, tracking.utm_source),
        (&map.utm_medium, tracking.utm_medium),
        (&map.utm_campaign, tracking.utm_campaign),
        (&map.utm_content, tracking.utm_content),
        (&map.utm_term, tracking.utm_term),
        (&map.salesforce_uuid, tracking.salesforce_uuid),
    ] {
        let value = value.filter(|v| !v.trim().is_empty());
        if let (Some(attr), Some(value)) = (attr.as_deref().filter(|a| !a.is_empty()), value) {
            out.insert(attr.to_owned(), Value::String(value));
        }
    }
    out
}

/// The Brevo attributes of an invitee (the status attribute set to `status`).
pub(crate) fn attributes(
    fm: &FieldMapping,
    invitee: &Invitee,
    phone: Option<&PhoneNumber>,
    status: BookingStatus,
) -> Map<String, Value> {
    let mut out = tracking_attributes(fm, invitee.tracking.as_ref());
    let mut put = |attr: &Option<String>, value: Option<String>| {
        if let (Some(attr), Some(value)) = (attr.as_deref().filter(|a| !a.is_empty()), value) {
            out.insert(attr.to_owned(), Value::String(value));
        }
    };
    put(
        &fm.text_reminder_number,
        phone.map(|p| p.as_str().to_owned()),
    );
    let event = invitee.scheduled_event.as_ref();
    put(
        &fm.event_type_name,
        event.and_then(|e| e.name.clone()).filter(|n| !n.is_empty()),
    );
    put(
        &fm.scheduled_at,
        event
            .and_then(|e| e.start_time)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    );
    put(&fm.status, Some(status_text(&fm.status_values, status)));
    out.extend(name_attributes(
        fm,
        invitee.first_name.as_deref(),
        invitee.last_name.as_deref(),
        invitee.name.as_deref(),
    ));
    let sms_attr = sms_attribute(fm).to_owned();
    for (key, attr) in &fm.questions_and_answers {
        if attr.is_empty() || attr.eq_ignore_ascii_case(&sms_attr) || out.contains_key(attr) {
            continue; // the phone is normalised separately; explicit fields win
        }
        if let Some(answer) = find_answer(&invitee.questions_and_answers, key) {
            out.insert(attr.clone(), Value::String(answer.trim().to_owned()));
        }
    }
    if let (Some(p), false) = (phone, out.contains_key(&sms_attr)) {
        // `text_reminder_number: null` but a question mapped to SMS: still write it.
        if fm
            .questions_and_answers
            .values()
            .any(|a| a.eq_ignore_ascii_case(&sms_attr))
        {
            out.insert(sms_attr, Value::String(p.as_str().to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeMap;

    use meetflow_shared::config::{CalendlySettings, EventMapping};

    use super::*;

    fn qa(pairs: &[(&str, &str)]) -> Vec<QuestionAndAnswer> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, (q, a))| QuestionAndAnswer {
                question: Some((*q).into()),
                answer: Some((*a).into()),
                position: Some(i as i64),
            })
            .collect()
    }

    #[test]
    fn questions_match_exactly_first_then_as_whole_words() {
        let q = qa(&[
            ("Company name", "Northwind"),
            ("Company", "Exact Co"),
            ("Your role", "Head of Ops"),
            ("Companyless?", "no"),
            ("Job title", ""),
        ]);
        assert_eq!(find_answer(&q, "company"), Some("Exact Co"));
        assert_eq!(find_answer(&q, "COMPANY NAME"), Some("Northwind"));
        assert_eq!(find_answer(&q, "role"), Some("Head of Ops"));
        assert_eq!(find_answer(&q, "title"), None, "empty answers do not count");
        assert_eq!(find_answer(&q, "less"), None, "whole words only");
        let q = qa(&[("Companyless?", "no"), ("Company name", "Northwind")]);
        assert_eq!(find_answer(&q, "company"), Some("Northwind"));
        let q = qa(&[("Société / entreprise", "Côté Sàrl")]);
        assert_eq!(find_answer(&q, "entreprise"), Some("Côté Sàrl"));
    }

    #[test]
    fn event_types_map_by_uri_then_by_name() {
        let list_for = |cal: &CalendlySettings, uri: Option<&str>, name: Option<&str>| {
            cal.mapping_for(uri, name).and_then(|(_, m)| m.list_id)
        };
        let mut cal = CalendlySettings::default();
        let mut m = BTreeMap::new();
        m.insert(
            "discovery_call".to_owned(),
            EventMapping {
                event_type_uri: "https://api.calendly.com/event_types/abc123".into(),
                list_id: Some(10),
                ..EventMapping::default()
            },
        );
        m.insert(
            "product demo 30 min".to_owned(),
            EventMapping {
                event_type_uri: "https://api.calendly.com/event_types/other".into(),
                list_id: Some(11),
                ..EventMapping::default()
            },
        );
        cal.event_mapping = m;
        let uri = Some("https://api.calendly.com/event_types/abc123/");
        assert_eq!(list_for(&cal, uri, Some("Anything")), Some(10));
        assert_eq!(
            list_for(
                &cal,
                Some("https://x/event_types/zzz"),
                Some("Discovery Call")
            ),
            Some(10)
        );
        assert_eq!(
            list_for(&cal, None, Some("Product Demo (30 min)")),
            Some(11)
        );
        assert_eq!(list_for(&cal, None, Some("Coffee chat")), None);
        assert_eq!(list_for(&cal, None, None), None);
    }
}
