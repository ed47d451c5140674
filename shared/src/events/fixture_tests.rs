//! The readers against real-shaped deliveries (`testdata/`: sample bodies written here in the shape
//! the providers document, for every event meetflow reads).
#![allow(clippy::unwrap_used)]

use super::calendly::{self, CalendlyEvent};
use super::identity::Identity;
use super::zoom::{self, ZoomEvent};
use super::{EventError, Provider};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("testdata/", $name)).as_slice()
    };
}

#[test]
fn invitee_created_reads_the_fields_workers_need() {
    let d = calendly::parse(fixture!("invitee_created.json")).unwrap();
    assert_eq!(d.name, "invitee.created");
    let CalendlyEvent::InviteeCreated(inv) = &d.event else {
        panic!("wrong variant: {:?}", d.event)
    };
    assert!(
        inv.uri
            .ends_with("/invitees/9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e")
    );
    assert_eq!(inv.text_reminder_number.as_deref(), Some("+1 415-555-0132"));
    assert_eq!(inv.first_name.as_deref(), Some("Jordan"));
    assert_eq!(inv.questions_and_answers.len(), 3);
    assert_eq!(
        inv.tracking.as_ref().unwrap().utm_source.as_deref(),
        Some("linkedin")
    );
    let ev = inv.scheduled_event.as_ref().unwrap();
    assert_eq!(
        ev.start_time.unwrap().to_rfc3339(),
        "2026-04-21T17:00:00+00:00"
    );
    let loc = ev.location.as_ref().unwrap();
    assert_eq!(loc.zoom_meeting_id().unwrap().as_str(), "85746065432");
    assert_eq!(d.created_at.unwrap().timestamp(), 1_776_183_659);
}

#[test]
fn invitee_without_phone_and_with_google_meet_reads() {
    let d = calendly::parse(fixture!("invitee_created_no_phone.json")).unwrap();
    let inv = d.event.invitee().unwrap();
    assert_eq!(
        (
            inv.first_name.as_deref(),
            inv.text_reminder_number.as_deref()
        ),
        (None, None)
    );
    let loc = inv
        .scheduled_event
        .as_ref()
        .unwrap()
        .location
        .as_ref()
        .unwrap();
    assert_eq!(loc.kind.as_deref(), Some("google_conference"));
    assert_eq!(loc.zoom_meeting_id(), None);
}

#[test]
fn cancel_and_no_show_read_their_specific_objects() {
    let d = calendly::parse(fixture!("invitee_canceled.json")).unwrap();
    let CalendlyEvent::InviteeCanceled(inv) = &d.event else {
        panic!()
    };
    assert_eq!(
        inv.cancellation.as_ref().unwrap().canceler_type.as_deref(),
        Some("invitee")
    );
    let d = calendly::parse(fixture!("invitee_no_show_created.json")).unwrap();
    let CalendlyEvent::InviteeNoShowCreated(inv) = &d.event else {
        panic!()
    };
    assert!(
        inv.no_show
            .as_ref()
            .unwrap()
            .uri
            .as_deref()
            .unwrap()
            .contains("invitee_no_shows")
    );
}

#[test]
fn routing_form_submission_reads() {
    let d = calendly::parse(fixture!("routing_form_submission_created.json")).unwrap();
    let CalendlyEvent::RoutingFormSubmissionCreated(sub) = &d.event else {
        panic!()
    };
    assert_eq!(sub.questions_and_answers.len(), 2);
    assert_eq!(sub.submitter, None);
    assert_eq!(
        sub.result.as_ref().unwrap().kind.as_deref(),
        Some("event_type")
    );
}

#[test]
fn unknown_calendly_events_and_unknown_fields_are_accepted() {
    let body = br#"{"event":"event_type.updated","payload":{"uri":"u","new":1},"extra":true}"#;
    let d = calendly::parse(body).unwrap();
    assert_eq!(
        (d.name.as_str(), d.event),
        ("event_type.updated", CalendlyEvent::Other)
    );
    let mut v: serde_json::Value =
        serde_json::from_slice(fixture!("invitee_created.json")).unwrap();
    v["payload"]["brand_new_field"] = serde_json::json!({"x": [1, 2]});
    v["payload"]["questions_and_answers"] = serde_json::Value::Null;
    let d = calendly::parse(&serde_json::to_vec(&v).unwrap()).unwrap();
    assert!(d.event.invitee().unwrap().questions_and_answers.is_empty());
}

#[test]
fn malformed_calendly_bodies_give_typed_errors() {
    assert!(matches!(
        calendly::parse(b"{not json"),
        Err(EventError::Syntax { .. })
    ));
    assert_eq!(calendly::parse(b"[1,2]"), Err(EventError::NotAnObject));
    assert_eq!(zoom::parse(b" \"text\" "), Err(EventError::NotAnObject));
    assert!(matches!(
        zoom::parse(b"[1,"),
        Err(EventError::Syntax { .. })
    ));
    let twice = calendly::parse(br#"{"event":"a","event":"b"}"#).unwrap_err();
    assert_eq!(twice.to_string(), "envelope: `$` repeats a field");
    assert_eq!(
        calendly::parse(br#"{"payload":{}}"#),
        Err(EventError::MissingEventName)
    );
    assert_eq!(
        calendly::parse(br#"{"event":""}"#),
        Err(EventError::MissingEventName)
    );
    let err = calendly::parse(br#"{"event":"invitee.created","payload":{"email":"a@b.c"}}"#);
    assert_eq!(
        err.unwrap_err().to_string(),
        "invitee.created: `payload` is missing field `uri`"
    );
}

#[test]
fn zoom_meeting_events_read_with_string_and_number_ids() {
    let d = zoom::parse(fixture!("zoom_meeting_ended.json")).unwrap();
    let ZoomEvent::MeetingEnded(m) = &d.event else {
        panic!()
    };
    assert_eq!(m.id.as_ref().unwrap().as_str(), "85746065432");
    assert!(m.end_time.is_some());
    assert_eq!(d.event_ts, Some(1_776_792_829_114));
    let d = zoom::parse(fixture!("zoom_recording_completed.json")).unwrap();
    let ZoomEvent::RecordingCompleted(r) = &d.event else {
        panic!()
    };
    assert_eq!(r.id.as_ref().unwrap().as_str(), "85746065432");
    assert_eq!(r.recording_files.len(), 1);
    assert!(d.download_token.is_some());
}

#[test]
fn zoom_webinar_ended_reads_a_string_or_a_number_id() {
    let d = zoom::parse(fixture!("zoom_webinar_ended.json")).unwrap();
    assert_eq!(d.name, "webinar.ended");
    let ZoomEvent::WebinarEnded(w) = &d.event else {
        panic!("wrong variant: {:?}", d.event)
    };
    assert_eq!(w.id.as_ref().unwrap().as_str(), "91234567890");
    assert_eq!(w.uuid.as_deref(), Some("Wb7+K2pLQ1mYf0c3dE5a9g=="));
    assert_eq!(w.kind, Some(5));
    assert!(w.end_time.is_some());
    let text = std::str::from_utf8(fixture!("zoom_webinar_ended.json")).unwrap();
    let numeric = text.replace(r#""id":"91234567890""#, r#""id":91234567890"#);
    assert_ne!(numeric, text);
    let ZoomEvent::WebinarEnded(n) = zoom::parse(numeric.as_bytes()).unwrap().event else {
        panic!()
    };
    assert_eq!(n.id, w.id);
    let head = zoom::head(fixture!("zoom_webinar_ended.json")).unwrap();
    assert_eq!(
        head.object_uuid.as_deref(),
        Some("Wb7+K2pLQ1mYf0c3dE5a9g==")
    );
}

#[test]
fn zoom_participant_and_registration_events_read() {
    let d = zoom::parse(fixture!("zoom_participant_joined.json")).unwrap();
    let ZoomEvent::MeetingParticipantJoined(p) = &d.event else {
        panic!()
    };
    assert_eq!(p.participant.email(), Some("jordan.rivera@example.com"));
    assert_eq!(p.meeting.id.as_ref().unwrap().as_str(), "85746065432");
    let d = zoom::parse(fixture!("zoom_webinar_participant_joined.json")).unwrap();
    let ZoomEvent::WebinarParticipantJoined(p) = &d.event else {
        panic!()
    };
    assert_eq!(p.participant.email(), None, "guests send an empty email");
    let d = zoom::parse(fixture!("zoom_webinar_registration_created.json")).unwrap();
    let ZoomEvent::WebinarRegistrationCreated(r) = &d.event else {
        panic!()
    };
    assert_eq!(r.id.as_ref().unwrap().as_str(), "91234567890");
    assert_eq!(r.registrant.custom_questions.len(), 1);
}

#[test]
fn zoom_challenge_reads_its_plain_token() {
    let d = zoom::parse(fixture!("zoom_url_validation.json")).unwrap();
    let want = ZoomEvent::UrlValidation {
        plain_token: "qgg8vlvZRS6UYooatFL8Aw".into(),
    };
    assert_eq!(d.event, want);
    let head = zoom::head(fixture!("zoom_url_validation.json")).unwrap();
    assert_eq!(head.plain_token.as_deref(), Some("qgg8vlvZRS6UYooatFL8Aw"));
    let err = zoom::parse(br#"{"event":"endpoint.url_validation","payload":{}}"#).unwrap_err();
    assert_eq!(err.kind(), "shape");
}

#[test]
fn calendly_identity_ignores_what_changes_between_redeliveries() {
    let body = fixture!("invitee_created.json");
    let id = Identity::calendly(&calendly::head(body).unwrap(), body);
    // A redelivery with reordered keys and extra whitespace is the same event.
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    let pretty = serde_json::to_vec_pretty(&v).unwrap();
    assert_eq!(
        id,
        Identity::calendly(&calendly::head(&pretty).unwrap(), &pretty)
    );
    assert!(!id.from_body());
    assert!(id.job_id().starts_with("wh:calendly:") && id.job_id().len() == 12 + 64);
    // The no-show of the same invitee, and a cancel of it, are different events.
    let no_show = fixture!("invitee_no_show_created.json");
    assert_ne!(
        id,
        Identity::calendly(&calendly::head(no_show).unwrap(), no_show)
    );
    let mut other = v.clone();
    other["created_at"] = "2026-04-14T16:21:00.000000Z".into();
    let other = serde_json::to_vec(&other).unwrap();
    assert_ne!(
        id,
        Identity::calendly(&calendly::head(&other).unwrap(), &other)
    );
}

#[test]
fn zoom_identity_separates_participants_and_falls_back_to_the_body() {
    let body = fixture!("zoom_participant_joined.json");
    let id = Identity::zoom(&zoom::head(body).unwrap(), body);
    let mut v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v["payload"]["object"]["participant"]["participant_uuid"] = "OTHER".into();
    let other = serde_json::to_vec(&v).unwrap();
    assert_ne!(id, Identity::zoom(&zoom::head(&other).unwrap(), &other));
    let bare = br#"{"event":"meeting.ended"}"#;
    let bare_id = Identity::zoom(&zoom::head(bare).unwrap(), bare);
    assert!(bare_id.from_body());
    assert_eq!(bare_id, Identity::of_body(Provider::Zoom, bare));
}
