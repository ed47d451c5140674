//! The invitee's SMS number: found, normalised to E.164, or the reason there is none.
//!
//! Sources, tried in the order of `sms.phone_sources` (or the event type workflow's
//! `phone_sources`), the first usable number winning: `text_reminder_number` (Calendly's "text
//! me reminders" field), `questions` (the answer to `sms.phone_question`, else to the booking
//! question mapped to the SMS attribute in `field_mapping.questions_and_answers`, e.g.
//! `phone: SMS`), `brevo` (the `SMS` attribute of the invitee's Brevo contact, one
//! `GET /contacts/{email}` through the shared `/contacts` limit). A number that does not parse
//! is recorded (`meetflow_sms_skipped_total{reason="invalid_phone"}`, a log line with the number
//! redacted) and the next source tried; with none usable there is no SMS and no `SMS` attribute,
//! and the Brevo sync goes on without it. A number in national format ("081 234 5678") is read
//! in the workflow's `default_region` (`sms.default_region`) when one is set, and refused as
//! invalid otherwise.

use meetflow_shared::config::{FieldMapping, PhoneSource, Workflow};
use meetflow_shared::domain::{PhoneNumber, redact};
use meetflow_shared::events::Invitee;
use meetflow_shared::providers::brevo::SMS_ATTRIBUTE;
use meetflow_shared::queue::JobError;

use super::contact::find_answer;
use crate::context::Worker;

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

/// The number a booking question gives: the answer to `sms.phone_question` when set, else to a
/// question mapped to the SMS attribute in `field_mapping.questions_and_answers`.
fn from_questions<'a>(
    fm: &FieldMapping,
    phone_question: Option<&str>,
    invitee: &'a Invitee,
) -> Option<&'a str> {
    let qa = &invitee.questions_and_answers;
    if let Some(q) = phone_question.map(str::trim).filter(|q| !q.is_empty()) {
        return find_answer(qa, q);
    }
    let attr = sms_attribute(fm);
    fm.questions_and_answers
        .iter()
        .filter(|(_, a)| a.eq_ignore_ascii_case(attr) || a.eq_ignore_ascii_case(SMS_ATTRIBUTE))
        .find_map(|(key, _)| find_answer(qa, key))
}

/// The number Brevo holds for the invitee's contact (`SMS`), when Brevo is configured and the
/// invitee has an e-mail. Brevo may store it without its `+`.
async fn from_brevo(w: &Worker, invitee: &Invitee) -> Result<Option<String>, JobError> {
    let (Ok(brevo), Some(email)) = (w.brevo(), super::email(invitee)) else {
        return Ok(None);
    };
    brevo
        .limiter
        .until_ready(w.options.rate_limit_wait)
        .await
        .map_err(JobError::from)?;
    let sms = brevo
        .client
        .contact_sms(&email)
        .await
        .map_err(JobError::from)?;
    Ok(sms.map(|n| {
        if n.bytes().all(|b| b.is_ascii_digit()) {
            format!("+{n}")
        } else {
            n
        }
    }))
}

/// Finds and normalises the invitee's number: the sources of `wf.phone_sources` in order, the
/// first usable number wins; a national-format number is read in `wf.default_region`. An
/// unusable number is counted and logged (redacted) and the next source is tried; `Invalid` when
/// numbers were given but none is usable.
pub(crate) async fn resolve(
    w: &Worker,
    wf: &Workflow,
    invitee: &Invitee,
) -> Result<Phone, JobError> {
    let fm = &w.settings.connectors.calendly.field_mapping;
    let mut found = Phone::Missing;
    for source in &wf.phone_sources {
        let raw = match source {
            PhoneSource::TextReminderNumber => invitee
                .text_reminder_number
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            PhoneSource::Questions => {
                from_questions(fm, w.settings.sms.phone_question.as_deref(), invitee)
                    .map(str::to_owned)
            }
            PhoneSource::Brevo => from_brevo(w, invitee).await?,
        };
        let Some(raw) = raw else { continue };
        match PhoneNumber::parse(&raw, wf.default_region.as_deref()) {
            Ok(p) => return Ok(Phone::Valid(p)),
            Err(e) => {
                metrics::counter!("meetflow_sms_skipped_total", "kind" => "all", "reason" => "invalid_phone")
                    .increment(1);
                tracing::warn!(phone = %redact::phone(&raw), source = ?source, error = %e, "invitee phone number is not usable: next source, else no SMS (Brevo sync without it)");
                found = Phone::Invalid;
            }
        }
    }
    Ok(found)
}
