//! `X-CALLBACK-ID: timestamp={ts};nonce={nonce};username={u};signature={hex}` on EngageLab's
//! delivery callbacks (`docs/providers.md` 4.3).
//!
//! `signature = hex(HMAC-SHA256(engagelab.callback_secret, ts + nonce + username))`, computed by
//! [`meetflow_shared::providers::engagelab::callback`]. The body is not covered, so the timestamp
//! must also lie within the window (seconds; a 13-digit value is read as milliseconds), and when
//! `engagelab.callback_username` is set the header must name it.
//!
//! EngageLab's console also has a static "Authorization" value it sends as the `Authorization`
//! header of every callback (`engagelab.callback_authorization`). Either check may be configured
//! alone, or both (then both must pass). The value is compared in constant time, through a MAC of
//! each side under a fixed key.

use std::time::Duration;

use bytes::Bytes;
use hmac::Mac;
use meetflow_shared::events::Provider;
use meetflow_shared::providers::engagelab::callback::{CallbackId, callback_mac};
use secrecy::{ExposeSecret, SecretString};

use super::{
    HmacSha256, MAX_HEADER_LEN, SignatureError, Verified, check_window, decode_tag, keyed,
    parse_unix_seconds,
};

/// The fixed key both sides of the `Authorization` comparison are MACed with.
const AUTHORIZATION_KEY: &str = "meetflow engagelab callback authorization";

fn authorization_mac(value: &[u8]) -> HmacSha256 {
    let mut mac = keyed(AUTHORIZATION_KEY);
    mac.update(value);
    mac
}

/// Checks EngageLab callbacks against the configured callback secret and/or static
/// `Authorization` value (`Debug` shows neither).
#[derive(Clone)]
pub struct EngageLabVerifier {
    secret: Option<SecretString>,
    username: Option<String>,
    /// The MAC of the expected `Authorization` value (never the value itself).
    authorization: Option<Vec<u8>>,
    tolerance: Duration,
}

impl std::fmt::Debug for EngageLabVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngageLabVerifier")
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("username", &self.username)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "[redacted]"),
            )
            .field("tolerance", &self.tolerance)
            .finish()
    }
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
            authorization: None,
            tolerance,
        }
    }

    /// Also requires the `Authorization` header to be exactly `value` (`None` or empty: not
    /// required).
    #[must_use]
    pub fn with_authorization(mut self, value: Option<&str>) -> Self {
        self.authorization = value.filter(|v| !v.trim().is_empty()).map(|v| {
            authorization_mac(v.as_bytes())
                .finalize()
                .into_bytes()
                .to_vec()
        });
        self
    }

    /// Whether a callback secret or an `Authorization` value is configured (else the route
    /// answers 404).
    #[must_use]
    pub fn is_on(&self) -> bool {
        self.secret.is_some() || self.authorization.is_some()
    }

    /// Whether `value` passes the `Authorization` check (always, when none is configured).
    #[must_use]
    pub fn authorization_matches(&self, value: &[u8]) -> bool {
        self.authorization.as_ref().is_none_or(|expected| {
            value.len() <= MAX_HEADER_LEN && authorization_mac(value).verify_slice(expected).is_ok()
        })
    }

    /// Whether the `X-CALLBACK-ID` signature is checked.
    #[must_use]
    pub fn has_secret(&self) -> bool {
        self.secret.is_some()
    }

    /// Verifies a callback: its `Authorization` value when one is configured, and its
    /// `X-CALLBACK-ID` value when a secret is (each `None` when absent); `now` in Unix seconds.
    ///
    /// # Errors
    /// [`SignatureError`]: not configured, missing, malformed, stale, future, mismatch (also a
    /// username other than the configured one, or a wrong `Authorization`).
    pub fn verify(
        &self,
        callback_id: Option<&[u8]>,
        authorization: Option<&[u8]>,
        body: Bytes,
        now: i64,
    ) -> Result<Verified, SignatureError> {
        if !self.is_on() {
            return Err(SignatureError::NotConfigured);
        }
        if let Some(expected) = &self.authorization {
            let got = authorization.ok_or(SignatureError::Missing)?;
            if got.len() > MAX_HEADER_LEN {
                return Err(SignatureError::Malformed("header too long"));
            }
            authorization_mac(got)
                .verify_slice(expected)
                .map_err(|_| SignatureError::Mismatch)?;
        }
        let Some(secret) = self.secret.as_ref() else {
            return Ok(Verified::new(Provider::EngageLab, body, true));
        };
        let header = callback_id.ok_or(SignatureError::Missing)?;
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
        v.verify(
            Some(header.as_bytes()),
            None,
            Bytes::from_static(b"{}"),
            NOW,
        )
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
            v.verify(None, None, Bytes::new(), NOW)
                .map_err(|e| e.reason())
                .err(),
            Some("missing")
        );
        let off = EngageLabVerifier::new(Some(""), None, Duration::from_secs(1));
        assert!(!off.has_secret());
        assert_eq!(
            off.verify(None, None, Bytes::new(), NOW)
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

    fn with_auth(v: EngageLabVerifier) -> EngageLabVerifier {
        v.with_authorization(Some("Bearer el-token"))
    }

    fn check_both(
        v: &EngageLabVerifier,
        callback_id: Option<&str>,
        auth: Option<&str>,
    ) -> Result<(), &'static str> {
        v.verify(
            callback_id.map(str::as_bytes),
            auth.map(str::as_bytes),
            Bytes::from_static(b"{}"),
            NOW,
        )
        .map(|_| ())
        .map_err(|e| e.reason())
    }

    #[test]
    fn the_authorization_value_alone_must_match_exactly() {
        let v = with_auth(EngageLabVerifier::new(None, None, Duration::from_secs(300)));
        assert!(v.is_on());
        assert!(!v.has_secret());
        assert_eq!(check_both(&v, None, Some("Bearer el-token")), Ok(()));
        assert_eq!(
            check_both(&v, None, Some("Bearer el-token ")),
            Err("mismatch")
        );
        assert_eq!(
            check_both(&v, None, Some("bearer el-token")),
            Err("mismatch")
        );
        assert_eq!(check_both(&v, None, None), Err("missing"));
        assert!(!format!("{v:?}").contains("el-token"));
        let off = EngageLabVerifier::new(None, None, Duration::from_secs(1))
            .with_authorization(Some(" "));
        assert!(!off.is_on());
    }

    #[test]
    fn with_both_configured_both_must_pass() {
        let v = with_auth(verifier(None));
        let good = callback_header("cb-secret", NOW, "n", "u");
        let bad = callback_header("wrong", NOW, "n", "u");
        assert_eq!(check_both(&v, Some(&good), Some("Bearer el-token")), Ok(()));
        assert_eq!(
            check_both(&v, Some(&good), Some("Bearer other")),
            Err("mismatch")
        );
        assert_eq!(check_both(&v, Some(&good), None), Err("missing"));
        assert_eq!(
            check_both(&v, Some(&bad), Some("Bearer el-token")),
            Err("mismatch")
        );
        assert_eq!(
            check_both(&v, None, Some("Bearer el-token")),
            Err("missing")
        );
    }
}
