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
            ("PUT", ["contacts", id]) => {
                let key = decode(id);
                let contact = state.entry(&key);
                merge_attributes(contact, body);
                (StatusCode::NO_CONTENT, None)
            }
            ("GET", ["contacts", id]) => match state.by_key.get(&decode(id)) {
                Some(c) => (StatusCode::OK, Some(c.clone())),
                None => not_found(),
            },
            ("POST", ["events"]) => (StatusCode::NO_CONTENT, None),
            ("POST", ["contacts", "lists", list, "contacts", "add"]) => {
                let emails: Vec<String> = body["emails"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|e| e.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
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
}
