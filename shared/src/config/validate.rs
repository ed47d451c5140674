//! Semantic checks that types alone cannot express, and the per-binary secret requirements.
//!
//! [`Settings::validate`] runs on every load; [`Settings::validate_for`] is called by each
//! binary with its [`Role`], because which secrets are required depends on who runs: ingest
//! needs the Calendly signing key, the worker runs in sandbox mode without provider
//! credentials, and so on.

use std::time::Duration;

use secrecy::SecretString;

use super::{ConfigError, Settings};

/// Which binary is validating the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `meetflow-ingest`: needs the webhook signing key(s).
    Ingest,
    /// `meetflow-worker`: provider credentials are optional but must come in complete sets.
    Worker,
    /// `meetflow-scheduler`.
    Scheduler,
    /// `meetflow-admin`: `serve` off loopback needs `admin.token`.
    Admin,
}

type Check = Result<(), ConfigError>;

/// Longest `connectors.zoom.sweep_window`.
const MAX_SWEEP_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);
/// Longest `connectors.zoom.report_wait`.
const MAX_REPORT_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

fn url(key: &str, value: &str, schemes: &[&str]) -> Check {
    let parsed = url::Url::parse(value)
        .map_err(|e| ConfigError::invalid(key, format!("invalid URL `{value}` ({e})")))?;
    if !schemes.contains(&parsed.scheme()) {
        return Err(ConfigError::invalid(
            key,
            format!("URL scheme must be one of {}", schemes.join(", ")),
        ));
    }
    Ok(())
}

fn positive(key: &str, d: Duration) -> Check {
    if d.is_zero() {
        return Err(ConfigError::invalid(key, "must be greater than zero"));
    }
    Ok(())
}

fn pair(a_key: &str, a: &Option<SecretString>, b_key: &str, b: &Option<SecretString>) -> Check {
    match (a.is_some(), b.is_some()) {
        (true, false) => Err(ConfigError::invalid(
            b_key,
            format!("required when {a_key} is set"),
        )),
        (false, true) => Err(ConfigError::invalid(
            a_key,
            format!("required when {b_key} is set"),
        )),
        _ => Ok(()),
    }
}

/// A region of national-format numbers: a known region reads a valid national number of that
/// country; an unknown code is refused here rather than making every number "invalid" at send
/// time. `""` = none.
fn region_code(key: &str, region: &str) -> Check {
    if region.is_empty() {
        return Ok(());
    }
    if let Err(crate::domain::PhoneError::UnknownRegion(_)) =
        crate::domain::PhoneNumber::parse("0", Some(region))
    {
        return Err(ConfigError::invalid(
            key,
            format!("unknown region `{region}` (use an ISO 3166-1 alpha-2 code such as TH)"),
        ));
    }
    Ok(())
}

/// A locale tag with locale data (see [`crate::locale::check`]).
fn locale(key: &str, tag: &str) -> Check {
    crate::locale::check(tag)
        .map(|_| ())
        .map_err(|e| ConfigError::invalid(key, e.to_string()))
}

/// Brevo event names under `prefix`; an empty name turns that event off.
fn event_names<'a>(
    prefix: &str,
    names: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Check {
    for (key, name) in names {
        let Some(name) = name else { continue };
        if !name.is_empty() && !is_brevo_event_name(name) {
            return Err(ConfigError::invalid(
                format!("{prefix}.{key}"),
                format!(
                    "`{name}` is not a Brevo event name: 1 to 255 of A-Z a-z 0-9 _ - \
                     (empty turns the event off)"
                ),
            ));
        }
    }
    Ok(())
}

/// Brevo's documented event name pattern, `^[A-Za-z0-9_-]{1,255}$`.
#[must_use]
pub fn is_brevo_event_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Settings {
    /// Checks every value's meaning (URLs, durations, limits, phone numbers); names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        crate::redis::Topology::parse(&self.redis.url)
            .map_err(|e| ConfigError::invalid("redis.url", e.to_string()))?;
        let ns = &self.redis.namespace;
        if ns.is_empty() || ns.contains(|c: char| c.is_whitespace() || c == '{' || c == '}') {
            return Err(ConfigError::invalid(
                "redis.namespace",
                "must be non-empty, without spaces or braces",
            ));
        }
        if let Some(tag) = crate::redis::Keys::family_tag_suffix(ns) {
            return Err(ConfigError::invalid(
                "redis.namespace",
                format!(
                    "must not end in `:{tag}` (the hash tag of a key family of a shorter namespace)"
                ),
            ));
        }
        if self.ingest.max_body_bytes == 0 {
            return Err(ConfigError::invalid(
                "ingest.max_body_bytes",
                "must be at least 1",
            ));
        }
        if let Some(endpoint) = &self.telemetry.otlp_endpoint {
            url("telemetry.otlp_endpoint", endpoint, &["http", "https"])?;
        }
        self.validate_connectors()?;
        self.validate_messaging()?;
        self.validate_queues()?;
        super::admin_tokens::validate(&self.admin)
    }

    fn validate_connectors(&self) -> Check {
        let cal = &self.connectors.calendly;
        positive("connectors.calendly.tolerance", cal.tolerance)?;
        positive("connectors.calendly.reconcile_every", cal.reconcile_every)?;
        positive(
            "connectors.calendly.reconcile_window.ahead",
            cal.reconcile_window.ahead,
        )?;
        let http = &["http", "https"];
        url("connectors.calendly.api_base_url", &cal.api_base_url, http)?;
        for (name, m) in &cal.event_mapping {
            self.validate_workflow(name, m)?;
        }
        let zoom = &self.connectors.zoom;
        url("connectors.zoom.api_base_url", &zoom.api_base_url, http)?;
        url("connectors.zoom.oauth_base_url", &zoom.oauth_base_url, http)?;
        if zoom.report_wait > MAX_REPORT_WAIT {
            return Err(ConfigError::invalid(
                "connectors.zoom.report_wait",
                "must be at most 7d (Zoom keeps a report missing for minutes to hours)",
            ));
        }
        if let Some(every) = zoom.sweep_every {
            positive("connectors.zoom.sweep_every", every)?;
            if zoom.sweep_window < every {
                return Err(ConfigError::invalid(
                    "connectors.zoom.sweep_window",
                    "must be at least connectors.zoom.sweep_every (a sweep must reach the previous one)",
                ));
            }
        }
        positive("connectors.zoom.sweep_window", zoom.sweep_window)?;
        if zoom.sweep_window > MAX_SWEEP_WINDOW {
            return Err(ConfigError::invalid(
                "connectors.zoom.sweep_window",
                "must be at most 30d (Zoom's reports span one month at most)",
            ));
        }
        Ok(())
    }

    /// One `event_mapping.<name>`: its URI, lists, offsets, locale and Brevo event names.
    fn validate_workflow(&self, name: &str, m: &super::EventMapping) -> Check {
        let key = format!("connectors.calendly.event_mapping.{name}");
        if !m.event_type_uri.trim().is_empty() {
            url(
                &format!("{key}.event_type_uri"),
                &m.event_type_uri,
                &["http", "https"],
            )?;
        }
        if m.list_id == Some(0) {
            return Err(ConfigError::invalid(
                format!("{key}.list_id"),
                "must be at least 1",
            ));
        }
        if let Some(i) = m.lists.iter().position(|l| *l == 0) {
            return Err(ConfigError::invalid(
                format!("{key}.lists[{i}]"),
                "must be at least 1",
            ));
        }
        for (i, d) in m.offsets.iter().flatten().enumerate() {
            positive(&format!("{key}.offsets[{i}]"), *d)?;
        }
        if let Some(Some(d)) = m.follow_up_after_end {
            positive(&format!("{key}.follow_up_after_end"), d)?;
        }
        if let Some(tag) = &m.locale {
            locale(&format!("{key}.locale"), tag)?;
        }
        if let Some(region) = m.default_region.as_deref().map(str::trim) {
            region_code(&format!("{key}.default_region"), region)?;
        }
        if let Some(d) = m.follow_up_max_lateness {
            positive(&format!("{key}.follow_up_max_lateness"), d)?;
        }
        let e = &m.brevo_events;
        event_names(
            &format!("{key}.brevo_events"),
            [
                ("booked", e.booked.as_deref()),
                ("cancelled", e.cancelled.as_deref()),
                ("rescheduled", e.rescheduled.as_deref()),
                ("no_show", e.no_show.as_deref()),
            ],
        )
    }

    fn validate_messaging(&self) -> Check {
        locale("sms.locale", &self.sms.locale)?;
        let http = &["http", "https"];
        url("brevo.base_url", &self.brevo.base_url, http)?;
        url("engagelab.base_url", &self.engagelab.base_url, http)?;
        if let Some(region) = self.sms.region() {
            region_code("sms.default_region", region)?;
        }
        for (template, params) in &self.engagelab.template_params {
            if let Some(unknown) = params
                .iter()
                .find(|p| !super::messaging::TEMPLATE_PARAMS.contains(&p.as_str()))
            {
                return Err(ConfigError::invalid(
                    format!("engagelab.template_params.{template}"),
                    format!(
                        "template parameter `{unknown}` is not one meetflow sends ({})",
                        super::messaging::TEMPLATE_PARAMS.join(", ")
                    ),
                ));
            }
        }
        if let Some(raw) = &self.engagelab.host_phone {
            crate::domain::PhoneNumber::parse(raw, None).map_err(|e| {
                ConfigError::invalid(
                    "engagelab.host_phone",
                    format!("{e} (use +<country code>...)"),
                )
            })?;
        }
        for (i, d) in self.reminders.offsets.iter().enumerate() {
            positive(&format!("reminders.offsets[{i}]"), *d)?;
        }
        positive(
            "reminders.follow_up_max_lateness",
            self.reminders.follow_up_max_lateness,
        )?;
        positive("engagement.win_back_after", self.engagement.win_back_after)?;
        positive("engagement.no_show_after", self.engagement.no_show_after)?;
        self.validate_brevo_event_names()
    }

    /// Brevo documents event names as `^[A-Za-z0-9_-]{1,255}$` and refuses others with 400;
    /// an empty name turns that event off.
    fn validate_brevo_event_names(&self) -> Check {
        let e = &self.engagement.brevo_events;
        event_names(
            "engagement.brevo_events",
            [
                ("booked", Some(e.booked.as_str())),
                ("cancelled", Some(e.cancelled.as_str())),
                ("rescheduled", Some(e.rescheduled.as_str())),
                ("no_show", Some(e.no_show.as_str())),
                ("attended", Some(e.attended.as_str())),
                ("ended", Some(e.ended.as_str())),
                ("sms_delivered", Some(e.sms_delivered.as_str())),
                ("sms_failed", Some(e.sms_failed.as_str())),
                ("recording_ready", Some(e.recording_ready.as_str())),
            ],
        )?;
        event_names(
            "connectors.calendly.routing_forms",
            [(
                "brevo_event",
                Some(self.connectors.calendly.routing_forms.brevo_event.as_str()),
            )],
        )
    }

    fn validate_queues(&self) -> Check {
        for name in self.queues.0.keys() {
            let q = self.queue(name);
            let key = |f: &str| format!("queues.{name}.{f}");
            if q.concurrency == 0 {
                return Err(ConfigError::invalid(
                    key("concurrency"),
                    "must be at least 1",
                ));
            }
            if q.lease < Duration::from_secs(1) {
                return Err(ConfigError::invalid(key("lease"), "must be at least 1s"));
            }
            if q.max_attempts == 0 {
                return Err(ConfigError::invalid(
                    key("max_attempts"),
                    "must be at least 1",
                ));
            }
            positive(&key("backoff.base"), q.backoff_base)?;
            if q.backoff_cap < q.backoff_base {
                return Err(ConfigError::invalid(
                    key("backoff.cap"),
                    "must be at least backoff.base",
                ));
            }
        }
        Ok(())
    }

    /// Checks what the binary `role` needs on top of [`Settings::validate`]; names the key.
    pub fn validate_for(&self, role: Role) -> Result<(), ConfigError> {
        self.validate()?;
        match role {
            Role::Ingest => {
                let cal = &self.connectors.calendly;
                let e = &self.engagelab;
                if e.callback_username.is_some() && e.callback_secret.is_none() {
                    return Err(ConfigError::invalid(
                        "engagelab.callback_secret",
                        "required when engagelab.callback_username is set (set ENGAGELAB_CALLBACK_SECRET)",
                    ));
                }
                if cal.signing_key.is_none() && !cal.allow_unsigned {
                    return Err(ConfigError::invalid(
                        "connectors.calendly.signing_key",
                        "required by meetflow-ingest (set CALENDLY_WEBHOOK_SIGNING_KEY, or allow_unsigned: true for local trials)",
                    ));
                }
                Ok(())
            }
            Role::Worker => {
                if self.engagement.no_show_detection.is_some()
                    && self.connectors.calendly.access_token.is_none()
                {
                    return Err(ConfigError::invalid(
                        "engagement.no_show_detection",
                        "needs connectors.calendly.access_token (CALENDLY_ACCESS_TOKEN) to mark no-shows in Calendly",
                    ));
                }
                let e = &self.engagelab;
                pair(
                    "engagelab.dev_key",
                    &e.dev_key,
                    "engagelab.dev_secret",
                    &e.dev_secret,
                )?;
                let z = &self.connectors.zoom;
                pair(
                    "connectors.zoom.client_id",
                    &z.client_id,
                    "connectors.zoom.client_secret",
                    &z.client_secret,
                )?;
                pair(
                    "connectors.zoom.client_id",
                    &z.client_id,
                    "connectors.zoom.account_id",
                    &z.account_id,
                )
            }
            Role::Scheduler => Ok(()),
            Role::Admin => {
                let no_token = self.admin.token.is_none() && self.admin.tokens.is_empty();
                if no_token && !self.admin.listen.ip().is_loopback() {
                    return Err(ConfigError::invalid(
                        "admin.token",
                        "required when admin.listen is not a loopback address (set MEETFLOW_ADMIN_TOKEN)",
                    ));
                }
                Ok(())
            }
        }
    }
}
