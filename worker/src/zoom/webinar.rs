//! The `zoom` queue: a finished webinar's attendance, from its registrants
//! (`GET /webinars/{id}/registrants`) and participants (`GET /past_webinars/{uuid}/participants`),
//! every page of both, to Brevo.
//!
//! - Attendees (participants with an e-mail, registered or not; sessions summed per e-mail as for
//!   meetings) get the meeting attendance sync ([`super::attendance::attendees`]) onto
//!   `connectors.zoom.lists.webinar_attendees` (`null`: the attributes are still written, without
//!   a list), their minutes recorded for `TOTAL_ATTENDANCE_MINUTES`, and the `attended` event.
//! - Registrants who did not attend (matched by e-mail, case-insensitive) get a contact sync onto
//!   `engagement.webinar_missed_list` with `attendance_status` = `missed` and `duration` = 0
//!   (`connectors.zoom.field_mapping`; `null` list: no sync) and the
//!   Brevo `ended` event with `attended: false`, the topic and the webinar id, so a Brevo
//!   automation can send them the recording.
//!
//! Job ids are `brevo:zoom:webinar_<attended|missed>:<uuid>:<email hash>` and
//! `brevo:event:<name>:webinar:<uuid>:<email hash>`: a redelivered `webinar.ended` or a retried
//! job sends nothing twice. Syncs not made are counted in `meetflow_brevo_skipped_total`
//! (`source="zoom:webinar.ended"`, `reason` = `attendee_list_off`, `missed_list_off`,
//! `no_email`).

use std::collections::BTreeMap;

use meetflow_shared::jobs::brevo::{ContactSync, EventTrack};
use meetflow_shared::jobs::zoom::WebinarEnded;
use meetflow_shared::providers::zoom_api::{Participant, WebinarRegistrant};
use meetflow_shared::queue::{JobContext, JobError};
use serde_json::{Map, Value};

use super::attendance::{
    Attendance, Session, ZoomFields, attendees, count_no_email, summarize, zoom_attributes,
};
use super::report_wait::ReportWait;
use crate::brevo::brevo_skipped;
use crate::context::Worker;
use crate::events::contact::name_attributes;
use crate::fanout::{FanOut, email_tag};

const SOURCE: &str = "zoom:webinar.ended";

/// A registrant who did not attend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Missed {
    pub(crate) email: String,
    pub(crate) name: String,
    /// The registrant's tracking source.
    pub(crate) registration_source: Option<String>,
}

/// Who attended and who missed a webinar.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Split {
    /// Participants with an e-mail, registered or not, sessions summed.
    pub(crate) attended: Vec<Attendance>,
    /// Registrants with an e-mail no participant row carries, one per e-mail.
    pub(crate) missed: Vec<Missed>,
    /// Participant rows without an e-mail.
    pub(crate) rows_without_email: usize,
    /// Registrants without an e-mail.
    pub(crate) registrants_without_email: usize,
}

/// Splits the registrants into attendees and absentees (by e-mail, case-insensitive). An
/// attendee who registered is named by the e-mail as registered.
pub(crate) fn split(registrants: &[WebinarRegistrant], rows: &[Participant]) -> Split {
    let (mut attended, rows_without_email) = summarize(rows);
    let mut registered: BTreeMap<String, Missed> = BTreeMap::new();
    let mut registrants_without_email = 0;
    for r in registrants {
        let Some(email) = r.email.as_deref().map(str::trim) else {
            registrants_without_email += 1;
            continue;
        };
        registered
            .entry(email.to_lowercase())
            .or_insert_with(|| Missed {
                email: email.to_owned(),
                name: r.name(),
                registration_source: r.registration_source().map(str::to_owned),
            });
    }
    for a in &mut attended {
        if let Some(r) = registered.remove(&a.email.to_lowercase()) {
            a.email = r.email;
            a.registration_source = r.registration_source;
        }
    }
    Split {
        attended,
        missed: registered.into_values().collect(),
        rows_without_email,
        registrants_without_email,
    }
}

/// Handles a `webinar_ended` job.
pub(crate) async fn handle(
    w: &Worker,
    webinar: WebinarEnded,
    ctx: JobContext,
) -> Result<(), JobError> {
    let zoom = w.zoom()?;
    let wait = ReportWait {
        ended: webinar.end_time,
        window: w.settings.connectors.zoom.report_wait,
    };
    let registrants = wait
        .read(
            "webinar registrants",
            false,
            zoom.webinar_registrants(&webinar.webinar_id),
        )
        .await?;
    let rows = wait
        .read(
            "past webinar participants",
            true,
            zoom.past_webinar_participants(&webinar.webinar_uuid),
        )
        .await?;
    let split = split(&registrants, &rows);
    count_no_email(split.rows_without_email);
    for _ in 0..split.registrants_without_email {
        brevo_skipped(SOURCE, "no_email");
    }
    tracing::info!(
        job.id = %ctx.id,
        registrants = registrants.len(),
        sessions = rows.len(),
        attended = split.attended.len(),
        missed = split.missed.len(),
        "webinar attendance read"
    );
    let mut properties = Map::new();
    if let Some(topic) = &webinar.topic {
        properties.insert("topic".into(), Value::String(topic.clone()));
    }
    properties.insert(
        "webinar_id".into(),
        Value::String(webinar.webinar_id.clone()),
    );
    let session = Session {
        kind: "webinar",
        uuid: &webinar.webinar_uuid,
        source: SOURCE,
        properties,
        webinar_title: webinar.topic.clone(),
    };
    let list = w.settings.connectors.zoom.lists.webinar_attendees;
    if list.is_none() {
        for _ in &split.attended {
            brevo_skipped(SOURCE, "attendee_list_off");
        }
    }
    let mut out = FanOut::default();
    attendees(w, &mut out, &session, split.attended, list).await?;
    absentees(w, &mut out, &session, split.missed)?;
    out.enqueue(&w.client).await
}

/// The `ended` event (`attended: false`) and the sync onto the missed list of each absentee.
fn absentees(
    w: &Worker,
    out: &mut FanOut,
    session: &Session<'_>,
    missed: Vec<Missed>,
) -> Result<(), JobError> {
    let list = w.settings.engagement.webinar_missed_list;
    let ended = &w.settings.engagement.brevo_events.ended;
    let fm = &w.settings.connectors.calendly.field_mapping;
    for m in missed {
        let tag = email_tag(&m.email);
        let mut properties = session.properties.clone();
        properties.insert("attended".into(), Value::Bool(false));
        out.event(
            &session.subject(&tag),
            EventTrack {
                event_name: ended.clone(),
                date: None,
                email: m.email.clone(),
                properties,
            },
        )?;
        let Some(list) = list else {
            brevo_skipped(SOURCE, "missed_list_off");
            continue;
        };
        let mut attributes = zoom_attributes(
            &w.settings.connectors.zoom.field_mapping,
            &ZoomFields {
                status: "missed",
                join_time: None,
                minutes: 0,
                webinar_title: session.webinar_title.as_deref(),
                registration_source: m.registration_source.as_deref(),
            },
        );
        attributes.extend(name_attributes(fm, None, None, Some(&m.name)));
        out.contact(
            session.contact_id("missed", &m.email),
            ContactSync {
                email: m.email,
                attributes,
                list_ids: vec![list],
                source: SOURCE.into(),
                ..ContactSync::default()
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(email: &str, secs: u64) -> Participant {
        Participant {
            name: "P".into(),
            user_email: (!email.is_empty()).then(|| email.to_owned()),
            duration: secs,
            ..Participant::default()
        }
    }

    fn reg(email: &str, first: &str) -> WebinarRegistrant {
        WebinarRegistrant {
            email: (!email.is_empty()).then(|| email.to_owned()),
            first_name: Some(first.to_owned()),
            ..WebinarRegistrant::default()
        }
    }

    #[test]
    fn registrants_split_by_email_and_walk_ins_count_as_attendees() {
        let registrants = [
            reg("Lea@Example.com", "Léa"),
            reg("tom@example.com", "Tom"),
            reg("TOM@example.com", "Tom again"),
            reg("", "No mail"),
        ];
        let rows = [
            row("lea@example.com", 600),
            row("walk.in@example.com", 120),
            row("", 300),
            row("LEA@example.com", 61),
        ];
        let s = split(&registrants, &rows);
        let attended: Vec<(&str, u64)> = s
            .attended
            .iter()
            .map(|a| (a.email.as_str(), a.seconds))
            .collect();
        assert_eq!(
            attended,
            [("Lea@Example.com", 661), ("walk.in@example.com", 120)],
            "as registered"
        );
        assert_eq!(
            s.missed,
            [Missed {
                email: "tom@example.com".into(),
                name: "Tom".into(),
                registration_source: None,
            }]
        );
        assert_eq!((s.rows_without_email, s.registrants_without_email), (1, 1));
    }

    #[test]
    fn nobody_attending_means_every_registrant_missed() {
        let s = split(&[reg("a@example.com", "A"), reg("b@example.com", "B")], &[]);
        assert!(s.attended.is_empty());
        assert_eq!(s.missed.len(), 2);
    }
}
