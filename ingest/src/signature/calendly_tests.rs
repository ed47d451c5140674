//! Calendly signature rules, with vectors from `../shared/fixtures/sign.py` (an independent
//! implementation): `python3 sign.py shared/src/events/testdata/invitee_created.json test-signing-key 1767225600`.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::*;

const BODY: &[u8] = include_bytes!("../../../shared/src/events/testdata/invitee_created.json");
const KEY: &str = "test-signing-key";
const T: i64 = 1_767_225_600;
const SIG: &str = "dca03264dedd3daf113ed6190a3c622dee472c3147ed20a0ef78ec46c995ff3d";

fn verifier() -> CalendlyVerifier {
    CalendlyVerifier::new(Some(KEY), Duration::from_secs(180), false)
}

fn check(header: &str, body: &[u8], now: i64) -> Result<Verified, SignatureError> {
    verifier().verify(Some(header.as_bytes()), Bytes::copy_from_slice(body), now)
}

#[test]
fn the_reference_vector_verifies() {
    let v = check(&format!("t={T},v1={SIG}"), BODY, T).unwrap();
    assert!(v.signed());
    assert_eq!(v.body(), BODY);
    assert_eq!(v.provider(), Provider::Calendly);
}

#[test]
fn whitespace_case_and_several_v1_values_are_tolerated() {
    let upper = SIG.to_uppercase();
    let zeros = "0".repeat(64);
    for header in [
        format!(" t = {T} , v1 = {SIG} "),
        format!("v1={zeros},t={T},v1={upper}"),
        format!("t={T},v0=abc,v1=nothex,v1={SIG},"),
    ] {
        assert!(check(&header, BODY, T + 5).is_ok(), "{header}");
    }
}

#[test]
fn wrong_key_and_tampered_body_are_mismatches() {
    let other = CalendlyVerifier::new(Some("another-key"), Duration::from_secs(180), false);
    let header = format!("t={T},v1={SIG}");
    let err = other.verify(Some(header.as_bytes()), Bytes::from_static(BODY), T);
    assert_eq!(err.unwrap_err(), SignatureError::Mismatch);
    let mut tampered = BODY.to_vec();
    tampered[40] ^= 1;
    assert_eq!(
        check(&header, &tampered, T).unwrap_err(),
        SignatureError::Mismatch
    );
    // The signed timestamp is part of the message: moving it breaks the signature.
    let moved = format!("t={},v1={SIG}", T + 1);
    assert_eq!(
        check(&moved, BODY, T).unwrap_err(),
        SignatureError::Mismatch
    );
}

#[test]
fn timestamps_outside_the_window_are_stale_or_future() {
    let header = format!("t={T},v1={SIG}");
    assert_eq!(check(&header, BODY, T + 181).unwrap_err().reason(), "stale");
    assert_eq!(
        check(&header, BODY, T - 181).unwrap_err().reason(),
        "future"
    );
    assert!(check(&header, BODY, T + 180).is_ok());
    assert!(check(&header, BODY, T - 180).is_ok());
}

#[test]
fn missing_and_garbage_headers_have_their_own_reasons() {
    let v = verifier();
    assert_eq!(
        v.verify(None, Bytes::from_static(BODY), T).unwrap_err(),
        SignatureError::Missing
    );
    for garbage in [
        "",
        "hello",
        "t=1",
        "v1=00",
        "t=abc,v1=00",
        "t=1,t=2,v1=00",
        "t=1,v1=zz",
    ] {
        assert_eq!(
            check(garbage, BODY, T).unwrap_err().reason(),
            "malformed",
            "{garbage:?}"
        );
    }
    let bytes = [b't', b'=', 0xff];
    assert_eq!(
        v.verify(Some(&bytes), Bytes::new(), T)
            .unwrap_err()
            .reason(),
        "malformed"
    );
    let many = format!("t={T}{}", format!(",v1={SIG}").repeat(9));
    assert_eq!(
        check(&many, BODY, T).unwrap_err(),
        SignatureError::Malformed("too many signatures")
    );
}

#[test]
fn unsigned_deliveries_need_allow_unsigned() {
    let lax = CalendlyVerifier::new(Some(KEY), Duration::from_secs(180), true);
    let v = lax.verify(None, Bytes::from_static(BODY), T).unwrap();
    assert!(!v.signed());
    // A delivery that does carry a signature is still checked.
    let bad = lax.verify(Some(b"t=1767225600,v1=00"), Bytes::from_static(BODY), T);
    assert_eq!(bad.unwrap_err().reason(), "malformed");
    let keyless = CalendlyVerifier::new(None, Duration::from_secs(180), false);
    let err = keyless
        .verify(Some(b"t=1,v1=00"), Bytes::new(), T)
        .unwrap_err();
    assert_eq!(err, SignatureError::NotConfigured);
    assert!(format!("{lax:?}").contains("REDACTED") && !format!("{lax:?}").contains(KEY));
}

proptest! {
    #[test]
    fn header_parser_never_panics_on_any_text(s in ".{0,300}") {
        let _ = CalendlyHeader::parse(&s);
        let _ = verifier().verify(Some(s.as_bytes()), Bytes::from_static(BODY), T);
    }

    #[test]
    fn header_parser_never_panics_on_header_like_text(
        items in prop::collection::vec(("[ tv01]{0,3}", "[ =]{0,2}", "[0-9a-fA-F ,=-]{0,70}"), 0..12)
    ) {
        let s: String = items.iter().map(|(k, e, v)| format!("{k}{e}{v},")).collect();
        let _ = verifier().verify(Some(s.as_bytes()), Bytes::from_static(BODY), T);
    }

    #[test]
    fn any_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = verifier().verify(Some(&raw), Bytes::copy_from_slice(&raw), T);
    }

    #[test]
    fn only_the_right_tag_verifies(flip in 0usize..64) {
        let mut sig = SIG.as_bytes().to_vec();
        sig[flip] = if sig[flip] == b'0' { b'1' } else { b'0' };
        let header = format!("t={T},v1={}", String::from_utf8(sig).unwrap());
        prop_assert_eq!(check(&header, BODY, T).unwrap_err(), SignatureError::Mismatch);
    }
}
