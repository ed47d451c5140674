//! `X-CALLBACK-ID: timestamp={ts};nonce={nonce};username={u};signature={hex}` on EngageLab's
//! delivery callbacks (`docs/providers.md` 4.3).
//!
//! `signature = hex(HMAC-SHA256(engagelab.callback_secret, ts + nonce + username))`, computed by
//! [`meetflow_shared::providers::engagelab::callback`]. The body is not covered, so the timestamp
//! must also lie within the window (seconds; a 13-digit value is read as milliseconds), and when
//! `engagelab.callback_username` is set the header must name it.

use std::time::Duration;

use bytes::Bytes;
use hmac::Mac;
use meetflow_shared::events::Provider;
use meetflow_shared::providers::engagelab::callback::{CallbackId, callback_mac};
use secrecy::{ExposeSecret, SecretString};

use super::{
    MAX_HEADER_LEN, SignatureError, Verified, check_window, decode_tag, parse_unix_seconds,
};

/// Checks EngageLab callbacks against the configured callback secret (`Debug` shows it redacted).
#[derive(Clone, Debug)]
pub struct EngageLabVerifier {
    secret: Option<SecretString>,
    username: Option<String>,
    tolerance: Duration,
}

impl EngageLabVerifier {
    /// A verifier for `secret` (empty = callbacks off), an optional expected username and a
    /// timestamp window.
    #[must_use]
    pub fn new(secret: Option<&str>, username: Option<&str>, tolerance: Duration) -> Self {
        Self {
            secret: secret
                .filter(|s| !s.is_empty())
                .map(|s| SecretString::from(s.to_owned())),
            username: username
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned),
            tolerance,
        }
    }

    /// Whether a callback secret is configured (else the route answers 404).
    #[must_use]
    pub fn has_secret(&self) -> bool {
        self.secret.is_some()
    }

    /// Verifies the `X-CALLBACK-ID` value (`None` when absent); `now` in Unix seconds.
    ///
    /// # Errors
    /// [`SignatureError`]: not configured, missing, malformed, stale, future, mismatch (also a
    /// username other than the configured one).
    pub fn verify(
        &self,
        header: Option<&[u8]>,
        body: Bytes,
        now: i64,
    ) -> Result<Verified, SignatureError> {
        let secret = self.secret.as_ref().ok_or(SignatureError::NotConfigured)?;
        let header = header.ok_or(SignatureError::Missing)?;
        if header.len() > MAX_HEADER_LEN {
            return Err(SignatureError::Malformed("header too long"));
        }
        let text = std::str::from_utf8(header)
            .map_err(|_| SignatureError::Malformed("header is not UTF-8"))?;
        let id = CallbackId::parse(text).ok_or(SignatureError::Malformed(
            "not timestamp=..;nonce=..;username=..;signature=..",
        ))?;
        let tag = decode_tag(id.signature)
            .ok_or(SignatureError::Malformed("signature is not a hex SHA-256"))?;
        let millis = id.timestamp.len() == 13 && id.timestamp.bytes().all(|b| b.is_ascii_digit());
        // 13 digits are milliseconds: their seconds are the first 10 (all ASCII digits).
        let ts = parse_unix_seconds(if millis {
            &id.timestamp[..10]
        } else {
            id.timestamp
        })?;
        check_window(ts, now, self.tolerance)?;
        let mac = callback_mac(secret.expose_secret(), id.timestamp, id.nonce, id.username);
        mac.verify_slice(&tag)
            .map_err(|_| SignatureError::Mismatch)?;
        if self.username.as_deref().is_some_and(|u| u != id.username) {
            return Err(SignatureError::Mismatch);
        }
        Ok(Verified::new(Provider::EngageLab, body, true))
    }
}

#[cfg(test)]
mod tests {
    use meetflow_shared::providers::engagelab::callback::callback_header;

    use super::*;

    const NOW: i64 = 1_767_225_600;

    fn verifier(user: Option<&str>) -> EngageLabVerifier {
        EngageLabVerifier::new(Some("cb-secret"), user, Duration::from_secs(300))
    }

    fn check(v: &EngageLabVerifier, header: &str) -> Result<(), &'static str> {
        v.verify(Some(header.as_bytes()), Bytes::from_static(b"{}"), NOW)
            .map(|_| ())
            .map_err(|e| e.reason())
    }

    #[test]
    fn a_signed_header_passes_and_everything_else_fails_by_reason() {
        let v = verifier(None);
        assert_eq!(
            check(&v, &callback_header("cb-secret", NOW, "n", "u")),
            Ok(())
        );
        let ms = callback_header("cb-secret", NOW * 1000, "n", "u");
        assert_eq!(check(&v, &ms), Ok(()));
        assert_eq!(
            check(&v, &callback_header("wrong", NOW, "n", "u")),
            Err("mismatch")
        );
        assert_eq!(
            check(&v, &callback_header("cb-secret", NOW - 301, "n", "u")),
            Err("stale")
        );
        assert_eq!(check(&v, "signature=zz"), Err("malformed"));
        assert_eq!(
            v.verify(None, Bytes::new(), NOW)
                .map_err(|e| e.reason())
                .err(),
            Some("missing")
        );
        let off = EngageLabVerifier::new(Some(""), None, Duration::from_secs(1));
        assert!(!off.has_secret());
        assert_eq!(
            off.verify(None, Bytes::new(), NOW)
                .map_err(|e| e.reason())
                .err(),
            Some("not_configured")
        );
    }

    #[test]
    fn a_configured_username_must_be_the_one_signed() {
        let v = verifier(Some("meetflow"));
        assert_eq!(
            check(&v, &callback_header("cb-secret", NOW, "n", "meetflow")),
            Ok(())
        );
        assert_eq!(
            check(&v, &callback_header("cb-secret", NOW, "n", "other")),
            Err("mismatch")
        );
    }
}
