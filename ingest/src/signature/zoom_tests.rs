//! Zoom signature and challenge rules, with vectors from `../shared/fixtures/sign.py`:
//! `--zoom shared/src/events/testdata/zoom_meeting_ended.json zoom-secret 1767225600` and `--zoom-crc qgg8vlvZRS6UYooatFL8Aw zoom-secret`.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::*;

const BODY: &[u8] = include_bytes!("../../../shared/src/events/testdata/zoom_meeting_ended.json");
const SECRET: &str = "zoom-secret";
const TS: i64 = 1_767_225_600;
const SIG: &str = "v0=6f946ac6cd42cff7491fd46ec9c759df160878e8ba9801572fe78b7c98d68a5d";
const CRC: &str = "b17f0320a1322a509340a1a835b3d9edbc491f0b0790ed2d20d0604d39dfe922";

fn verifier() -> ZoomVerifier {
    ZoomVerifier::new(Some(SECRET), Duration::from_secs(180))
}

fn check(sig: &str, ts: &str, body: &[u8], now: i64) -> Result<Verified, SignatureError> {
    verifier().verify(
        Some(sig.as_bytes()),
        Some(ts.as_bytes()),
        Bytes::copy_from_slice(body),
        now,
    )
}

#[test]
fn the_reference_vector_verifies_and_the_challenge_matches() {
    let v = check(SIG, "1767225600", BODY, TS).unwrap();
    assert_eq!(v.provider(), Provider::Zoom);
    assert_eq!(
        verifier().challenge(&v, "qgg8vlvZRS6UYooatFL8Aw").unwrap(),
        CRC
    );
    assert!(
        check(
            &format!("  {} ", SIG.to_uppercase().replace("V0=", "v0=")),
            " 1767225600 ",
            BODY,
            TS
        )
        .is_ok()
    );
}

#[test]
fn each_rule_has_its_reason() {
    assert_eq!(
        check(SIG, "1767225600", b"{}", TS).unwrap_err().reason(),
        "mismatch"
    );
    let other = ZoomVerifier::new(Some("other"), Duration::from_secs(180));
    let err = other.verify(
        Some(SIG.as_bytes()),
        Some(b"1767225600"),
        Bytes::from_static(BODY),
        TS,
    );
    assert_eq!(err.unwrap_err().reason(), "mismatch");
    assert_eq!(
        check(SIG, "1767225601", BODY, TS).unwrap_err().reason(),
        "mismatch"
    );
    assert_eq!(
        check(SIG, "1767225600", BODY, TS + 181)
            .unwrap_err()
            .reason(),
        "stale"
    );
    assert_eq!(
        check(SIG, "1767225600", BODY, TS - 181)
            .unwrap_err()
            .reason(),
        "future"
    );
    assert_eq!(
        check("v1=abc", "1767225600", BODY, TS)
            .unwrap_err()
            .reason(),
        "malformed"
    );
    assert_eq!(
        check("v0=zz", "1767225600", BODY, TS).unwrap_err().reason(),
        "malformed"
    );
    assert_eq!(
        check(SIG, "soon", BODY, TS).unwrap_err().reason(),
        "malformed"
    );
    let v = verifier();
    let none = v.verify(None, Some(b"1"), Bytes::new(), TS).unwrap_err();
    assert_eq!(none, SignatureError::Missing);
    let none = v
        .verify(Some(SIG.as_bytes()), None, Bytes::new(), TS)
        .unwrap_err();
    assert_eq!(none, SignatureError::Missing);
    let unset = ZoomVerifier::new(None, Duration::from_secs(180));
    let err = unset
        .verify(Some(SIG.as_bytes()), Some(b"1"), Bytes::new(), TS)
        .unwrap_err();
    assert_eq!(err, SignatureError::NotConfigured);
    assert!(!format!("{unset:?}{v:?}").contains(SECRET));
}

proptest! {
    #[test]
    fn header_parser_never_panics(sig in ".{0,100}", ts in ".{0,20}") {
        let _ = ZoomHeaders::parse(Some(sig.as_bytes()), Some(ts.as_bytes()));
        let _ = check(&sig, &ts, BODY, TS);
    }

    #[test]
    fn header_parser_never_panics_on_bytes(
        sig in prop::collection::vec(any::<u8>(), 0..80),
        ts in prop::collection::vec(any::<u8>(), 0..20),
    ) {
        let _ = verifier().verify(Some(&sig), Some(&ts), Bytes::new(), TS);
    }
}
