//! What goes into the queue ([`NewJob`]) and what comes back out of it ([`JobRecord`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{ErrorClass, QueueError};
use crate::telemetry::trace_context::{self, JobTrace};

/// Default time a finished job's id keeps de-duplicating re-enqueues.
pub const DEFAULT_RETAIN: Duration = Duration::from_secs(24 * 3600);

/// A job to enqueue. Build with [`NewJob::json`] and the `with_*` methods.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub(crate) id: String,
    pub(crate) payload: String,
    pub(crate) run_at: Option<DateTime<Utc>>,
    pub(crate) group: Option<String>,
    pub(crate) max_attempts: Option<u32>,
    pub(crate) retain: Duration,
}

impl NewJob {
    /// A job carrying `payload` as JSON, with a fresh ULID as its id. When there is a trace
    /// context to carry (an exported span, or the delivery of the job running now), it goes into
    /// the payload's optional `trace` member ([`crate::telemetry::trace_context`]).
    pub fn json<T: Serialize>(payload: &T) -> Result<Self, QueueError> {
        match trace_context::envelope_for_new_job() {
            None => Ok(Self::raw(serde_json::to_string(payload)?)),
            Some(trace) => {
                let mut value = serde_json::to_value(payload)?;
                if let Some(members) = value.as_object_mut() {
                    members.insert(
                        trace_context::TRACE_MEMBER.to_owned(),
                        serde_json::to_value(trace)?,
                    );
                }
                Ok(Self::raw(serde_json::to_string(&value)?))
            }
        }
    }

    /// Links the job to the trace of `traceparent` (a reminder to the delivery that booked it)
    /// instead of making it a child of the span enqueuing it. A payload that is not a JSON
    /// object is left as it is.
    pub fn linked_to(mut self, traceparent: &str) -> Self {
        if let Ok(serde_json::Value::Object(mut members)) =
            serde_json::from_str::<serde_json::Value>(&self.payload)
        {
            let mut trace = members
                .remove(trace_context::TRACE_MEMBER)
                .and_then(|t| serde_json::from_value::<JobTrace>(t).ok())
                .unwrap_or_default();
            trace.link = Some(traceparent.to_owned());
            if let Ok(trace) = serde_json::to_value(trace) {
                members.insert(trace_context::TRACE_MEMBER.to_owned(), trace);
            }
            if let Ok(text) = serde_json::to_string(&members) {
                self.payload = text;
            }
        }
        self
    }

    /// A job carrying an already encoded payload.
    pub fn raw(payload: String) -> Self {
        Self {
            id: crate::ids::next_ulid(),
            payload,
            run_at: None,
            group: None,
            max_attempts: None,
            retain: DEFAULT_RETAIN,
        }
    }

    /// Sets the job id, which is also its de-duplication key.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Runs the job at `at` (a time in the past runs it now).
    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    /// Puts the job in a group, so `cancel_group` can cancel it with its siblings.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Overrides the queue's `max_attempts` for this job.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// How long the id of the finished job keeps blocking a re-enqueue of the same id.
    pub fn retain(mut self, retain: Duration) -> Self {
        self.retain = retain;
        self
    }

    /// The job id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The result of an enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// A new job was stored.
    Created {
        /// Its id.
        id: String,
    },
    /// A job with this id already exists (pending, running, dead, or finished within its
    /// retention); nothing was stored.
    Duplicate {
        /// The existing id.
        id: String,
    },
}

impl Enqueued {
    /// The job id.
    pub fn id(&self) -> &str {
        match self {
            Self::Created { id } | Self::Duplicate { id } => id,
        }
    }

    /// Whether this call stored a new job.
    pub fn is_created(&self) -> bool {
        matches!(self, Self::Created { .. })
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting in the ready list.
    Ready,
    /// Waiting for its run time.
    Delayed,
    /// Leased by a worker process.
    Running,
    /// Waiting for a retry.
    Retrying,
    /// Finished; kept without payload for the retention window.
    Done,
    /// In the dead-letter store.
    Dead,
}

impl JobState {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ready" => Self::Ready,
            "delayed" => Self::Delayed,
            "running" => Self::Running,
            "retrying" => Self::Retrying,
            "done" => Self::Done,
            "dead" => Self::Dead,
            _ => return None,
        })
    }
}

/// One failed attempt, as stored with the job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptError {
    /// When it failed (unix ms).
    pub at_ms: i64,
    /// Which attempt (1-based).
    pub attempt: u32,
    /// Why, as a class.
    pub class: String,
    /// Why, for people.
    pub message: String,
}

impl AttemptError {
    pub(crate) fn new(at_ms: i64, attempt: u32, class: ErrorClass, message: &str) -> Self {
        Self {
            at_ms,
            attempt,
            class: class.as_str().to_owned(),
            message: message.to_owned(),
        }
    }
}

/// A job as stored in Redis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Its id.
    pub id: String,
    /// Its queue.
    pub queue: String,
    /// Its state.
    pub state: JobState,
    /// Its JSON payload (absent once done).
    pub payload: Option<String>,
    /// Attempts made so far.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// When it was first enqueued (unix ms).
    pub created_ms: i64,
    /// When it is (or was) due (unix ms).
    pub run_at_ms: i64,
    /// When it went to the dead letters (unix ms).
    pub dead_ms: Option<i64>,
    /// Its group key.
    pub group: Option<String>,
    /// Every failed attempt, oldest first (at most 50).
    pub errors: Vec<AttemptError>,
}
