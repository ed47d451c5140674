//! The fake Brevo's state and endpoint logic: contacts (create/update/get), list adds,
//! imports and events, with Brevo's documented and observed error bodies
//! (docs/providers.md §3.2-3.3, §3.5 points 2-6).

use std::collections::{BTreeSet, HashSet};

use axum::http::StatusCode;
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

use super::common::{RecordedRequest, empty, json as json_resp};

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
    next_process: i64,
}

fn err(status: StatusCode, code: &str, message: &str) -> Response {
    json_resp(status, &json!({ "code": code, "message": message }))
}

fn duplicate(action: &str, what: &str) -> Response {
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
    fn check_sms(&self, body: &Value, owner: Option<usize>, action: &str) -> Option<Response> {
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
    fn apply(&mut self, i: usize, body: &Value) {
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

    /// `POST /v3/contacts`.
    fn create(&mut self, body: &Value) -> Response {
        let email = body.get("email").and_then(Value::as_str);
        let ext_id = body.get("ext_id").and_then(Value::as_str);
        let has_sms = body.get("attributes").and_then(|a| a.get("SMS")).is_some();
        if email.is_none() && ext_id.is_none() && !has_sms {
            return err(
                StatusCode::BAD_REQUEST,
                "missing_parameter",
                "email, ext_id or SMS is required",
            );
        }
        if email.is_some_and(|e| !e.contains('@')) {
            return err(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "Invalid email address",
            );
        }
        let by_email = email.and_then(|e| {
            let e = e.to_lowercase();
            self.contacts
                .iter()
                .position(|c| c.email.as_deref() == Some(e.as_str()))
        });
        let by_ext = ext_id.and_then(|x| {
            self.contacts
                .iter()
                .position(|c| c.ext_id.as_deref() == Some(x))
        });
        let existing = by_email.or(by_ext);
        let update = body
            .get("updateEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        match existing {
            Some(_) if !update => duplicate(
                "create",
                if by_email.is_some() {
                    "email"
                } else {
                    "ext_id"
                },
            ),
            Some(i) => {
                if let Some(r) = self.check_sms(body, Some(i), "update") {
                    return r;
                }
                self.apply(i, body);
                self.contacts[i].updates += 1;
                empty(StatusCode::NO_CONTENT)
            }
            None => {
                if let Some(r) = self.check_sms(body, None, "create") {
                    return r;
                }
                let id = self.insert(email, ext_id, Value::Null);
                let i = self.contacts.len() - 1;
                self.apply(i, body);
                json_resp(StatusCode::CREATED, &json!({ "id": id }))
            }
        }
    }

    /// Resolve `{identifier}` + `identifierType` to a contact index.
    /// `Err(())` for an unknown `identifierType`.
    fn find(&self, raw_ident: &str, rec: &RecordedRequest) -> Result<Option<usize>, ()> {
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

    /// `PUT /v3/contacts/{identifier}`.
    fn update(&mut self, ident: &str, rec: &RecordedRequest, body: &Value) -> Response {
        let i = match self.find(ident, rec) {
            Err(()) => return bad_identifier_type(),
            Ok(None) => return not_found(),
            Ok(Some(i)) => i,
        };
        if let Some(r) = self.check_sms(body, Some(i), "update") {
            return r;
        }
        if let Some(new) = body
            .get("attributes")
            .and_then(|a| a.get("EMAIL"))
            .and_then(Value::as_str)
        {
            let new = new.to_lowercase();
            if self
                .contacts
                .iter()
                .enumerate()
                .any(|(j, c)| j != i && c.email.as_deref() == Some(new.as_str()))
            {
                return duplicate("update", "email");
            }
        }
        self.apply(i, body);
        self.contacts[i].updates += 1;
        empty(StatusCode::NO_CONTENT)
    }

    /// `GET /v3/contacts/{identifier}`.
    fn get(&self, ident: &str, rec: &RecordedRequest) -> Response {
        match self.find(ident, rec) {
            Err(()) => bad_identifier_type(),
            Ok(None) => not_found(),
            Ok(Some(i)) => {
                let c = &self.contacts[i];
                json_resp(
                    StatusCode::OK,
                    &json!({
                        "email": c.email, "id": c.id, "ext_id": c.ext_id,
                        "emailBlacklisted": c.email_blacklisted, "smsBlacklisted": c.sms_blacklisted,
                        "createdAt": "2026-04-14T16:21:00.000+00:00", "modifiedAt": "2026-04-14T16:21:00.000+00:00",
                        "listIds": c.list_ids, "attributes": c.attributes, "statistics": {}
                    }),
                )
            }
        }
    }

    /// `POST /v3/contacts/lists/{id}/contacts/add`.
    fn list_add(&mut self, list: &str, body: &Value) -> Response {
        let Ok(list) = list.parse::<i64>() else {
            return err(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "listId should be an integer",
            );
        };
        let (key, items) = ["emails", "ids", "extIds"]
            .iter()
            .find_map(|k| {
                body.get(*k)
                    .and_then(Value::as_array)
                    .map(|a| (*k, a.clone()))
            })
            .unwrap_or(("emails", Vec::new()));
        if items.len() > 150 {
            return err(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "You can add up to 150 contacts at a time",
            );
        }
        let (mut success, mut failure) = (Vec::new(), Vec::new());
        for item in items {
            let idx = self.contacts.iter().position(|c| match key {
                "emails" => item.as_str().map(str::to_lowercase).as_deref() == c.email.as_deref(),
                "ids" => item.as_i64() == Some(c.id),
                _ => item.as_str() == c.ext_id.as_deref(),
            });
            match idx {
                Some(i) if self.contacts[i].list_ids.insert(list) => success.push(item),
                _ => failure.push(item),
            }
        }
        if success.is_empty() {
            return err(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "Contact already in list and/or does not exist",
            );
        }
        json_resp(
            StatusCode::CREATED,
            &json!({ "contacts": { "success": success, "failure": failure } }),
        )
    }

    /// `POST /v3/contacts/import` (json body variant; applied at once).
    fn import(&mut self, body: &Value) -> Response {
        let lists = body.get("listIds").cloned().unwrap_or(json!([]));
        for row in body
            .get("jsonBody")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut b = json!({ "email": row.get("email"), "attributes": row.get("attributes"), "listIds": lists, "updateEnabled": true });
            if b["attributes"].is_null() {
                b["attributes"] = json!({});
            }
            let _ = self.create(&b);
        }
        self.next_process += 1;
        json_resp(
            StatusCode::ACCEPTED,
            &json!({ "processId": 78 + self.next_process }),
        )
    }

    /// `POST /v3/events`.
    fn event(&mut self, body: &Value) -> Response {
        let Some(name) = body.get("event_name").and_then(Value::as_str) else {
            return err(
                StatusCode::BAD_REQUEST,
                "missing_parameter",
                "event_name is required",
            );
        };
        let ids = body.get("identifiers").cloned().unwrap_or(Value::Null);
        if ids.as_object().is_none_or(Map::is_empty) {
            return err(
                StatusCode::BAD_REQUEST,
                "missing_parameter",
                "identifiers is required",
            );
        }
        self.events.push(BrevoEvent {
            event_name: name.to_owned(),
            identifiers: ids,
            contact_properties: body.get("contact_properties").cloned(),
            event_properties: body.get("event_properties").cloned(),
            raw: body.clone(),
        });
        empty(StatusCode::NO_CONTENT)
    }
}

fn bad_identifier_type() -> Response {
    err(
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
        "Invalid identifierType",
    )
}

fn not_found() -> Response {
    err(
        StatusCode::NOT_FOUND,
        "document_not_found",
        "Contact does not exist",
    )
}

/// Route an authorised, in-budget request.
pub(crate) fn route(store: &mut Store, rec: &RecordedRequest) -> Response {
    let body = rec.json.clone().unwrap_or(Value::Null);
    let writes = matches!(rec.method.as_str(), "POST" | "PUT");
    if writes && !body.is_object() {
        return err(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Input must be a valid JSON object",
        );
    }
    match (rec.method.as_str(), rec.segments().as_slice()) {
        ("GET", ["v3", "account"]) => json_resp(
            StatusCode::OK,
            &json!({ "email": "ops@example.com", "companyName": "meetflow tests", "plan": [{ "type": "free", "credits": 300 }] }),
        ),
        ("POST", ["v3", "contacts"]) => store.create(&body),
        ("POST", ["v3", "contacts", "import"]) => store.import(&body),
        ("POST", ["v3", "contacts", "lists", list, "contacts", "add"]) => {
            store.list_add(list, &body)
        }
        ("PUT", ["v3", "contacts", id]) => store.update(id, rec, &body),
        ("GET", ["v3", "contacts", id]) => store.get(id, rec),
        ("POST", ["v3", "events"]) => store.event(&body),
        _ => err(StatusCode::NOT_FOUND, "not_found", "Invalid route"),
    }
}
