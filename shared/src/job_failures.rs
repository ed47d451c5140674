//! Where a provider's failure becomes a job's answer to the queue.
//!
//! Provider clients classify every failure once ([`ProviderError`], with an
//! [`ErrorClass`](crate::domain::ErrorClass) from the leaf `domain` module) and know nothing of
//! the queue; the queue stores a [`JobError`] and knows nothing of providers. This module is the
//! one place that sees both, so handlers can still write `?` on a provider call.

use std::time::Duration;

use crate::domain::ErrorClass;
use crate::providers::ProviderError;
use crate::providers::brevo::BrevoError;
use crate::providers::rate_limit::RateLimitError;
use crate::queue::JobError;

impl ProviderError {
    /// This failure as a job handler's answer: retryable errors retry (honouring the wait hint
    /// and `consume_attempt`), everything else is permanent. A rate limit without a hint waits
    /// one second. `ambiguous` and `max_retries` are NOT applied here: a handler for a call that
    /// is not idempotent inspects them before converting.
    pub fn into_job_error(self) -> JobError {
        let message = self.to_string();
        if !self.is_retryable() {
            return JobError::permanent(self.class, message);
        }
        let after = if self.consume_attempt {
            self.retry_after
        } else {
            Some(self.retry_after.unwrap_or(Duration::from_secs(1)))
        };
        JobError::Retry {
            class: self.class,
            message,
            after,
            consume_attempt: self.consume_attempt,
        }
    }
}

impl From<ProviderError> for JobError {
    fn from(e: ProviderError) -> Self {
        e.into_job_error()
    }
}

impl From<BrevoError> for JobError {
    fn from(e: BrevoError) -> Self {
        match e {
            BrevoError::PhoneRejected { error, .. }
            | BrevoError::ContactNotFound(error)
            | BrevoError::Provider(error) => error.into(),
        }
    }
}

impl From<RateLimitError> for JobError {
    fn from(e: RateLimitError) -> Self {
        match e {
            RateLimitError::Redis(_) => JobError::retry(ErrorClass::Internal, e.to_string()),
            RateLimitError::WaitTooLong(after) => JobError::rate_limited(e.to_string(), after),
            RateLimitError::Reserved(after) => JobError::defer(e.to_string(), after),
        }
    }
}
