//! Every Calendly location kind reads, and only a Zoom location yields a Zoom meeting id.
//!
//! The inline bodies follow the location objects of Calendly's API reference; the last test also
//! reads the spec's own `x-examples` from `$MEETFLOW_SHARED/fixtures/real/calendly` when present.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::calendly::{self, CalendlyEvent};
use super::calendly_invitee::Location;

/// A minimal `invitee.created` whose scheduled event has `location`.
fn booking_with(location: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "created_at": "2026-04-14T16:20:59.000000Z",
        "event": "invitee.created",
        "payload": {
            "uri": "https://api.calendly.com/scheduled_events/EV1/invitees/IN1",
            "email": "ada@example.com",
            "scheduled_event": {
                "uri": "https://api.calendly.com/scheduled_events/EV1",
                "start_time": "2026-04-21T17:00:00.000000Z",
                "location": location
            }
        }
    }))
    .unwrap()
}

fn location_of(body: &[u8]) -> Option<Location> {
    let d = calendly::parse(body).unwrap();
    let CalendlyEvent::InviteeCreated(inv) = d.event else {
        panic!("not a booking")
    };
    inv.scheduled_event.unwrap().location
}

fn every_kind() -> Vec<(&'static str, Value, Option<&'static str>)> {
    vec![
        (
            "zoom",
            json!({"type":"zoom","status":"pushed","join_url":"https://us02web.zoom.us/j/85746065432",
                   "data":{"id":85746065432_u64,"password":"x","settings":{"global_dial_in_numbers":[]}}}),
            Some("85746065432"),
        ),
        (
            "zoom from join_url",
            json!({"type":"zoom","join_url":"https://zoom.us/j/85746065433?pwd=x","data":{}}),
            Some("85746065433"),
        ),
        (
            "zoom processing",
            json!({"type":"zoom","status":"processing","join_url":null,"data":null}),
            None,
        ),
        (
            "google_conference",
            json!({"type":"google_conference","status":"pushed",
                   "join_url":"https://calendly.com/events/ABCD/google_meet"}),
            None,
        ),
        (
            "microsoft_teams_conference",
            json!({"type":"microsoft_teams_conference","status":"pushed",
                   "join_url":"https://teams.microsoft.com/l/meetup-join/123",
                   "data":{"id":"123456","audioConferencing":{"conferenceId":"123456"}}}),
            None,
        ),
        (
            "webex_conference",
            json!({"type":"webex_conference","status":"pushed",
                   "join_url":"https://org.webex.com/org/j.php?MTID=m04be557baa4cc8b037b8ff0b59cc5cab",
                   "data":{"id":"m04be557baa4cc8b037b8ff0b59cc5cab","password":"m8BgwrPQb93",
                           "telephony":{"callInNumbers":[]}}}),
            None,
        ),
        (
            "gotomeeting",
            json!({"type":"gotomeeting","status":"pushed","join_url":"https://www.gotomeeting.com/join/123456",
                   "data":{"uniqueMeetingId":123456,"conferenceCallInfo":"US: +1 (123) 456-789"}}),
            None,
        ),
        (
            "physical",
            json!({"type":"physical","location":"Calendly Office","additional_info":"2nd floor"}),
            None,
        ),
        (
            "inbound_call",
            json!({"type":"inbound_call","location":"+1 415-555-0100"}),
            None,
        ),
        (
            "outbound_call",
            json!({"type":"outbound_call","location":null}),
            None,
        ),
        (
            "ask_invitee",
            json!({"type":"ask_invitee","location":"string"}),
            None,
        ),
        (
            "custom",
            json!({"type":"custom","location":"Meet at the café"}),
            None,
        ),
        (
            "conference processing",
            json!({"type":"webex_conference","status":"processing","join_url":null,"data":null}),
            None,
        ),
        (
            "unknown kind with odd data",
            json!({"type":"hologram","location":{"room":7},"join_url":42,"data":"pending"}),
            None,
        ),
        ("not an object", json!("Calendly Office"), None),
    ]
}

#[test]
fn every_location_kind_reads_and_only_zoom_gives_a_meeting_id() {
    for (name, loc, want) in every_kind() {
        let got = location_of(&booking_with(&loc));
        let id = got.as_ref().and_then(Location::zoom_meeting_id);
        assert_eq!(id.as_ref().map(|m| m.as_str()), want, "{name}");
    }
}

#[test]
fn a_webex_booking_keeps_its_string_conference_id() {
    let loc = json!({"type":"webex_conference","data":{"id":"m04be557baa4cc8b037b8ff0b59cc5cab"}});
    let got = location_of(&booking_with(&loc)).unwrap();
    assert_eq!(got.kind.as_deref(), Some("webex_conference"));
    let id = got.data.and_then(|d| d.id);
    assert_eq!(id.as_deref(), Some("m04be557baa4cc8b037b8ff0b59cc5cab"));
}

#[test]
fn a_parsed_location_survives_a_serde_round_trip() {
    for (name, loc, _) in every_kind() {
        let Some(got) = location_of(&booking_with(&loc)) else {
            continue;
        };
        let text = serde_json::to_string(&got).unwrap();
        let back: Location = serde_json::from_str(&text).unwrap();
        assert_eq!(back, got, "{name}");
    }
}

#[test]
fn the_spec_location_examples_all_read() {
    let shared = std::env::var("MEETFLOW_SHARED").map_or_else(
        |_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
        std::path::PathBuf::from,
    );
    let path = shared.join("fixtures/real/calendly/spec2023_location_examples.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("SKIP: {} absent (set MEETFLOW_SHARED)", path.display());
        return;
    };
    let examples: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    assert!(examples.len() >= 7);
    for (name, loc) in examples {
        let got = location_of(&booking_with(&loc)).unwrap();
        let id = got.zoom_meeting_id();
        let pushed_zoom = name.starts_with("ZoomConference/Pushed");
        assert_eq!(id.is_some(), pushed_zoom, "{name}: {id:?}");
    }
}
