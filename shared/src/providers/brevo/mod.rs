//! Brevo API v3 client: contacts, lists and custom events.
//!
//! Brevo is where contacts live and automations run, so every booking and attendance ends here.
//! Success is 201 or 204 (200 tolerated); errors are classified in `error.rs` by status, message
//! and `metadata.duplicate_identifiers`, never by `code` alone (Brevo's codes drift). A phone
//! number Brevo refuses is its own variant, [`BrevoError::PhoneRejected`], so the caller can sync
//! the contact again without `SMS` ([`ContactUpsert::without_sms`]) and record why.

mod error;
mod properties;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

pub use self::error::{BrevoError, PhoneRejection};
use super::error::{Provider, ProviderError};
use super::http::{self, Response};
use crate::domain::ErrorClass;

/// The contact attribute holding the mobile number (E.164).
pub const SMS_ATTRIBUTE: &str = "SMS";
/// Most contacts Brevo accepts in one "add to list" call.
const LIST_BATCH: usize = 150;

/// A Brevo API client. Cheap to clone; `Debug` shows no key.
#[derive(Clone)]
pub struct BrevoClient {
    http: reqwest::Client,
    base_url: Url,
    api_key: HeaderValue,
}

impl fmt::Debug for BrevoClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrevoClient")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

/// A contact to create or update (`POST /contacts` with `updateEnabled: true`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ContactUpsert {
    /// The contact's e-mail (the identifier).
    pub email: String,
    /// Brevo's external id, e.g. `calendly:<invitee uuid>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ext_id: Option<String>,
    /// UPPER-CASE attribute name -> value; attributes must exist in the Brevo account.
    pub attributes: Map<String, Value>,
    /// Lists to add the contact to.
    #[serde(rename = "listIds", skip_serializing_if = "Vec::is_empty")]
    pub list_ids: Vec<u64>,
}

impl ContactUpsert {
    /// Whether the `SMS` attribute is set.
    pub fn has_sms(&self) -> bool {
        self.attributes.contains_key(SMS_ATTRIBUTE)
    }

    /// The same contact without the `SMS` attribute, to re-send after [`BrevoError::PhoneRejected`].
    pub fn without_sms(&self) -> Self {
        let mut c = self.clone();
        c.attributes.remove(SMS_ATTRIBUTE);
        c
    }
}

/// What `upsert_contact` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    /// A new contact (201), with Brevo's id when the body carried it.
    Created {
        /// Brevo's contact id.
        id: Option<i64>,
    },
    /// An existing contact was updated (204).
    Updated,
}

/// A custom event for Brevo automations (`POST /events`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrevoEvent {
    /// The event name, e.g. `booking_created`.
    pub event_name: String,
    /// The contact it is about.
    pub email: String,
    /// `event_properties`: data about this occurrence (share URL, meeting time, ...).
    pub properties: Map<String, Value>,
    /// `contact_properties`: attributes to set on the contact at the same time (may be empty).
    pub contact_properties: Map<String, Value>,
    /// `event_date`: when it happened (RFC 3339); `None` = when Brevo receives it.
    pub date: Option<chrono::DateTime<chrono::Utc>>,
}

/// What a contact read says about SMS (`GET /contacts/{email}`): the parts the opt-out sources
/// of `sms.opt_out` look at.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ContactSmsState {
    /// Brevo's own SMS blacklist.
    #[serde(rename = "smsBlacklisted", default)]
    pub sms_blacklisted: bool,
    /// The lists the contact is in.
    #[serde(rename = "listIds", default)]
    pub list_ids: Vec<u64>,
    /// The contact's attributes.
    #[serde(default)]
    pub attributes: Map<String, Value>,
}

impl ContactSmsState {
    /// Whether attribute `name` reads as true (`true`, `"true"`, `"yes"`, `1`; case ignored).
    #[must_use]
    pub fn flag(&self, name: &str) -> bool {
        match self.attributes.get(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
            Some(Value::String(s)) => {
                matches!(s.trim().to_lowercase().as_str(), "true" | "yes" | "1")
            }
            _ => false,
        }
    }
}

/// What `add_to_list` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListAddOutcome {
    /// E-mails Brevo added.
    pub added: Vec<String>,
    /// E-mails Brevo did not add (already in the list, or no such contact).
    pub not_added: Vec<String>,
}

impl BrevoClient {
    /// A client for `base_url` (e.g. `https://api.brevo.com/v3`); every call is bounded by `timeout`.
    pub fn new(
        base_url: Url,
        api_key: SecretString,
        timeout: Duration,
    ) -> Result<Self, ProviderError> {
        let mut api_key = HeaderValue::from_str(api_key.expose_secret()).map_err(|_| {
            ProviderError::new(
                Provider::Brevo,
                "configure",
                ErrorClass::Config,
                "the api key is not a valid header value",
            )
        })?;
        api_key.set_sensitive(true);
        Ok(Self {
            http: http::build_client(Provider::Brevo, timeout)?,
            base_url,
            api_key,
        })
    }

    /// Creates the contact, or updates it when the e-mail exists.
    pub async fn upsert_contact(
        &self,
        contact: &ContactUpsert,
    ) -> Result<UpsertOutcome, BrevoError> {
        const OP: &str = "upsert contact";
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(flatten)]
            contact: &'a ContactUpsert,
            #[serde(rename = "updateEnabled")]
            update_enabled: bool,
        }
        #[derive(Deserialize)]
        struct Created {
            id: Option<i64>,
        }
        if !properties::is_email(&contact.email) {
            // Brevo answers 400 "Invalid email address": refuse it here, the same way.
            return Err(BrevoError::Provider(
                ProviderError::new(
                    Provider::Brevo,
                    OP,
                    ErrorClass::ProviderRejected,
                    "Invalid email address (not sent: Brevo refuses it)",
                )
                .with_code("invalid_parameter"),
            ));
        }
        let url = http::endpoint(&self.base_url, &["contacts"]);
        let body = Body {
            contact,
            update_enabled: true,
        };
        let resp = self.send(OP, self.http.post(url).json(&body)).await?;
        match resp.status {
            201 => Ok(UpsertOutcome::Created {
                id: serde_json::from_slice::<Created>(&resp.body)
                    .ok()
                    .and_then(|c| c.id),
            }),
            _ => Ok(UpsertOutcome::Updated),
        }
    }

    /// Sets attributes on the contact with this e-mail (`PUT /contacts/{email}`).
    /// A missing contact is [`BrevoError::ContactNotFound`].
    pub async fn update_contact_attributes(
        &self,
        email: &str,
        attributes: &Map<String, Value>,
    ) -> Result<(), BrevoError> {
        let mut url = http::endpoint(&self.base_url, &["contacts", &http::encode_segment(email)]);
        url.set_query(Some("identifierType=email_id"));
        let body = serde_json::json!({ "attributes": attributes });
        self.send("update contact", self.http.put(url).json(&body))
            .await?;
        Ok(())
    }

    /// Reads the contact with this e-mail (`GET /contacts/{email}?identifierType=email_id`);
    /// `None` when Brevo has no such contact (404).
    pub async fn contact_sms_state(
        &self,
        email: &str,
    ) -> Result<Option<ContactSmsState>, BrevoError> {
        const OP: &str = "get contact";
        let mut url = http::endpoint(&self.base_url, &["contacts", &http::encode_segment(email)]);
        url.set_query(Some("identifierType=email_id"));
        match self.send(OP, self.http.get(url)).await {
            Ok(resp) => Ok(Some(resp.json(Provider::Brevo, OP)?)),
            Err(BrevoError::ContactNotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The `SMS` attribute of the contact with this e-mail (`GET /contacts/{email}`), as Brevo
    /// stores it; `None` when the contact does not exist or has no number.
    pub async fn contact_sms(&self, email: &str) -> Result<Option<String>, BrevoError> {
        let Some(contact) = self.contact_sms_state(email).await? else {
            return Ok(None);
        };
        Ok(contact.attributes.get(SMS_ATTRIBUTE).and_then(|v| match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }))
    }

    /// Records a custom event on a contact (`POST /events`, 204).
    pub async fn track_event(&self, event: &BrevoEvent) -> Result<(), BrevoError> {
        let mut body = serde_json::json!({
            "event_name": event.event_name,
            "identifiers": { "email_id": event.email },
        });
        if !event.properties.is_empty() {
            body["event_properties"] =
                Value::Object(properties::event_properties(&event.properties));
        }
        if !event.contact_properties.is_empty() {
            body["contact_properties"] =
                Value::Object(properties::contact_properties(&event.contact_properties));
        }
        if let Some(date) = event.date {
            body["event_date"] = date
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .into();
        }
        let url = http::endpoint(&self.base_url, &["events"]);
        self.send("track event", self.http.post(url).json(&body))
            .await?;
        Ok(())
    }

    /// Adds existing contacts to a list, 150 per call. Contacts already in the list (or unknown
    /// to Brevo) are reported in `not_added`, not as an error.
    pub async fn add_to_list(
        &self,
        list_id: u64,
        emails: &[String],
    ) -> Result<ListAddOutcome, BrevoError> {
        const OP: &str = "add to list";
        #[derive(Deserialize, Default)]
        struct Contacts {
            #[serde(default)]
            success: Vec<String>,
            #[serde(default)]
            failure: Vec<String>,
        }
        #[derive(Deserialize)]
        struct Added {
            contacts: Contacts,
        }
        let id = list_id.to_string();
        let url = http::endpoint(
            &self.base_url,
            &["contacts", "lists", &id, "contacts", "add"],
        );
        let mut outcome = ListAddOutcome::default();
        for chunk in emails.chunks(LIST_BATCH) {
            let request = self
                .http
                .post(url.clone())
                .json(&serde_json::json!({ "emails": chunk }));
            match self.send(OP, request).await {
                Ok(resp) => {
                    let added: Added = resp.json(Provider::Brevo, OP)?;
                    outcome.added.extend(added.contacts.success);
                    outcome.not_added.extend(added.contacts.failure);
                }
                Err(e) if e.is_nothing_to_add() => outcome.not_added.extend_from_slice(chunk),
                Err(e) => return Err(e),
            }
        }
        Ok(outcome)
    }

    /// Sends with the api key and classifies any non-2xx answer.
    async fn send(
        &self,
        op: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<Response, BrevoError> {
        let request = request
            .header("api-key", self.api_key.clone())
            .header("accept", "application/json");
        let resp = http::execute(Provider::Brevo, op, request).await?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(error::classify(op, &resp))
        }
    }
}
