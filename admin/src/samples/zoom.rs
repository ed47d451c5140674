//! Zoom samples: the meeting events are about the Zoom meeting of the [`Scene`]'s latest active
//! booking (the id in its Calendly location), each `meeting.ended` a new occurrence (a fresh
//! meeting UUID, as Zoom gives every instance); the webinar events are about the scene's
//! webinar; `recording.completed` is the recording of the booking's last occurrence.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{INVITEE_EMAIL, Scene};
use crate::sandbox::zoom::{ACCOUNT_ID, HOST_ID};

/// Zoom events this command can send.
pub const ZOOM_EVENTS: &[&str] = &[
    "meeting.started",
    "meeting.ended",
    "meeting.participant_joined",
    "meeting.participant_left",
    "webinar.ended",
    "webinar.participant_joined",
    "webinar.registration_created",
    "recording.completed",
    "endpoint.url_validation",
];

fn zoom_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn participant(start: DateTime<Utc>) -> Value {
    json!({
        "user_id": "16778240",
        "user_name": "Jordan Rivera",
        "id": "",
        "participant_uuid": Uuid::new_v4().to_string().to_uppercase(),
        "email": INVITEE_EMAIL,
        "registrant_id": "",
        "participant_user_id": "",
        "customer_key": "",
        "phone_number": "",
        "join_time": zoom_time(start + Duration::minutes(1)),
    })
}

/// The delivery of `event` about the scene (the scene updated); `None` for an event this
/// command does not know.
pub fn zoom(event: &str, now: DateTime<Utc>, scene: &mut Scene) -> Option<Vec<Value>> {
    if !ZOOM_EVENTS.contains(&event) {
        return None;
    }
    let event_ts = now.timestamp_millis();
    let wrap = |object: Value| {
        vec![json!({
            "event": event,
            "payload": {"account_id": ACCOUNT_ID, "object": object},
            "event_ts": event_ts,
        })]
    };
    let start = now - Duration::minutes(31);
    if event.starts_with("webinar.") {
        let w = scene.webinar(now);
        let mut object = json!({
            "id": w.id.to_string(), "uuid": w.uuid, "host_id": HOST_ID,
            "topic": "Scheduling at scale: live Q&A", "type": 5,
            "start_time": zoom_time(w.start), "timezone": "America/Los_Angeles", "duration": 60,
        });
        match event {
            "webinar.ended" => object["end_time"] = json!(zoom_time(now - Duration::minutes(5))),
            "webinar.participant_joined" => object["participant"] = participant(w.start),
            _ => {
                object["registrant"] = json!({
                    "id": Uuid::new_v4().simple().to_string(), "first_name": "Jordan",
                    "last_name": "Rivera", "email": INVITEE_EMAIL, "status": "approved",
                    "join_url": format!("https://us06web.zoom.us/w/{}?tk=sample", w.id),
                });
            }
        }
        return Some(wrap(object));
    }
    if event == "endpoint.url_validation" {
        return Some(vec![json!({
            "payload": {"plainToken": Uuid::new_v4().simple().to_string()},
            "event_ts": event_ts,
            "event": event,
        })]);
    }
    let b = scene.current(now);
    if event == "meeting.ended" || event == "meeting.started" {
        b.meeting_uuid = format!("{}==", &Uuid::new_v4().simple().to_string()[..22]);
    }
    let mut object = json!({
        "id": b.meeting_id.to_string(),
        "uuid": b.meeting_uuid,
        "host_id": HOST_ID,
        "topic": "Product Demo (30 min): Jordan Rivera",
        "type": 2,
        "start_time": zoom_time(start),
        "timezone": "America/Los_Angeles",
        "duration": 30,
    });
    match event {
        "meeting.ended" => object["end_time"] = json!(zoom_time(now)),
        "meeting.participant_joined" => object["participant"] = participant(start),
        "meeting.participant_left" => {
            let mut p = participant(start);
            p["leave_time"] = json!(zoom_time(now));
            p["leave_reason"] = json!("left the meeting");
            object["participant"] = p;
        }
        "recording.completed" => {
            object["id"] = json!(b.meeting_id);
            object["host_email"] = json!(super::HOST_EMAIL);
            object["share_url"] = json!(format!(
                "https://us06web.zoom.us/rec/share/sample-{}",
                b.meeting_id
            ));
            object["total_size"] = json!(52_428_800);
            object["recording_count"] = json!(1);
            object["recording_files"] = json!([{
                "id": Uuid::new_v4().to_string(), "meeting_id": b.meeting_uuid,
                "recording_start": zoom_time(start), "recording_end": zoom_time(now),
                "file_type": "MP4", "file_size": 52_428_800, "file_extension": "MP4",
                "play_url": "https://us06web.zoom.us/rec/play/sample",
                "download_url": "https://us06web.zoom.us/rec/download/sample",
                "status": "completed", "recording_type": "shared_screen_with_speaker_view"
            }]);
        }
        _ => {}
    }
    Some(wrap(object))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use meetflow_shared::events::zoom::{self as events, ZoomEvent};

    #[test]
    fn every_zoom_sample_parses_as_its_event() {
        let now = Utc::now();
        for e in ZOOM_EVENTS {
            let a = zoom(e, now, &mut Scene::default()).unwrap();
            let parsed = events::parse(&serde_json::to_vec(&a[0]).unwrap()).unwrap();
            let known = !matches!(parsed.event, ZoomEvent::Other);
            assert_eq!(
                known,
                *e != "meeting.started" && *e != "meeting.participant_left",
                "{e}"
            );
        }
        assert!(zoom("invitee.created", now, &mut Scene::default()).is_none());
    }

    #[test]
    fn the_meeting_is_the_one_booked() {
        let now = Utc::now();
        let mut scene = Scene::default();
        let booked = super::super::calendly::calendly("invitee.created", now, &mut scene).unwrap();
        let ended = zoom("meeting.ended", now, &mut scene).unwrap();
        assert_eq!(
            booked[0]["payload"]["scheduled_event"]["location"]["data"]["id"]
                .as_u64()
                .unwrap()
                .to_string(),
            ended[0]["payload"]["object"]["id"]
        );
    }
}
