//! The fake Brevo's state: contacts and events, identifier lookup, the phone-number
//! rule, SMS ownership, and Brevo's error bodies (docs/providers.md §3.2-3.3).

use std::collections::{BTreeSet, HashSet};

use axum::http::StatusCode;
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

use super::common::{RecordedRequest, json as json_resp};

/// A contact as the fake stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct BrevoContact {
    /// Brevo's numeric id.
    pub id: i64,
    /// Email, lower-cased (Brevo stores emails lower case); `None` for SMS-only contacts.
    pub email: Option<String>,
    /// `ext_id`, when set.
    pub ext_id: Option<String>,
    /// Attributes (`FIRSTNAME`, `SMS`, ...), as last written.
    pub attributes: Map<String, Value>,
    /// Lists the contact belongs to.
    pub list_ids: BTreeSet<i64>,
    /// `emailBlacklisted`.
    pub email_blacklisted: bool,
    /// `smsBlacklisted`.
    pub sms_blacklisted: bool,
    /// How many create/update requests changed this contact after its creation.
    pub updates: u32,
}

/// One `POST /v3/events` call.
#[derive(Debug, Clone, PartialEq)]
pub struct BrevoEvent {
    /// `event_name`.
    pub event_name: String,
    /// `identifiers` object (`email_id`, `ext_id`, ...).
    pub identifiers: Value,
    /// `contact_properties`, if sent.
    pub contact_properties: Option<Value>,
    /// `event_properties`, if sent.
    pub event_properties: Option<Value>,
    /// The whole body.
    pub raw: Value,
}

/// Everything the fake Brevo knows.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) contacts: Vec<BrevoContact>,
    pub(crate) events: Vec<BrevoEvent>,
    pub(crate) rejected_phones: HashSet<String>,
    pub(crate) next_process: i64,
}

pub(crate) fn err(status: StatusCode, code: &str, message: &str) -> Response {
    json_resp(status, &json!({ "code": code, "message": message }))
}

pub(crate) fn duplicate(action: &str, what: &str) -> Response {
    let noun = if what == "SMS" { "SMS" } else { "email" };
    json_resp(
        StatusCode::BAD_REQUEST,
        &json!({
            "code": "duplicate_parameter",
            "message": format!("Unable to {action} contact, {noun} is already associated with another Contact"),
            "metadata": { "duplicate_identifiers": [what] }
        }),
    )
}

/// Brevo-ish phone rule (the real one is undocumented): `^(\+|00)[1-9]\d{7,14}$` on the
/// raw value, so spaces and dashes are rejected.
fn valid_phone(s: &str) -> bool {
    let rest = s.strip_prefix('+').or_else(|| s.strip_prefix("00"));
    match rest {
        Some(d) => {
            (8..=15).contains(&d.len())
                && d.bytes().all(|b| b.is_ascii_digit())
                && !d.starts_with('0')
        }
        None => false,
    }
}

/// Digits of a phone number without its `+`/`00` prefix, for ownership comparison.
fn phone_key(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let s = s
        .strip_prefix('+')
        .or_else(|| s.strip_prefix("00"))
        .unwrap_or(&s)
        .to_owned();
    Some(s)
}

impl Store {
    pub(crate) fn by_email(&self, email: &str) -> Option<&BrevoContact> {
        let e = email.to_lowercase();
        self.contacts
            .iter()
            .find(|c| c.email.as_deref() == Some(e.as_str()))
    }

    /// Insert a contact; returns its id.
    pub(crate) fn insert(
        &mut self,
        email: Option<&str>,
        ext_id: Option<&str>,
        attrs: Value,
    ) -> i64 {
        let id = 4217 + self.contacts.len() as i64;
        self.contacts.push(BrevoContact {
            id,
            email: email.map(str::to_lowercase),
            ext_id: ext_id.map(str::to_owned),
            attributes: attrs.as_object().cloned().unwrap_or_default(),
            list_ids: BTreeSet::new(),
            email_blacklisted: false,
            sms_blacklisted: false,
            updates: 0,
        });
        id
    }

    /// Index of the contact other than `except` whose SMS matches `sms`.
    fn sms_owner(&self, sms: &Value, except: Option<usize>) -> Option<usize> {
        let key = phone_key(sms)?;
        self.contacts.iter().enumerate().position(|(i, c)| {
            Some(i) != except
                && c.attributes.get("SMS").and_then(phone_key).as_deref() == Some(key.as_str())
        })
    }

    /// Validate the `SMS` attribute of a body: `Some(response)` on error.
    pub(crate) fn check_sms(
        &self,
        body: &Value,
        owner: Option<usize>,
        action: &str,
    ) -> Option<Response> {
        let sms = body.get("attributes")?.get("SMS")?;
        let raw = match sms {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => {
                return Some(err(
                    StatusCode::BAD_REQUEST,
                    "invalid_parameter",
                    "Invalid phone number",
                ));
            }
        };
        if self.rejected_phones.contains(&raw) || !valid_phone(&raw) {
            return Some(err(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "Invalid phone number",
            ));
        }
        self.sms_owner(sms, owner).map(|_| duplicate(action, "SMS"))
    }

    /// Apply the update fields of a create/update body to contact `i`.
    pub(crate) fn apply(&mut self, i: usize, body: &Value) {
        let c = &mut self.contacts[i];
        if let Some(attrs) = body.get("attributes").and_then(Value::as_object) {
            for (k, v) in attrs {
                if k == "EMAIL" {
                    c.email = v.as_str().map(str::to_lowercase);
                } else {
                    c.attributes.insert(k.clone(), v.clone());
                }
            }
        }
        if let Some(x) = body.get("ext_id").and_then(Value::as_str) {
            c.ext_id = Some(x.to_owned());
        }
        for id in body
            .get("listIds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            c.list_ids.extend(id.as_i64());
        }
        for id in body
            .get("unlinkListIds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = id.as_i64() {
                c.list_ids.remove(&id);
            }
        }
        if let Some(b) = body.get("emailBlacklisted").and_then(Value::as_bool) {
            c.email_blacklisted = b;
        }
        if let Some(b) = body.get("smsBlacklisted").and_then(Value::as_bool) {
            c.sms_blacklisted = b;
        }
    }

    /// Resolve `{identifier}` + `identifierType` to a contact index.
    /// `Err(())` for an unknown `identifierType`.
    pub(crate) fn find(&self, raw_ident: &str, rec: &RecordedRequest) -> Result<Option<usize>, ()> {
        let ident = percent_decode_str(raw_ident)
            .decode_utf8_lossy()
            .into_owned();
        let kind = rec.query_param("identifierType");
        let by_attr = |attr: &str| {
            let key = phone_key(&Value::String(ident.clone()));
            self.contacts
                .iter()
                .position(|c| c.attributes.get(attr).and_then(phone_key) == key)
        };
        let found = match kind.as_deref() {
            Some("email_id") => self
                .contacts
                .iter()
                .position(|c| c.email.as_deref() == Some(ident.to_lowercase().as_str())),
            Some("contact_id") => self
                .contacts
                .iter()
                .position(|c| Some(c.id) == ident.parse().ok()),
            Some("ext_id") => self
                .contacts
                .iter()
                .position(|c| c.ext_id.as_deref() == Some(ident.as_str())),
            Some("phone_id") => by_attr("SMS"),
            Some("whatsapp_id") => by_attr("WHATSAPP"),
            Some("landline_number_id") => by_attr("LANDLINE_NUMBER"),
            Some(_) => return Err(()),
            None if ident.contains('@') => self
                .contacts
                .iter()
                .position(|c| c.email.as_deref() == Some(ident.to_lowercase().as_str())),
            None => self
                .contacts
                .iter()
                .position(|c| Some(c.id) == ident.parse().ok()),
        };
        Ok(found)
    }
}

pub(crate) fn bad_identifier_type() -> Response {
    err(
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
        "Invalid identifierType",
    )
}

pub(crate) fn not_found() -> Response {
    err(
        StatusCode::NOT_FOUND,
        "document_not_found",
        "Contact does not exist",
    )
}
