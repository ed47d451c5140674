//! The `zoom` queue: who gets a finished cloud recording (`recording.completed`, or the
//! catch-up sweep).
//!
//! Everyone who should have it: the contacts who booked that meeting through Calendly, the
//! meeting's Zoom participants with an e-mail (`GET /past_meetings/{uuid}/participants`), and for
//! a webinar its attendees and the registrants who missed it (`GET /webinars/{id}/registrants`,
//! `GET /past_webinars/{uuid}/participants`, split as [`super::webinar::split`] does), once per
//! e-mail (case-insensitive). Each gets a contact sync writing `RECORDING_URL` (and
//! `RECORDING_PASSCODE` when Zoom gives one), id `brevo:recording:<uuid>:<email hash>`, and the
//! Brevo event `engagement.brevo_events.recording_ready` (`recording_ready`; `""` = off) carrying
//! `share_url`, `passcode`, `topic` and the meeting or webinar id, subject
//! `recording:<uuid>:<email hash>`. The passcode is never logged. No SMS carries the link: an
//! SMS template would have to ask for it.

use chrono::{TimeDelta, Utc};
use meetflow_shared::jobs::brevo::{BrevoId, ContactSync, EventTrack};
use meetflow_shared::jobs::zoom::RecordingReady;
use meetflow_shared::providers::ProviderError;
use meetflow_shared::providers::zoom_api::is_report_missing;
use meetflow_shared::queue::{JobContext, JobError};
use serde_json::{Map, Value};

use super::attendance::summarize;
use super::report_wait::ReportWait;
use super::webinar::split;
use crate::context::Worker;
use crate::events::meeting_index;
use crate::fanout::{FanOut, email_tag};

/// `source` of the contact syncs.
const SOURCE: &str = "zoom:recording.completed";
/// The attribute receiving a recording's share URL.
pub(crate) const RECORDING_URL_ATTRIBUTE: &str = "RECORDING_URL";
/// The attribute receiving the share URL's passcode.
pub(crate) const RECORDING_PASSCODE_ATTRIBUTE: &str = "RECORDING_PASSCODE";

/// Handles a `recording_ready` job.
pub(crate) async fn handle(
    w: &Worker,
    recording: RecordingReady,
    ctx: JobContext,
) -> Result<(), JobError> {
    let zoom = w.zoom()?;
    let ended = recording
        .start_time
        .map(|s| s + TimeDelta::minutes(recording.duration.unwrap_or(0)));
    let wait = ReportWait {
        ended,
        window: w.settings.connectors.zoom.report_wait,
    };
    let mut emails = bookers(w, &recording).await?;
    let (attended, missed) = match (&recording.meeting_id, recording.webinar) {
        (Some(id), true) => {
            let registrants = list(
                &wait,
                "webinar registrants",
                zoom.webinar_registrants(id).await,
            )
            .await?;
            let rows = list(
                &wait,
                "past webinar participants",
                zoom.past_webinar_participants(&recording.uuid).await,
            )
            .await?;
            let s = split(&registrants, &rows);
            let missed: Vec<String> = s.missed.into_iter().map(|m| m.email).collect();
            (s.attended.into_iter().map(|a| a.email).collect(), missed)
        }
        _ => {
            let rows = list(
                &wait,
                "past meeting participants",
                zoom.past_meeting_participants(&recording.uuid).await,
            )
            .await?;
            let people: Vec<String> = summarize(&rows).0.into_iter().map(|a| a.email).collect();
            (people, Vec::new())
        }
    };
    tracing::info!(
        job.id = %ctx.id,
        bookers = emails.len(),
        attended = attended.len(),
        missed = missed.len(),
        webinar = recording.webinar,
        "recording recipients read"
    );
    emails.extend(attended);
    emails.extend(missed);
    let mut out = FanOut::default();
    fan_out(w, &mut out, &recording, emails)?;
    out.enqueue(&w.client).await
}

/// A participant or registrant list: a missing report waits within
/// `connectors.zoom.report_wait` after the end, and after it (or without an end time) counts as
/// empty, so the bookers still get the recording.
async fn list<T>(
    wait: &ReportWait,
    what: &str,
    answer: Result<Vec<T>, ProviderError>,
) -> Result<Vec<T>, JobError> {
    match answer {
        Err(e) if is_report_missing(&e) && wait.delay(Utc::now()).is_none() => {
            tracing::info!(
                what,
                "Zoom report missing; the recording goes to the bookers only"
            );
            Ok(Vec::new())
        }
        answer => wait.read(what, false, std::future::ready(answer)).await,
    }
}

/// The contacts who booked the recorded meeting through Calendly.
pub(crate) async fn bookers(w: &Worker, r: &RecordingReady) -> Result<Vec<String>, JobError> {
    match &r.meeting_id {
        Some(id) => meeting_index::contacts(w, id).await,
        None => Ok(Vec::new()),
    }
}

/// The recording's contact sync and Brevo event for each of `emails` (once per e-mail,
/// case-insensitive, the first spelling kept).
pub(crate) fn fan_out(
    w: &Worker,
    out: &mut FanOut,
    r: &RecordingReady,
    emails: Vec<String>,
) -> Result<(), JobError> {
    let mut seen = std::collections::HashSet::new();
    let name = &w.settings.engagement.brevo_events.recording_ready;
    for email in emails {
        let email = email.trim().to_owned();
        if email.is_empty() || !seen.insert(email.to_lowercase()) {
            continue;
        }
        let mut attributes = Map::new();
        attributes.insert(
            RECORDING_URL_ATTRIBUTE.into(),
            Value::String(r.share_url.clone()),
        );
        let mut properties = Map::new();
        properties.insert("share_url".into(), Value::String(r.share_url.clone()));
        if let Some(p) = &r.passcode {
            attributes.insert(
                RECORDING_PASSCODE_ATTRIBUTE.into(),
                Value::String(p.0.clone()),
            );
            properties.insert("passcode".into(), Value::String(p.0.clone()));
        }
        if let Some(topic) = &r.topic {
            properties.insert("topic".into(), Value::String(topic.clone()));
        }
        if let Some(id) = &r.meeting_id {
            let key = if r.webinar {
                "webinar_id"
            } else {
                "meeting_id"
            };
            properties.insert(key.into(), Value::String(id.clone()));
        }
        out.event(
            &format!("recording:{}:{}", r.uuid, email_tag(&email)),
            EventTrack {
                event_name: name.clone(),
                date: None,
                email: email.clone(),
                properties,
            },
        )?;
        out.contact(
            BrevoId::Recording {
                instance: r.uuid.clone(),
                email: email.clone(),
            },
            ContactSync {
                email,
                attributes,
                source: SOURCE.into(),
                ..ContactSync::default()
            },
        )?;
    }
    Ok(())
}
