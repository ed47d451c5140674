//! Adapts a plain async function `Fn(T, JobContext) -> Result<(), JobError>` into the tower
//! service apalis runs: decodes the payload (a payload that does not decode is a permanent
//! `bad_payload` failure, kept in the dead letters) and turns a panic into a permanent failure.
//!
//! Each attempt runs in a `job` span (fields `queue`, `job_id`, `delivery_id`, `attempt`), so
//! every log line of the job carries them; the span continues the trace the payload carries
//! ([`crate::telemetry::trace_context`]) and the attempt ends with one info line, `job finished`.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use apalis::prelude::{BoxDynError, Task};
use futures::FutureExt;
use serde::de::DeserializeOwned;
use tower::Service;
use tracing::Instrument;

use super::state::LeasedJob;
use crate::queue::error::{ErrorClass, JobError};
use crate::telemetry::trace_context::{self, JobTrace};

/// What a handler knows about the job it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobContext {
    /// Job id.
    pub id: String,
    /// Queue name.
    pub queue: String,
    /// This attempt, 1-based.
    pub attempt: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// When the provider slot the queue's lease gate reserved for this job starts
    /// ([`crate::queue::LeaseGate`]), on the budget of the job's first limited call; `None` when
    /// the queue has no gate, the reservation failed or the budget had no slot near enough: the
    /// handler then asks the limiter itself.
    pub slot: Option<tokio::time::Instant>,
}

impl JobContext {
    /// Whether a failure now would send the job to the dead letters.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }
}

/// The tower service around a handler function.
pub(crate) struct HandlerService<T, H> {
    handler: H,
    queue: String,
    _payload: PhantomData<fn() -> T>,
}

impl<T, H: Clone> Clone for HandlerService<T, H> {
    fn clone(&self) -> Self {
        Self {
            handler: self.handler.clone(),
            queue: self.queue.clone(),
            _payload: PhantomData,
        }
    }
}

impl<T, H> HandlerService<T, H> {
    pub(crate) fn new(handler: H, queue: &str) -> Self {
        Self {
            handler,
            queue: queue.to_owned(),
            _payload: PhantomData,
        }
    }
}

impl<T, H, Fut> Service<Task<LeasedJob>> for HandlerService<T, H>
where
    T: DeserializeOwned + Send + 'static,
    H: Fn(T, JobContext) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    type Response = ();
    type Error = BoxDynError;
    type Future = Pin<Box<dyn Future<Output = Result<(), BoxDynError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, task: Task<LeasedJob>) -> Self::Future {
        let job = task.args;
        let trace = JobTrace::of_payload(&job.payload).unwrap_or_default();
        // A job that names no delivery is the root of its own chain (a webhook job, a
        // reminder): its id is the delivery id its descendants carry.
        let delivery = trace.delivery_id.clone().unwrap_or_else(|| job.id.clone());
        let span = tracing::info_span!(
            "job",
            otel.name = %format!("job {}", self.queue),
            otel.kind = "consumer",
            queue = %self.queue,
            job_id = %job.id,
            delivery_id = %delivery,
            attempt = job.attempt,
        );
        trace.attach(&span);
        let ctx = JobContext {
            id: job.id,
            queue: self.queue.clone(),
            attempt: job.attempt,
            max_attempts: job.max_attempts,
            slot: job.slot,
        };
        let payload: T = match serde_json::from_str(&job.payload) {
            Ok(p) => p,
            Err(e) => {
                let err = JobError::permanent(
                    ErrorClass::BadPayload,
                    format!("payload does not decode: {e}"),
                );
                span.in_scope(|| finished(Some(&err)));
                return Box::pin(async move { Err(Box::new(err) as BoxDynError) });
            }
        };
        let fut = (self.handler)(payload, ctx);
        let run = async move {
            let outcome = match AssertUnwindSafe(fut).catch_unwind().await {
                Ok(outcome) => outcome,
                Err(_) => Err(JobError::permanent(
                    ErrorClass::Internal,
                    "handler panicked",
                )),
            };
            finished(outcome.as_ref().err());
            outcome.map_err(|e| Box::new(e) as BoxDynError)
        };
        Box::pin(trace_context::delivery_scope(
            delivery,
            run.instrument(span),
        ))
    }
}

/// The one info line of a finished attempt (inside the job span, so it names the job).
fn finished(error: Option<&JobError>) {
    match error {
        None => tracing::info!(outcome = "done", "job finished"),
        Some(e) => {
            let outcome = match e {
                JobError::Retry { .. } => "retry",
                JobError::Defer { .. } => "deferred",
                JobError::Permanent { .. } => "failed",
            };
            tracing::info!(outcome, class = e.class().as_str(), "job finished");
        }
    }
}
