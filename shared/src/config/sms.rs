//! `sms:` — how invitee numbers are read before any SMS is planned, and where opt-outs come from
//! besides the operator's suppression list ([`crate::sms_suppression`]): Brevo (an attribute, a
//! list, its own SMS blacklist), EngageLab's delivery callbacks, and a Calendly consent question.

use serde::{Deserialize, Serialize};

use super::values::opt_string;
use crate::sms_suppression::Scope;

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
    /// `sms.opt_out`: opt-outs read from Brevo and EngageLab.
    pub opt_out: OptOutSettings,
    /// `sms.consent`: the Calendly consent question of event types whose mapping sets none.
    pub consent: Option<ConsentQuestion>,
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
            opt_out: OptOutSettings::default(),
            consent: None,
            phone_sources: vec![PhoneSource::TextReminderNumber, PhoneSource::Questions],
            phone_question: None,
        }
    }
}

/// `sms.opt_out`: opt-outs meetflow reads from the providers into the suppression list (each
/// entry recorded with its source). When one of the three Brevo sources is set, the contact is
/// read right before every SMS it could stop (`GET /v3/contacts/{email}`, on the
/// `brevo.rate_limits.contacts` budget), so an opt-out made in Brevo holds from the next send;
/// when that read fails, the entries of the last read stand. EngageLab's are taken from its
/// delivery callbacks as they arrive.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OptOutSettings {
    /// Which SMS an opt-out from Brevo or EngageLab stops: `all` or `marketing` (win-back,
    /// no-show apology, follow-up) [all].
    pub scope: Scope,
    /// A Brevo contact attribute meaning "no SMS" (e.g. `SMS_OPT_OUT`): true, `"true"`, `"yes"`
    /// or `1` suppresses the contact's e-mail [none].
    #[serde(with = "opt_string")]
    pub brevo_attribute: Option<String>,
    /// A Brevo list whose members get no SMS [none].
    pub brevo_list_id: Option<u64>,
    /// Brevo's own SMS blacklist (`smsBlacklisted` of the contact) stops SMS [false].
    pub brevo_blacklist: bool,
    /// EngageLab callback error codes meaning the number unsubscribed: a status row with one of
    /// them suppresses its `to` [5019].
    pub engagelab_codes: Vec<i64>,
}

impl Default for OptOutSettings {
    fn default() -> Self {
        Self {
            scope: Scope::All,
            brevo_attribute: None,
            brevo_list_id: None,
            brevo_blacklist: false,
            engagelab_codes: vec![5019],
        }
    }
}

impl OptOutSettings {
    /// Whether any Brevo source is set (then each governed SMS reads the contact).
    #[must_use]
    pub fn reads_brevo(&self) -> bool {
        self.brevo_attribute.is_some() || self.brevo_list_id.is_some() || self.brevo_blacklist
    }
}

/// A Calendly booking question asking for SMS consent (`sms.consent`, or
/// `event_mapping.<name>.sms_consent`): an invitee whose answer is not one of `accepted` (or who
/// left it unanswered) is suppressed for `scope`; one who accepts is taken off again (only what
/// this source put there).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentQuestion {
    /// The question, matched like `field_mapping.questions_and_answers` keys (equal ignoring
    /// case, else as whole words).
    pub question: String,
    /// Answers that give consent, compared ignoring case and surrounding spaces; a multi-line
    /// answer (checkboxes) consents when one of its lines does [`["yes"]`].
    #[serde(default = "default_accepted", deserialize_with = "answers")]
    pub accepted: Vec<String>,
    /// Which SMS a missing consent stops: `all` or `marketing` [all].
    #[serde(default = "default_scope")]
    pub scope: Scope,
}

/// The accepted answers: texts, numbers as written, and an unquoted YAML `yes`/`no` (read as a
/// boolean) as `yes`/`no`.
fn answers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Answer {
        B(bool),
        S(#[serde(deserialize_with = "super::values::lenient_string")] String),
    }
    Ok(Vec::<Answer>::deserialize(d)?
        .into_iter()
        .map(|a| match a {
            Answer::B(true) => "yes".to_owned(),
            Answer::B(false) => "no".to_owned(),
            Answer::S(s) => s,
        })
        .collect())
}

fn default_accepted() -> Vec<String> {
    vec!["yes".to_owned()]
}

fn default_scope() -> Scope {
    Scope::All
}

impl ConsentQuestion {
    /// Whether `answer` (absent = unanswered) gives consent.
    #[must_use]
    pub fn consents(&self, answer: Option<&str>) -> bool {
        let Some(answer) = answer else { return false };
        answer.lines().chain(std::iter::once(answer)).any(|line| {
            let line = line.trim();
            self.accepted
                .iter()
                .any(|a| a.trim().to_lowercase() == line.to_lowercase())
        })
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Settings;

    #[test]
    fn opt_out_and_consent_keys_load_and_a_mapping_overrides_the_global_question() {
        let yaml = "sms:\n  opt_out: { scope: marketing, brevo_attribute: SMS_OPT_OUT, brevo_list_id: 42, brevo_blacklist: true, engagelab_codes: [5019, 5013] }\n  consent: { question: I agree to receive SMS }\n\
                    connectors:\n  calendly:\n    event_mapping:\n      demo: { sms_consent: { question: Texts OK?, accepted: [Yes, Oui], scope: marketing } }\n      other: { list_id: 3 }\n";
        let s = Settings::from_yaml_str(yaml, &|_| None).unwrap();
        let oo = &s.sms.opt_out;
        assert_eq!(oo.scope, Scope::Marketing);
        assert_eq!(oo.brevo_attribute.as_deref(), Some("SMS_OPT_OUT"));
        assert_eq!(oo.brevo_list_id, Some(42));
        assert!(oo.brevo_blacklist && oo.reads_brevo());
        assert_eq!(oo.engagelab_codes, [5019, 5013]);
        let global = s.workflow(None, Some("Unmapped")).sms_consent.unwrap();
        assert_eq!(global.question, "I agree to receive SMS");
        assert_eq!(global.accepted, ["yes"]);
        assert_eq!(global.scope, Scope::All);
        let demo = s.workflow(None, Some("Demo")).sms_consent.unwrap();
        assert_eq!(demo.question, "Texts OK?");
        assert_eq!(demo.scope, Scope::Marketing);
        assert_eq!(
            s.workflow(None, Some("Other"))
                .sms_consent
                .unwrap()
                .question,
            "I agree to receive SMS",
            "a mapping without its own question takes the global one"
        );
        let defaults = Settings::from_yaml_str("{}", &|_| None).unwrap();
        assert!(!defaults.sms.opt_out.reads_brevo());
        assert_eq!(defaults.sms.opt_out.engagelab_codes, [5019]);
        assert!(defaults.sms.consent.is_none());
        let bad = Settings::from_yaml_str("sms: { opt_out: { scope: some } }", &|_| None);
        assert!(bad.is_err(), "an unknown scope is refused");
        let bad = Settings::from_yaml_str("sms: { opt_out: { brevo_lists: 1 } }", &|_| None);
        assert!(bad.is_err(), "an unknown key is refused");
    }

    #[test]
    fn consent_is_one_accepted_answer_ignoring_case_spaces_and_other_lines() {
        let q = ConsentQuestion {
            question: "SMS?".into(),
            accepted: vec!["Yes".into(), "I agree to receive SMS".into()],
            scope: Scope::All,
        };
        assert!(q.consents(Some(" yes ")));
        assert!(q.consents(Some("Newsletter\nI agree to receive SMS")));
        assert!(!q.consents(Some("No")));
        assert!(!q.consents(Some("yes please")));
        assert!(!q.consents(None));
    }
}
