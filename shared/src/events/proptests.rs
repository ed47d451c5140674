//! Property tests: the readers are total. Any bytes, any JSON, and any fixture with one value
//! replaced by arbitrary JSON give a value or an `EventError`, never a panic.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::Value;

use super::calendly;
use super::identity::Identity;
use super::zoom;

fn read_everything(body: &[u8]) {
    let _ = calendly::parse(body);
    let _ = zoom::parse(body);
    if let Ok(head) = calendly::head(body) {
        let _ = Identity::calendly(&head, body).job_id();
    }
    if let Ok(head) = zoom::head(body) {
        let _ = Identity::zoom(&head, body).job_id();
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "[0-9]{1,22}".prop_map(Value::String),
        Just(Value::String("2026-04-21T17:00:00Z".into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Keys the readers look at, plus noise.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("event".to_owned()),
        Just("payload".to_owned()),
        Just("uri".to_owned()),
        Just("object".to_owned()),
        Just("participant".to_owned()),
        Just("id".to_owned()),
        Just("plainToken".to_owned()),
        Just("created_at".to_owned()),
        "[a-z_]{1,8}",
    ]
}

const FIXTURES: [&[u8]; 9] = [
    include_bytes!("testdata/invitee_created.json"),
    include_bytes!("testdata/invitee_canceled.json"),
    include_bytes!("testdata/invitee_no_show_created.json"),
    include_bytes!("testdata/routing_form_submission_created.json"),
    include_bytes!("testdata/zoom_participant_joined.json"),
    include_bytes!("testdata/zoom_recording_completed.json"),
    include_bytes!("testdata/zoom_webinar_registration_created.json"),
    include_bytes!("testdata/zoom_url_validation.json"),
    include_bytes!("testdata/zoom_webinar_ended.json"),
];

/// Replaces the `pick`-th value (depth-first) of `v` with `new`.
fn replace_nth(v: &mut Value, pick: &mut usize, new: &Value) -> bool {
    if *pick == 0 {
        *v = new.clone();
        return true;
    }
    *pick -= 1;
    let children: Vec<&mut Value> = match v {
        Value::Array(a) => a.iter_mut().collect(),
        Value::Object(o) => o.values_mut().collect(),
        _ => return false,
    };
    children.into_iter().any(|c| replace_nth(c, pick, new))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        read_everything(&body);
    }

    #[test]
    fn arbitrary_json_never_panics(v in json_value()) {
        read_everything(&serde_json::to_vec(&v).unwrap());
    }

    #[test]
    fn envelopes_with_arbitrary_payloads_never_panic(
        name in prop_oneof![
            Just("invitee.created"), Just("invitee.canceled"), Just("invitee_no_show.created"),
            Just("routing_form_submission.created"), Just("meeting.participant_joined"),
            Just("recording.completed"), Just("endpoint.url_validation"),
            Just("webinar.registration_created"),
        ],
        payload in json_value(),
    ) {
        let body = serde_json::json!({"event": name, "payload": payload, "event_ts": 1});
        read_everything(&serde_json::to_vec(&body).unwrap());
    }

    #[test]
    fn fixtures_with_one_value_replaced_never_panic(
        which in 0..FIXTURES.len(), pick in 0usize..200, new in json_value(),
    ) {
        let mut v: Value = serde_json::from_slice(FIXTURES[which]).unwrap();
        replace_nth(&mut v, &mut pick.clone(), &new);
        read_everything(&serde_json::to_vec(&v).unwrap());
    }

    #[test]
    fn truncated_fixtures_never_panic(which in 0..FIXTURES.len(), cut in 0usize..4000) {
        let body = FIXTURES[which];
        read_everything(&body[..cut.min(body.len())]);
    }
}
