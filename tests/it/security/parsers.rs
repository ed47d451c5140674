//! Security: the signature header parsers and the Calendly/Zoom event readers under property tests
//! (the CI stand-in for `fuzz/`, which needs nightly: see scripts/fuzz.sh). What is checked on top
//! of the unit proptests in ingest and shared/src/events: the whole intake path on hostile input
//! (verify, then read, then identity, then the worker's full parse), correctly signed arbitrary
//! bodies, header variants that must not change the verdict, nesting at any depth (no stack
//! overflow), and that memory stays proportional to the input (peak RSS per case, `VmHWM`).

use std::time::Duration;

use bytes::Bytes;
use meetflow_ingest::intake::Reading;
use meetflow_ingest::signature::{
    CalendlyHeader, CalendlyVerifier, SignatureError, ZoomHeaders, ZoomVerifier,
};
use meetflow_shared::events::identity::Identity;
use meetflow_shared::events::{calendly, zoom};
use meetflow_tests::signing::{calendly_signature, zoom_signature};
use proptest::prelude::*;

const KEY: &str = "prop-key";
const NOW: i64 = 1_767_225_600;
const WINDOW: Duration = Duration::from_secs(180);

fn cal() -> CalendlyVerifier {
    CalendlyVerifier::new(Some(KEY), WINDOW, false)
}

fn zm() -> ZoomVerifier {
    ZoomVerifier::new(Some(KEY), WINDOW)
}

/// What ingest and then a worker do with a body, start to end; must be total.
fn intake_and_work(header: &[u8], ts: &[u8], body: &[u8]) {
    if let Ok(v) = cal().verify(Some(header), Bytes::copy_from_slice(body), NOW) {
        if let Reading::Event { identity, .. } = Reading::calendly(&v) {
            let _ = identity.job_id();
        }
        let _ = calendly::parse(v.body());
    }
    if let Ok(v) = zm().verify(Some(header), Some(ts), Bytes::copy_from_slice(body), NOW) {
        let head = zoom::head(v.body());
        if let Ok(h) = &head {
            let _ = zm().challenge(&v, h.plain_token.as_deref().unwrap_or(""));
        }
        let _ = Reading::zoom(&v, head);
        let _ = zoom::parse(v.body());
    }
}

fn read_all(body: &[u8]) {
    if let Ok(h) = calendly::head(body) {
        let _ = Identity::calendly(&h, body).job_id();
    }
    if let Ok(h) = zoom::head(body) {
        let _ = Identity::zoom(&h, body).job_id();
    }
    let _ = calendly::parse(body);
    let _ = zoom::parse(body);
}

/// JSON-ish text: the tokens a JSON reader branches on, in any order.
fn jsonish() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("\"event\"".to_owned()),
        Just("\"payload\"".to_owned()),
        Just("\"uri\"".to_owned()),
        Just("\"object\"".to_owned()),
        Just("\"invitee.created\"".to_owned()),
        Just("\"meeting.participant_joined\"".to_owned()),
        Just("\"\\u0000\\ud800\"".to_owned()),
        Just("1e999".to_owned()),
        Just("-0".to_owned()),
        Just("null".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        "[ -~]{0,6}",
    ];
    prop::collection::vec(token, 0..80).prop_map(|t| t.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn the_intake_path_is_total_on_arbitrary_bytes(
        header in prop::collection::vec(any::<u8>(), 0..120),
        ts in prop::collection::vec(any::<u8>(), 0..16),
        body in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        intake_and_work(&header, &ts, &body);
    }

    #[test]
    fn correctly_signed_jsonish_bodies_reach_the_readers_and_never_panic(body in jsonish()) {
        let t = NOW - 5;
        let sig = calendly_signature(KEY, t, &body);
        prop_assert!(cal().verify(Some(sig.as_bytes()), Bytes::from(body.clone()), NOW).is_ok());
        let zsig = zoom_signature(KEY, t, &body);
        intake_and_work(sig.as_bytes(), t.to_string().as_bytes(), &body);
        intake_and_work(zsig.as_bytes(), t.to_string().as_bytes(), &body);
        read_all(&body);
    }

    #[test]
    fn whitespace_and_extra_items_do_not_change_the_calendly_verdict(
        pad in prop::collection::vec("[ \t]{0,2}", 6),
        extra in "x[a-u]{0,3}=[a-z0-9]{0,8}",
        flip in any::<bool>(),
        age in -200i64..200,
    ) {
        let body = b"{\"event\":\"invitee.created\"}";
        let t = NOW - age;
        let good = calendly_signature(KEY, t, body);
        let tag = good.rsplit('=').next().unwrap().to_owned();
        let tag = if flip { tag.replacen(&tag[..1], if &tag[..1] == "0" { "1" } else { "0" }, 1) } else { tag };
        let header = format!("{}t{}={}{t},{}{extra},{}v1{}={tag}", pad[0], pad[1], pad[2], pad[3], pad[4], pad[5]);
        let verdict = cal().verify(Some(header.as_bytes()), Bytes::from_static(body), NOW);
        let expected = if age.abs() > 180 {
            if age > 0 { "stale" } else { "future" }
        } else if flip { "mismatch" } else { "ok" };
        prop_assert_eq!(verdict.as_ref().map(|_| "ok").unwrap_or_else(SignatureError::reason), expected, "{}", header);
    }

    #[test]
    fn header_parsers_refuse_long_or_many_valued_headers(n in 9usize..64, len in 1025usize..20_000) {
        let many: String = (0..n).map(|_| format!("v1={},", "a".repeat(64))).collect();
        let header = format!("t={NOW},{many}");
        prop_assert!(matches!(CalendlyHeader::parse(&header), Err(SignatureError::Malformed(_))));
        let long = format!("t={NOW},v1={}", "a".repeat(len));
        prop_assert!(matches!(CalendlyHeader::parse(&long), Err(SignatureError::Malformed(_))));
        let zlong = format!("v0={}", "a".repeat(len));
        prop_assert!(matches!(
            ZoomHeaders::parse(Some(zlong.as_bytes()), Some(b"1")),
            Err(SignatureError::Malformed(_))
        ));
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn nesting_at_any_depth_is_an_answer_not_a_stack_overflow(
        depth in prop_oneof![1usize..300, 300usize..120_000],
        open in prop_oneof![Just("["), Just("{\"a\":"), Just("{\"payload\":"), Just("{\"event\":")],
        wrapped in any::<bool>(),
        closed in any::<bool>(),
    ) {
        let close = match open { "[" => "]", _ => "}" };
        let mut inner = open.repeat(depth);
        inner.push('1');
        if closed { inner.push_str(&close.repeat(depth)); }
        let body = if wrapped {
            format!("{{\"event\":\"invitee.created\",\"event_ts\":1,\"payload\":{inner}}}")
        } else {
            inner
        };
        read_all(body.as_bytes());
    }
}

/// A field of `/proc/self/status` in KiB (`VmHWM` = peak resident memory, `VmRSS` = now).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| {
            v.trim_start_matches(':')
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Resets the peak (`VmHWM`) to the current RSS, so each case measures its own peak.
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM (Linux >= 4.0)");
}

/// A real `invitee.created` whose `questions_and_answers` holds `n` entries (a list the reader
/// does collect).
fn many_answers(n: usize) -> Vec<u8> {
    let mut v: serde_json::Value =
        serde_json::from_str(meetflow_tests::fixtures::CALENDLY_INVITEE_CREATED).unwrap();
    let qa: Vec<_> = (0..n)
        .map(|i| serde_json::json!({"question": format!("q{i}"), "answer": "a", "position": i}))
        .collect();
    v["payload"]["questions_and_answers"] = serde_json::Value::Array(qa);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn memory_stays_proportional_to_hostile_input() {
    const MIB: usize = 1024 * 1024;
    let many_keys: String = (0..120_000).map(|i| format!("\"k{i}\":0,")).collect();
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        // First: the heap keeps what earlier cases freed, which would hide this one's growth.
        ("invitee with 20,000 answers", many_answers(20_000)),
        ("deep arrays", "[".repeat(MIB).into_bytes()),
        ("deep objects", "{\"a\":".repeat(MIB / 5).into_bytes()),
        (
            "escapes",
            format!("{{\"event\":\"{}\"}}", "\\u00e9".repeat(MIB / 6)).into_bytes(),
        ),
        (
            "wide payload",
            format!(
                "{{\"event\":\"invitee.created\",\"payload\":[{}0]}}",
                "{},".repeat(MIB / 3)
            )
            .into_bytes(),
        ),
        (
            "many keys",
            format!("{{\"event\":\"meeting.ended\",\"payload\":{{{many_keys}\"z\":1}}}}")
                .into_bytes(),
        ),
        (
            "huge number",
            format!("{{\"event\":\"x\",\"event_ts\":{}}}", "9".repeat(MIB)).into_bytes(),
        ),
    ];
    for (name, body) in &hostile {
        reset_peak();
        let before = status_kib("VmRSS");
        read_all(body);
        let header = calendly_signature(KEY, NOW, body);
        intake_and_work(header.as_bytes(), b"1", body);
        let grown_mib = status_kib("VmHWM").saturating_sub(before) / 1024;
        // A JSON value tree costs tens of bytes per input byte at worst; nothing may grow
        // beyond that (an input-controlled preallocation would show up here as hundreds of MiB).
        let bound = 64 * body.len() / MIB + 16;
        eprintln!(
            "{name}: {} KiB of input, peak RSS grew {grown_mib} MiB (bound {bound} MiB)",
            body.len() / 1024
        );
        assert!(
            grown_mib as usize <= bound,
            "{name}: peak RSS grew {grown_mib} MiB"
        );
    }
}
