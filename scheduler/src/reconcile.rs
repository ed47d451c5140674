//! The periodic Calendly reconciliation ("hybrid" sync): missed or failed webhooks heal
//! themselves.
//!
//! Each run (one replica per tick, see [`crate::periodic`]): find the organization (or, when the
//! token may not list organization events, the user) with `GET /users/me`; list the scheduled
//! events starting in `connectors.calendly.reconcile_window` around now (`[now - back,
//! now + ahead]`, all pages) and their invitees; then
//! - an active invitee meetflow has never seen gets the `invitee.created` it missed,
//! - a canceled invitee whose booking meetflow still holds as active gets the
//!   `invitee.canceled` it missed (so no reminder goes out for a cancelled meeting),
//! - an invitee Calendly holds as a no-show whose booking meetflow holds as active gets the
//!   `invitee_no_show.created` it missed, and one meetflow holds as a no-show that Calendly no
//!   longer does gets the `invitee_no_show.deleted` (only when meetflow's record is older than
//!   the listing, so a mark that arrived while the run was listing is not undone),
//!
//! all as rebuilt deliveries on the `events` queue ([`crate::synthetic`]).
//!
//! Quiet go-live: the first run writes a baseline ([`crate::baseline`]). A booking created (or a
//! no-show marked) before the baseline is not a missed webhook but history: its job carries the
//! `adopted` marker ([`WebhookJob::adopted`]) and the worker records it, syncs Brevo and plans
//! what is still ahead without confirming or announcing anything.
//!
//! It also reads the webhook subscriptions and exports
//! `meetflow_calendly_webhook_subscriptions{state}`, warning when Calendly has disabled one
//! (after 24 h of failed deliveries). Calendly allows 500 requests per user per minute; calls are
//! sequential, and a 429 waits for its reset.
//!
//! Metrics: `meetflow_reconcile_runs_total{outcome="ok"|"error"}`,
//! `meetflow_reconcile_healed_total{kind="created"|"canceled"|"no_show_created"|"no_show_deleted"}`
//! (webhooks that were lost: alerted on when it keeps growing),
//! `meetflow_reconcile_adopted_total{kind}` (history adopted at go-live; not an alert), and the
//! older `meetflow_bookings_healed_total{event}`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use meetflow_shared::bookings::{BookingError, BookingKey, BookingStatus, Bookings};
use meetflow_shared::config::{CalendlySettings, ReconcileWindow};
use meetflow_shared::events::calendly::{
    INVITEE_CANCELED, INVITEE_CREATED, INVITEE_NO_SHOW_CREATED, INVITEE_NO_SHOW_DELETED,
};
use meetflow_shared::events::{Invitee, ScheduledEvent};
use meetflow_shared::jobs::EVENTS;
use meetflow_shared::providers::ProviderError;
use meetflow_shared::providers::calendly_api::{CalendlyClient, CalendlyUser, EventsQuery, Scope};
use meetflow_shared::queue::{ErrorClass, NewJob, QueueClient, QueueError};
use metrics::{counter, gauge};

use crate::baseline::Baseline;
use crate::synthetic::webhook_job_at;

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
    /// Missed `invitee.created` enqueued (bookings made after the baseline).
    pub healed_created: usize,
    /// Missed `invitee.canceled` enqueued.
    pub healed_canceled: usize,
    /// Missed `invitee_no_show.created` enqueued (marked after the baseline).
    pub healed_no_show_created: usize,
    /// Missed `invitee_no_show.deleted` enqueued.
    pub healed_no_show_deleted: usize,
    /// Bookings made before the baseline, adopted quietly.
    pub adopted_created: usize,
    /// No-shows marked before the baseline, adopted quietly.
    pub adopted_no_show: usize,
    /// Webhook subscriptions Calendly has disabled.
    pub subscriptions_disabled: usize,
}

/// What a rebuilt delivery heals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Heal {
    Created,
    Canceled,
    NoShowCreated,
    NoShowDeleted,
}

impl Heal {
    fn event(self) -> &'static str {
        match self {
            Self::Created => INVITEE_CREATED,
            Self::Canceled => INVITEE_CANCELED,
            Self::NoShowCreated => INVITEE_NO_SHOW_CREATED,
            Self::NoShowDeleted => INVITEE_NO_SHOW_DELETED,
        }
    }

    /// The `kind` label of the metrics.
    fn kind(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Canceled => "canceled",
            Self::NoShowCreated => "no_show_created",
            Self::NoShowDeleted => "no_show_deleted",
        }
    }
}

/// One delivery to rebuild: what, as of when (the envelope's `created_at`), and whether it is
/// history from before the baseline.
struct Plan {
    heal: Heal,
    at: Option<DateTime<Utc>>,
    adopted: bool,
}

/// The reconciliation task of one scheduler process.
#[derive(Debug)]
pub struct Reconciler {
    api: CalendlyClient,
    bookings: Bookings,
    /// The queue healed webhooks go to (on the bookings store's Redis).
    queue: QueueClient,
    /// Which bookings each run looks at.
    window: ReconcileWindow,
    user_scope_only: AtomicBool,
}

/// Longest wait of a reconciliation call for a slot of the shared Calendly budget.
const LIMIT_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

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
        // The budget every replica's worker shares too; a run is not a job, so it may wait for a
        // slot up to one window of a per-minute budget.
        let limiter = meetflow_shared::providers::rate_limit::RateLimiter::new(
            bookings.redis(),
            "calendly",
            calendly.rate_limit.count,
            calendly.rate_limit.per,
        );
        let api = CalendlyClient::new(base, token, CALL_TIMEOUT)?.with_limit(
            meetflow_shared::providers::call_limit::CallLimit::new(limiter, LIMIT_WAIT),
        );
        Ok(Some(
            Self::new(api, bookings).with_window(calendly.reconcile_window),
        ))
    }

    /// A reconciler using `api`, enqueueing healed webhooks onto the queue on `bookings`' Redis,
    /// with the default window (24 h back, 60 days ahead).
    pub fn new(api: CalendlyClient, bookings: Bookings) -> Self {
        Self {
            api,
            queue: QueueClient::new(bookings.redis().clone()),
            bookings,
            window: ReconcileWindow::default(),
            user_scope_only: AtomicBool::new(false),
        }
    }

    /// The same reconciler listing meetings in `window`.
    #[must_use]
    pub fn with_window(mut self, window: ReconcileWindow) -> Self {
        self.window = window;
        self
    }

    /// One reconciliation run (counted in `meetflow_reconcile_runs_total{outcome}`).
    pub async fn run_once(&self) -> Result<ReconcileReport, ReconcileError> {
        let result = self.run().await;
        let outcome = if result.is_ok() { "ok" } else { "error" };
        counter!("meetflow_reconcile_runs_total", "outcome" => outcome).increment(1);
        result
    }

    async fn run(&self) -> Result<ReconcileReport, ReconcileError> {
        let mut report = ReconcileReport::default();
        let baseline = Baseline::new(self.queue.clone())
            .get_or_init(Utc::now())
            .await?;
        let me = patient(|| self.api.users_me()).await?;
        let (scope, events) = self.list_events(&me).await?;
        report.events = events.len();
        for event in &events {
            let Some(uri) = event.uri.as_deref() else {
                continue;
            };
            let listed_at = Utc::now();
            let invitees = patient(|| self.api.list_invitees(uri)).await?;
            report.invitees += invitees.len();
            for invitee in &invitees {
                let Some(plan) = self.plan(invitee, baseline, listed_at).await? else {
                    continue;
                };
                self.enqueue(&plan, invitee, event, &me.uri, &mut report)
                    .await?;
            }
        }
        report.subscriptions_disabled = self.check_subscriptions(&scope).await;
        tracing::info!(
            events = report.events,
            invitees = report.invitees,
            healed_created = report.healed_created,
            healed_canceled = report.healed_canceled,
            healed_no_show_created = report.healed_no_show_created,
            healed_no_show_deleted = report.healed_no_show_deleted,
            adopted_created = report.adopted_created,
            adopted_no_show = report.adopted_no_show,
            baseline = %baseline,
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
            min_start_time: chrono::Duration::from_std(self.window.back)
                .ok()
                .map(|d| now - d),
            max_start_time: chrono::Duration::from_std(self.window.ahead)
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

    /// What (if anything) `invitee` needs, comparing Calendly's state (listed at `listed_at`)
    /// with meetflow's.
    async fn plan(
        &self,
        invitee: &Invitee,
        baseline: DateTime<Utc>,
        listed_at: DateTime<Utc>,
    ) -> Result<Option<Plan>, ReconcileError> {
        let before_baseline = |t: Option<DateTime<Utc>>| t.is_none_or(|t| t < baseline);
        let key = BookingKey::from_invitee_uri(&invitee.uri);
        let held = self.bookings.get(&key).await?;
        let plan = match (invitee.status.as_deref(), held) {
            (Some("active"), None) if !self.bookings.seen(&invitee.uri).await? => Plan {
                heal: Heal::Created,
                at: invitee.created_at,
                adopted: before_baseline(invitee.created_at),
            },
            (Some("canceled"), Some(b))
                if matches!(b.status, BookingStatus::Active | BookingStatus::NoShow) =>
            {
                Plan {
                    heal: Heal::Canceled,
                    at: invitee.updated_at.or(invitee.created_at),
                    adopted: false,
                }
            }
            // A no-show state changed by a delivery processed after the listing is newer than
            // what the listing says: leave it.
            (Some("active"), Some(b)) if b.updated_at.is_some_and(|t| t > listed_at) => {
                return Ok(None);
            }
            (Some("active"), Some(b)) => match (&invitee.no_show, b.status) {
                (Some(mark), BookingStatus::Active) => Plan {
                    heal: Heal::NoShowCreated,
                    at: mark.created_at,
                    adopted: before_baseline(mark.created_at),
                },
                (None, BookingStatus::NoShow) => Plan {
                    heal: Heal::NoShowDeleted,
                    // meetflow's record of the mark: stable across runs, new for each mark
                    at: b.updated_at,
                    adopted: false,
                },
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        Ok(Some(plan))
    }

    async fn enqueue(
        &self,
        plan: &Plan,
        invitee: &Invitee,
        event: &ScheduledEvent,
        created_by: &str,
        report: &mut ReconcileReport,
    ) -> Result<(), ReconcileError> {
        let name = plan.heal.event();
        let Some(job) = webhook_job_at(name, invitee, event, created_by, plan.at, Utc::now())
        else {
            return Ok(());
        };
        let job = if plan.adopted { job.adopted() } else { job };
        let id = job.delivery_id.clone();
        let enqueued = self
            .queue
            .enqueue(EVENTS, NewJob::json(&job)?.with_id(id))
            .await?;
        if !enqueued.is_created() {
            return Ok(());
        }
        let booking = BookingKey::from_invitee_uri(&invitee.uri);
        let kind = plan.heal.kind();
        if plan.adopted {
            tracing::debug!(%booking, event = name, "adopted from before go-live, quietly");
            counter!("meetflow_reconcile_adopted_total", "kind" => kind).increment(1);
            match plan.heal {
                Heal::NoShowCreated => report.adopted_no_show += 1,
                _ => report.adopted_created += 1,
            }
            return Ok(());
        }
        tracing::warn!(%booking, event = name, "calendly webhook never arrived; healed from the API");
        counter!("meetflow_reconcile_healed_total", "kind" => kind).increment(1);
        counter!("meetflow_bookings_healed_total", "event" => name).increment(1);
        match plan.heal {
            Heal::Created => report.healed_created += 1,
            Heal::Canceled => report.healed_canceled += 1,
            Heal::NoShowCreated => report.healed_no_show_created += 1,
            Heal::NoShowDeleted => report.healed_no_show_deleted += 1,
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
