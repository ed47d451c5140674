//! `connectors.calendly.routing_forms`: what a `routing_form_submission.created` does — the
//! person who filled in a routing form becomes (or updates) a Brevo contact with their answers,
//! and a Brevo event is sent, so a lead who did not book is not lost. The contact is keyed by
//! e-mail like a booking's, so when the same person books it stays one contact.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::values::{lenient_string, opt_string};

/// `connectors.calendly.routing_forms:`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingFormSettings {
    /// Sync routing form submissions at all [true].
    pub enabled: bool,
    /// The question whose answer is the e-mail (matched like `field_mapping.questions_and_answers`:
    /// exactly, else as whole words); `null` = the first answer that is an e-mail address.
    #[serde(with = "opt_string")]
    pub email_question: Option<String>,
    /// Question -> Brevo attribute for routing form answers, matched first; the booking
    /// mapping `field_mapping.questions_and_answers` applies to the answers too.
    pub questions_and_answers: BTreeMap<String, String>,
    /// The Brevo list leads from routing forms are added to [none].
    pub list_id: Option<u64>,
    /// The Brevo event sent for each submission [routing_form_submitted]; `""` = none.
    #[serde(deserialize_with = "lenient_string")]
    pub brevo_event: String,
}

impl Default for RoutingFormSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            email_question: None,
            questions_and_answers: BTreeMap::new(),
            list_id: None,
            brevo_event: "routing_form_submitted".into(),
        }
    }
}
