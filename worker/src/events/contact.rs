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
use meetflow_shared::config::{CalendlySettings, FieldMapping};
use meetflow_shared::domain::PhoneNumber;
use meetflow_shared::events::{Invitee, QuestionAndAnswer};
use serde_json::{Map, Value};

use super::phone::sms_attribute;

/// The words of `text`, lower-cased, split at anything that is not a letter or digit.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

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

/// The event type's Brevo list: by URI, else by name (see the module docs).
pub(crate) fn list_for(
    cal: &CalendlySettings,
    event_type_uri: Option<&str>,
    event_name: Option<&str>,
) -> Option<u64> {
    let trim = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
    if let Some(uri) = event_type_uri.filter(|u| !u.trim().is_empty()) {
        let uri = trim(uri);
        if let Some(m) = cal
            .event_mapping
            .values()
            .find(|m| !m.event_type_uri.trim().is_empty() && trim(&m.event_type_uri) == uri)
        {
            return Some(m.list_id);
        }
    }
    let name = words(event_name?);
    if name.is_empty() {
        return None;
    }
    cal.event_mapping
        .iter()
        .find(|(key, _)| words(key) == name)
        .map(|(_, m)| m.list_id)
}

/// The value written to `field_mapping.status` for a booking status.
pub(crate) fn status_text(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Active => "active",
        BookingStatus::Canceled => "cancelled",
        BookingStatus::Rescheduled => "rescheduled",
        BookingStatus::NoShow => "no_show",
    }
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

/// The Brevo attributes of an invitee (the status attribute set to `status`).
pub(crate) fn attributes(
    fm: &FieldMapping,
    invitee: &Invitee,
    phone: Option<&PhoneNumber>,
    status: BookingStatus,
) -> Map<String, Value> {
    let mut out = Map::new();
    let mut put = |attr: &Option<String>, value: Option<String>| {
        if let (Some(attr), Some(value)) = (attr.as_deref().filter(|a| !a.is_empty()), value) {
            out.insert(attr.to_owned(), Value::String(value));
        }
    };
    let name = display_name(invitee);
    put(&fm.name, (!name.is_empty()).then_some(name));
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
    put(&fm.status, Some(status_text(status).to_owned()));
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

    use meetflow_shared::config::EventMapping;

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
        let mut cal = CalendlySettings::default();
        let mut m = BTreeMap::new();
        m.insert(
            "discovery_call".to_owned(),
            EventMapping {
                event_type_uri: "https://api.calendly.com/event_types/abc123".into(),
                list_id: 10,
            },
        );
        m.insert(
            "product demo 30 min".to_owned(),
            EventMapping {
                event_type_uri: "https://api.calendly.com/event_types/other".into(),
                list_id: 11,
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
