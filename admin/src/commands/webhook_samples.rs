//! Realistic sample deliveries for `send-test-webhook`, in the shape Calendly and Zoom send
//! (`docs/providers.md`), with fresh ids and timestamps on every call so the ingest's
//! de-duplication treats each run as a new delivery. All personal data is fictitious
//! (example.com mail, a 555 number).

use chrono::{DateTime, Duration, DurationRound, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// Calendly events this command can send.
pub const CALENDLY_EVENTS: &[&str] = &[
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
];

/// Zoom events this command can send.
pub const ZOOM_EVENTS: &[&str] = &[
    "meeting.started",
    "meeting.ended",
    "meeting.participant_joined",
    "meeting.participant_left",
    "endpoint.url_validation",
];

fn calendly_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A Calendly delivery of `event` for a fresh invitee, meeting two days from now.
pub fn calendly(event: &str, now: DateTime<Utc>) -> Option<Value> {
    if !CALENDLY_EVENTS.contains(&event) {
        return None;
    }
    let invitee = Uuid::new_v4();
    let scheduled = Uuid::new_v4();
    let user = "https://api.calendly.com/users/8f1c3c0e-2a6b-4d51-9a0e-3b7d6f2c9a41";
    let start = (now + Duration::days(2))
        .duration_trunc(Duration::hours(1))
        .unwrap_or(now);
    let end = start + Duration::minutes(30);
    let event_uri = format!("https://api.calendly.com/scheduled_events/{scheduled}");
    let mut scheduled_event = json!({
        "created_at": calendly_time(now - Duration::minutes(5)),
        "end_time": calendly_time(end),
        "event_guests": [],
        "event_memberships": [{"user": user, "user_email": "maya.chen@example.com", "user_name": "Maya Chen"}],
        "event_type": "https://api.calendly.com/event_types/2b6c1f0a-7d3e-4c8b-9f21-5a4e8d0c6b13",
        "invitees_counter": {"total": 1, "active": 1, "limit": 1},
        "location": {"join_url": "https://us06web.zoom.us/j/85746065432", "status": "pushed", "type": "zoom",
            "data": {"id": 85_746_065_432_u64, "settings": {"global_dial_in_numbers": []}, "password": "482913"}},
        "meeting_notes_html": null,
        "meeting_notes_plain": null,
        "name": "Product Demo (30 min)",
        "start_time": calendly_time(start),
        "status": "active",
        "updated_at": calendly_time(now),
        "uri": event_uri,
    });
    let mut payload = json!({
        "cancel_url": format!("https://calendly.com/cancellations/{invitee}"),
        "created_at": calendly_time(now - Duration::minutes(5)),
        "email": "jordan.rivera@example.com",
        "event": event_uri,
        "first_name": "Jordan",
        "invitee_scheduled_by": null,
        "last_name": "Rivera",
        "name": "Jordan Rivera",
        "new_invitee": null,
        "no_show": null,
        "old_invitee": null,
        "payment": null,
        "questions_and_answers": [
            {"answer": "Northwind Analytics", "position": 0, "question": "Company name"},
            {"answer": "Head of Operations", "position": 1, "question": "Your role"}
        ],
        "reconfirmation": null,
        "reschedule_url": format!("https://calendly.com/reschedulings/{invitee}"),
        "rescheduled": false,
        "routing_form_submission": null,
        "scheduling_method": null,
        "status": "active",
        "text_reminder_number": "+1 415-555-0132",
        "timezone": "America/Los_Angeles",
        "tracking": {"utm_campaign": "meetflow_test", "utm_source": "meetflow-admin", "utm_medium": null,
            "utm_content": null, "utm_term": null, "salesforce_uuid": null},
        "updated_at": calendly_time(now),
        "uri": format!("{event_uri}/invitees/{invitee}"),
    });
    match event {
        "invitee.canceled" => {
            let cancellation = json!({"canceled_by": "Jordan Rivera", "canceler_type": "invitee",
                "created_at": calendly_time(now), "reason": "Something came up (meetflow test)"});
            payload["status"] = json!("canceled");
            payload["cancellation"] = cancellation.clone();
            scheduled_event["status"] = json!("canceled");
            scheduled_event["cancellation"] = cancellation;
            scheduled_event["invitees_counter"]["active"] = json!(0);
        }
        "invitee_no_show.created" => {
            payload["no_show"] = json!({
                "uri": format!("https://api.calendly.com/invitee_no_shows/{}", Uuid::new_v4()),
                "created_at": calendly_time(now),
            });
        }
        _ => {}
    }
    payload["scheduled_event"] = scheduled_event;
    Some(json!({
        "created_at": calendly_time(now.duration_trunc(Duration::seconds(1)).unwrap_or(now)),
        "created_by": user,
        "event": event,
        "payload": payload,
    }))
}

/// A Zoom delivery of `event` for a fresh meeting.
pub fn zoom(event: &str, now: DateTime<Utc>) -> Option<Value> {
    if !ZOOM_EVENTS.contains(&event) {
        return None;
    }
    let event_ts = now.timestamp_millis();
    if event == "endpoint.url_validation" {
        return Some(json!({
            "payload": {"plainToken": Uuid::new_v4().simple().to_string()},
            "event_ts": event_ts,
            "event": event,
        }));
    }
    let digits = Uuid::new_v4().as_u128() % 90_000_000_000 + 10_000_000_000;
    let start = now - Duration::minutes(31);
    let mut object = json!({
        "id": digits.to_string(),
        "uuid": format!("{}==", &Uuid::new_v4().simple().to_string()[..22]),
        "host_id": "z8yBXHd5TQ2bX9ZmN4kR7w",
        "topic": "Product Demo (30 min): Jordan Rivera",
        "type": 2,
        "start_time": start.to_rfc3339_opts(SecondsFormat::Secs, true),
        "timezone": "America/Los_Angeles",
        "duration": 30,
    });
    let participant = json!({
        "user_id": "16778240",
        "user_name": "Jordan Rivera",
        "id": "",
        "participant_uuid": Uuid::new_v4().to_string().to_uppercase(),
        "email": "jordan.rivera@example.com",
        "registrant_id": "",
        "participant_user_id": "",
        "customer_key": "",
        "phone_number": "",
    });
    match event {
        "meeting.ended" => {
            object["end_time"] = json!(now.to_rfc3339_opts(SecondsFormat::Secs, true))
        }
        "meeting.participant_joined" => {
            let mut p = participant;
            p["join_time"] =
                json!((start + Duration::minutes(1)).to_rfc3339_opts(SecondsFormat::Secs, true));
            object["participant"] = p;
        }
        "meeting.participant_left" => {
            let mut p = participant;
            p["leave_time"] = json!(now.to_rfc3339_opts(SecondsFormat::Secs, true));
            p["leave_reason"] = json!("left the meeting");
            object["participant"] = p;
        }
        _ => {}
    }
    Some(json!({
        "event": event,
        "payload": {"account_id": "Xq7bL2mRTy6nW0pK4sUe9A", "object": object},
        "event_ts": event_ts,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use meetflow_shared::events::{calendly, zoom as zoom_events};

    #[test]
    fn every_calendly_sample_parses_as_its_event_and_is_fresh() {
        let now = Utc::now();
        for e in CALENDLY_EVENTS {
            let a = calendly(e, now).unwrap();
            let b = calendly(e, now).unwrap();
            assert_eq!(a["event"], *e);
            assert_ne!(a["payload"]["uri"], b["payload"]["uri"]);
            let body = serde_json::to_vec(&a).unwrap();
            calendly::parse(&body).unwrap();
        }
        assert!(calendly("meeting.ended", now).is_none());
    }

    #[test]
    fn every_zoom_sample_parses_as_its_event() {
        let now = Utc::now();
        for e in ZOOM_EVENTS
            .iter()
            .filter(|e| **e != "endpoint.url_validation")
        {
            let a = zoom(e, now).unwrap();
            let body = serde_json::to_vec(&a).unwrap();
            zoom_events::parse(&body).unwrap();
        }
        assert!(zoom("invitee.created", now).is_none());
    }
}
