//! Error policy of the queue core.
//!
//! Two kinds of error live here:
//! - [`QueueError`]: the queue itself failed (Redis unreachable, a script failed, a payload could
//!   not be encoded). Connection problems are retryable: callers wait and try again.
//! - [`JobError`]: what a job handler returns. Every failure is classified: a retryable error backs
//!   off (exponential, full jitter) or waits for the provider's hint; a permanent one goes straight
//!   to the dead-letter store. The class ([`ErrorClass`], defined in [`crate::domain`] so that
//!   provider clients can classify without knowing the queue) is stored with each attempt so
//!   operators see why a job died.

use std::time::Duration;

pub use crate::domain::ErrorClass;

/// What a job handler reports when it did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JobError {
    /// Try again later.
    #[error("{class}: {message}")]
    Retry {
        /// Why.
        class: ErrorClass,
        /// Operator-readable detail (no secrets, no full phone numbers or emails).
        message: String,
        /// A provider's hint (Retry-After, x-sib-ratelimit-reset); `None` = exponential backoff.
        after: Option<Duration>,
        /// Whether this attempt counts against `max_attempts` (rate limits do not).
        consume_attempt: bool,
    },
    /// Backpressure: the job was not tried (a shared rate limit reserved it a slot `after` from
    /// now). It is delayed to that slot once: no attempt is spent, no error is recorded, and the
    /// time it was enqueued (which the oldest-ready-job alert reads) survives the wait.
    #[error("{class}: {message}")]
    Defer {
        /// Why (normally `rate_limited`).
        class: ErrorClass,
        /// Operator-readable detail (logged, not stored).
        message: String,
        /// When to run it again.
        after: Duration,
    },
    /// Do not try again: the job goes to the dead-letter store.
    #[error("{class}: {message}")]
    Permanent {
        /// Why.
        class: ErrorClass,
        /// Operator-readable detail.
        message: String,
    },
}

impl JobError {
    /// A retryable failure, backing off exponentially.
    pub fn retry(class: ErrorClass, message: impl Into<String>) -> Self {
        Self::Retry {
            class,
            message: message.into(),
            after: None,
            consume_attempt: true,
        }
    }

    /// A retryable failure with the provider's hint of when to try again.
    pub fn retry_after(class: ErrorClass, message: impl Into<String>, after: Duration) -> Self {
        Self::Retry {
            class,
            message: message.into(),
            after: Some(after),
            consume_attempt: true,
        }
    }

    /// Rate limited: wait `after`, without spending an attempt.
    pub fn rate_limited(message: impl Into<String>, after: Duration) -> Self {
        Self::Retry {
            class: ErrorClass::RateLimited,
            message: message.into(),
            after: Some(after),
            consume_attempt: false,
        }
    }

    /// Not tried: a shared rate limit reserved a slot `after` from now; delay the job to it.
    pub fn defer(message: impl Into<String>, after: Duration) -> Self {
        Self::Defer {
            class: ErrorClass::RateLimited,
            message: message.into(),
            after,
        }
    }

    /// A permanent failure: straight to the dead-letter store.
    pub fn permanent(class: ErrorClass, message: impl Into<String>) -> Self {
        Self::Permanent {
            class,
            message: message.into(),
        }
    }

    /// The stored class of this failure.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Retry { class, .. }
            | Self::Defer { class, .. }
            | Self::Permanent { class, .. } => *class,
        }
    }

    /// The stored message of this failure.
    pub fn message(&self) -> &str {
        match self {
            Self::Retry { message, .. }
            | Self::Defer { message, .. }
            | Self::Permanent { message, .. } => message,
        }
    }
}

/// Server errors that go away by themselves: Redis loading its dataset after a restart, a
/// failover or a cluster resharding under way. `MOVED`/`ASK` reach us only where the Cluster
/// client does not follow them itself (a `MULTI`/`EXEC` sent to a slot's old owner after a
/// failover): the client refreshes its slot map, and the next attempt goes to the new owner.
fn passing(kind: redis::ServerErrorKind) -> bool {
    use redis::ServerErrorKind as K;
    matches!(
        kind,
        K::BusyLoading
            | K::TryAgain
            | K::MasterDown
            | K::ReadOnly
            | K::ClusterDown
            | K::Moved
            | K::Ask
    )
}

/// A `MULTI`/`EXEC` aborted (`EXECABORT`) because each queued command was refused with a
/// passing error: a transaction sent while Redis still loads its dataset after a restart reports
/// "Transaction aborted: [(0, BusyLoading), ...]", which is as transient as a plain `LOADING`;
/// one sent to a Cluster node that no longer serves the slot, "[(0, Moved), ...]".
fn aborted_by_passing_errors(e: &redis::RedisError) -> bool {
    if e.kind() != redis::ErrorKind::Server(redis::ServerErrorKind::ExecAbort) {
        return false;
    }
    e.clone().into_server_errors().is_some_and(|errs| {
        !errs.is_empty() && errs.iter().all(|(_, se)| se.kind().is_some_and(passing))
    })
}

/// The queue itself failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Redis could not be reached or answered with an error.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// A job payload could not be encoded or decoded.
    #[error("payload: {0}")]
    Payload(#[from] serde_json::Error),
    /// A Redis answer did not have the expected shape (a bug or a foreign key in our namespace).
    #[error("unexpected reply from redis: {0}")]
    Protocol(String),
    /// Redis stayed unreachable for longer than the configured give-up time.
    #[error("redis unreachable for {0:?}; giving up so the orchestrator restarts this process")]
    GaveUp(Duration),
}

impl QueueError {
    /// Whether waiting and trying again can help.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Redis(e) => {
                e.is_io_error()
                    || e.is_timeout()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal()
                    || matches!(e.kind(), redis::ErrorKind::Server(k) if passing(k))
                    || aborted_by_passing_errors(e)
            }
            Self::Payload(_) | Self::Protocol(_) | Self::GaveUp(_) => false,
        }
    }
}
