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
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            default_region: None,
            locale: crate::locale::DEFAULT_LOCALE.to_owned(),
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
