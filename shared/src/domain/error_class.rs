//! [`ErrorClass`]: why an attempt failed, in the words stored with a job and shown to operators.
//!
//! It lives in the leaf `domain` module because two layers speak it without knowing each other:
//! provider clients classify their failures with it, and the queue stores it with each attempt.

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
