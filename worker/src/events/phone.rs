//! The invitee's SMS number: found, normalised to E.164, or the reason there is none.
//!
//! Source: `text_reminder_number` (Calendly's "text me reminders" field), else the answer to the
//! booking question mapped to the SMS attribute in `field_mapping.questions_and_answers` (e.g.
//! `phone: SMS`). A number that does not parse gets no SMS and no `SMS` attribute, and is
//! recorded (`meetflow_sms_skipped_total{reason="invalid_phone"}`, a log line with the number
//! redacted); the Brevo sync goes on without it. A number in national format ("081 234 5678")
//! is read in `sms.default_region` when one is set, and refused as invalid otherwise.

use meetflow_shared::config::FieldMapping;
use meetflow_shared::domain::{PhoneNumber, redact};
use meetflow_shared::events::Invitee;
use meetflow_shared::providers::brevo::SMS_ATTRIBUTE;

use super::contact::find_answer;

/// The invitee's phone number, if usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phone {
    /// None given.
    Missing,
    /// Given but not a valid number.
    Invalid,
    /// A valid number.
    Valid(PhoneNumber),
}

impl Phone {
    /// The E.164 number, when valid.
    pub(crate) fn number(&self) -> Option<&PhoneNumber> {
        match self {
            Self::Valid(p) => Some(p),
            Self::Missing | Self::Invalid => None,
        }
    }
}

/// The attribute that receives the phone number (`field_mapping.text_reminder_number`, `SMS`).
pub(crate) fn sms_attribute(fm: &FieldMapping) -> &str {
    fm.text_reminder_number.as_deref().unwrap_or(SMS_ATTRIBUTE)
}

/// Finds and normalises the invitee's number, reading a national-format one in `region`
/// (`sms.default_region`); an invalid one is counted and logged (redacted).
pub(crate) fn resolve(fm: &FieldMapping, region: Option<&str>, invitee: &Invitee) -> Phone {
    let attr = sms_attribute(fm);
    let from_question = || {
        fm.questions_and_answers
            .iter()
            .filter(|(_, a)| a.eq_ignore_ascii_case(attr) || a.eq_ignore_ascii_case(SMS_ATTRIBUTE))
            .find_map(|(key, _)| find_answer(&invitee.questions_and_answers, key))
    };
    let raw = invitee
        .text_reminder_number
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .or_else(from_question);
    let Some(raw) = raw else {
        return Phone::Missing;
    };
    match PhoneNumber::parse(raw, region) {
        Ok(p) => Phone::Valid(p),
        Err(e) => {
            metrics::counter!("meetflow_sms_skipped_total", "kind" => "all", "reason" => "invalid_phone")
                .increment(1);
            tracing::warn!(phone = %redact::phone(raw), error = %e, "invitee phone number is not usable: no SMS, Brevo sync without it");
            Phone::Invalid
        }
    }
}
