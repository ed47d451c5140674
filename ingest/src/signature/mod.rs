//! Webhook signature verification over the raw body bytes, before anything is parsed.
//!
//! Both providers sign with HMAC-SHA256 of a timestamp and the raw body (`docs/providers.md`
//! sections 1.3 and 2.1). Comparison is constant-time (`Mac::verify_slice` on the hex-decoded
//! tag), the timestamp must lie within the configured window on both sides (an old signature is a
//! replay, one far in the future is forged or from a broken clock), and each failure has its own
//! [`SignatureError`] variant, counted by reason.
//!
//! Typestate: the only way to get a [`Verified`] body is through a verifier, and the enqueuer only
//! takes a [`Verified`], so an unchecked body cannot reach Redis by mistake.

mod calendly;
mod engagelab;
mod zoom;

use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, KeyInit};
use meetflow_shared::events::Provider;
use sha2::Sha256;

pub use calendly::{CalendlyHeader, CalendlyVerifier, HEADER as CALENDLY_HEADER};
pub use engagelab::EngageLabVerifier;
pub use zoom::{
    SIGNATURE_HEADER as ZOOM_SIGNATURE_HEADER, TIMESTAMP_HEADER as ZOOM_TIMESTAMP_HEADER,
    ZoomHeaders, ZoomVerifier,
};

/// HMAC-SHA256, the MAC both providers use.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Most `v1=` values accepted in one Calendly header (key rotation sends two; more is abuse).
pub(crate) const MAX_SIGNATURES: usize = 8;
/// Longest signature header read; longer ones are malformed.
pub(crate) const MAX_HEADER_LEN: usize = 1024;

/// A body whose signature checked out, or that configuration allows unsigned.
#[derive(Debug, Clone)]
pub struct Verified {
    provider: Provider,
    body: Bytes,
    signed: bool,
}

impl Verified {
    fn new(provider: Provider, body: Bytes, signed: bool) -> Self {
        Self {
            provider,
            body,
            signed,
        }
    }

    /// Who sent it.
    #[must_use]
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The raw body, byte for byte.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// `false` when accepted without a signature (`allow_unsigned`).
    #[must_use]
    pub fn signed(&self) -> bool {
        self.signed
    }
}

/// Why a delivery's signature was refused (always answered 401, nothing stored).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature header (or, for Zoom, no timestamp header).
    #[error("signature header missing")]
    Missing,
    /// The header is there but cannot be read.
    #[error("signature header malformed: {0}")]
    Malformed(&'static str),
    /// The signed timestamp is older than the window.
    #[error("signature timestamp is older than the accepted window")]
    Stale {
        /// How far outside the window, in seconds.
        age_secs: u64,
    },
    /// The signed timestamp is further in the future than the window.
    #[error("signature timestamp is in the future beyond the accepted window")]
    Future {
        /// How far ahead of now, in seconds.
        ahead_secs: u64,
    },
    /// No signature value matches the body.
    #[error("signature does not match")]
    Mismatch,
    /// This route has no secret configured, so nothing can be verified.
    #[error("webhook secret not configured")]
    NotConfigured,
}

impl SignatureError {
    /// Metric label: `missing`, `malformed`, `stale`, `future`, `mismatch`, `not_configured`.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed(_) => "malformed",
            Self::Stale { .. } => "stale",
            Self::Future { .. } => "future",
            Self::Mismatch => "mismatch",
            Self::NotConfigured => "not_configured",
        }
    }
}

/// A keyed MAC, ready to be cloned per request (the key schedule is computed once).
pub(crate) fn keyed(secret: &str) -> HmacSha256 {
    HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length")
}

/// Reads a Unix timestamp in seconds: 1 to 12 ASCII digits (enough until year 33658).
pub(crate) fn parse_unix_seconds(text: &str) -> Result<i64, SignatureError> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::Malformed(
            "timestamp is not a number of seconds",
        ));
    }
    text.parse()
        .map_err(|_| SignatureError::Malformed("timestamp is not a number of seconds"))
}

/// Accepts `t` when it is at most `tolerance` before or after `now` (both Unix seconds).
pub(crate) fn check_window(t: i64, now: i64, tolerance: Duration) -> Result<(), SignatureError> {
    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    let age = now.saturating_sub(t);
    if age > tolerance {
        return Err(SignatureError::Stale {
            age_secs: age.unsigned_abs(),
        });
    }
    if age < 0 && age.unsigned_abs() > tolerance.unsigned_abs() {
        return Err(SignatureError::Future {
            ahead_secs: age.unsigned_abs(),
        });
    }
    Ok(())
}

/// Decodes a hex SHA-256 tag (64 hex digits, either case).
pub(crate) fn decode_tag(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_rejects_both_sides_and_accepts_the_edges() {
        let tol = Duration::from_secs(180);
        assert_eq!(check_window(1000, 1180, tol), Ok(()));
        assert_eq!(check_window(1180, 1000, tol), Ok(()));
        assert_eq!(
            check_window(1000, 1181, tol),
            Err(SignatureError::Stale { age_secs: 181 })
        );
        assert_eq!(
            check_window(1181, 1000, tol),
            Err(SignatureError::Future { ahead_secs: 181 })
        );
        let huge = Duration::from_secs(u64::MAX);
        assert_eq!(check_window(0, i64::MAX, huge), Ok(()));
        assert_eq!(
            check_window(i64::MAX, i64::MIN, Duration::ZERO).map_err(|e| e.reason()),
            Err("future")
        );
    }

    #[test]
    fn timestamps_are_digits_only() {
        assert_eq!(parse_unix_seconds("1767225600"), Ok(1_767_225_600));
        for bad in ["", "-1", "+1", "1.5", " 1", "1e9", "9999999999999", "١٢"] {
            assert!(parse_unix_seconds(bad).is_err(), "{bad:?}");
        }
    }
}
