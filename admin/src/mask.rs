//! Masking personal data in what operators look at: job payloads and error messages shown by
//! `dlq show` and the web page, unless the operator asks for `--reveal`.
//!
//! Why a scanner and not a schema: payloads come in many shapes (raw Calendly and Zoom bodies
//! nested as JSON text inside a webhook job, SMS jobs, Brevo syncs, shapes of future versions).
//! So every string is scanned: e-mail addresses anywhere, values under phone-like keys, and
//! phone-looking tokens (`+` and 8+ digits, or 9-15 digits split by at least two separators as in
//! `415-555-0132`). Bare digit runs (meeting ids, message ids) stay readable. Masked forms come
//! from [`meetflow_shared::domain::redact`] so they match the logs.

use meetflow_shared::domain::redact;
use serde_json::Value;

/// Keys whose string value is a phone number whatever it looks like.
const PHONE_KEYS: &[&str] = &[
    "phone",
    "phone_number",
    "text_reminder_number",
    "sms",
    "to",
    "mobile",
    "host_phone",
];

/// Keys whose string value is a secret shown as `***` (a Zoom recording's passcode, the
/// meeting password and the download token of `recording.completed`).
const SECRET_KEYS: &[&str] = &[
    "passcode",
    "recording_play_passcode",
    "recording_passcode",
    "password",
    "download_token",
];

/// A JSON payload with every e-mail and phone number masked (and recording secrets); JSON nested as text (a webhook job's
/// raw `body`) is masked inside and kept as text.
pub fn json(value: &Value) -> Value {
    mask_value(value, false)
}

/// A payload as stored (JSON text, or anything else) with personal data masked.
pub fn payload_text(raw: &str) -> String {
    match serde_json::from_str::<Value>(raw) {
        Ok(v) => json(&v).to_string(),
        Err(_) => text(raw),
    }
}

fn mask_value(value: &Value, phone_key: bool) -> Value {
    match value {
        Value::String(s) if phone_key => Value::String(mask_phone_value(s)),
        Value::String(s) => Value::String(mask_string(s)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| mask_value(v, phone_key)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = k.to_ascii_lowercase();
                    if SECRET_KEYS.contains(&key.as_str()) && v.is_string() {
                        return (k.clone(), Value::String("***".into()));
                    }
                    let phoneish = PHONE_KEYS.contains(&key.as_str());
                    (k.clone(), mask_value(v, phoneish))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn mask_phone_value(s: &str) -> String {
    if s.trim().is_empty() {
        s.to_owned()
    } else if s.contains('@') {
        text(s)
    } else {
        redact::phone(s)
    }
}

/// Masks a string that may itself be JSON (masked inside, kept compact) or free text.
fn mask_string(s: &str) -> String {
    let t = s.trim_start();
    if (t.starts_with('{') || t.starts_with('['))
        && let Ok(inner) = serde_json::from_str::<Value>(s)
    {
        return json(&inner).to_string();
    }
    text(s)
}

/// Free text with e-mail addresses and phone-looking tokens masked.
pub fn text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = email_at(&chars, i) {
            let token: String = chars[i..end].iter().collect();
            out.push_str(&redact::email(&token));
            i = end;
        } else if let Some(end) = phone_at(&chars, i) {
            let token: String = chars[i..end].iter().collect();
            out.push_str(&redact::phone(&token));
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || "._%+-'".contains(c)
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '.'
}

/// If an e-mail address starts at `i` (and not in the middle of a word), where it ends.
fn email_at(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && is_local_char(chars[i - 1]) {
        return None;
    }
    let mut j = i;
    while j < chars.len() && is_local_char(chars[j]) {
        j += 1;
    }
    if j == i || j >= chars.len() || chars[j] != '@' {
        return None;
    }
    let mut k = j + 1;
    while k < chars.len() && is_domain_char(chars[k]) {
        k += 1;
    }
    while k > j + 1 && chars[k - 1] == '.' {
        k -= 1;
    }
    let domain: String = chars[j + 1..k].iter().collect();
    (domain.contains('.') && !domain.starts_with('.')).then_some(k)
}

/// If a phone-looking token starts at `i`, where it ends.
fn phone_at(chars: &[char], i: usize) -> Option<usize> {
    let c = chars[i];
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '+') {
        return None;
    }
    let plus = c == '+';
    if !(plus || c.is_ascii_digit() || c == '(') {
        return None;
    }
    let (mut digits, mut seps, mut end) = (0usize, 0usize, i);
    let mut j = if plus { i + 1 } else { i };
    while j < chars.len() {
        let d = chars[j];
        if d.is_ascii_digit() {
            digits += 1;
            end = j + 1;
        } else if " -.()".contains(d) && digits < 15 {
            seps += 1;
        } else {
            break;
        }
        j += 1;
    }
    if end < chars.len() && chars[end].is_alphanumeric() {
        return None;
    }
    let looks_like_phone =
        (plus && (8..=15).contains(&digits)) || (!plus && (9..=15).contains(&digits) && seps >= 2);
    looks_like_phone.then_some(end)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn emails_and_phones_are_masked_in_text() {
        let s = text("mail jordan.rivera@example.com or call +1 415-555-0132 / (415) 555-0132.");
        assert!(!s.contains("jordan.rivera"), "{s}");
        assert!(!s.contains("555-0132"), "{s}");
        assert!(s.contains("j***@example.com"), "{s}");
        assert!(s.ends_with('.'), "{s}");
    }

    #[test]
    fn recording_passcodes_and_download_tokens_are_hidden() {
        let v = json!({ "event_properties": { "share_url": "https://zoom.us/rec/share/x",
            "passcode": "7f$Kq2!p" }, "attributes": { "RECORDING_PASSCODE": "7f$Kq2!p" },
            "download_token": "dl-secret" });
        let masked = json(&v).to_string();
        assert!(!masked.contains("7f$Kq2!p"), "{masked}");
        assert!(!masked.contains("dl-secret"), "{masked}");
        assert!(masked.contains("https://zoom.us/rec/share/x"), "{masked}");
    }

    #[test]
    fn ids_and_dates_stay_readable() {
        for keep in [
            "85746065432",
            "1972488990548348928",
            "2026-04-21T17:00:00.000000Z",
            "https://api.calendly.com/scheduled_events/5f443a67-564e-4e90-a900-b0e92c02ec25",
            "rem:9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e:24h",
        ] {
            assert_eq!(text(keep), keep);
        }
    }

    #[test]
    fn nested_json_bodies_are_masked_inside() {
        let body = json!({"payload": {"email": "sam@example.com", "text_reminder_number": "+1 415-555-0132",
            "questions_and_answers": [{"answer": "call 0612345678 or +33612345678"}]}});
        let job = json!({"v": 1, "body": body.to_string(), "to": "+14155550132"});
        let masked = json(&job);
        let out = masked.to_string();
        for secret in [
            "sam@example.com",
            "555-0132",
            "+33612345678",
            "+14155550132",
        ] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        let inner: Value = serde_json::from_str(masked["body"].as_str().unwrap()).unwrap();
        assert_eq!(inner["payload"]["email"], "s***@example.com");
        assert_eq!(masked["to"], "+1415***32");
    }
}
