//! An API client's share of a provider rate limit: every call to the provider takes a slot of
//! the [`RateLimiter`] shared by all replicas first. A slot further away than the client accepts
//! is a retryable `rate_limited` error carrying the wait (the job comes back then, without
//! spending an attempt), not a 429 from the provider.

use std::time::Duration;

use super::error::{Provider, ProviderError};
use super::rate_limit::{RateLimitError, RateLimiter};
use crate::domain::ErrorClass;

/// One limiter and how long a call may wait for its slot. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CallLimit {
    limiter: RateLimiter,
    max_wait: Duration,
}

impl CallLimit {
    /// Calls wait at most `max_wait` (keep it short: a second or two) for a slot of `limiter`.
    pub fn new(limiter: RateLimiter, max_wait: Duration) -> Self {
        Self { limiter, max_wait }
    }

    /// Waits for the next slot; a slot too far away, or Redis failing, is a retryable error.
    pub async fn slot(&self, provider: Provider, op: &'static str) -> Result<(), ProviderError> {
        self.limiter
            .until_ready(self.max_wait)
            .await
            .map_err(|e| match e {
                RateLimitError::Redis(_) => {
                    ProviderError::new(provider, op, ErrorClass::Internal, e.to_string())
                }
                RateLimitError::WaitTooLong(after) | RateLimitError::Reserved(after) => {
                    ProviderError::new(provider, op, ErrorClass::RateLimited, e.to_string())
                        .with_retry_after(Some(after))
                }
            })
    }
}
