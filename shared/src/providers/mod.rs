//! HTTP clients for the four providers meetflow talks to, and the rules they share.
//!
//! Why one module: every outbound call follows the same policy, so it is written once.
//! - Each client owns one `reqwest::Client` (cheap to clone) with a total timeout and a connect
//!   timeout; no call is made without both, and redirects are not followed.
//! - Every failure is a [`ProviderError`], classified by the table in [`retry`] (HTTP status or
//!   transport failure) and refined by each provider's body codes. Handlers turn it into a
//!   `JobError` with `From`/`?` (the conversions live in `crate::job_failures`: this module does
//!   not know the queue), or inspect `ambiguous` first when re-sending is not safe (SMS).
//! - Credentials live in `SecretString`s, are put on requests as sensitive headers, and never
//!   reach a message, a log line or a `Debug` output. Provider messages are sanitized (e-mails and
//!   phone numbers masked) before they are stored.
//! - Provider rate limits are enforced across all worker replicas by [`rate_limit::RateLimiter`],
//!   a GCRA script in Redis; the Zoom and Calendly clients take a slot before every call
//!   ([`call_limit::CallLimit`]).
//!
//! Clients: [`brevo::BrevoClient`], [`engagelab::EngageLabClient`], [`zoom_api::ZoomClient`]
//! (with [`zoom_api::ZoomAuth`], a Server-to-Server OAuth token cached in Redis) and
//! [`calendly_api::CalendlyClient`].

pub mod brevo;
pub mod calendly_api;
pub mod call_limit;
pub mod engagelab;
mod error;
pub(crate) mod http;
pub mod rate_limit;
pub mod retry;
pub mod retry_after;
#[cfg(test)]
pub(crate) mod test_redis;
pub mod zoom_api;

pub use error::{Provider, ProviderError, sanitize_message};
