//! EngageLab's send error codes (docs/providers.md section 4.2) and what each means for us.
//!
//! EngageLab reports errors as `{code, message}` and may do so with HTTP 200, so the code is read
//! whatever the status. A known code decides on its own; an unknown code falls back to the HTTP
//! table, and an unknown code on a 2xx is a permanent rejection (re-sending something we do not
//! understand could text a person twice).

use std::time::Duration;

use crate::domain::ErrorClass;

/// How long to wait before the single retry a 5001 ("sending failed") allows.
pub const SEND_FAILED_RETRY_DELAY: Duration = Duration::from_secs(300);

/// What a body code means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CodeAction {
    /// Transient: retry with back-off.
    Retry(ErrorClass),
    /// Do not retry.
    Permanent(ErrorClass),
    /// The same template already went to this number recently (3004): treat as done.
    Suppressed,
    /// Per-recipient send failure (5001): at most one retry, after [`SEND_FAILED_RETRY_DELAY`].
    RetryOnceLater,
}

/// The table. `None` = a code we do not know.
pub(super) fn action(code: i64) -> Option<CodeAction> {
    use CodeAction::*;
    use ErrorClass as C;
    Some(match code {
        1000 => Retry(C::ProviderServer),
        2001 | 2002 | 2004 => Permanent(C::Config),
        3001 | 3002 => Permanent(C::ProviderRejected),
        // Business validation: template or signature not usable, balance; an operator must act.
        3003 => Permanent(C::Config),
        3004 => Suppressed,
        // Unknown template id.
        4001 => Permanent(C::Config),
        5001 => RetryOnceLater,
        // OTP-family per-recipient failures (invalid format, unreachable, blacklisted, ...).
        5011..=5020 => Permanent(C::ProviderRejected),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use CodeAction::*;
    use ErrorClass as C;

    #[test]
    fn every_documented_code_is_classified() {
        let table = [
            (1000, Some(Retry(C::ProviderServer))),
            (2001, Some(Permanent(C::Config))),
            (2002, Some(Permanent(C::Config))),
            (2004, Some(Permanent(C::Config))),
            (3001, Some(Permanent(C::ProviderRejected))),
            (3002, Some(Permanent(C::ProviderRejected))),
            (3003, Some(Permanent(C::Config))),
            (3004, Some(Suppressed)),
            (4001, Some(Permanent(C::Config))),
            (5001, Some(RetryOnceLater)),
            (5011, Some(Permanent(C::ProviderRejected))),
            (5020, Some(Permanent(C::ProviderRejected))),
            (0, None),
            (9999, None),
        ];
        for (code, expected) in table {
            assert_eq!(action(code), expected, "code {code}");
        }
    }
}
