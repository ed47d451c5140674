//! What every handler shares: the settings, the Redis handle, the queue client, the bookings store
//! and one client per provider with its rate limiter (shared across replicas through Redis).

use std::sync::Arc;
use std::time::Duration;

use meetflow_shared::bookings::{Bookings, Engagement};
use meetflow_shared::config::{RateLimit, Settings};
use meetflow_shared::providers::ProviderError;
use meetflow_shared::providers::brevo::BrevoClient;
use meetflow_shared::providers::calendly_api::CalendlyClient;
use meetflow_shared::providers::call_limit::CallLimit;
use meetflow_shared::providers::engagelab::EngageLabClient;
use meetflow_shared::providers::rate_limit::RateLimiter;
use meetflow_shared::providers::zoom_api::ZoomClient;
use meetflow_shared::queue::{ErrorClass, JobError, LeaseGate, QueueClient};
use meetflow_shared::redis::Redis;
use secrecy::SecretString;
use url::Url;

use crate::queues::{brevo_access, engagelab_access, zoom_access};

/// Knobs of a worker process that are not configuration keys (tests shorten them).
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Timeout of every provider call [10 s].
    pub http_timeout: Duration,
    /// Longest wait for a rate-limit slot inside a job; a longer one gives the job back to the
    /// queue without spending an attempt [1 s].
    pub rate_limit_wait: Duration,
    /// How long in-flight jobs may run after the stop signal [25 s].
    pub grace: Duration,
    /// How often queue depths are exported to `/metrics` [5 s].
    pub stats_every: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            http_timeout: Duration::from_secs(10),
            rate_limit_wait: Duration::from_secs(1),
            grace: meetflow_shared::shutdown::DEFAULT_GRACE,
            stats_every: Duration::from_secs(5),
        }
    }
}

/// A provider client and the limiter every call to it goes through.
#[derive(Debug, Clone)]
pub(crate) struct Limited<C> {
    pub(crate) client: C,
    pub(crate) limiter: RateLimiter,
}

/// Shared state of the handlers of one process.
#[derive(Debug)]
pub(crate) struct Worker {
    pub(crate) settings: Settings,
    /// The Redis handle the worker's own keys (markers, links, meeting contacts, minutes) and
    /// every store use.
    pub(crate) redis: Redis,
    pub(crate) client: QueueClient,
    pub(crate) bookings: Bookings,
    /// Brevo, limited by the `/contacts` budget (`brevo.rate_limits.contacts`).
    pub(crate) brevo: Option<Limited<BrevoClient>>,
    /// The budget of Brevo's `POST /events` (`brevo.rate_limits.events`), apart from contacts so
    /// a contact backlog never holds events back.
    pub(crate) brevo_events: Option<RateLimiter>,
    pub(crate) engagelab: Option<Limited<EngageLabClient>>,
    pub(crate) zoom: Option<ZoomClient>,
    /// The Calendly API, when `connectors.calendly.access_token` is set: single-use booking
    /// links for the engagement SMS.
    pub(crate) calendly: Option<CalendlyClient>,
    pub(crate) options: WorkerOptions,
}

/// Placeholder credential sent to a local sandbox, which accepts any.
const SANDBOX_KEY: &str = "sandbox";

fn url(key: &str, raw: &str) -> Result<Url, ProviderError> {
    Url::parse(raw).map_err(|e| {
        ProviderError::new(
            meetflow_shared::providers::Provider::Brevo,
            "configure",
            ErrorClass::Config,
            format!("{key}: {e}"),
        )
    })
}

/// Limiter name of Brevo's `/contacts` budget (the name the single Brevo budget had, so replicas
/// of an older release share it during a rolling upgrade).
const BREVO_CONTACTS: &str = "brevo";
/// Limiter name of Brevo's `POST /events` budget.
const BREVO_EVENTS: &str = "brevo_events";

fn limiter(redis: &Redis, name: &str, rate: RateLimit) -> RateLimiter {
    RateLimiter::new(redis, name, rate.count, rate.per)
}

fn secret(v: &Option<SecretString>) -> SecretString {
    v.clone()
        .unwrap_or_else(|| SecretString::from(SANDBOX_KEY.to_owned()))
}

impl Worker {
    /// The lease gate of `queue`: SMS jobs each make one EngageLab call, so the SMS queue leases
    /// only what EngageLab's shared limit serves within `rate_limit_wait` and reserves those
    /// slots as it leases ([`LeaseGate`]). A `brevo` job's first call spends one of two budgets
    /// (`/contacts` or `/events`, by its kind: [`crate::brevo::sync::budget`]), so that queue's
    /// gate keeps a run per budget. Other queues' jobs make several calls on several budgets (or
    /// none) and ask the limiter per call.
    pub(crate) fn lease_gate(&self, queue: &str) -> Option<LeaseGate> {
        let window = self.options.rate_limit_wait;
        match queue {
            meetflow_shared::jobs::SMS => self
                .engagelab
                .as_ref()
                .map(|e| LeaseGate::new(e.limiter.clone(), window)),
            meetflow_shared::jobs::BREVO => {
                use crate::brevo::sync::{CONTACTS_BUDGET, EVENTS_BUDGET, budget};
                const { assert!(CONTACTS_BUDGET == 0 && EVENTS_BUDGET == 1) };
                let budgets = vec![
                    self.brevo.as_ref()?.limiter.clone(),
                    self.brevo_events.clone()?,
                ];
                Some(LeaseGate::per_budget(budgets, window, Arc::new(budget)))
            }
            _ => None,
        }
    }

    /// Builds the clients of every provider that can be reached (see [`crate::queues`]).
    pub(crate) fn new(
        settings: Settings,
        client: QueueClient,
        options: WorkerOptions,
    ) -> Result<Self, ProviderError> {
        let timeout = options.http_timeout;
        let redis = client.handle().clone();
        let brevo = if brevo_access(&settings).usable() {
            Some(Limited {
                client: BrevoClient::new(
                    url("brevo.base_url", &settings.brevo.base_url)?,
                    secret(&settings.brevo.api_key),
                    timeout,
                )?,
                limiter: limiter(&redis, BREVO_CONTACTS, settings.brevo.contacts_rate()),
            })
        } else {
            None
        };
        let brevo_events = brevo
            .as_ref()
            .map(|_| limiter(&redis, BREVO_EVENTS, settings.brevo.events_rate()));
        let e = &settings.engagelab;
        let engagelab = if engagelab_access(&settings).usable() {
            Some(Limited {
                client: EngageLabClient::new(
                    url("engagelab.base_url", &e.base_url)?,
                    secret(&e.dev_key),
                    secret(&e.dev_secret),
                    timeout,
                )?,
                limiter: limiter(&redis, "engagelab", e.rate_limit),
            })
        } else {
            None
        };
        let zoom = if zoom_access(&settings).usable() {
            ZoomClient::from_settings(
                &settings.connectors.zoom,
                &redis,
                timeout,
                options.rate_limit_wait,
            )?
        } else {
            None
        };
        let cal = &settings.connectors.calendly;
        let calendly = match &cal.access_token {
            Some(token) => Some(
                CalendlyClient::new(
                    url("connectors.calendly.api_base_url", &cal.api_base_url)?,
                    token.clone(),
                    timeout,
                )?
                .with_limit(CallLimit::new(
                    limiter(&redis, "calendly", cal.rate_limit),
                    options.rate_limit_wait,
                )),
            ),
            None => None,
        };
        let bookings = Bookings::new(redis.clone(), settings.reminders.clone())
            .with_engagement(Engagement::from_settings(&settings))
            .with_workflows(&settings);
        Ok(Self {
            settings,
            redis,
            client,
            bookings,
            brevo,
            brevo_events,
            engagelab,
            zoom,
            calendly,
            options,
        })
    }

    /// The Brevo client, or a permanent `config` failure when Brevo is not configured.
    pub(crate) fn brevo(&self) -> Result<&Limited<BrevoClient>, JobError> {
        self.brevo.as_ref().ok_or_else(|| not_configured("brevo"))
    }

    /// The EngageLab client, or a permanent `config` failure.
    pub(crate) fn engagelab(&self) -> Result<&Limited<EngageLabClient>, JobError> {
        self.engagelab
            .as_ref()
            .ok_or_else(|| not_configured("engagelab"))
    }

    /// The Zoom client, or a permanent `config` failure.
    pub(crate) fn zoom(&self) -> Result<&ZoomClient, JobError> {
        self.zoom.as_ref().ok_or_else(|| not_configured("zoom"))
    }
}

fn not_configured(provider: &str) -> JobError {
    JobError::permanent(
        ErrorClass::Config,
        format!("{provider} is not configured in this worker (credentials missing)"),
    )
}
