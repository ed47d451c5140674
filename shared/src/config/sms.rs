//! `sms:` — how invitee numbers are read before any SMS is planned.

use serde::{Deserialize, Serialize};

/// `sms:` settings (see `config/meetflow.example.yaml`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    /// `sms.default_region`: ISO 3166-1 alpha-2 code (e.g. `TH`) used for numbers written in
    /// national format ("081 234 5678"); `null` accepts only numbers with `+<country code>`.
    pub default_region: Option<String>,
    /// `sms.locale`: BCP 47 tag of dates, times and `advance` in SMS [en]; a workflow's
    /// `locale` overrides it. `-u-hc-h12` / `-u-hc-h23` force the 12- or 24-hour clock.
    pub locale: String,
    /// `sms.phone_sources`: where the invitee's SMS number is looked for, in order; the first
    /// usable number is used [text_reminder_number, questions]. A workflow's `phone_sources`
    /// overrides it.
    pub phone_sources: Vec<PhoneSource>,
    /// `sms.phone_question`: the booking question whose answer is the number (matched like
    /// `field_mapping.questions_and_answers`); `null` = the questions mapped to `SMS` there.
    #[serde(with = "super::values::opt_string")]
    pub phone_question: Option<String>,
}

/// One place an invitee's SMS number can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneSource {
    /// Calendly's `text_reminder_number` ("text me reminders").
    TextReminderNumber,
    /// A booking question's answer (`sms.phone_question`, else the questions mapped to `SMS`).
    Questions,
    /// The `SMS` attribute of the invitee's Brevo contact (one `GET /contacts/{email}`).
    Brevo,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            default_region: None,
            locale: crate::locale::DEFAULT_LOCALE.to_owned(),
            phone_sources: vec![PhoneSource::TextReminderNumber, PhoneSource::Questions],
            phone_question: None,
        }
    }
}

impl SmsSettings {
    /// The region to read national-format numbers with, upper-cased.
    pub fn region(&self) -> Option<&str> {
        self.default_region
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
    }
}
