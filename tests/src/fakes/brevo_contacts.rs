//! The fake Brevo's endpoints: contacts (create/update/get), list adds, imports and
//! events, answering with Brevo's documented and observed bodies (docs/providers.md §3.5
//! points 2-6). State and helpers are in `brevo_store`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::brevo_store::{BrevoEvent, Store, bad_identifier_type, duplicate, err, not_found};
use super::common::{RecordedRequest, empty, json as json_resp};

impl Store {
    /// `POST /v3/contacts`.
    pub(crate) fn create(&mut self, body: &Value) -> Response {
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
        if !meetflow_shared::config::is_brevo_event_name(name) {
            return err(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "event_name is limited to 255 alphanumerical characters, - and _",
            );
        }
        let ids = body.get("identifiers").cloned().unwrap_or(Value::Null);
        if ids.as_object().is_none_or(Map::is_empty) {
            return err(
                StatusCode::BAD_REQUEST,
                "missing_parameter",
                "identifiers is required",
            );
        }
        if let Some(bad) = refused_property(body) {
            return err(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                &format!("{bad}: only string, integer, object or array values are accepted"),
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

/// The first `event_properties` / `contact_properties` value of a type Brevo's schema does not
/// accept (booleans, fractional numbers; objects and arrays in `contact_properties`), by path.
fn refused_property(body: &Value) -> Option<String> {
    fn walk(v: &Value, path: String, nested_ok: bool) -> Option<String> {
        match v {
            Value::Bool(_) => Some(path),
            Value::Number(n) if n.is_f64() => Some(path),
            Value::Object(m) if nested_ok => m
                .iter()
                .find_map(|(k, v)| walk(v, format!("{path}.{k}"), true)),
            Value::Array(a) if nested_ok => a
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, format!("{path}[{i}]"), true)),
            Value::Object(_) | Value::Array(_) => Some(path),
            _ => None,
        }
    }
    for (key, nested_ok) in [("event_properties", true), ("contact_properties", false)] {
        if let Some(props) = body.get(key).and_then(Value::as_object) {
            for (k, v) in props {
                if let Some(p) = walk(v, format!("{key}.{k}"), nested_ok) {
                    return Some(p);
                }
            }
        }
    }
    None
}
