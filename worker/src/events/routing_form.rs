//! `routing_form_submission.created`: a lead who filled in a Calendly routing form, booked or
//! not, becomes (or updates) a Brevo contact, so leads who did not book are not lost.
//!
//! The e-mail is the answer to `connectors.calendly.routing_forms.email_question`, else the first
//! answer that is an e-mail address (the webhook carries no e-mail field of its own). The answers
//! are mapped by `routing_forms.questions_and_answers`, then by
//! `field_mapping.questions_and_answers` (the same question matching as bookings), a phone
//! answer mapped to `SMS` is normalised to E.164 (`sms.default_region` for national formats; an
//! unusable one is left out), and UTM tracking goes through `field_mapping.tracking`. The contact
//! sync (`brevo:routing_form:<submission>`) adds `routing_forms.list_id` when set, and the Brevo
//! event `routing_forms.brevo_event` carries the routing form, the routing result and whether the
//! person booked. Brevo keys contacts by e-mail, so when the same person books, the booking
//! updates this same contact. Submissions without an e-mail answer are counted
//! (`meetflow_brevo_skipped_total{source="calendly:routing_form_submission.created",reason="no_email"}`).

use meetflow_shared::config::FieldMapping;
use meetflow_shared::domain::{EmailAddress, PhoneNumber, redact};
use meetflow_shared::events::{QuestionAndAnswer, RoutingFormSubmission};
use meetflow_shared::jobs::brevo::{BrevoId, ContactSync, EventTrack};
use meetflow_shared::providers::brevo::SMS_ATTRIBUTE;
use meetflow_shared::queue::JobError;
use serde_json::{Map, Value};

use super::contact::{find_answer, tracking_attributes};
use super::phone::sms_attribute;
use crate::brevo::brevo_skipped;
use crate::context::Worker;
use crate::fanout::FanOut;

const SOURCE: &str = "calendly:routing_form_submission.created";

/// The answers as booking questions (so one matcher serves both).
fn answers(s: &RoutingFormSubmission) -> Vec<QuestionAndAnswer> {
    s.questions_and_answers
        .iter()
        .enumerate()
        .map(|(i, a)| QuestionAndAnswer {
            question: a.question.clone(),
            answer: a.answer.clone(),
            position: i64::try_from(i).ok(),
        })
        .collect()
}

/// The lead's e-mail: the answer to `email_question`, else the first answer that is one.
pub(crate) fn lead_email(qa: &[QuestionAndAnswer], email_question: Option<&str>) -> Option<String> {
    let parsed = |a: &str| EmailAddress::parse(a).ok().map(|e| e.as_str().to_owned());
    match email_question.map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => find_answer(qa, q).and_then(parsed),
        None => qa
            .iter()
            .filter_map(|q| q.answer.as_deref())
            .find_map(parsed),
    }
}

/// The mapped answers (routing form mapping first, then the booking one); a phone answer mapped
/// to the SMS attribute in E.164, or left out when unusable.
fn answer_attributes(
    w: &Worker,
    fm: &FieldMapping,
    qa: &[QuestionAndAnswer],
) -> Map<String, Value> {
    let rf = &w.settings.connectors.calendly.routing_forms;
    let sms_attr = sms_attribute(fm);
    let mut out = Map::new();
    for (key, attr) in rf
        .questions_and_answers
        .iter()
        .chain(&fm.questions_and_answers)
    {
        if attr.trim().is_empty() || out.contains_key(attr) {
            continue;
        }
        let Some(answer) = find_answer(qa, key) else {
            continue;
        };
        let answer = answer.trim();
        if attr.eq_ignore_ascii_case(sms_attr) || attr.eq_ignore_ascii_case(SMS_ATTRIBUTE) {
            match PhoneNumber::parse(answer, w.settings.sms.region()) {
                Ok(p) => {
                    out.insert(attr.clone(), Value::String(p.as_str().to_owned()));
                }
                Err(e) => {
                    tracing::warn!(phone = %redact::phone(answer), error = %e, "routing form phone answer is not usable: synced without it");
                }
            }
            continue;
        }
        out.insert(attr.clone(), Value::String(answer.to_owned()));
    }
    out
}

/// The submission's id: the last segment of its URI.
fn submission_id(uri: &str) -> &str {
    uri.trim_end_matches('/').rsplit('/').next().unwrap_or(uri)
}

/// `event_properties` of the Brevo event: the form, the routing result, whether they booked.
fn properties(s: &RoutingFormSubmission) -> Map<String, Value> {
    let mut p = Map::new();
    if let Some(form) = &s.routing_form {
        p.insert("routing_form".into(), Value::String(form.clone()));
    }
    if let Some(result) = &s.result {
        if let Some(kind) = &result.kind {
            p.insert("result".into(), Value::String(kind.clone()));
        }
        if let Some(Value::String(v)) = &result.value {
            p.insert("result_value".into(), Value::String(v.clone()));
        }
    }
    let booked = s.submitter.as_deref().is_some_and(|u| !u.trim().is_empty());
    p.insert("booked".into(), Value::String(booked.to_string()));
    p
}

/// Handles one `routing_form_submission.created`.
pub(crate) async fn handle(w: &Worker, s: &RoutingFormSubmission) -> Result<(), JobError> {
    let rf = &w.settings.connectors.calendly.routing_forms;
    if !rf.enabled {
        brevo_skipped(SOURCE, "off");
        return Ok(());
    }
    let qa = answers(s);
    let Some(email) = lead_email(&qa, rf.email_question.as_deref()) else {
        brevo_skipped(SOURCE, "no_email");
        tracing::info!(
            answers = qa.len(),
            "routing form submission without an e-mail answer: not synced"
        );
        return Ok(());
    };
    let fm = &w.settings.connectors.calendly.field_mapping;
    let mut attributes = tracking_attributes(fm, s.tracking.as_ref());
    attributes.extend(answer_attributes(w, fm, &qa));
    let id = submission_id(&s.uri).to_owned();
    let mut out = FanOut::default();
    out.contact(
        BrevoId::RoutingForm {
            submission: id.clone(),
        },
        ContactSync {
            email: email.clone(),
            attributes,
            list_ids: rf.list_id.into_iter().collect(),
            source: SOURCE.into(),
            ..ContactSync::default()
        },
    )?;
    out.event(
        &format!("routing_form:{id}"),
        EventTrack {
            event_name: rf.brevo_event.clone(),
            email,
            properties: properties(s),
            date: None,
        },
    )?;
    out.enqueue(&w.client).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qa(pairs: &[(&str, &str)]) -> Vec<QuestionAndAnswer> {
        pairs
            .iter()
            .map(|(q, a)| QuestionAndAnswer {
                question: Some((*q).into()),
                answer: Some((*a).into()),
                position: None,
            })
            .collect()
    }

    #[test]
    fn the_email_is_the_named_answer_else_the_first_address() {
        let answers = qa(&[
            ("Company", "Northwind"),
            ("Work e-mail", "Lead@Example.COM"),
            ("Assistant's e-mail", "pa@example.com"),
        ]);
        assert_eq!(
            lead_email(&answers, None).as_deref(),
            Some("Lead@example.com")
        );
        assert_eq!(
            lead_email(&answers, Some("assistant")).as_deref(),
            Some("pa@example.com")
        );
        assert_eq!(
            lead_email(&answers, Some("company")),
            None,
            "not an address"
        );
        assert_eq!(lead_email(&qa(&[("Company", "Northwind")]), None), None);
    }

    #[test]
    fn submission_ids_are_the_uri_tail() {
        assert_eq!(
            submission_id("https://api.calendly.com/routing_form_submissions/AB12/"),
            "AB12"
        );
    }
}
