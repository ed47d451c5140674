//! `sms:` — how invitee numbers are read before any SMS is planned.

use serde::{Deserialize, Serialize};

/// `sms:` settings (see `config/meetflow.example.yaml`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    /// `sms.default_region`: ISO 3166-1 alpha-2 code (e.g. `TH`) used for numbers written in
    /// national format ("081 234 5678"); `null` accepts only numbers with `+<country code>`.
    pub default_region: Option<String>,
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
