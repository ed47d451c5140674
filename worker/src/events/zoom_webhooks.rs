//! Zoom webhooks on the `events` queue.
//!
//! - `meeting.ended`: a `zoom:ended:<uuid>` job reads the participants (the `zoom` queue, see
//!   [`crate::zoom::attendance`]), when the Zoom API is configured and
//!   `connectors.zoom.lists.meeting_participants` is set; the contacts who booked the meeting
//!   through Calendly get the Brevo `ended` event; with `engagement.no_show_detection`, a booked
//!   meeting also gets its no-show check `grace` later ([`crate::zoom::no_show`]).
//! - `webinar.ended`: a `zoom:webinar_ended:<uuid>` job splits the registrants into attendees
//!   and absentees (the `zoom` queue, see [`crate::zoom::webinar`]), when the Zoom API is
//!   configured.
//! - `webinar.participant_joined` / `webinar.registration_created`: the person is synced onto
//!   `lists.webinar_attendees` / `lists.webinar_registrants` (`null` turns that off); a
//!   registrant's contact also gets the webinar's topic where `connectors.zoom.field_mapping`
//!   maps `webinar_title`.
//! - `recording.completed`: a `zoom:recording:<uuid>` job gives the share URL to everyone who
//!   should have it (see [`crate::zoom::recording`]).
//!
//! Each handled `meeting.ended`, `webinar.ended` and `recording.completed` is recorded in the
//! catch-up ledger ([`Seen`]): the periodic sweep handles only instances missing from it.

use meetflow_shared::config::ZoomFieldMapping;
use meetflow_shared::events::{
    MeetingObject, ParticipantObject, Recording, RegistrationObject, is_webinar_type,
};
use meetflow_shared::jobs::brevo::{BrevoId, ContactSync, EventTrack};
use meetflow_shared::jobs::zoom::{MeetingEnded, RecordingReady, WebinarEnded, ZoomJob, ZoomOp};
use meetflow_shared::queue::JobError;
use meetflow_shared::sync::zoom::{Kind, Seen};
use serde_json::{Map, Value};

use super::{contact, meeting_index};
use crate::brevo::brevo_skipped;
use crate::context::Worker;
use crate::error::bad_payload;
use crate::fanout::{FanOut, email_tag};
use crate::queues::zoom_access;
use crate::zoom::{no_show, recording};

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// `meeting.ended`.
pub(crate) async fn meeting_ended(w: &Worker, m: &MeetingObject) -> Result<(), JobError> {
    let Some(uuid) = non_empty(m.uuid.as_deref()) else {
        return Err(bad_payload("zoom meeting.ended without a meeting uuid"));
    };
    let mut out = FanOut::default();
    let lists = &w.settings.connectors.zoom.lists;
    let ended = MeetingEnded {
        meeting_uuid: uuid.to_owned(),
        meeting_id: m.id.as_ref().map(|i| i.as_str().to_owned()),
        topic: m.topic.clone(),
        start_time: m.start_time,
        end_time: m.end_time,
    };
    no_show::schedule(w, &ended, &mut out).await?;
    if lists.meeting_participants.is_none() {
        brevo_skipped("zoom:meeting.ended", "list_off");
    } else if !zoom_access(&w.settings).usable() {
        brevo_skipped("zoom:meeting.ended", "zoom_api_not_configured");
        tracing::warn!("meeting.ended: the Zoom API is not configured, attendance is not synced");
    } else {
        let job = ZoomJob {
            v: ZoomJob::VERSION,
            op: ZoomOp::MeetingEnded(ended),
        };
        out.zoom(&job)?;
    }
    let name = &w.settings.engagement.brevo_events.ended;
    if let (false, Some(id)) = (name.is_empty(), m.id.as_ref()) {
        for email in meeting_index::contacts(w, id.as_str()).await? {
            let mut properties = Map::new();
            properties.insert("meeting_id".into(), Value::String(id.to_string()));
            if let Some(topic) = &m.topic {
                properties.insert("topic".into(), Value::String(topic.clone()));
            }
            let subject = format!("{uuid}:{}", email_tag(&email));
            out.event(
                &subject,
                EventTrack {
                    event_name: name.clone(),
                    date: None,
                    email,
                    properties,
                },
            )?;
        }
    }
    out.enqueue(&w.client).await?;
    handled(w, Kind::Meeting, uuid).await
}

/// `webinar.ended`.
pub(crate) async fn webinar_ended(w: &Worker, m: &MeetingObject) -> Result<(), JobError> {
    let (Some(uuid), Some(id)) = (non_empty(m.uuid.as_deref()), m.id.as_ref()) else {
        return Err(bad_payload("zoom webinar.ended without its uuid and id"));
    };
    if !zoom_access(&w.settings).usable() {
        brevo_skipped("zoom:webinar.ended", "zoom_api_not_configured");
        tracing::warn!("webinar.ended: the Zoom API is not configured, attendance is not synced");
        return handled(w, Kind::Webinar, uuid).await;
    }
    let ended = WebinarEnded {
        webinar_uuid: uuid.to_owned(),
        webinar_id: id.as_str().to_owned(),
        topic: m.topic.clone(),
        end_time: m.end_time,
    };
    let mut out = FanOut::default();
    out.zoom(&ZoomJob {
        v: ZoomJob::VERSION,
        op: ZoomOp::WebinarEnded(ended),
    })?;
    out.enqueue(&w.client).await?;
    handled(w, Kind::Webinar, uuid).await
}

/// A Zoom person's name as Brevo attributes (the Calendly field mapping's name attributes).
fn name_attributes(
    w: &Worker,
    first: Option<&str>,
    last: Option<&str>,
    full: Option<&str>,
) -> Map<String, Value> {
    contact::name_attributes(
        &w.settings.connectors.calendly.field_mapping,
        first,
        last,
        full,
    )
}

/// `webinar.participant_joined`.
pub(crate) async fn webinar_joined(w: &Worker, p: &ParticipantObject) -> Result<(), JobError> {
    const SOURCE: &str = "zoom:webinar.participant_joined";
    let Some(list) = w.settings.connectors.zoom.lists.webinar_attendees else {
        brevo_skipped(SOURCE, "list_off");
        return Ok(());
    };
    let Some(email) = p.participant.email() else {
        brevo_skipped(SOURCE, "no_email");
        return Ok(());
    };
    let webinar = non_empty(p.meeting.uuid.as_deref())
        .map(str::to_owned)
        .or_else(|| p.meeting.id.as_ref().map(|i| i.to_string()))
        .unwrap_or_default();
    let mut out = FanOut::default();
    out.contact(
        BrevoId::WebinarJoined {
            webinar,
            email: email.to_owned(),
        },
        ContactSync {
            email: email.to_owned(),
            attributes: name_attributes(w, None, None, p.participant.user_name.as_deref()),
            list_ids: vec![list],
            source: SOURCE.into(),
            ..ContactSync::default()
        },
    )?;
    out.enqueue(&w.client).await
}

/// `webinar.registration_created`.
pub(crate) async fn webinar_registered(w: &Worker, r: &RegistrationObject) -> Result<(), JobError> {
    const SOURCE: &str = "zoom:webinar.registration_created";
    let Some(list) = w.settings.connectors.zoom.lists.webinar_registrants else {
        brevo_skipped(SOURCE, "list_off");
        return Ok(());
    };
    let Some(email) = non_empty(r.registrant.email.as_deref()) else {
        brevo_skipped(SOURCE, "no_email");
        return Ok(());
    };
    let webinar =
        r.id.as_ref()
            .map(|i| i.to_string())
            .or_else(|| r.uuid.clone())
            .unwrap_or_default();
    let mut out = FanOut::default();
    out.contact(
        BrevoId::WebinarRegistered {
            webinar,
            email: email.to_owned(),
        },
        ContactSync {
            email: email.to_owned(),
            attributes: registrant_attributes(w, r),
            list_ids: vec![list],
            source: SOURCE.into(),
            ..ContactSync::default()
        },
    )?;
    out.enqueue(&w.client).await
}

/// A registrant's name, and the webinar's topic under `connectors.zoom.field_mapping.webinar_title`.
fn registrant_attributes(w: &Worker, r: &RegistrationObject) -> Map<String, Value> {
    let mut attributes = name_attributes(
        w,
        r.registrant.first_name.as_deref(),
        r.registrant.last_name.as_deref(),
        None,
    );
    let title =
        ZoomFieldMapping::attribute(&w.settings.connectors.zoom.field_mapping.webinar_title);
    if let (Some(attr), Some(topic)) = (title, non_empty(r.topic.as_deref())) {
        attributes.insert(attr.to_owned(), Value::String(topic.to_owned()));
    }
    attributes
}

/// `recording.completed`: with the Zoom API, a `zoom:recording:<uuid>` job finds everyone who
/// should get it ([`crate::zoom::recording`]); without it, the bookers of that meeting get it
/// here.
pub(crate) async fn recording_completed(w: &Worker, r: &Recording) -> Result<(), JobError> {
    const SOURCE: &str = "zoom:recording.completed";
    let (Some(url), Some(id)) = (non_empty(r.share_url.as_deref()), r.id.as_ref()) else {
        brevo_skipped(SOURCE, "no_share_url");
        return Ok(());
    };
    let uuid = non_empty(r.uuid.as_deref())
        .unwrap_or(id.as_str())
        .to_owned();
    let ready = RecordingReady {
        uuid: uuid.clone(),
        meeting_id: Some(id.to_string()),
        webinar: is_webinar_type(r.kind),
        topic: r.topic.clone(),
        start_time: r.start_time,
        duration: r.duration,
        share_url: url.to_owned(),
        passcode: r
            .recording_play_passcode
            .clone()
            .filter(|p| !p.0.trim().is_empty()),
    };
    let mut out = FanOut::default();
    if zoom_access(&w.settings).usable() {
        out.zoom(&ZoomJob {
            v: ZoomJob::VERSION,
            op: ZoomOp::RecordingReady(ready),
        })?;
    } else {
        let contacts = recording::bookers(w, &ready).await?;
        if contacts.is_empty() {
            brevo_skipped(SOURCE, "no_booking");
            tracing::info!(meeting = %id, "recording of a meeting no Calendly booking points to");
        }
        recording::fan_out(w, &mut out, &ready, contacts)?;
    }
    out.enqueue(&w.client).await?;
    handled(w, Kind::Recording, &uuid).await
}

/// Records that the webhook about `uuid` was handled, so the catch-up sweep leaves it.
async fn handled(w: &Worker, kind: Kind, uuid: &str) -> Result<(), JobError> {
    Seen::new(w.client.clone())
        .mark(kind, uuid)
        .await
        .map_err(crate::error::queue)
}
