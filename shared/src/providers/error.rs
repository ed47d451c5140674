//! The one error type every provider client returns.
//!
//! Policy: a provider failure is *classified once*, where the response (or the transport error)
//! is seen, by the table in [`super::retry`]. The result carries everything a job handler needs
//! to decide without re-parsing anything: the [`ErrorClass`] (stored with the attempt), whether
//! it is retryable, the provider's wait hint, whether a rate limit should spend an attempt, and
//! whether the request may have been received anyway (`ambiguous`, which matters for calls that
//! are not idempotent, such as sending an SMS).
//!
//! Messages never hold credentials: clients never put a key into a message, and provider
//! messages pass through [`sanitize_message`] (e-mail addresses and long digit runs masked,
//! length capped) before they are stored.

use std::fmt;
use std::time::Duration;

use crate::domain::ErrorClass;

/// The external service a client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// Brevo (contacts, lists, events).
    Brevo,
    /// EngageLab SMS.
    EngageLab,
    /// Zoom API and its OAuth server.
    Zoom,
    /// Calendly API v2.
    Calendly,
}

impl Provider {
    /// Lower-case name, used in messages and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Brevo => "brevo",
            Self::EngageLab => "engagelab",
            Self::Zoom => "zoom",
            Self::Calendly => "calendly",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A classified failure of one provider call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{provider} {operation}: {class}{}: {message}", detail(*.status, .code.as_deref()))]
pub struct ProviderError {
    /// Which provider answered (or failed to).
    pub provider: Provider,
    /// What we were doing, e.g. `"upsert contact"`.
    pub operation: &'static str,
    /// The HTTP status, when a response was received.
    pub status: Option<u16>,
    /// The provider's own error code (`invalid_parameter`, `4001`, `124`, ...), as text.
    pub code: Option<String>,
    /// The provider's message (sanitized) or a description of the transport failure.
    pub message: String,
    /// The class stored with the job attempt.
    pub class: ErrorClass,
    /// The provider's hint of when to try again (Retry-After, x-sib-ratelimit-reset, ...).
    pub retry_after: Option<Duration>,
    /// The request may have been received and acted on although we saw no success (a timeout
    /// after sending, a 502/504). Callers that are not idempotent must check before re-sending.
    pub ambiguous: bool,
    /// Whether a retry should count against the job's attempts (`false` for rate limits).
    pub consume_attempt: bool,
    /// An upper bound on retries for this particular cause (EngageLab 5001: one delayed retry).
    /// `None` = the queue's own `max_attempts` applies.
    pub max_retries: Option<u32>,
}

fn detail(status: Option<u16>, code: Option<&str>) -> String {
    match (status, code) {
        (Some(s), Some(c)) => format!(" (HTTP {s}, code {c})"),
        (Some(s), None) => format!(" (HTTP {s})"),
        (None, Some(c)) => format!(" (code {c})"),
        (None, None) => String::new(),
    }
}

impl ProviderError {
    /// A new error with the given class; retry flags default from the class
    /// (see [`ProviderError::is_retryable`]).
    pub fn new(
        provider: Provider,
        operation: &'static str,
        class: ErrorClass,
        message: impl Into<String>,
    ) -> Self {
        Self {
            provider,
            operation,
            status: None,
            code: None,
            message: message.into(),
            class,
            retry_after: None,
            ambiguous: false,
            consume_attempt: class != ErrorClass::RateLimited,
            max_retries: None,
        }
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the provider's error code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets the provider's wait hint.
    pub fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.retry_after = after;
        self
    }

    /// Marks the request as possibly received.
    pub fn with_ambiguous(mut self, ambiguous: bool) -> Self {
        self.ambiguous = ambiguous;
        self
    }

    /// Whether trying again later can succeed. Transport failures, timeouts, rate limits and
    /// provider-side (5xx) failures are retryable; rejections, configuration and payload
    /// problems are permanent.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.class,
            ErrorClass::Transport
                | ErrorClass::Timeout
                | ErrorClass::RateLimited
                | ErrorClass::ProviderServer
        )
    }
}

/// Longest provider message kept, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// Makes a provider's message safe to store and log: e-mail addresses become `<email>`, runs of
/// 7 or more digits (phone numbers) keep only their last 2 digits, and the text is capped at
/// 300 characters.
pub fn sanitize_message(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(MAX_MESSAGE_CHARS + 3));
    for (i, word) in raw.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.contains('@') && word.contains('.') {
            out.push_str("<email>");
        } else {
            mask_digit_runs(word, &mut out);
        }
    }
    if out.chars().count() > MAX_MESSAGE_CHARS {
        out = out.chars().take(MAX_MESSAGE_CHARS).collect();
        out.push_str("...");
    }
    out
}

fn mask_digit_runs(word: &str, out: &mut String) {
    let chars: Vec<char> = word.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let run = &chars[start..i];
        if run.len() >= 7 {
            out.extend(std::iter::repeat_n('*', run.len() - 2));
            out.extend(&run[run.len() - 2..]);
        } else {
            out.extend(run);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::JobError;

    #[test]
    fn sanitize_masks_emails_and_phone_numbers() {
        let s = sanitize_message("Contact jo.doe@example.com with SMS +14155550132 exists (id 42)");
        assert_eq!(s, "Contact <email> with SMS +*********32 exists (id 42)");
    }

    #[test]
    fn sanitize_caps_length() {
        let s = sanitize_message(&"x".repeat(1000));
        assert_eq!(s.chars().count(), MAX_MESSAGE_CHARS + 3);
    }

    #[test]
    fn display_names_provider_operation_class_status_and_code() {
        let e = ProviderError::new(
            Provider::Brevo,
            "upsert contact",
            ErrorClass::Config,
            "Key not found",
        )
        .with_status(401)
        .with_code("unauthorized");
        assert_eq!(
            e.to_string(),
            "brevo upsert contact: config (HTTP 401, code unauthorized): Key not found"
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn rate_limits_become_job_retries_that_do_not_spend_an_attempt() {
        let e = ProviderError::new(
            Provider::Brevo,
            "upsert contact",
            ErrorClass::RateLimited,
            "slow down",
        )
        .with_retry_after(Some(Duration::from_secs(3)));
        match JobError::from(e) {
            JobError::Retry {
                class,
                after,
                consume_attempt,
                ..
            } => {
                assert_eq!(class, ErrorClass::RateLimited);
                assert_eq!(after, Some(Duration::from_secs(3)));
                assert!(!consume_attempt);
            }
            other => panic!("expected a retry, got {other:?}"),
        }
    }

    #[test]
    fn rejections_become_permanent_job_errors() {
        let e = ProviderError::new(
            Provider::EngageLab,
            "send sms",
            ErrorClass::Config,
            "template not found",
        );
        assert!(matches!(
            JobError::from(e),
            JobError::Permanent {
                class: ErrorClass::Config,
                ..
            }
        ));
    }
}
