//! One slice of a Calendly backfill: list its scheduled events (active and canceled) and their
//! invitees, decide what each needs ([`super::Ledger::decide`]) and, unless it is a dry run,
//! enqueue the backfill job of each invitee to bring over and record it in the ledger.

use std::time::Duration;

use chrono::{DateTime, Utc};
use metrics::counter;

use super::{Counts, Ledger, Runs, State, ledger::Decision};
use crate::bookings::{BookingError, BookingKey, Bookings};
use crate::config::RateLimit;
use crate::events::{Invitee, ScheduledEvent};
use crate::jobs::EVENTS;
use crate::jobs::sync::SyncJob;
use crate::jobs::synthetic::backfill_job;
use crate::providers::ProviderError;
use crate::providers::calendly_api::{CalendlyClient, EventsQuery, Scope};
use crate::providers::call_limit::CallLimit;
use crate::providers::rate_limit::RateLimiter;
use crate::queue::{NewJob, QueueClient, QueueError};
use crate::redis::Redis;

/// The share of `connectors.calendly.rate_limit` (Calendly's 500 per user per minute on paid
/// plans) the backfill paces itself to: evenly spaced requests at exactly the limit land 501 in
/// one of Calendly's minute windows as soon as latency jitters, and a 429 makes a slice start over.
pub const PACE_PERCENT: u32 = 95;

/// The limit every backfill request takes a slot of (`{ns:rl}:ratelimit:calendly`, the bucket the
/// worker's and the reconciliation's Calendly calls share), paced to [`PACE_PERCENT`] of
/// `connectors.calendly.rate_limit`; a request waits up to [`SLOT_WAIT`] for its slot.
pub fn pacer(redis: &Redis, rate: RateLimit) -> CallLimit {
    let count = (rate.count * PACE_PERCENT / 100).max(1);
    CallLimit::new(
        RateLimiter::new(redis, "calendly", count, rate.per),
        SLOT_WAIT,
    )
}

/// How long one backfill request may wait for its slot (a slice is a background job: waiting
/// beats giving the slice back to the queue).
pub const SLOT_WAIT: Duration = Duration::from_secs(120);

/// A slice could not be brought over.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
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

/// One booking a slice brings over (what a dry run prints).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// The booking (invitee UUID).
    pub booking: String,
    /// The state it is brought over in.
    pub state: &'static str,
    /// When its meeting starts.
    pub start: Option<DateTime<Utc>>,
}

/// Brings slices over for one installation.
#[derive(Debug, Clone)]
pub struct SliceSync {
    api: CalendlyClient,
    client: QueueClient,
    bookings: Bookings,
    ledger: Ledger,
    runs: Runs,
}

impl SliceSync {
    /// Slices listed through `api` (give it [`pacer`]), compared with `bookings`, written to
    /// `client`'s queues.
    pub fn new(api: CalendlyClient, client: QueueClient, bookings: Bookings) -> Self {
        Self {
            api,
            ledger: Ledger::new(client.clone(), SyncJob::CALENDLY),
            runs: Runs::new(client.clone(), SyncJob::CALENDLY),
            client,
            bookings,
        }
    }

    /// Brings the slice of `job` over: enqueues a backfill job per invitee whose state meetflow
    /// does not have, records the slice's counts under its run, and returns them. With `dry_run`
    /// nothing is written and the changes are returned instead.
    pub async fn run(
        &self,
        job: &SyncJob,
        dry_run: bool,
    ) -> Result<(Counts, Vec<Change>), SyncError> {
        let mut counts = Counts::default();
        let mut changes = Vec::new();
        let events = self.list_events(job).await?;
        counts.events = events.len() as u64;
        for event in &events {
            let Some(uri) = event.uri.as_deref() else {
                continue;
            };
            let invitees = self.api.list_invitees(uri).await?;
            counts.invitees += invitees.len() as u64;
            for invitee in &invitees {
                let decision = self
                    .ledger
                    .decide(&self.bookings, invitee, &job.run)
                    .await?;
                let state = match decision {
                    Decision::Bring(s) | Decision::Again(s) => s,
                    Decision::Held(s) => {
                        counts.unchanged += 1;
                        if !dry_run {
                            self.ledger.record(&invitee.uri, s, &job.run).await?;
                        }
                        continue;
                    }
                    Decision::Unchanged => {
                        counts.unchanged += 1;
                        continue;
                    }
                    Decision::Unknown => continue,
                };
                counts.synced(state);
                if dry_run {
                    changes.push(Change {
                        booking: BookingKey::from_invitee_uri(&invitee.uri).to_string(),
                        state: state.as_str(),
                        start: event.start_time,
                    });
                    continue;
                }
                self.bring(invitee, event, state, job).await?;
            }
        }
        if !dry_run {
            self.runs.record(&job.run, job.from, &counts).await?;
        }
        Ok((counts, changes))
    }

    /// Enqueues the backfill job of `invitee` and records it in the ledger.
    async fn bring(
        &self,
        invitee: &Invitee,
        event: &ScheduledEvent,
        state: State,
        job: &SyncJob,
    ) -> Result<(), SyncError> {
        if let Some(backfill) = backfill_job(invitee, event, &job.user, state.as_str(), Utc::now())
        {
            let id = backfill.delivery_id.clone();
            let enqueued = self
                .client
                .enqueue(EVENTS, NewJob::json(&backfill)?.with_id(id))
                .await?;
            let outcome = if enqueued.is_created() {
                "enqueued"
            } else {
                "duplicate"
            };
            counter!("meetflow_sync_bookings_total", "source" => SyncJob::CALENDLY, "state" => state.as_str(), "outcome" => outcome)
                .increment(1);
        }
        self.ledger.record(&invitee.uri, state, &job.run).await?;
        Ok(())
    }

    /// The slice's events (every status), organization-wide, or the user's when the token may
    /// not list the organization's.
    async fn list_events(&self, job: &SyncJob) -> Result<Vec<ScheduledEvent>, ProviderError> {
        let query = |scope: Scope| EventsQuery {
            scope,
            min_start_time: Some(job.from),
            max_start_time: Some(job.until),
            status: None,
        };
        let org = Scope::Organization(job.organization.clone());
        match self.api.list_scheduled_events(&query(org)).await {
            Err(e) if e.status == Some(403) => {
                let user = Scope::User {
                    organization: job.organization.clone(),
                    user: job.user.clone(),
                };
                self.api.list_scheduled_events(&query(user)).await
            }
            other => other,
        }
    }
}
