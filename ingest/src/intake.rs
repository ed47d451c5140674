//! Turning a verified delivery into exactly one job on the `events` queue, within the budget.
//!
//! The job id is the delivery identity (`wh:<provider>:<sha256>`, see
//! `meetflow_shared::events::identity`), so a redelivery finds its job and becomes
//! [`Outcome::Duplicate`]. The id stays reserved after the job ran for longer than the provider
//! retries: 25 h for Calendly (24 h of retries), 2 h for Zoom (retries end after ~85 min). A signed
//! body that is not an event goes straight to the dead-letter store, keyed by its bytes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use meetflow_shared::config::DeliveryLogSettings;
use meetflow_shared::delivery_log::{self, LogEntry};
use meetflow_shared::events::identity::Identity;
use meetflow_shared::events::{EventError, Provider, calendly, zoom};
use meetflow_shared::jobs::{EVENTS, WebhookJob};
use meetflow_shared::queue::{Enqueued, ErrorClass, NewJob, QueueClient, QueueError};

use crate::batcher::Batcher;
use crate::error::IngestError;
use crate::metrics;
use crate::signature::Verified;

/// How long a Calendly delivery's id blocks a re-enqueue: Calendly retries for 24 h.
pub const CALENDLY_RETENTION: Duration = Duration::from_secs(25 * 3600);
/// How long a Zoom delivery's id blocks a re-enqueue: Zoom's last retry comes ~85 min later.
pub const ZOOM_RETENTION: Duration = Duration::from_secs(2 * 3600);
/// How long an EngageLab callback's id blocks a re-enqueue: its retry policy is not published, so
/// as long as Calendly's (a redelivery after that changes nothing anyway: states only move forward).
pub const ENGAGELAB_RETENTION: Duration = Duration::from_secs(25 * 3600);
/// The event name of an EngageLab delivery callback job.
pub const ENGAGELAB_EVENT: &str = "callback";

/// What ingest read from a verified body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// An envelope with an event name.
    Event {
        /// Event name.
        name: String,
        /// The delivery's identity (its job id).
        identity: Identity,
    },
    /// Not an event: kept in the dead-letter store.
    NotAnEvent(EventError),
}

impl Reading {
    /// Reads a verified Calendly body.
    #[must_use]
    pub fn calendly(verified: &Verified) -> Self {
        match calendly::head(verified.body()) {
            Ok(head) => Self::Event {
                identity: Identity::calendly(&head, verified.body()),
                name: head.event,
            },
            Err(e) => Self::NotAnEvent(e),
        }
    }

    /// Reads a verified EngageLab callback: a JSON object (`{"total", "rows"}`) is one event
    /// whose identity is its bytes (a callback carries no delivery id); anything else is kept in
    /// the dead-letter store.
    #[must_use]
    pub fn engagelab(verified: &Verified) -> Self {
        let body = verified.body();
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) if v.is_object() => Self::Event {
                name: ENGAGELAB_EVENT.to_owned(),
                identity: Identity::of_body(Provider::EngageLab, body),
            },
            Ok(_) => Self::NotAnEvent(EventError::NotAnObject),
            Err(e) => Self::NotAnEvent(EventError::Syntax {
                line: e.line(),
                column: e.column(),
            }),
        }
    }

    /// Reads a verified Zoom body whose head was already read.
    #[must_use]
    pub fn zoom(verified: &Verified, head: Result<zoom::ZoomHead, EventError>) -> Self {
        match head {
            Ok(head) => Self::Event {
                identity: Identity::zoom(&head, verified.body()),
                name: head.event,
            },
            Err(e) => Self::NotAnEvent(e),
        }
    }
}

/// How a delivery was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new job.
    Created,
    /// The delivery was already stored (redelivery); nothing new.
    Duplicate,
    /// Not an event: stored in the dead-letter store.
    DeadLettered,
}

/// Stores verified deliveries on the `events` queue (events through the group-commit batcher,
/// dead letters directly).
#[derive(Debug, Clone)]
pub struct Intake {
    queue: QueueClient,
    batcher: Batcher,
    dedupe: bool,
    log: Option<DeliveryLogSettings>,
    default_region: Option<String>,
}

impl Intake {
    /// An intake writing through `queue`; `dedupe: false` gives every delivery a fresh job id;
    /// `log` keeps every delivery in the delivery log (`None` or a zero retention: off), its
    /// people read with `default_region` (`sms.default_region`) for national phone numbers.
    /// Starts the batching task, so it must be called inside a Tokio runtime.
    #[must_use]
    pub fn new(
        queue: QueueClient,
        dedupe: bool,
        log: Option<DeliveryLogSettings>,
        default_region: Option<String>,
    ) -> Self {
        let log = log.filter(DeliveryLogSettings::enabled);
        if log.is_some() {
            // The phone number metadata loads on first use (slow in a debug build): load it now
            // rather than inside the first request's budget.
            let _ = delivery_log::person_tag("+14155550132", None);
        }
        let batcher = Batcher::spawn(queue.clone(), log.clone());
        Self {
            queue,
            batcher,
            dedupe,
            log,
            default_region,
        }
    }

    /// The delivery log entry of a delivery (`None` when the log is off).
    fn log_entry(&self, verified: &Verified, event: Option<&str>) -> Option<LogEntry> {
        self.log.as_ref()?;
        let persons = delivery_log::persons(verified.body(), self.default_region.as_deref());
        Some(LogEntry::new(verified.provider(), event, persons))
    }

    /// The queue client (for readiness checks).
    #[must_use]
    pub fn queue(&self) -> &QueueClient {
        &self.queue
    }

    /// Stores one verified delivery, giving up at `deadline`.
    ///
    /// # Errors
    /// [`IngestError::Unavailable`] when Redis fails or does not answer before `deadline`.
    pub async fn store(
        &self,
        verified: &Verified,
        reading: Reading,
        received_at: DateTime<Utc>,
        request_id: Option<&str>,
        deadline: Instant,
    ) -> Result<Outcome, IngestError> {
        let provider = verified.provider();
        let retain = match provider {
            Provider::Calendly => CALENDLY_RETENTION,
            Provider::Zoom => ZOOM_RETENTION,
            Provider::EngageLab => ENGAGELAB_RETENTION,
        };
        let (event, id, failure) = match reading {
            Reading::Event { name, identity } => (Some(name), identity.job_id(), None),
            Reading::NotAnEvent(e) => (
                None,
                Identity::of_body(provider, verified.body()).job_id(),
                Some(e),
            ),
        };
        let event_name = event.clone().unwrap_or_else(|| "-".to_owned());
        let log = self.log_entry(verified, event.as_deref());
        let job = WebhookJob::new(
            provider,
            event,
            received_at,
            id.clone(),
            verified.body(),
            verified.signed(),
        )
        .with_request_id(request_id);
        let new_job = NewJob::json(&job)
            .map_err(|e| unavailable(provider, &e))?
            .retain(retain);
        // The id the delivery is stored under: what every job it causes names as delivery_id.
        let delivery_id = if failure.is_some() || self.dedupe {
            id.clone()
        } else {
            new_job.id().to_owned()
        };
        tracing::Span::current().record("delivery_id", delivery_id.as_str());
        let started = Instant::now();
        let write = async {
            match &failure {
                Some(e) => {
                    let reason = format!("{provider} delivery is not an event: {e}");
                    let job = new_job.with_id(id);
                    let retention = self.log.as_ref().map(|l| l.retention).unwrap_or_default();
                    let buried = self
                        .queue
                        .bury_logged(EVENTS, job, log, retention, ErrorClass::BadPayload, &reason)
                        .await
                        .map_err(Arc::new);
                    if let Some(settings) = &self.log {
                        crate::batcher::trim(&self.queue, settings).await;
                    }
                    buried
                }
                None if self.dedupe => self.batcher.enqueue(new_job.with_id(id), log).await,
                None => self.batcher.enqueue(new_job, log).await,
            }
        };
        let answer = tokio::time::timeout_at(deadline.into(), write).await;
        let outcome = match answer {
            Err(_elapsed) => {
                metrics::enqueue_latency(provider, "timeout", started);
                tracing::warn!(%provider, "Redis did not take the webhook job within the request budget");
                return Err(IngestError::Unavailable);
            }
            Ok(Err(e)) => {
                metrics::enqueue_latency(provider, "error", started);
                return Err(unavailable(provider, &e));
            }
            Ok(Ok(enqueued)) => enqueued,
        };
        let event = event_name.as_str();
        Ok(match (outcome, failure) {
            (Enqueued::Duplicate { .. }, _) => {
                metrics::enqueue_latency(provider, "duplicate", started);
                metrics::duplicate(provider);
                tracing::info!(%provider, event, %delivery_id, outcome = "duplicate", "webhook accepted");
                Outcome::Duplicate
            }
            (Enqueued::Created { .. }, Some(e)) => {
                metrics::enqueue_latency(provider, "created", started);
                metrics::dead_lettered(provider, e.kind());
                tracing::info!(%provider, kind = e.kind(), %delivery_id, "signed delivery is not an event; kept in the dead-letter store");
                Outcome::DeadLettered
            }
            (Enqueued::Created { .. }, None) => {
                metrics::enqueue_latency(provider, "created", started);
                tracing::info!(%provider, event, %delivery_id, outcome = "created", "webhook accepted");
                Outcome::Created
            }
        })
    }
}

fn unavailable(provider: Provider, error: &QueueError) -> IngestError {
    tracing::warn!(%provider, %error, "could not store the webhook job");
    IngestError::Unavailable
}
