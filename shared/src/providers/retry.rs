//! Retry classification: one function decides what an outbound call's outcome means.
//!
//! Every provider client feeds what it observed (an HTTP status, or a transport failure) through
//! [`classify`] and gets back whether to stop, retry (and whether that spends an attempt), the
//! [`ErrorClass`] to store, and whether the request may have been received anyway. Providers that
//! put error codes in the body (EngageLab, Zoom, Brevo) refine this in their own module, but the
//! HTTP-level table lives only here and is pinned by `the_table_is_pinned`.
//!
//! | observed | outcome | class | ambiguous |
//! |---|---|---|---|
//! | 2xx | success | - | - |
//! | 3xx (redirects are not followed) | permanent | config | no |
//! | 401, 403 | permanent | config | no |
//! | 408 | retry | timeout | no |
//! | 425 | retry | provider_server | no |
//! | 429 | retry, attempt not spent, provider's wait | rate_limited | no |
//! | other 4xx | permanent | provider_rejected | no |
//! | 501 | permanent | provider_rejected | no |
//! | 502, 504 | retry | provider_server | **yes** (a gateway may have passed it on) |
//! | other 5xx | retry | provider_server | no |
//! | connect failure (incl. connect timeout) | retry | transport | no (nothing was sent) |
//! | timeout after connecting | retry | timeout | **yes** |
//! | connection lost after sending | retry | transport | **yes** |
//! | request could not be built | permanent | config | no |

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

use crate::domain::ErrorClass;

/// What to do after one outbound call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Success,
    /// Try again, after `after` when the provider said so.
    Retry {
        /// The provider's wait hint.
        after: Option<Duration>,
        /// Whether this counts against the job's attempts (rate limits do not).
        consume_attempt: bool,
    },
    /// Do not try again.
    Permanent,
}

/// A call that failed below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    /// Could not connect (DNS, refused, TLS handshake, connect timeout): nothing was sent.
    Connect,
    /// Connected, then no complete answer in time: the request may have been received.
    Timeout,
    /// The connection broke after the request started: it may have been received.
    Interrupted,
    /// The request could not be built (bad URL or header): a bug or bad configuration.
    Build,
}

impl TransportFailure {
    /// Classifies a reqwest error. A connect timeout is a [`TransportFailure::Connect`].
    pub fn of(err: &reqwest::Error) -> Self {
        if err.is_builder() {
            Self::Build
        } else if err.is_connect() {
            Self::Connect
        } else if err.is_timeout() {
            Self::Timeout
        } else {
            Self::Interrupted
        }
    }
}

/// What was observed of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// A response arrived with this HTTP status.
    Status(u16),
    /// No (complete) response.
    Transport(TransportFailure),
}

/// The classification of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// What to do.
    pub outcome: Outcome,
    /// The class to store with the attempt; `None` on success.
    pub class: Option<ErrorClass>,
    /// Whether the request may have been received despite the failure.
    pub ambiguous: bool,
}

/// The table: classifies what was observed. `retry_after` is the provider's wait hint, used
/// when the outcome is a retry.
pub fn classify(observed: Observed, retry_after: Option<Duration>) -> Verdict {
    use ErrorClass as C;
    let retry = |class, ambiguous| Verdict {
        outcome: Outcome::Retry {
            after: retry_after,
            consume_attempt: true,
        },
        class: Some(class),
        ambiguous,
    };
    let permanent = |class| Verdict {
        outcome: Outcome::Permanent,
        class: Some(class),
        ambiguous: false,
    };
    match observed {
        Observed::Status(s) => match s {
            200..=299 => Verdict {
                outcome: Outcome::Success,
                class: None,
                ambiguous: false,
            },
            300..=399 | 401 | 403 => permanent(C::Config),
            408 => retry(C::Timeout, false),
            425 => retry(C::ProviderServer, false),
            429 => Verdict {
                outcome: Outcome::Retry {
                    after: retry_after,
                    consume_attempt: false,
                },
                class: Some(C::RateLimited),
                ambiguous: false,
            },
            501 => permanent(C::ProviderRejected),
            502 | 504 => retry(C::ProviderServer, true),
            500..=599 => retry(C::ProviderServer, false),
            // 4xx and anything outside the HTTP ranges.
            _ => permanent(C::ProviderRejected),
        },
        Observed::Transport(t) => match t {
            TransportFailure::Connect => retry(C::Transport, false),
            TransportFailure::Timeout => retry(C::Timeout, true),
            TransportFailure::Interrupted => retry(C::Transport, true),
            TransportFailure::Build => permanent(C::Config),
        },
    }
}

/// Longest wait hint accepted from a header; longer values are clamped.
const MAX_HINT: Duration = Duration::from_secs(24 * 3600);

/// Reads a wait hint in seconds from the first of `names` present in `headers`.
///
/// Accepts integer or decimal seconds (`x-sib-ratelimit-reset: 3`, `Retry-After: 1.5`); a value
/// above 10^9 is taken as a Unix timestamp and turned into the time left until it. Values are
/// clamped to 24 h; unparseable values (including HTTP dates) are ignored.
pub fn wait_hint(headers: &HeaderMap, names: &[&str]) -> Option<Duration> {
    let raw = names
        .iter()
        .find_map(|n| headers.get(*n))?
        .to_str()
        .ok()?
        .trim();
    let secs: f64 = raw
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)?;
    let secs = if secs > 1e9 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_secs_f64();
        (secs - now).max(0.0)
    } else {
        secs
    };
    Some(Duration::from_secs_f64(secs.min(MAX_HINT.as_secs_f64())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorClass as C;

    const HINT: Option<Duration> = Some(Duration::from_secs(7));

    fn retry(class: C, ambiguous: bool) -> Verdict {
        Verdict {
            outcome: Outcome::Retry {
                after: HINT,
                consume_attempt: true,
            },
            class: Some(class),
            ambiguous,
        }
    }

    fn permanent(class: C) -> Verdict {
        Verdict {
            outcome: Outcome::Permanent,
            class: Some(class),
            ambiguous: false,
        }
    }

    #[test]
    fn the_table_is_pinned() {
        let success = Verdict {
            outcome: Outcome::Success,
            class: None,
            ambiguous: false,
        };
        let limited = Verdict {
            outcome: Outcome::Retry {
                after: HINT,
                consume_attempt: false,
            },
            class: Some(C::RateLimited),
            ambiguous: false,
        };
        let table: Vec<(Observed, Verdict)> = vec![
            (Observed::Status(200), success),
            (Observed::Status(201), success),
            (Observed::Status(204), success),
            (Observed::Status(301), permanent(C::Config)),
            (Observed::Status(400), permanent(C::ProviderRejected)),
            (Observed::Status(401), permanent(C::Config)),
            (Observed::Status(403), permanent(C::Config)),
            (Observed::Status(404), permanent(C::ProviderRejected)),
            (Observed::Status(408), retry(C::Timeout, false)),
            (Observed::Status(409), permanent(C::ProviderRejected)),
            (Observed::Status(422), permanent(C::ProviderRejected)),
            (Observed::Status(425), retry(C::ProviderServer, false)),
            (Observed::Status(429), limited),
            (Observed::Status(500), retry(C::ProviderServer, false)),
            (Observed::Status(501), permanent(C::ProviderRejected)),
            (Observed::Status(502), retry(C::ProviderServer, true)),
            (Observed::Status(503), retry(C::ProviderServer, false)),
            (Observed::Status(504), retry(C::ProviderServer, true)),
            (Observed::Status(599), retry(C::ProviderServer, false)),
            (Observed::Status(600), permanent(C::ProviderRejected)),
            (
                Observed::Transport(TransportFailure::Connect),
                retry(C::Transport, false),
            ),
            (
                Observed::Transport(TransportFailure::Timeout),
                retry(C::Timeout, true),
            ),
            (
                Observed::Transport(TransportFailure::Interrupted),
                retry(C::Transport, true),
            ),
            (
                Observed::Transport(TransportFailure::Build),
                permanent(C::Config),
            ),
        ];
        for (observed, expected) in table {
            assert_eq!(classify(observed, HINT), expected, "{observed:?}");
        }
    }

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, value.parse().expect("valid header value"));
        h
    }

    #[test]
    fn wait_hints_accept_seconds_decimals_and_unix_timestamps() {
        let h = headers("x-sib-ratelimit-reset", "3");
        assert_eq!(
            wait_hint(&h, &["x-sib-ratelimit-reset"]),
            Some(Duration::from_secs(3))
        );
        let h = headers("retry-after", "1.5");
        assert_eq!(
            wait_hint(&h, &["x-ratelimit-reset", "retry-after"]),
            Some(Duration::from_millis(1500))
        );
        let in_ten = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs()
            + 10;
        let h = headers("retry-after", &in_ten.to_string());
        let d = wait_hint(&h, &["retry-after"]).expect("a hint");
        assert!(
            d <= Duration::from_secs(10) && d >= Duration::from_secs(8),
            "{d:?}"
        );
    }

    #[test]
    fn wait_hints_ignore_garbage_and_clamp_huge_values() {
        assert_eq!(
            wait_hint(&headers("retry-after", "soon"), &["retry-after"]),
            None
        );
        assert_eq!(
            wait_hint(&headers("retry-after", "-4"), &["retry-after"]),
            None
        );
        assert_eq!(wait_hint(&HeaderMap::new(), &["retry-after"]), None);
        assert_eq!(
            wait_hint(&headers("retry-after", "999999"), &["retry-after"]),
            Some(MAX_HINT)
        );
    }
}
