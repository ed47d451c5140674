//! Brevo v3 contact and event endpoints, answered as Brevo answers a success
//! (`docs/providers.md` 3.2): contacts kept in memory so a second upsert is an update (204) and
//! `GET /contacts/{id}` finds what was created.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

/// Contacts created through the sandbox, by lower-cased e-mail (or ext id).
#[derive(Debug, Default)]
pub(super) struct Contacts {
    inner: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    by_key: BTreeMap<String, Value>,
}

fn not_found() -> (StatusCode, Option<Value>) {
    (
        StatusCode::NOT_FOUND,
        Some(json!({"code": "document_not_found", "message": "Contact does not exist"})),
    )
}

fn bad_request(code: &str, message: &str) -> (StatusCode, Option<Value>) {
    (
        StatusCode::BAD_REQUEST,
        Some(json!({"code": code, "message": message})),
    )
}

/// What Brevo answers a `POST /events` its schema refuses: no or a malformed `event_name`, no
/// `identifiers`, or a property value of a type it does not take (booleans, fractions).
fn event_refusal(body: &Value) -> Option<(StatusCode, Option<Value>)> {
    let Some(name) = body["event_name"].as_str() else {
        return Some(bad_request("missing_parameter", "event_name is required"));
    };
    if !meetflow_shared::config::is_brevo_event_name(name) {
        return Some(bad_request(
            "invalid_parameter",
            "event_name is limited to 255 alphanumerical characters, - and _",
        ));
    }
    if body["identifiers"].as_object().is_none_or(Map::is_empty) {
        return Some(bad_request("missing_parameter", "identifiers is required"));
    }
    for (key, nested_ok) in [("event_properties", true), ("contact_properties", false)] {
        let Some(props) = body[key].as_object() else {
            continue;
        };
        for (k, v) in props {
            if !accepted(v, nested_ok) {
                return Some(bad_request(
                    "invalid_parameter",
                    &format!(
                        "{key}.{k}: only string, integer, object or array values are accepted"
                    ),
                ));
            }
        }
    }
    None
}

fn accepted(v: &Value, nested_ok: bool) -> bool {
    match v {
        Value::Bool(_) => false,
        Value::Number(n) => !n.is_f64(),
        Value::Object(m) => nested_ok && m.values().all(|v| accepted(v, true)),
        Value::Array(a) => nested_ok && a.iter().all(|v| accepted(v, true)),
        Value::Null | Value::String(_) => true,
    }
}

fn decode(segment: &str) -> String {
    percent_decode(segment).to_lowercase()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(hex) = std::str::from_utf8(&bytes[i + 1..i + 3])
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Contacts {
    /// Answers `method /v3/<rest>` with `body`: status and JSON answer (`None` = empty body).
    pub(super) fn handle(
        &self,
        method: &Method,
        rest: &[&str],
        body: &Value,
    ) -> (StatusCode, Option<Value>) {
        let mut state = match self.inner.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        match (method.as_str(), rest) {
            ("POST", ["contacts"]) => state.upsert(body),
            ("PUT", ["contacts", id]) => match state.by_key.get_mut(&decode(id)) {
                Some(contact) => {
                    merge_attributes(contact, body);
                    (StatusCode::NO_CONTENT, None)
                }
                None => not_found(),
            },
            ("GET", ["contacts", id]) => match state.by_key.get(&decode(id)) {
                Some(c) => (StatusCode::OK, Some(c.clone())),
                None => not_found(),
            },
            ("POST", ["events"]) => match event_refusal(body) {
                Some(refused) => refused,
                None => (StatusCode::NO_CONTENT, None),
            },
            ("POST", ["contacts", "lists", list, "contacts", "add"]) => {
                let emails: Vec<String> = body["emails"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|e| e.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                if emails.len() > 150 {
                    return bad_request(
                        "invalid_parameter",
                        "You can add up to 150 contacts at a time",
                    );
                }
                let list_id: u64 = list.parse().unwrap_or(0);
                for e in &emails {
                    let c = state.entry(&e.to_lowercase());
                    if let Some(ids) = c["listIds"].as_array_mut()
                        && !ids.contains(&json!(list_id))
                    {
                        ids.push(json!(list_id));
                    }
                }
                (
                    StatusCode::CREATED,
                    Some(json!({"contacts": {"success": emails, "failure": []}})),
                )
            }
            _ => (
                StatusCode::NOT_FOUND,
                Some(
                    json!({"code": "not_found", "message": "the sandbox has no such Brevo endpoint"}),
                ),
            ),
        }
    }
}

impl State {
    fn entry(&mut self, key: &str) -> &mut Value {
        if !self.by_key.contains_key(key) {
            self.next_id += 1;
            let now = chrono::Utc::now().to_rfc3339();
            let contact = json!({"id": self.next_id, "email": key, "emailBlacklisted": false,
                "smsBlacklisted": false, "createdAt": now, "modifiedAt": now, "listIds": [],
                "attributes": {}, "statistics": {}});
            self.by_key.insert(key.to_owned(), contact);
        }
        self.by_key
            .get_mut(key)
            .expect("the contact was inserted above")
    }

    fn upsert(&mut self, body: &Value) -> (StatusCode, Option<Value>) {
        let key = body["email"]
            .as_str()
            .or_else(|| body["ext_id"].as_str())
            .or_else(|| body["attributes"]["SMS"].as_str())
            .map(str::to_lowercase);
        if body["email"]
            .as_str()
            .is_some_and(|e| !e.contains('@') || e.contains(char::is_whitespace))
        {
            return bad_request("invalid_parameter", "Invalid email address");
        }
        let Some(key) = key else {
            return (
                StatusCode::BAD_REQUEST,
                Some(
                    json!({"code": "missing_parameter", "message": "email, ext_id or attributes.SMS is required"}),
                ),
            );
        };
        let existed = self.by_key.contains_key(&key);
        let update = body["updateEnabled"].as_bool().unwrap_or(false);
        if existed && !update {
            return (
                StatusCode::BAD_REQUEST,
                Some(json!({"code": "duplicate_parameter",
                    "message": "Unable to create contact, email is already associated with another Contact",
                    "metadata": {"duplicate_identifiers": ["email"]}})),
            );
        }
        let contact = self.entry(&key);
        merge_attributes(contact, body);
        if let Some(lists) = body["listIds"].as_array() {
            contact["listIds"] = Value::Array(lists.clone());
        }
        if existed {
            (StatusCode::NO_CONTENT, None)
        } else {
            (StatusCode::CREATED, Some(json!({"id": contact["id"]})))
        }
    }
}

fn merge_attributes(contact: &mut Value, body: &Value) {
    let Some(attrs) = body["attributes"].as_object() else {
        return;
    };
    if !contact["attributes"].is_object() {
        contact["attributes"] = Value::Object(Map::new());
    }
    if let Some(target) = contact["attributes"].as_object_mut() {
        for (k, v) in attrs {
            target.insert(k.clone(), v.clone());
        }
    }
    contact["modifiedAt"] = json!(chrono::Utc::now().to_rfc3339());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_upsert_updates_and_get_finds_it() {
        let c = Contacts::default();
        let body = json!({"email": "Ana@Example.com", "attributes": {"FIRSTNAME": "Ana"}, "updateEnabled": true});
        assert_eq!(
            c.handle(&Method::POST, &["contacts"], &body).0,
            StatusCode::CREATED
        );
        assert_eq!(
            c.handle(&Method::POST, &["contacts"], &body).0,
            StatusCode::NO_CONTENT
        );
        let (status, found) = c.handle(
            &Method::GET,
            &["contacts", "ana%40example.com"],
            &Value::Null,
        );
        assert_eq!(status, StatusCode::OK);
        assert_eq!(found.unwrap_or_default()["attributes"]["FIRSTNAME"], "Ana");
        let (status, _) = c.handle(
            &Method::GET,
            &["contacts", "nobody%40example.com"],
            &Value::Null,
        );
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn what_brevo_refuses_the_sandbox_refuses() {
        let c = Contacts::default();
        let put = c.handle(
            &Method::PUT,
            &["contacts", "nobody%40example.com"],
            &json!({"attributes": {"A": "b"}}),
        );
        assert_eq!(put.0, StatusCode::NOT_FOUND);
        assert_eq!(put.1.unwrap_or_default()["code"], "document_not_found");
        let ids = json!({"email_id": "a@example.com"});
        for (body, code) in [
            (json!({"identifiers": ids}), "missing_parameter"),
            (
                json!({"event_name": "x y", "identifiers": ids}),
                "invalid_parameter",
            ),
            (json!({"event_name": "x"}), "missing_parameter"),
            (
                json!({"event_name": "x", "identifiers": ids, "event_properties": {"attended": false}}),
                "invalid_parameter",
            ),
        ] {
            let (status, answer) = c.handle(&Method::POST, &["events"], &body);
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(answer.unwrap_or_default()["code"], code, "{body}");
        }
        let ok = json!({"event_name": "meeting_ended", "identifiers": ids,
            "event_properties": {"attended": "false", "minutes": 3, "n": {"a": [1]}}});
        assert_eq!(
            c.handle(&Method::POST, &["events"], &ok).0,
            StatusCode::NO_CONTENT
        );
    }
}
