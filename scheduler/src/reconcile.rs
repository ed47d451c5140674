//! The periodic Calendly reconciliation ("hybrid" sync): missed or failed webhooks heal
//! themselves.
//!
//! Each run (one replica per tick, see [`crate::periodic`]): find the organization (or, when the
//! token may not list organization events, the user) with `GET /users/me`; list the scheduled
//! events starting in `[now - 24 h, now + 60 days]` (all pages) and their invitees; then
//! - an active invitee meetflow has never seen gets the `invitee.created` it missed,
//! - a canceled invitee whose booking meetflow still holds as active gets the
//!   `invitee.canceled` it missed (so no reminder goes out for a cancelled meeting),
//!
//! both as rebuilt deliveries on the `events` queue ([`crate::synthetic`]). It also reads the
//! webhook subscriptions and exports `meetflow_calendly_webhook_subscriptions{state}`, warning
//! when Calendly has disabled one (after 24 h of failed deliveries). Calendly allows 500
//! requests per user per minute; calls are sequential, and a 429 waits for its reset.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use meetflow_shared::bookings::{BookingError, BookingKey, BookingStatus, Bookings};
use meetflow_shared::config::CalendlySettings;
use meetflow_shared::events::calendly::{INVITEE_CANCELED, INVITEE_CREATED};
use meetflow_shared::events::{Invitee, ScheduledEvent};
use meetflow_shared::jobs::EVENTS;
use meetflow_shared::providers::ProviderError;
use meetflow_shared::providers::calendly_api::{CalendlyClient, CalendlyUser, EventsQuery, Scope};
use meetflow_shared::queue::{ErrorClass, NewJob, QueueClient, QueueError};
use metrics::{counter, gauge};

use crate::synthetic::webhook_job;

/// How far back the window reaches: meetings of the last day still get their Brevo sync and
/// follow-up.
const WINDOW_BACK: Duration = Duration::from_secs(24 * 3600);
/// How far ahead the window reaches; later bookings are healed once they come within it.
const WINDOW_AHEAD: Duration = Duration::from_secs(60 * 24 * 3600);
/// Timeout of every Calendly call.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest 429 wait honoured in place; longer ones fail this run (the next tick retries).
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(90);

/// A reconciliation run failed.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// `connectors.calendly` cannot be used (bad URL or token).
    #[error("connectors.calendly: {0}")]
    Config(String),
    /// A Calendly call failed.
    #[error(transparent)]
    Calendly(#[from] ProviderError),
    /// The bookings store failed.
    #[error(transparent)]
    Bookings(#[from] BookingError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// What one run saw and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Scheduled events listed.
    pub events: usize,
    /// Invitees listed.
    pub invitees: usize,
    /// Missed `invitee.created` enqueued.
    pub healed_created: usize,
    /// Missed `invitee.canceled` enqueued.
    pub healed_canceled: usize,
    /// Webhook subscriptions Calendly has disabled.
    pub subscriptions_disabled: usize,
}

/// The reconciliation task of one scheduler process.
#[derive(Debug)]
pub struct Reconciler {
    api: CalendlyClient,
    bookings: Bookings,
    /// The queue healed webhooks go to (on the bookings store's Redis).
    queue: QueueClient,
    user_scope_only: AtomicBool,
}

impl Reconciler {
    /// A reconciler for `calendly`, or `None` when no access token is configured.
    pub fn from_settings(
        calendly: &CalendlySettings,
        bookings: Bookings,
    ) -> Result<Option<Self>, ReconcileError> {
        let Some(token) = calendly.access_token.clone() else {
            return Ok(None);
        };
        let base = url::Url::parse(&calendly.api_base_url)
            .map_err(|e| ReconcileError::Config(format!("api_base_url: {e}")))?;
        let api = CalendlyClient::new(base, token, CALL_TIMEOUT)?;
        Ok(Some(Self::new(api, bookings)))
    }

    /// A reconciler using `api`, enqueueing healed webhooks onto the queue on `bookings`' Redis.
    pub fn new(api: CalendlyClient, bookings: Bookings) -> Self {
        Self {
            api,
            queue: QueueClient::new(bookings.redis().clone()),
            bookings,
            user_scope_only: AtomicBool::new(false),
        }
    }

    /// One reconciliation run.
    pub async fn run_once(&self) -> Result<ReconcileReport, ReconcileError> {
        let mut report = ReconcileReport::default();
        let me = patient(|| self.api.users_me()).await?;
        let (scope, events) = self.list_events(&me).await?;
        report.events = events.len();
        for event in &events {
            let Some(uri) = event.uri.as_deref() else {
                continue;
            };
            let invitees = patient(|| self.api.list_invitees(uri)).await?;
            report.invitees += invitees.len();
            for invitee in &invitees {
                self.heal(invitee, event, &me.uri, &mut report).await?;
            }
        }
        report.subscriptions_disabled = self.check_subscriptions(&scope).await;
        counter!("meetflow_bookings_healed_total", "event" => INVITEE_CREATED)
            .increment(report.healed_created as u64);
        counter!("meetflow_bookings_healed_total", "event" => INVITEE_CANCELED)
            .increment(report.healed_canceled as u64);
        tracing::info!(
            events = report.events,
            invitees = report.invitees,
            healed_created = report.healed_created,
            healed_canceled = report.healed_canceled,
            "calendly reconciliation done"
        );
        Ok(report)
    }

    /// Events in the window, organization-wide when the token may, else the user's.
    async fn list_events(
        &self,
        me: &CalendlyUser,
    ) -> Result<(Scope, Vec<ScheduledEvent>), ReconcileError> {
        let now = Utc::now();
        let window = |scope: Scope| EventsQuery {
            scope,
            min_start_time: chrono::Duration::from_std(WINDOW_BACK)
                .ok()
                .map(|d| now - d),
            max_start_time: chrono::Duration::from_std(WINDOW_AHEAD)
                .ok()
                .map(|d| now + d),
            status: None,
        };
        let org = Scope::Organization(me.current_organization.clone());
        if !self.user_scope_only.load(Ordering::Relaxed) {
            let query = window(org.clone());
            match patient(|| self.api.list_scheduled_events(&query)).await {
                Ok(events) => return Ok((org, events)),
                Err(e) if e.status == Some(403) => {
                    tracing::info!(
                        "token may not list organization events; reconciling the user's own"
                    );
                    self.user_scope_only.store(true, Ordering::Relaxed);
                }
                Err(e) => return Err(e.into()),
            }
        }
        let user = Scope::User {
            organization: me.current_organization.clone(),
            user: me.uri.clone(),
        };
        let query = window(user.clone());
        Ok((
            user,
            patient(|| self.api.list_scheduled_events(&query)).await?,
        ))
    }

    async fn heal(
        &self,
        invitee: &Invitee,
        event: &ScheduledEvent,
        created_by: &str,
        report: &mut ReconcileReport,
    ) -> Result<(), ReconcileError> {
        let event_name = match invitee.status.as_deref() {
            Some("active") if !self.bookings.seen(&invitee.uri).await? => INVITEE_CREATED,
            Some("canceled") => {
                let key = BookingKey::from_invitee_uri(&invitee.uri);
                let held = self.bookings.get(&key).await?;
                if !held.is_some_and(|b| {
                    matches!(b.status, BookingStatus::Active | BookingStatus::NoShow)
                }) {
                    return Ok(());
                }
                INVITEE_CANCELED
            }
            _ => return Ok(()),
        };
        let Some(job) = webhook_job(event_name, invitee, event, created_by, Utc::now()) else {
            return Ok(());
        };
        let id = job.delivery_id.clone();
        let enqueued = self
            .queue
            .enqueue(EVENTS, NewJob::json(&job)?.with_id(id))
            .await?;
        if enqueued.is_created() {
            tracing::warn!(
                booking = %BookingKey::from_invitee_uri(&invitee.uri),
                event = event_name,
                "calendly webhook never arrived; healed from the API"
            );
            if event_name == INVITEE_CREATED {
                report.healed_created += 1;
            } else {
                report.healed_canceled += 1;
            }
        }
        Ok(())
    }

    /// Count subscriptions by state (gauge) and warn about disabled ones; failures only warn.
    async fn check_subscriptions(&self, scope: &Scope) -> usize {
        match patient(|| self.api.list_webhook_subscriptions(scope)).await {
            Ok(subs) => {
                let disabled: Vec<_> = subs
                    .iter()
                    .filter(|s| s.state.as_deref() == Some("disabled"))
                    .collect();
                for s in &disabled {
                    tracing::warn!(
                        subscription = %s.uri,
                        callback = %s.callback_url,
                        "Calendly has disabled a webhook subscription (24 h of failed deliveries); recreate it with `meetflow-admin calendly subscribe`"
                    );
                }
                gauge!("meetflow_calendly_webhook_subscriptions", "state" => "disabled")
                    .set(disabled.len() as f64);
                gauge!("meetflow_calendly_webhook_subscriptions", "state" => "active")
                    .set((subs.len() - disabled.len()) as f64);
                disabled.len()
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot list Calendly webhook subscriptions");
                0
            }
        }
    }
}

/// Call `f`, waiting out Calendly's 429s (up to [`MAX_RATE_LIMIT_WAIT`] each, three times).
async fn patient<T, F, Fut>(f: F) -> Result<T, ProviderError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let mut tries = 0;
    loop {
        match f().await {
            Err(e) if e.class == ErrorClass::RateLimited && tries < 3 => {
                let wait = e.retry_after.unwrap_or(Duration::from_secs(60));
                if wait > MAX_RATE_LIMIT_WAIT {
                    return Err(e);
                }
                tracing::info!(wait_s = wait.as_secs(), "calendly rate limit; waiting");
                tokio::time::sleep(wait).await;
                tries += 1;
            }
            other => return other,
        }
    }
}
