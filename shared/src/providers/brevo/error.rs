//! How Brevo's error answers are read.
//!
//! Brevo's `code` values drift (an e-mail collision has come back as `duplicate_parameter` and
//! later as `invalid_parameter`), so a decision never rests on `code` alone: the status decides
//! the class (the table in `retry`), and the message plus `metadata.duplicate_identifiers` pick
//! out the cases the caller handles itself: a refused phone number and a missing contact.

use serde::Deserialize;

use super::super::error::{Provider, ProviderError};
use super::super::http::{self, Response};

/// Headers carrying Brevo's wait hint on a 429, in order of preference.
const WAIT_HEADERS: &[&str] = &["x-sib-ratelimit-reset", "retry-after", "x-ratelimit-reset"];

/// A failed Brevo call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BrevoError {
    /// Brevo refused the `SMS` attribute. Re-send without it
    /// ([`super::ContactUpsert::without_sms`]) and record `reason`.
    #[error("phone number rejected ({reason}): {error}")]
    PhoneRejected {
        /// Why the number was refused.
        reason: PhoneRejection,
        /// Brevo's answer.
        error: ProviderError,
    },
    /// The contact does not exist (404 on an update); create it instead.
    #[error("contact not found: {0}")]
    ContactNotFound(ProviderError),
    /// Any other failure, classified.
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

/// Why Brevo refused a phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneRejection {
    /// Not a number Brevo accepts ("Invalid phone number").
    Invalid,
    /// Another contact already has this number.
    OwnedByAnotherContact,
}

impl PhoneRejection {
    /// A short reason to record on the booking.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invalid => "invalid_phone",
            Self::OwnedByAnotherContact => "phone_owned_by_another_contact",
        }
    }
}

impl std::fmt::Display for PhoneRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl BrevoError {
    /// The underlying classified error.
    pub fn provider_error(&self) -> &ProviderError {
        match self {
            Self::PhoneRejected { error, .. }
            | Self::ContactNotFound(error)
            | Self::Provider(error) => error,
        }
    }

    /// Whether trying the same call again later can succeed.
    pub fn is_retryable(&self) -> bool {
        self.provider_error().is_retryable()
    }

    /// The 400 Brevo gives when none of the e-mails could be added to a list (all already in it,
    /// or unknown): not a failure for us.
    pub(super) fn is_nothing_to_add(&self) -> bool {
        let e = self.provider_error();
        e.status == Some(400) && e.message.to_ascii_lowercase().contains("already in list")
    }
}

#[derive(Deserialize, Default)]
struct Body {
    code: Option<String>,
    message: Option<String>,
    metadata: Option<Metadata>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    duplicate_identifiers: Vec<String>,
}

/// Classifies a non-2xx answer.
pub(super) fn classify(op: &'static str, resp: &Response) -> BrevoError {
    // The body is undocumented on some statuses (429): never require it.
    let body: Body = serde_json::from_slice(&resp.body).unwrap_or_default();
    let message = body.message.as_deref().unwrap_or("");
    let duplicates = body
        .metadata
        .map(|m| m.duplicate_identifiers)
        .unwrap_or_default();
    let error = http::status_error(Provider::Brevo, op, resp, body.code, message, WAIT_HEADERS);
    if resp.status == 404 {
        return BrevoError::ContactNotFound(error);
    }
    if resp.status == 400
        && let Some(reason) = phone_rejection(message, &duplicates)
    {
        return BrevoError::PhoneRejected { reason, error };
    }
    BrevoError::Provider(error)
}

/// Reads a 400 as a refused phone number, from the message and the duplicate identifiers.
fn phone_rejection(message: &str, duplicates: &[String]) -> Option<PhoneRejection> {
    let m = message.to_ascii_lowercase();
    let sms_duplicate = duplicates.iter().any(|d| d.eq_ignore_ascii_case("sms"))
        || (m.contains("sms") && m.contains("already associate"));
    if sms_duplicate {
        Some(PhoneRejection::OwnedByAnotherContact)
    } else if m.contains("phone") && (m.contains("invalid") || m.contains("not valid")) {
        Some(PhoneRejection::Invalid)
    } else {
        None
    }
}

#[cfg(test)]
mod table {
    use super::*;
    use PhoneRejection::*;

    #[test]
    fn phone_rejections_are_read_from_message_and_metadata_never_the_code() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let cases: Vec<(&str, Vec<String>, Option<PhoneRejection>)> = vec![
            ("Invalid phone number", vec![], Some(Invalid)),
            ("invalid phone number format", vec![], Some(Invalid)),
            ("Phone number is not valid", vec![], Some(Invalid)),
            (
                "Unable to create contact, SMS is already associated with another Contact",
                s(&["SMS"]),
                Some(OwnedByAnotherContact),
            ),
            (
                "Unable to update contact, SMS is already associated with another Contact",
                vec![],
                Some(OwnedByAnotherContact),
            ),
            (
                "SMS or EXT_ID are already associate with another Contact",
                vec![],
                Some(OwnedByAnotherContact),
            ),
            ("something new", s(&["sms"]), Some(OwnedByAnotherContact)),
            (
                "Unable to create contact, email is already associated with another Contact",
                s(&["email"]),
                None,
            ),
            ("Contact already exist", vec![], None),
            ("Invalid email address", vec![], None),
            ("", vec![], None),
        ];
        for (message, duplicates, expected) in cases {
            assert_eq!(phone_rejection(message, &duplicates), expected, "{message}");
        }
    }
}
