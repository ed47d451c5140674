//! The people a delivery names, read from its body at write time for the person index: e-mail
//! addresses anywhere, and phone numbers under phone-like keys or as the answer to a question
//! about a phone (Calendly's `questions_and_answers`). Each becomes a tag
//! ([`crate::domain::email_tag`] of the lower-case address or of the E.164 number).

use serde_json::Value;

use crate::domain::{EmailAddress, PhoneNumber, email_tag};

/// Most people one delivery is indexed under.
pub const MAX_PERSONS: usize = 8;

/// Keys whose string value is a phone number.
const PHONE_KEYS: &[&str] = &[
    "phone",
    "phone_number",
    "text_reminder_number",
    "sms",
    "to",
    "mobile",
];

/// The person tags of a body (none for a body that is not JSON), at most [`MAX_PERSONS`].
pub fn persons(body: &[u8], default_region: Option<&str>) -> Vec<String> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(&value, false, default_region, &mut out);
    out
}

/// The tag of what an operator typed: an e-mail address (any case) or a phone number in any
/// format (`default_region` for national numbers); `None` when it is neither.
pub fn person_tag(input: &str, default_region: Option<&str>) -> Option<String> {
    let input = input.trim();
    if input.contains('@') {
        return EmailAddress::parse(input)
            .ok()
            .map(|e| email_tag(&e.as_str().to_lowercase()));
    }
    PhoneNumber::parse(input, default_region)
        .ok()
        .map(|p| email_tag(p.as_str()))
}

fn push(out: &mut Vec<String>, tag: Option<String>) {
    if let Some(tag) = tag
        && out.len() < MAX_PERSONS
        && !out.contains(&tag)
    {
        out.push(tag);
    }
}

fn walk(value: &Value, phone_key: bool, region: Option<&str>, out: &mut Vec<String>) {
    if out.len() >= MAX_PERSONS {
        return;
    }
    match value {
        Value::String(s) if s.contains('@') => push(out, person_tag(s, region)),
        Value::String(s) if phone_key => push(out, person_tag(s, region)),
        Value::Array(items) => items.iter().for_each(|v| walk(v, phone_key, region, out)),
        Value::Object(map) => {
            let phone_question = map
                .get("question")
                .and_then(Value::as_str)
                .is_some_and(|q| q.to_ascii_lowercase().contains("phone"));
            for (k, v) in map {
                let phoneish = PHONE_KEYS.contains(&k.to_ascii_lowercase().as_str())
                    || (phone_question && k == "answer");
                walk(v, phoneish, region, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn emails_and_phones_are_found_and_tagged_as_searched() {
        let body = br#"{"payload":{"email":"Jordan.Rivera@Example.com","text_reminder_number":"+1 415-555-0132",
            "questions_and_answers":[{"question":"Phone number","answer":"(415) 555-0199"}],
            "uri":"https://api.calendly.com/x","name":"Jordan"}}"#;
        let tags = persons(body, Some("US"));
        assert_eq!(tags.len(), 3, "{tags:?}");
        assert!(tags.contains(&person_tag("jordan.rivera@example.com", None).unwrap()));
        assert!(tags.contains(&person_tag("+14155550132", None).unwrap()));
        assert!(tags.contains(&person_tag("415 555 0199", Some("US")).unwrap()));
        assert!(persons(b"not json", None).is_empty());
        assert_eq!(person_tag("nobody", None), None);
    }

    #[test]
    fn at_most_max_persons() {
        let many: Vec<String> = (0..20).map(|i| format!("p{i}@example.com")).collect();
        let body = serde_json::to_vec(&many).unwrap_or_default();
        assert_eq!(persons(&body, None).len(), MAX_PERSONS);
    }
}
