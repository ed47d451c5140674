//! How failures of the stores under a handler become job errors.
//!
//! Policy: a Redis failure (queue, bookings, markers) is retryable when Redis is unreachable or
//! busy, and permanent (an `internal` dead letter) when Redis answered with something we never
//! write. Provider failures convert through `meetflow_shared::providers` (classified where they
//! are seen); bad payloads are permanent `bad_payload` at the point they are read.

use meetflow_shared::bookings::BookingError;
use meetflow_shared::queue::{ErrorClass, JobError, QueueError};

/// A bookings-store failure as a job error.
pub(crate) fn bookings(e: BookingError) -> JobError {
    if e.is_retryable() {
        JobError::retry(ErrorClass::Transport, format!("bookings store: {e}"))
    } else {
        JobError::permanent(ErrorClass::Internal, format!("bookings store: {e}"))
    }
}

/// A queue failure (enqueue of follow-up jobs) as a job error.
pub(crate) fn queue(e: QueueError) -> JobError {
    if e.is_retryable() {
        JobError::retry(ErrorClass::Transport, format!("queue: {e}"))
    } else {
        JobError::permanent(ErrorClass::Internal, format!("queue: {e}"))
    }
}

/// A direct Redis failure (markers, the meeting index) as a job error.
pub(crate) fn redis(e: redis::RedisError) -> JobError {
    queue(QueueError::Redis(e))
}

/// A payload this build cannot read.
pub(crate) fn bad_payload(message: impl Into<String>) -> JobError {
    JobError::permanent(ErrorClass::BadPayload, message)
}
