//! The `zoom` queue: a finished meeting's attendance, from
//! `GET /past_meetings/{uuid}/participants` (every page) to Brevo.
//!
//! Zoom lists one row per join session, so one person who joined three times has three rows: the
//! rows are grouped by e-mail (case-insensitive) and their durations summed. Each person with an
//! e-mail gets a contact sync (`brevo:zoom:attended:<uuid>:<email hash>`) onto
//! `connectors.zoom.lists.meeting_participants` with the attributes of
//! `connectors.zoom.field_mapping`: `attendance_status` = `attended` [ATTENDANCE_STATUS],
//! `join_time` (first join, RFC 3339) [JOIN_TIME], `duration` (total minutes, rounded up)
//! [ATTENDANCE_MINUTES], and for webinars `webinar_title` and `registration_source` where mapped;
//! plus the Brevo `attended` event. Rows without an e-mail (guests) are counted
//! (`meetflow_zoom_participants_skipped_total{reason="no_email"}`) and skipped.
//!
//! Each person's minutes are also recorded per instance for the lead signal
//! ([`crate::brevo::attendance_minutes`]): the contact sync writes `TOTAL_ATTENDANCE_MINUTES`, the sum
//! over every meeting and webinar, read when the sync runs. Webinars
//! ([`super::webinar`]) share [`attendees`].

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use meetflow_shared::config::{FieldMapping, ZoomFieldMapping};
use meetflow_shared::jobs::brevo::{AttendanceSync, BrevoId, ContactSync, EventTrack};
use meetflow_shared::jobs::zoom::{ZoomJob, ZoomOp};
use meetflow_shared::providers::zoom_api::Participant;
use meetflow_shared::queue::{JobContext, JobError};
use serde_json::{Map, Value};

use super::report_wait::ReportWait;
use super::webinar;
use crate::brevo::attendance_minutes::{self, TOTAL_ATTENDANCE_MINUTES};
use crate::brevo::brevo_skipped;
use crate::context::Worker;
use crate::events::contact::name_attributes;
use crate::fanout::{FanOut, email_tag};

/// One person's attendance, summed over their sessions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attendance {
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) first_join: Option<DateTime<Utc>>,
    pub(crate) seconds: u64,
    pub(crate) sessions: usize,
    /// The webinar registrant's tracking source, when they registered through one.
    pub(crate) registration_source: Option<String>,
}

/// Groups sessions by e-mail; returns the people (by e-mail) and the rows without an e-mail.
pub(crate) fn summarize(rows: &[Participant]) -> (Vec<Attendance>, usize) {
    let mut people: BTreeMap<String, Attendance> = BTreeMap::new();
    let mut no_email = 0;
    for row in rows {
        let Some(email) = row.user_email.as_deref().map(str::trim) else {
            no_email += 1;
            continue;
        };
        let a = people
            .entry(email.to_lowercase())
            .or_insert_with(|| Attendance {
                email: email.to_owned(),
                name: row.name.trim().to_owned(),
                first_join: None,
                seconds: 0,
                sessions: 0,
                registration_source: None,
            });
        a.seconds += row.duration;
        a.sessions += 1;
        a.first_join = match (a.first_join, row.join_time) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
    }
    (people.into_values().collect(), no_email)
}

/// One meeting or webinar instance whose attendance is synced.
#[derive(Debug)]
pub(crate) struct Session<'a> {
    /// `meeting` or `webinar`.
    pub(crate) kind: &'static str,
    /// The instance UUID.
    pub(crate) uuid: &'a str,
    /// `source` of the contact syncs (`zoom:meeting.ended`, `zoom:webinar.ended`).
    pub(crate) source: &'static str,
    /// `event_properties` every Brevo event about this instance carries (topic, webinar id).
    pub(crate) properties: Map<String, Value>,
    /// The webinar's topic (`field_mapping.webinar_title`); `None` for meetings.
    pub(crate) webinar_title: Option<String>,
}

impl Session<'_> {
    /// The subject of a Brevo event about `tag` in this instance (meetings keep their
    /// historical `<uuid>:<tag>`).
    pub(crate) fn subject(&self, tag: &str) -> String {
        match self.kind {
            "meeting" => format!("{}:{tag}", self.uuid),
            kind => format!("{kind}:{}:{tag}", self.uuid),
        }
    }

    /// What a contact sync about `email` in this instance is made for (`what`: `attended`,
    /// `missed`); its id is formed by the job contract ([`BrevoId::Attendance`]).
    pub(crate) fn contact_id(&self, what: &'static str, email: &str) -> BrevoId {
        BrevoId::Attendance {
            session: self.kind,
            what,
            uuid: self.uuid.to_owned(),
            email: email.to_owned(),
        }
    }
}

/// Records everyone's minutes in this instance (the lead signal) and adds their Brevo jobs: the
/// contact sync onto `list` (none when `None`) with the attendance attributes and the total
/// minutes (read when it runs), and the `attended` event.
pub(crate) async fn attendees(
    w: &Worker,
    out: &mut FanOut,
    session: &Session<'_>,
    people: Vec<Attendance>,
    list: Option<u64>,
) -> Result<(), JobError> {
    let minutes: Vec<(&str, u64)> = people
        .iter()
        .map(|p| (p.email.as_str(), p.seconds.div_ceil(60)))
        .collect();
    let field = attendance_minutes::field(session.kind, session.uuid);
    attendance_minutes::record(w, &field, &minutes).await?;
    let attended = &w.settings.engagement.brevo_events.attended;
    let fm = &w.settings.connectors.calendly.field_mapping;
    let zm = &w.settings.connectors.zoom.field_mapping;
    for p in people {
        let tag = email_tag(&p.email);
        let mut properties = session.properties.clone();
        properties.insert("minutes".into(), Value::from(p.seconds.div_ceil(60)));
        properties.insert("sessions".into(), Value::from(p.sessions));
        out.event(
            &session.subject(&tag),
            EventTrack {
                event_name: attended.clone(),
                date: None,
                email: p.email.clone(),
                properties,
            },
        )?;
        out.attendance(
            session.contact_id("attended", &p.email),
            AttendanceSync {
                contact: ContactSync {
                    attributes: attendance_attributes(&p, session, fm, zm),
                    email: p.email,
                    list_ids: list.into_iter().collect(),
                    source: session.source.into(),
                    ..ContactSync::default()
                },
                total_minutes_attribute: TOTAL_ATTENDANCE_MINUTES.into(),
            },
        )?;
    }
    Ok(())
}

/// The attendance attributes of `connectors.zoom.field_mapping` (status `attended`, first join,
/// minutes, webinar title, registration source) and the name.
fn attendance_attributes(
    p: &Attendance,
    session: &Session<'_>,
    fm: &FieldMapping,
    zm: &ZoomFieldMapping,
) -> Map<String, Value> {
    let mut attributes = zoom_attributes(
        zm,
        &ZoomFields {
            status: "attended",
            join_time: p.first_join,
            minutes: p.seconds.div_ceil(60),
            webinar_title: session.webinar_title.as_deref(),
            registration_source: p.registration_source.as_deref(),
        },
    );
    attributes.extend(name_attributes(fm, None, None, Some(&p.name)));
    attributes
}

/// The Zoom fields of one person in one meeting or webinar.
#[derive(Debug)]
pub(crate) struct ZoomFields<'a> {
    /// `attended` or `missed`.
    pub(crate) status: &'static str,
    /// First join.
    pub(crate) join_time: Option<DateTime<Utc>>,
    /// Minutes attended.
    pub(crate) minutes: u64,
    /// The webinar's topic.
    pub(crate) webinar_title: Option<&'a str>,
    /// The registrant's tracking source.
    pub(crate) registration_source: Option<&'a str>,
}

/// `fields` under the attribute names of `connectors.zoom.field_mapping` (unmapped or absent
/// fields are not written).
pub(crate) fn zoom_attributes(
    zm: &ZoomFieldMapping,
    fields: &ZoomFields<'_>,
) -> Map<String, Value> {
    let mut out = Map::new();
    let text = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_owned()))
    };
    for (attr, value) in [
        (
            &zm.attendance_status,
            Some(Value::String(fields.status.into())),
        ),
        (
            &zm.join_time,
            fields
                .join_time
                .map(|t| Value::String(t.to_rfc3339_opts(SecondsFormat::Secs, true))),
        ),
        (&zm.duration, Some(Value::from(fields.minutes))),
        (&zm.webinar_title, text(fields.webinar_title)),
        (&zm.registration_source, text(fields.registration_source)),
    ] {
        if let (Some(attr), Some(value)) = (ZoomFieldMapping::attribute(attr), value) {
            out.insert(attr.to_owned(), value);
        }
    }
    out
}

/// Counts the participant rows skipped for want of an e-mail.
pub(crate) fn count_no_email(rows: usize) {
    if rows > 0 {
        metrics::counter!("meetflow_zoom_participants_skipped_total", "reason" => "no_email")
            .increment(rows as u64);
    }
}

/// Handles one `zoom` job.
pub(crate) async fn handle(w: &Worker, job: ZoomJob, ctx: JobContext) -> Result<(), JobError> {
    let meeting = match job.op {
        ZoomOp::MeetingEnded(meeting) => meeting,
        ZoomOp::WebinarEnded(webinar) => return webinar::handle(w, webinar, ctx).await,
        ZoomOp::NoShowCheck(meeting) => return super::no_show::handle(w, meeting, ctx).await,
        ZoomOp::RecordingReady(r) => return super::recording::handle(w, r, ctx).await,
    };
    let Some(list) = w.settings.connectors.zoom.lists.meeting_participants else {
        brevo_skipped("zoom:meeting.ended", "list_off");
        return Ok(());
    };
    let wait = ReportWait {
        ended: meeting.end_time,
        window: w.settings.connectors.zoom.report_wait,
    };
    let zoom = w.zoom()?;
    let rows = wait
        .read(
            "past meeting participants",
            true,
            zoom.past_meeting_participants(&meeting.meeting_uuid),
        )
        .await?;
    let (people, no_email) = summarize(&rows);
    count_no_email(no_email);
    tracing::info!(job.id = %ctx.id, sessions = rows.len(), people = people.len(), no_email, "meeting attendance read");
    let mut properties = Map::new();
    if let Some(topic) = &meeting.topic {
        properties.insert("topic".into(), Value::String(topic.clone()));
    }
    let session = Session {
        kind: "meeting",
        uuid: &meeting.meeting_uuid,
        source: "zoom:meeting.ended",
        properties,
        webinar_title: None,
    };
    let mut out = FanOut::default();
    attendees(w, &mut out, &session, people, Some(list)).await?;
    out.enqueue(&w.client).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn row(email: &str, join: &str, secs: u64) -> Participant {
        Participant {
            name: "Jordan Rivera".into(),
            user_email: (!email.is_empty()).then(|| email.to_owned()),
            join_time: DateTime::parse_from_rfc3339(join)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            duration: secs,
            ..Participant::default()
        }
    }

    #[test]
    fn sessions_of_one_person_are_summed_and_guests_counted() {
        let rows = [
            row("Jordan@example.com", "2026-04-21T17:05:00Z", 600),
            row("", "2026-04-21T17:01:00Z", 900),
            row("jordan@example.com", "2026-04-21T17:02:00Z", 61),
            row("maya@example.com", "2026-04-21T17:00:00Z", 1800),
        ];
        let (people, no_email) = summarize(&rows);
        assert_eq!(no_email, 1);
        assert_eq!(people.len(), 2);
        let j = &people[0];
        assert_eq!(j.seconds, 661);
        assert_eq!(j.sessions, 2);
        assert_eq!(j.seconds.div_ceil(60), 12);
        assert_eq!(
            j.first_join
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            "2026-04-21T17:02:00Z"
        );
    }
}
