//! Error policy of the queue core.
//!
//! Two kinds of error live here:
//! - [`QueueError`]: the queue itself failed (Redis unreachable, a script failed, a payload could
//!   not be encoded). Connection problems are retryable: callers wait and try again.
//! - [`JobError`]: what a job handler returns. Every failure is classified: a retryable error backs
//!   off (exponential, full jitter) or waits for the provider's hint; a permanent one goes straight
//!   to the dead-letter store. The class ([`ErrorClass`]) is stored with each attempt so operators
//!   see why a job died.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Why an attempt failed, as stored with the job and shown to operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The connection to a provider failed before a request was sent.
    Transport,
    /// A provider did not answer in time (the request may have been received).
    Timeout,
    /// A provider asked us to slow down.
    RateLimited,
    /// A provider failed on its side (5xx).
    ProviderServer,
    /// A provider rejected the request (4xx, or an error code in the body).
    ProviderRejected,
    /// Our configuration is wrong (bad key, unknown template).
    Config,
    /// The job's payload cannot be processed (malformed webhook, missing fields).
    BadPayload,
    /// The job no longer applies (a reminder for a cancelled or moved meeting).
    Stale,
    /// A lease expired: the process running the job stopped renewing it (crash or stall).
    LeaseExpired,
    /// Anything else (a bug, a panic, a handler timeout).
    Internal,
}

impl ErrorClass {
    /// The snake_case name used in Redis, metrics and the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transport => "transport",
            Self::Timeout => "timeout",
            Self::RateLimited => "rate_limited",
            Self::ProviderServer => "provider_server",
            Self::ProviderRejected => "provider_rejected",
            Self::Config => "config",
            Self::BadPayload => "bad_payload",
            Self::Stale => "stale",
            Self::LeaseExpired => "lease_expired",
            Self::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
            Self::Retry { class, .. } | Self::Permanent { class, .. } => *class,
        }
    }

    /// The stored message of this failure.
    pub fn message(&self) -> &str {
        match self {
            Self::Retry { message, .. } | Self::Permanent { message, .. } => message,
        }
    }
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
                    || matches!(
                        e.kind(),
                        redis::ErrorKind::Server(redis::ServerErrorKind::BusyLoading)
                            | redis::ErrorKind::Server(redis::ServerErrorKind::TryAgain)
                            | redis::ErrorKind::Server(redis::ServerErrorKind::MasterDown)
                    )
            }
            Self::Payload(_) | Self::Protocol(_) | Self::GaveUp(_) => false,
        }
    }
}
