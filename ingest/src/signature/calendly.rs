//! `Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex>`.
//!
//! `v1 = hex(HMAC-SHA256(signing key, "<t>.<raw body>"))`. The header is read tolerantly: spaces
//! around items and around `=`, unknown keys (future schemes) ignored, several `v1` values (key
//! rotation) of which one must match. The `t` text is signed exactly as sent.

use std::time::Duration;

use bytes::Bytes;
use hmac::Mac;
use meetflow_shared::events::Provider;

use super::{
    HmacSha256, MAX_HEADER_LEN, MAX_SIGNATURES, SignatureError, Verified, check_window, decode_tag,
    keyed, parse_unix_seconds,
};

/// The header's name.
pub const HEADER: &str = "calendly-webhook-signature";

/// A parsed `Calendly-Webhook-Signature` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendlyHeader<'a> {
    /// The `t` value as sent (this text is what was signed).
    pub t_text: &'a str,
    /// `t` in Unix seconds.
    pub t: i64,
    /// Every well-formed `v1` tag (1 to [`MAX_SIGNATURES`]).
    pub tags: Vec<[u8; 32]>,
}

impl<'a> CalendlyHeader<'a> {
    /// Parses a header value.
    ///
    /// # Errors
    /// [`SignatureError::Malformed`] for anything but `t=<digits>` once plus at least one
    /// 64-hex-digit `v1`.
    pub fn parse(value: &'a str) -> Result<Self, SignatureError> {
        if value.len() > MAX_HEADER_LEN {
            return Err(SignatureError::Malformed("header too long"));
        }
        let mut t_text = None;
        let mut tags = Vec::new();
        let mut v1_seen = 0usize;
        for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (key, val) = item
                .split_once('=')
                .ok_or(SignatureError::Malformed("expected key=value items"))?;
            match key.trim() {
                "t" if t_text.is_some() => {
                    return Err(SignatureError::Malformed("several timestamps"));
                }
                "t" => t_text = Some(val.trim()),
                "v1" => {
                    v1_seen += 1;
                    if v1_seen > MAX_SIGNATURES {
                        return Err(SignatureError::Malformed("too many signatures"));
                    }
                    if let Some(tag) = decode_tag(val.trim()) {
                        tags.push(tag);
                    }
                }
                _ => {}
            }
        }
        let t_text = t_text.ok_or(SignatureError::Malformed("no t= timestamp"))?;
        let t = parse_unix_seconds(t_text)?;
        if v1_seen == 0 {
            return Err(SignatureError::Malformed("no v1= signature"));
        }
        if tags.is_empty() {
            return Err(SignatureError::Malformed("v1 is not a hex SHA-256"));
        }
        Ok(Self { t_text, t, tags })
    }
}

/// Checks Calendly deliveries against the subscription's signing key.
#[derive(Clone)]
pub struct CalendlyVerifier {
    mac: Option<HmacSha256>,
    tolerance: Duration,
    allow_unsigned: bool,
}

impl std::fmt::Debug for CalendlyVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendlyVerifier")
            .field("signing_key", &self.mac.as_ref().map(|_| "[REDACTED]"))
            .field("tolerance", &self.tolerance)
            .field("allow_unsigned", &self.allow_unsigned)
            .finish()
    }
}

impl CalendlyVerifier {
    /// A verifier for `signing_key` (its UTF-8 bytes are the HMAC key) and a timestamp window.
    /// With `allow_unsigned`, a delivery without the header is accepted as unsigned; one that
    /// carries a header is still verified (when a key is set).
    #[must_use]
    pub fn new(signing_key: Option<&str>, tolerance: Duration, allow_unsigned: bool) -> Self {
        Self {
            mac: signing_key.filter(|k| !k.is_empty()).map(keyed),
            tolerance,
            allow_unsigned,
        }
    }

    /// Whether deliveries without a signature are accepted.
    #[must_use]
    pub fn allows_unsigned(&self) -> bool {
        self.allow_unsigned
    }

    /// Whether a signing key is configured.
    #[must_use]
    pub fn has_key(&self) -> bool {
        self.mac.is_some()
    }

    /// Verifies `body` against the header value (`None` when absent); `now` in Unix seconds.
    ///
    /// # Errors
    /// [`SignatureError`]: missing, malformed, stale, future, mismatch, or not configured.
    pub fn verify(
        &self,
        header: Option<&[u8]>,
        body: Bytes,
        now: i64,
    ) -> Result<Verified, SignatureError> {
        let Some(mac) = &self.mac else {
            return if self.allow_unsigned {
                Ok(Verified::new(Provider::Calendly, body, false))
            } else {
                Err(SignatureError::NotConfigured)
            };
        };
        let Some(raw) = header else {
            return if self.allow_unsigned {
                Ok(Verified::new(Provider::Calendly, body, false))
            } else {
                Err(SignatureError::Missing)
            };
        };
        let text = std::str::from_utf8(raw)
            .map_err(|_| SignatureError::Malformed("header is not UTF-8"))?;
        let parsed = CalendlyHeader::parse(text)?;
        check_window(parsed.t, now, self.tolerance)?;
        let mut mac = mac.clone();
        mac.update(parsed.t_text.as_bytes());
        mac.update(b".");
        mac.update(&body);
        let matched = parsed
            .tags
            .iter()
            .fold(false, |ok, tag| mac.clone().verify_slice(tag).is_ok() | ok);
        if matched {
            Ok(Verified::new(Provider::Calendly, body, true))
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

#[cfg(test)]
#[path = "calendly_tests.rs"]
mod tests;
