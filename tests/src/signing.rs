//! Webhook signatures as the providers compute them, for tests that play the provider.
//!
//! Written independently of the service's verifiers (same formulas as
//! `../shared/fixtures/sign.py`), so a test signing with these functions checks the verifier
//! against the providers' documented scheme, not against itself. Keys are used as their
//! UTF-8 bytes; bodies must be the exact bytes sent on the wire.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// `hex(HMAC-SHA256(key, msg))`.
pub fn hmac_sha256_hex(key: &str, msg: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(msg);
    hex::encode(mac.finalize().into_bytes())
}

/// Value of the `Calendly-Webhook-Signature` header:
/// `t=<t>,v1=hex(HMAC-SHA256(key, "<t>.<body>"))`.
pub fn calendly_signature(key: &str, t: i64, body: &[u8]) -> String {
    let mut msg = format!("{t}.").into_bytes();
    msg.extend_from_slice(body);
    format!("t={t},v1={}", hmac_sha256_hex(key, &msg))
}

/// Value of Zoom's `x-zm-signature` header: `v0=hex(HMAC-SHA256(secret, "v0:<ts>:<body>"))`.
/// Send `ts` (Unix seconds) in `x-zm-request-timestamp`.
pub fn zoom_signature(secret: &str, ts: i64, body: &[u8]) -> String {
    let mut msg = format!("v0:{ts}:").into_bytes();
    msg.extend_from_slice(body);
    format!("v0={}", hmac_sha256_hex(secret, &msg))
}

/// Zoom's `encryptedToken` for an `endpoint.url_validation` challenge:
/// `hex(HMAC-SHA256(secret, plainToken))`.
pub fn zoom_encrypted_token(secret: &str, plain: &str) -> String {
    hmac_sha256_hex(secret, plain.as_bytes())
}

/// The JSON Zoom expects back from `endpoint.url_validation`, compact, keys in the order
/// `plainToken`, `encryptedToken` (same bytes as `sign.py --zoom-crc`).
pub fn zoom_url_validation_response(secret: &str, plain: &str) -> String {
    let plain_json = serde_json::Value::String(plain.to_owned()).to_string();
    format!(
        "{{\"plainToken\":{plain_json},\"encryptedToken\":\"{}\"}}",
        zoom_encrypted_token(secret, plain)
    )
}

/// EngageLab's optional callback header `X-CALLBACK-ID`:
/// `timestamp=..;nonce=..;username=..;signature=hex(HMAC-SHA256(secret, ts+nonce+username))`.
pub fn engagelab_callback_id(username: &str, secret: &str, ts: i64, nonce: &str) -> String {
    let sig = hmac_sha256_hex(secret, format!("{ts}{nonce}{username}").as_bytes());
    format!("timestamp={ts};nonce={nonce};username={username};signature={sig}")
}

#[cfg(test)]
mod tests {
    //! Vectors computed with `../shared/fixtures/sign.py` (an independent implementation) over the
    //! sample bodies in `shared/src/events/testdata/`.
    use super::*;
    use crate::fixtures;

    #[test]
    fn hmac_matches_rfc_style_vector() {
        assert_eq!(
            hmac_sha256_hex("key", b"The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn calendly_matches_sign_py() {
        let sig = calendly_signature(
            "whsec_calendly_test_key",
            1_767_225_600,
            fixtures::CALENDLY_INVITEE_CREATED.as_bytes(),
        );
        assert_eq!(
            sig,
            "t=1767225600,v1=db9685d381506f5a036756d2958b0d4ad48f4c64212dbd7242e376428f216cec"
        );
    }

    #[test]
    fn zoom_matches_sign_py() {
        let sig = zoom_signature(
            "zoom_secret_token_test",
            1_767_225_600,
            fixtures::ZOOM_MEETING_ENDED.as_bytes(),
        );
        assert_eq!(
            sig,
            "v0=813ef2c9915759b57775691683f5d6d1cf49ed10816a35817f2e45a83ead52ed"
        );
    }

    #[test]
    fn zoom_crc_matches_sign_py() {
        assert_eq!(
            zoom_url_validation_response("zoom_secret_token_test", "qgg8vlvZRS6UYooatFL8Aw"),
            r#"{"plainToken":"qgg8vlvZRS6UYooatFL8Aw","encryptedToken":"c6fb82d8a5403f6356dbff261ddafe6b1afe9204320c8d8eb1d95a6e2c251be3"}"#
        );
    }

    #[test]
    fn engagelab_callback_matches_sign_py() {
        assert_eq!(
            engagelab_callback_id("user1", "secret1", 1_767_225_600, "abc123"),
            "timestamp=1767225600;nonce=abc123;username=user1;signature=00717f8de73551c36eb3f732713a3ca4e634a0752182bc6e4fb830218b1b2cd5"
        );
    }

    #[test]
    fn a_changed_byte_changes_the_signature() {
        let body = fixtures::CALENDLY_INVITEE_CREATED.as_bytes();
        let mut other = body.to_vec();
        other.push(b' ');
        assert_ne!(
            calendly_signature("k", 1, body),
            calendly_signature("k", 1, &other)
        );
    }
}
