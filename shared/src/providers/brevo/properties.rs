//! The value types Brevo's published schema accepts in `POST /events`.
//!
//! `event_properties` values may be a string, an integer, an object or an array;
//! `contact_properties` values a string or an integer. Booleans appear in Brevo's prose only and
//! fractional numbers nowhere, so this client sends a boolean as the text `"true"`/`"false"` and
//! a fractional number as its decimal text (`attended: false` becomes `attended: "false"`), at
//! every depth, whatever the caller built.
//!
//! [`is_email`] is the e-mail shape Brevo's schema requires (`format: email`): an address that
//! fails it is refused by Brevo with 400, so the client does not send it.

use serde_json::{Map, Value};

/// Whether `email` has the shape Brevo accepts: `local@domain.tld`, no spaces.
pub(super) fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let no_space = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace) && !s.contains('@');
    no_space(local)
        && no_space(domain)
        && domain
            .split_once('.')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
}

/// `event_properties` in the types Brevo accepts.
pub(super) fn event_properties(props: &Map<String, Value>) -> Map<String, Value> {
    props
        .iter()
        .map(|(k, v)| (k.clone(), accepted(v, true)))
        .collect()
}

/// `contact_properties` in the types Brevo accepts (objects and arrays become JSON text).
pub(super) fn contact_properties(props: &Map<String, Value>) -> Map<String, Value> {
    props
        .iter()
        .map(|(k, v)| (k.clone(), accepted(v, false)))
        .collect()
}

fn accepted(v: &Value, nested_ok: bool) -> Value {
    match v {
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Number(n) if n.is_f64() => Value::String(n.to_string()),
        Value::Object(m) if nested_ok => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), accepted(v, true)))
                .collect(),
        ),
        Value::Array(a) if nested_ok => Value::Array(a.iter().map(|v| accepted(v, true)).collect()),
        Value::Object(_) | Value::Array(_) => Value::String(v.to_string()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn booleans_and_fractions_become_text_at_every_depth() {
        let got = event_properties(&map(json!({
            "attended": false, "minutes": 42, "share": 0.5, "who": "Ada",
            "nested": {"ok": true, "list": [true, 1, 1.25]}
        })));
        assert_eq!(
            Value::Object(got),
            json!({
                "attended": "false", "minutes": 42, "share": "0.5", "who": "Ada",
                "nested": {"ok": "true", "list": ["true", 1, "1.25"]}
            })
        );
    }

    #[test]
    fn email_shape_is_brevos() {
        for good in ["a@b.co", "jordan.rivera@example.com", "x+y@sub.example.org"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "not-an-email",
            "a@b",
            "a b@c.d",
            "@b.co",
            "a@.co",
            "a@b.",
            "a@b@c.d",
            "",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn contact_properties_are_strings_or_integers() {
        let got = contact_properties(&map(json!({"A": true, "B": 3, "C": {"x": 1}, "D": null})));
        assert_eq!(
            Value::Object(got),
            json!({"A": "true", "B": 3, "C": "{\"x\":1}", "D": null})
        );
    }
}
