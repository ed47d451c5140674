//! What the webhook server needs from the shared [`Settings`], plus its fixed time limits.
//!
//! Kept separate from `Settings` so tests can shorten a limit without writing YAML, and so the
//! secrets are turned into keyed verifiers once, at start.

use std::net::SocketAddr;
use std::time::Duration;

use meetflow_shared::config::{DeliveryLogSettings, Settings};
use secrecy::ExposeSecret;

use crate::signature::{CalendlyVerifier, EngageLabVerifier, ZoomVerifier};

/// Time limits of one webhook request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A connection must deliver a complete request head within this; an idle keep-alive
    /// connection is closed after it too.
    pub header_read: Duration,
    /// The body must arrive within this once the head is read (408 otherwise).
    pub body_read: Duration,
    /// Everything after the head (body, verification, enqueue) finishes within this; when the
    /// enqueue cannot complete in what is left, the answer is 503. Both providers give up after
    /// about 3 s, so the default 1.5 s leaves room for the network.
    pub request_budget: Duration,
    /// After the stop signal, requests in flight get this long to finish.
    pub shutdown_grace: Duration,
    /// At most one warning per provider in this window for rejected signatures (the rest are
    /// counted in the next warning and in `meetflow_ingest_signature_failures_total`).
    pub signature_warn_every: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(3),
            body_read: Duration::from_secs(1),
            request_budget: Duration::from_millis(1500),
            shutdown_grace: Duration::from_secs(20),
            signature_warn_every: meetflow_shared::telemetry::warn_limit::DEFAULT_WINDOW,
        }
    }
}

/// Everything the webhook server runs with.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Address to bind (`ingest.listen`; port 0 picks one).
    pub listen: SocketAddr,
    /// Largest accepted body (`ingest.max_body_bytes`).
    pub max_body_bytes: usize,
    /// `redis.url`.
    pub redis_url: String,
    /// `redis.namespace`.
    pub namespace: String,
    /// Calendly signing key, window and `allow_unsigned`.
    pub calendly: CalendlyVerifier,
    /// Zoom secret token and window.
    pub zoom: ZoomVerifier,
    /// EngageLab callback secret, username and window (`connectors.calendly.tolerance`).
    pub engagelab: EngageLabVerifier,
    /// Time limits.
    pub limits: Limits,
    /// De-duplicate redeliveries (the job id is the delivery identity). No flag or configuration
    /// key turns this off; only the load-test server of the tests crate does, through the library
    /// (`meetflow-tests`' `ingest-load-server`): then every request becomes a job with a fresh id.
    pub dedupe: bool,
    /// `redis.wait_replicas`: a 200 only once this many replicas confirmed the job.
    pub wait_replicas: u32,
    /// `ingest.delivery_log`: how long and how much of every delivery is kept for operators.
    pub delivery_log: DeliveryLogSettings,
    /// `sms.default_region`: reads national phone numbers for the delivery log's person index.
    pub default_region: Option<String>,
}

impl IngestConfig {
    /// Reads the keys ingest uses. Zoom has no window of its own in the contract; it uses
    /// `connectors.calendly.tolerance` too.
    #[must_use]
    pub fn from_settings(settings: &Settings) -> Self {
        let cal = &settings.connectors.calendly;
        let zoom = &settings.connectors.zoom;
        Self {
            listen: settings.ingest.listen,
            max_body_bytes: settings.ingest.max_body_bytes,
            redis_url: settings.redis.url.clone(),
            namespace: settings.redis.namespace.clone(),
            calendly: CalendlyVerifier::new(
                cal.signing_key.as_ref().map(|k| k.expose_secret()),
                cal.tolerance,
                cal.allow_unsigned,
            ),
            zoom: ZoomVerifier::new(
                zoom.webhook_secret.as_ref().map(|k| k.expose_secret()),
                cal.tolerance,
            ),
            engagelab: EngageLabVerifier::new(
                settings
                    .engagelab
                    .callback_secret
                    .as_ref()
                    .map(|k| k.expose_secret()),
                settings.engagelab.callback_username.as_deref(),
                cal.tolerance,
            )
            .with_authorization(
                settings
                    .engagelab
                    .callback_authorization
                    .as_ref()
                    .map(|k| k.expose_secret()),
            ),
            limits: Limits::default(),
            dedupe: true,
            wait_replicas: settings.redis.wait_replicas,
            delivery_log: settings.ingest.delivery_log.clone(),
            default_region: settings.sms.default_region.clone(),
        }
    }

    /// Logs what an operator must know about this configuration (never a secret).
    pub fn warn_about_risks(&self) {
        if self.calendly.allows_unsigned() {
            tracing::warn!(
                "connectors.calendly.allow_unsigned is true: Calendly deliveries without a signature are accepted"
            );
        }
        if !self.calendly.has_key() && !self.calendly.allows_unsigned() {
            tracing::warn!(
                "connectors.calendly.signing_key is unset: POST /webhooks/calendly answers 401"
            );
        }
        if !self.zoom.has_secret() {
            tracing::warn!(
                "connectors.zoom.webhook_secret is unset: POST /webhooks/zoom answers 401"
            );
        }
        if self.engagelab.is_on() {
            tracing::info!("EngageLab delivery callbacks on: POST /webhooks/engagelab");
        } else {
            tracing::info!(
                "engagelab.callback_secret and engagelab.callback_authorization are unset: POST /webhooks/engagelab answers 404 (no delivery receipts)"
            );
        }
        if !self.dedupe {
            tracing::warn!(
                "de-duplication is OFF (load-test server): every redelivery becomes a new job"
            );
        }
    }
}
