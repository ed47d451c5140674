//! `x-zm-signature: v0=<hex>` with `x-zm-request-timestamp: <unix seconds>`.
//!
//! `v0 = hex(HMAC-SHA256(secret token, "v0:<timestamp>:<raw body>"))`, the timestamp text signed
//! exactly as sent. The `endpoint.url_validation` challenge is signed the same way and answered
//! with `encryptedToken = hex(HMAC-SHA256(secret token, plainToken))` ([`ZoomVerifier::challenge`]).

use std::time::Duration;

use bytes::Bytes;
use hmac::Mac;
use meetflow_shared::events::Provider;

use super::{
    HmacSha256, MAX_HEADER_LEN, SignatureError, Verified, check_window, decode_tag, keyed,
    parse_unix_seconds,
};

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "x-zm-signature";
/// The timestamp header's name.
pub const TIMESTAMP_HEADER: &str = "x-zm-request-timestamp";

/// The two signature headers of a Zoom delivery, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoomHeaders<'a> {
    /// The timestamp as sent (this text is what was signed).
    pub ts_text: &'a str,
    /// The timestamp in Unix seconds.
    pub ts: i64,
    /// The `v0` tag.
    pub tag: [u8; 32],
}

impl<'a> ZoomHeaders<'a> {
    /// Parses the header values (`None` when absent).
    ///
    /// # Errors
    /// [`SignatureError::Missing`] when either header is absent, [`SignatureError::Malformed`]
    /// when the signature is not `v0=<64 hex digits>` or the timestamp is not digits.
    pub fn parse(
        signature: Option<&'a [u8]>,
        timestamp: Option<&'a [u8]>,
    ) -> Result<Self, SignatureError> {
        let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
            return Err(SignatureError::Missing);
        };
        if signature.len() > MAX_HEADER_LEN || timestamp.len() > MAX_HEADER_LEN {
            return Err(SignatureError::Malformed("header too long"));
        }
        let signature = std::str::from_utf8(signature)
            .map_err(|_| SignatureError::Malformed("header is not UTF-8"))?;
        let ts_text = std::str::from_utf8(timestamp)
            .map_err(|_| SignatureError::Malformed("header is not UTF-8"))?
            .trim();
        let hex = signature
            .trim()
            .strip_prefix("v0=")
            .ok_or(SignatureError::Malformed(
                "signature does not start with v0=",
            ))?;
        let tag =
            decode_tag(hex.trim()).ok_or(SignatureError::Malformed("v0 is not a hex SHA-256"))?;
        let ts = parse_unix_seconds(ts_text)?;
        Ok(Self { ts_text, ts, tag })
    }
}

/// Checks Zoom deliveries against the webhook app's secret token.
#[derive(Clone)]
pub struct ZoomVerifier {
    mac: Option<HmacSha256>,
    tolerance: Duration,
}

impl std::fmt::Debug for ZoomVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoomVerifier")
            .field("secret", &self.mac.as_ref().map(|_| "[REDACTED]"))
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl ZoomVerifier {
    /// A verifier for `secret` (its UTF-8 bytes are the HMAC key) and a timestamp window.
    #[must_use]
    pub fn new(secret: Option<&str>, tolerance: Duration) -> Self {
        Self {
            mac: secret.filter(|s| !s.is_empty()).map(keyed),
            tolerance,
        }
    }

    /// Whether a secret token is configured.
    #[must_use]
    pub fn has_secret(&self) -> bool {
        self.mac.is_some()
    }

    /// Verifies `body` against the two header values (`None` when absent); `now` in Unix seconds.
    ///
    /// # Errors
    /// [`SignatureError`]: not configured, missing, malformed, stale, future, mismatch.
    pub fn verify(
        &self,
        signature: Option<&[u8]>,
        timestamp: Option<&[u8]>,
        body: Bytes,
        now: i64,
    ) -> Result<Verified, SignatureError> {
        let mac = self.mac.as_ref().ok_or(SignatureError::NotConfigured)?;
        let headers = ZoomHeaders::parse(signature, timestamp)?;
        check_window(headers.ts, now, self.tolerance)?;
        let mut mac = mac.clone();
        mac.update(b"v0:");
        mac.update(headers.ts_text.as_bytes());
        mac.update(b":");
        mac.update(&body);
        mac.verify_slice(&headers.tag)
            .map_err(|_| SignatureError::Mismatch)?;
        Ok(Verified::new(Provider::Zoom, body, true))
    }

    /// The `encryptedToken` answering a verified `endpoint.url_validation`: hex HMAC of `plain`.
    /// `None` when no secret is configured (such a request cannot have been verified anyway).
    #[must_use]
    pub fn challenge(&self, _verified: &Verified, plain_token: &str) -> Option<String> {
        let mut mac = self.mac.clone()?;
        mac.update(plain_token.as_bytes());
        Some(hex::encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
#[path = "zoom_tests.rs"]
mod tests;
