//! Calendly samples: `invitee.created` books a new meeting of the [`Scene`]; the other events
//! are about its latest active booking (`reschedule` sends the pair Calendly sends when an
//! invitee moves a meeting: `invitee.canceled` of the old booking with `rescheduled: true` and
//! `new_invitee`, then `invitee.created` of the new one with `old_invitee`).

use chrono::{DateTime, Duration, DurationRound, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Booking, INVITEE_EMAIL, Scene};

/// Calendly events this command can send (`reschedule` is the pair of two deliveries).
pub const CALENDLY_EVENTS: &[&str] = &[
    "invitee.created",
    "invitee.canceled",
    "reschedule",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
    "routing_form_submission.created",
];

const USER: &str = "https://api.calendly.com/users/8f1c3c0e-2a6b-4d51-9a0e-3b7d6f2c9a41";

fn calendly_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The deliveries of `event` about the scene's bookings (two for `reschedule`), the scene
/// updated; `None` for an event this command does not know.
pub fn calendly(event: &str, now: DateTime<Utc>, scene: &mut Scene) -> Option<Vec<Value>> {
    let one = |payload: Value, name: &str| vec![envelope(name, payload, now)];
    let out = match event {
        "invitee.created" => {
            scene.bookings.push(Booking::new(now, 2));
            let b = scene.current(now).clone();
            one(payload(&b, now), event)
        }
        "invitee.canceled" => {
            let b = scene.current(now);
            b.canceled = true;
            let b = b.clone();
            one(payload(&b, now), event)
        }
        "reschedule" => {
            let old = scene.current(now).clone();
            let mut new = Booking::new(now, 3);
            new.start = old.start + Duration::days(1);
            let mut canceled = old.clone();
            canceled.canceled = true;
            let mut first = payload(&canceled, now);
            first["rescheduled"] = json!(true);
            first["new_invitee"] = json!(new.invitee_uri());
            first["cancellation"]["reason"] = Value::Null;
            let mut second = payload(&new, now);
            second["old_invitee"] = json!(old.invitee_uri());
            if let Some(b) = scene.bookings.iter_mut().find(|b| b.invitee == old.invitee) {
                b.canceled = true;
            }
            scene.bookings.push(new);
            vec![
                envelope("invitee.canceled", first, now),
                envelope("invitee.created", second, now),
            ]
        }
        "invitee_no_show.created" => {
            let b = scene.current(now);
            b.no_show = Some(format!(
                "https://api.calendly.com/invitee_no_shows/{}",
                Uuid::new_v4()
            ));
            let b = b.clone();
            one(payload(&b, now), event)
        }
        "invitee_no_show.deleted" => {
            let b = scene.current(now);
            b.no_show = None;
            let b = b.clone();
            one(payload(&b, now), event)
        }
        "routing_form_submission.created" => {
            let b = scene.current(now).clone();
            one(routing_form_submission(&b, now), event)
        }
        _ => return None,
    };
    Some(out)
}

fn envelope(event: &str, payload: Value, now: DateTime<Utc>) -> Value {
    json!({
        "created_at": calendly_time(now.duration_trunc(Duration::seconds(1)).unwrap_or(now)),
        "created_by": USER,
        "event": event,
        "payload": payload,
    })
}

/// `routing_form_submission.created` of a form that routed the invitee to the booking's type.
fn routing_form_submission(b: &Booking, now: DateTime<Utc>) -> Value {
    json!({
        "uri": format!("https://api.calendly.com/routing_form_submissions/{}", Uuid::new_v4()),
        "routing_form": "https://api.calendly.com/routing_forms/5c1e2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
        "questions_and_answers": [{"question_uuid": Uuid::new_v4().to_string(),
            "question": "What is your industry?", "answer": "IT & Software"}],
        "tracking": {"utm_campaign": "meetflow_test", "utm_source": "meetflow-admin", "utm_medium": null,
            "utm_content": null, "utm_term": null, "salesforce_uuid": null},
        "result": {"type": "event_type",
            "value": "https://api.calendly.com/event_types/2b6c1f0a-7d3e-4c8b-9f21-5a4e8d0c6b13"},
        "submitter": b.invitee_uri(),
        "submitter_type": "Invitee",
        "created_at": calendly_time(now - Duration::minutes(6)),
        "updated_at": calendly_time(now - Duration::minutes(6)),
    })
}

/// The invitee payload (with its `scheduled_event`) of booking `b` as it stands.
fn payload(b: &Booking, now: DateTime<Utc>) -> Value {
    let end = b.start + Duration::minutes(30);
    let event_uri = b.event_uri();
    let invitee = b.invitee;
    let mut scheduled_event = json!({
        "created_at": calendly_time(b.created),
        "end_time": calendly_time(end),
        "event_guests": [],
        "event_memberships": [{"user": USER, "user_email": "maya.chen@example.com", "user_name": "Maya Chen"}],
        "event_type": "https://api.calendly.com/event_types/2b6c1f0a-7d3e-4c8b-9f21-5a4e8d0c6b13",
        "invitees_counter": {"total": 1, "active": 1, "limit": 1},
        "location": {"join_url": format!("https://us06web.zoom.us/j/{}", b.meeting_id), "status": "pushed", "type": "zoom",
            "data": {"id": b.meeting_id, "settings": {"global_dial_in_numbers": []}, "password": "482913"}},
        "meeting_notes_html": null,
        "meeting_notes_plain": null,
        "name": "Product Demo (30 min)",
        "start_time": calendly_time(b.start),
        "status": "active",
        "updated_at": calendly_time(now),
        "uri": event_uri,
    });
    let mut payload = json!({
        "cancel_url": format!("https://calendly.com/cancellations/{invitee}"),
        "created_at": calendly_time(b.created),
        "email": INVITEE_EMAIL,
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
        "uri": b.invitee_uri(),
    });
    if b.canceled {
        let cancellation = json!({"canceled_by": "Jordan Rivera", "canceler_type": "invitee",
            "created_at": calendly_time(now), "reason": "Something came up (meetflow test)"});
        payload["status"] = json!("canceled");
        payload["cancellation"] = cancellation.clone();
        scheduled_event["status"] = json!("canceled");
        scheduled_event["cancellation"] = cancellation;
        scheduled_event["invitees_counter"]["active"] = json!(0);
    }
    if let Some(uri) = &b.no_show {
        payload["no_show"] = json!({"uri": uri, "created_at": calendly_time(now)});
    }
    payload["scheduled_event"] = scheduled_event;
    payload
}
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use meetflow_shared::events::calendly::{self as events, CalendlyEvent};

    #[test]
    fn every_calendly_sample_parses_as_its_event_and_is_fresh() {
        let now = Utc::now();
        for e in CALENDLY_EVENTS {
            let a = calendly(e, now, &mut Scene::default()).unwrap();
            let b = calendly(e, now, &mut Scene::default()).unwrap();
            assert_ne!(a[0]["payload"]["uri"], b[0]["payload"]["uri"]);
            for d in &a {
                let parsed = events::parse(&serde_json::to_vec(d).unwrap()).unwrap();
                assert!(!matches!(parsed.event, CalendlyEvent::Other), "{e}");
            }
        }
        assert!(calendly("meeting.ended", now, &mut Scene::default()).is_none());
    }

    #[test]
    fn later_events_are_about_the_booking_made() {
        let now = Utc::now();
        let mut scene = Scene::default();
        let created = calendly("invitee.created", now, &mut scene).unwrap();
        let uri = &created[0]["payload"]["uri"];
        let ns = calendly("invitee_no_show.created", now, &mut scene).unwrap();
        assert_eq!(ns[0]["payload"]["uri"], *uri);
        assert!(ns[0]["payload"]["no_show"]["uri"].is_string());
        let pair = calendly("reschedule", now, &mut scene).unwrap();
        assert_eq!(pair[0]["event"], "invitee.canceled");
        assert_eq!(pair[0]["payload"]["uri"], *uri);
        assert_eq!(pair[0]["payload"]["rescheduled"], true);
        assert_eq!(pair[1]["event"], "invitee.created");
        assert_eq!(pair[1]["payload"]["old_invitee"], *uri);
        assert_eq!(pair[0]["payload"]["new_invitee"], pair[1]["payload"]["uri"]);
        let canceled = calendly("invitee.canceled", now, &mut scene).unwrap();
        assert_eq!(canceled[0]["payload"]["uri"], pair[1]["payload"]["uri"]);
    }
}
