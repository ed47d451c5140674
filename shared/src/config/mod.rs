//! One typed configuration for every binary, validated at start.
//!
//! Why one module: every binary reads the same YAML file (every key in `config/meetflow.example.yaml`),
//! and a typo or a bad value must stop the process at start with the key named, never
//! surface mid-request. The pipeline:
//!
//! 1. read the file (`--config PATH` or `MEETFLOW_CONFIG`; with neither, built-in defaults);
//! 2. substitute `${VAR}` / `${VAR:-default}` from the environment ([`source::substitute`]);
//! 3. parse YAML into a generic tree;
//! 4. apply `MEETFLOW__A__B=value` overrides (value parsed as a YAML scalar);
//! 5. deserialize into [`Settings`] (unknown keys are errors, reported with their full path);
//! 6. [`Settings::validate`] the semantics; each binary then calls
//!    [`Settings::validate_for`] with its [`Role`] for the secrets it needs.
//!
//! Secrets are `SecretString`: `Debug` prints `[REDACTED]` and serialization prints `***`
//! (or `(unset)`), so [`Settings::redacted_yaml`] is safe to print.

mod admin_tokens;
#[cfg(test)]
mod admin_tokens_tests;
mod connectors;
mod error;
#[cfg(test)]
mod event_name_tests;
mod infra;
mod messaging;
mod no_show;
mod routing_forms;
mod sms;
pub mod source;
#[cfg(test)]
mod tests;
mod validate;
mod values;
mod workflow;
#[cfg(test)]
mod workflow_tests;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use connectors::{
    CalendlySettings, ConnectorsSettings, EventMapping, FieldMapping, ReconcileWindow,
    StatusValues, TrackingMapping, ZoomFieldMapping, ZoomLists, ZoomRateLimits, ZoomSettings,
};
pub use error::ConfigError;
pub use infra::{
    ADMIN_TOKEN_NAME, AdminRole, AdminSettings, AdminToken, BackoffSpec, DeliveryLogSettings,
    IngestSettings, OpsSettings, QueueSpec, QueuesSettings, RedisSettings, TelemetrySettings,
    redact_url,
};
pub use messaging::{
    BrevoEvents, BrevoRateLimits, BrevoSettings, EngagelabSettings, EngagementSettings,
    RemindersSettings, SmsTemplates, TEMPLATE_PARAMS,
};
pub use no_show::NoShowDetection;
pub use routing_forms::RoutingFormSettings;
pub use sms::{ConsentQuestion, OptOutSettings, PhoneSource, SmsSettings};
pub use validate::{Role, is_brevo_event_name};
pub use values::{QuietHours, RateLimit, parse_duration};
pub use workflow::{EventOverrides, TemplateOverrides, Workflow, name_words};

use crate::queue::QueueSettings;

/// Environment variable naming the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "MEETFLOW_CONFIG";

/// The whole configuration (every key in `config/meetflow.example.yaml`); every field has a default.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `redis:`.
    pub redis: RedisSettings,
    /// `ingest:`.
    pub ingest: IngestSettings,
    /// `ops:`.
    pub ops: OpsSettings,
    /// `connectors:`.
    pub connectors: ConnectorsSettings,
    /// `brevo:`.
    pub brevo: BrevoSettings,
    /// `engagelab:`.
    pub engagelab: EngagelabSettings,
    /// `sms:`.
    pub sms: SmsSettings,
    /// `reminders:`.
    pub reminders: RemindersSettings,
    /// `engagement:`.
    pub engagement: EngagementSettings,
    /// `queues:`.
    pub queues: QueuesSettings,
    /// `admin:`.
    pub admin: AdminSettings,
    /// `telemetry:`.
    pub telemetry: TelemetrySettings,
}

/// Built-in concurrency of the `sync` queue (backfill slices: more at once only share Calendly's
/// one pace thinner).
pub const SYNC_CONCURRENCY: usize = 2;
/// Longest a backfill slice may run (a day of a busy calendar at Calendly's pace).
pub const SYNC_JOB_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3600);

impl Settings {
    /// Loads the process's configuration: the file at `path`, else at `$MEETFLOW_CONFIG`, else
    /// built-in defaults; then `${VAR}` substitution and `MEETFLOW__` overrides from the process
    /// environment; then [`Settings::validate`].
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        let from_env = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty());
        let path = path
            .map(Path::to_path_buf)
            .or_else(|| from_env.map(Into::into));
        let text = match &path {
            Some(p) => std::fs::read_to_string(p).map_err(|io| ConfigError::Read {
                path: p.clone(),
                io,
            })?,
            None => String::new(),
        };
        let lookup = |name: &str| std::env::var(name).ok();
        let overrides: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with(source::OVERRIDE_PREFIX))
            .collect();
        Self::build(&text, &lookup, overrides)
    }

    /// Parses `yaml` with `env` as the environment (for tests: never touch the process env).
    ///
    /// Overrides are found by asking `env` for `MEETFLOW__<PATH>` for every key present in the
    /// file or in the defaults (so a new map entry, e.g. a queue absent from both, cannot be
    /// created this way; [`Settings::load`] sees every `MEETFLOW__` variable).
    pub fn from_yaml_str(
        yaml: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let text = source::substitute(yaml, env)?;
        let tree = source::parse_tree(&text)?;
        let defaults = serde_json::to_value(Settings::default())
            .map_err(|e| ConfigError::invalid("(defaults)", e.to_string()))?;
        let mut known = source::candidate_vars(&[&tree, &defaults]);
        for q in ["events", "brevo", "sms", "zoom"] {
            for field in [
                "CONCURRENCY",
                "LEASE",
                "MAX_ATTEMPTS",
                "BACKOFF__BASE",
                "BACKOFF__CAP",
            ] {
                known.push(format!(
                    "{}QUEUES__{}__{field}",
                    source::OVERRIDE_PREFIX,
                    q.to_uppercase()
                ));
            }
        }
        let overrides = known
            .into_iter()
            .filter_map(|k| env(&k).map(|v| (k, v)))
            .collect();
        Self::build(yaml, env, overrides)
    }

    fn build(
        yaml: &str,
        env: &dyn Fn(&str) -> Option<String>,
        overrides: Vec<(String, String)>,
    ) -> Result<Settings, ConfigError> {
        let text = source::substitute(yaml, env)?;
        let mut tree = source::parse_tree(&text)?;
        source::apply_overrides(&mut tree, &overrides)?;
        let settings: Settings = serde_path_to_error::deserialize(tree).map_err(|e| {
            let key = e.path().to_string();
            let message = error::one_line(&shorten(&e.into_inner().to_string()));
            ConfigError::invalid(
                if key == "." {
                    "(top level)".into()
                } else {
                    key
                },
                message,
            )
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// The run settings of queue `name`: `queues.<name>` over `queues.default` over the
    /// built-in defaults.
    pub fn queue(&self, name: &str) -> QueueSettings {
        let spec = self.queues.effective(name);
        let mut base = QueueSettings::default();
        if name == crate::jobs::SYNC {
            // A backfill slice lists a whole day through Calendly's one shared pace, and a busy
            // day takes minutes (16 slices of 200 bookings at once overran the 5-minute timeout
            // and started over, again and again); the built-in `queues.sync` runs two at a time.
            base.job_timeout = SYNC_JOB_TIMEOUT;
        }
        let backoff = spec.backoff.unwrap_or_default();
        QueueSettings {
            concurrency: spec.concurrency.unwrap_or(base.concurrency),
            lease: spec.lease.unwrap_or(base.lease),
            max_attempts: spec.max_attempts.unwrap_or(base.max_attempts),
            backoff_base: backoff.base.unwrap_or(base.backoff_base),
            backoff_cap: backoff.cap.unwrap_or(base.backoff_cap),
            dead_max_count: spec.dead_letter_cap.unwrap_or(base.dead_max_count),
            ..base
        }
    }

    /// The effective settings as YAML, every secret shown as `***` or `(unset)`.
    pub fn redacted_yaml(&self) -> String {
        serde_saphyr::to_string(self).unwrap_or_else(|e| {
            format!(
                "# cannot render settings: {}\n",
                error::one_line(&e.to_string())
            )
        })
    }
}

/// serde's unknown-field message lists every valid key; keep it but make it read as one phrase.
fn shorten(message: &str) -> String {
    match message.strip_prefix("unknown field `") {
        Some(rest) => match rest.split_once("`, expected ") {
            Some((_, expected)) => format!("unknown field (expected {expected})"),
            None => "unknown field".to_owned(),
        },
        None => message.to_owned(),
    }
}
