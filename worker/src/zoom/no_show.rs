//! Attendance-based no-shows (`engagement.no_show_detection`; off while absent).
//!
//! On `meeting.ended` of a Zoom meeting some Calendly booking points to (its Zoom location's
//! meeting id, [`crate::events::meeting_index`]), [`schedule`] adds a `zoom:no_show:<uuid>` job
//! that runs `grace` after the end. [`handle`] then takes the bookings of that instance — active,
//! booked through Calendly on this meeting id, their booked time overlapping the instance's start
//! and end (a personal meeting id reused for other bookings is told apart by time) — reads every
//! participant, and marks in Calendly (`POST /invitee_no_shows`, through the Calendly rate limit)
//! each invitee who never joined: no participant row with their e-mail (case-insensitive) and,
//! with `match_by_name`, none with their name (case and spacing aside). Any row counts as
//! joining, however late or short, waiting room included.
//!
//! Nothing is marked without participant data: an empty list or a missing report waits like the
//! attendance sync (within `connectors.zoom.report_wait`) and then gives up without marking.
//!
//! The mark is all this job does: Calendly answers it with `invitee_no_show.created`, whose
//! normal handling records the status, sends the Brevo `no_show` event and plans the apology
//! SMS — once, as for a host's own mark (the reconciliation heals that webhook if it is lost).
//! Each mark is recorded for operators ([`meetflow_shared::auto_no_show`],
//! `meetflow-admin no-shows list|undo`), and a recorded booking is never marked again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use meetflow_shared::auto_no_show::{AutoNoShow, AutoNoShows};
use meetflow_shared::bookings::{Booking, BookingStatus};
use meetflow_shared::events::Location;
use meetflow_shared::jobs::zoom::{MeetingEnded, ZoomJob, ZoomOp};
use meetflow_shared::providers::ProviderError;
use meetflow_shared::providers::zoom_api::{Participant, is_report_missing};
use meetflow_shared::queue::{JobContext, JobError};

use super::report_wait::ReportWait;
use crate::context::Worker;
use crate::error;
use crate::events::meeting_index;
use crate::fanout::FanOut;

fn count(outcome: &'static str, n: usize) {
    if n > 0 {
        metrics::counter!("meetflow_no_show_detection_total", "outcome" => outcome)
            .increment(n as u64);
    }
}

/// Adds the no-show check of an ended meeting instance to `out`, `grace` after its end, when
/// detection is on, the Zoom and Calendly APIs are configured and someone booked the meeting.
pub(crate) async fn schedule(
    w: &Worker,
    meeting: &MeetingEnded,
    out: &mut FanOut,
) -> Result<(), JobError> {
    let Some(detection) = &w.settings.engagement.no_show_detection else {
        return Ok(());
    };
    let Some(id) = meeting.meeting_id.as_deref() else {
        return Ok(());
    };
    if w.zoom.is_none() || w.calendly.is_none() {
        tracing::warn!(
            "engagement.no_show_detection is on but the Zoom or Calendly API is not configured in this worker: no check"
        );
        return Ok(());
    }
    if meeting_index::contacts(w, id).await?.is_empty() {
        return Ok(());
    }
    let grace = chrono::Duration::from_std(detection.grace).unwrap_or_default();
    let at = meeting.end_time.unwrap_or_else(Utc::now) + grace;
    out.zoom_at(
        &ZoomJob {
            v: ZoomJob::VERSION,
            op: ZoomOp::NoShowCheck(meeting.clone()),
        },
        at,
    )
}

/// Whether two names are the same person's, case and spacing aside (empty names never match).
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && a == b
}

/// Whether the invitee (`email`, `name`) has a row among `rows`.
pub(crate) fn joined(rows: &[Participant], email: &str, name: &str, by_name: bool) -> bool {
    rows.iter().any(|r| {
        r.user_email
            .as_deref()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case(email.trim()))
            || (by_name && same_name(&r.name, name))
    })
}

/// Whether `b` is an active booking on this instance of meeting `id` (`start`..`end`).
fn on_instance(b: &Booking, id: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    let (Some(bs), Some(be)) = (b.start, b.end) else {
        return false;
    };
    let same_meeting = b.links.join_url.as_ref().is_none_or(|url| {
        let location = Location {
            kind: None,
            location: None,
            join_url: Some(url.clone()),
            status: None,
            data: None,
        };
        location.zoom_meeting_id().is_none_or(|m| m.as_str() == id)
    });
    b.status == BookingStatus::Active
        && b.invitee_uri.is_some()
        && same_meeting
        && bs < end
        && be > start
}

/// The active bookings of this instance, by key.
async fn bookings_of(
    w: &Worker,
    id: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Booking>, JobError> {
    let mut found = BTreeMap::new();
    for email in meeting_index::contacts(w, id).await? {
        for b in w
            .bookings
            .of_person(&email)
            .await
            .map_err(error::bookings)?
        {
            let booked_here = b
                .email
                .as_deref()
                .is_some_and(|e| e.trim().eq_ignore_ascii_case(&email));
            if booked_here && on_instance(&b, id, start, end) {
                found.insert(b.key.as_str().to_owned(), b);
            }
        }
    }
    Ok(found.into_values().collect())
}

/// Handles one `zoom:no_show:<uuid>` job.
pub(crate) async fn handle(
    w: &Worker,
    meeting: MeetingEnded,
    ctx: JobContext,
) -> Result<(), JobError> {
    let Some(detection) = &w.settings.engagement.no_show_detection else {
        tracing::info!(job.id = %ctx.id, "no-show detection was turned off: nothing checked");
        return Ok(());
    };
    let (Some(id), Some(start), Some(end)) = (
        meeting.meeting_id.as_deref(),
        meeting.start_time,
        meeting.end_time,
    ) else {
        tracing::info!(job.id = %ctx.id, "meeting without its id, start or end: no no-show check");
        return Ok(());
    };
    let bookings = bookings_of(w, id, start, end).await?;
    if bookings.is_empty() {
        return Ok(());
    }
    let Some(calendly) = &w.calendly else {
        return Err(JobError::permanent(
            meetflow_shared::queue::ErrorClass::Config,
            "connectors.calendly.access_token is not set in this worker",
        ));
    };
    let wait = ReportWait {
        ended: Some(end),
        window: w.settings.connectors.zoom.report_wait,
    };
    let answer = w
        .zoom()?
        .past_meeting_participants(&meeting.meeting_uuid)
        .await;
    let rows = match answer {
        Ok(rows) if !rows.is_empty() => rows,
        Ok(_) => return no_data(&wait, "an empty list", bookings.len()),
        Err(e) if is_report_missing(&e) => return no_data(&wait, &e.to_string(), bookings.len()),
        Err(e) => return Err(e.into()),
    };
    let marks = AutoNoShows::new(w.redis.clone());
    for b in bookings {
        let (Some(uri), Some(email)) = (b.invitee_uri.as_deref(), b.email.as_deref()) else {
            continue;
        };
        let name = b.name.as_deref().unwrap_or_default();
        if joined(&rows, email, name, detection.match_by_name) {
            count("joined", 1);
            continue;
        }
        if marks.get(&b.key).await.map_err(error::redis)?.is_some() {
            count("already_marked", 1);
            continue;
        }
        match calendly.create_invitee_no_show(uri).await {
            Ok(ns) => {
                let mark = AutoNoShow {
                    booking: b.key.as_str().to_owned(),
                    invitee_uri: uri.to_owned(),
                    no_show_uri: ns.uri,
                    meeting_uuid: meeting.meeting_uuid.clone(),
                    meeting_id: Some(id.to_owned()),
                    marked_ms: Utc::now().timestamp_millis(),
                    undone_ms: None,
                    undone_by: None,
                };
                marks.put(&mark).await.map_err(error::redis)?;
                count("marked", 1);
                tracing::info!(booking = %b.key, meeting = %meeting.meeting_uuid, "invitee never joined: marked no-show in Calendly");
            }
            Err(e) if refused(&e) => {
                count("refused", 1);
                tracing::warn!(booking = %b.key, status = e.status, error = %e.message, "Calendly refused the no-show mark");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Calendly refused this one mark (already marked, invitee gone): the others still go.
fn refused(e: &ProviderError) -> bool {
    !e.is_retryable() && matches!(e.status, Some(400 | 404 | 409 | 422))
}

/// No participant data yet: wait within the report window, then give up without marking.
fn no_data(wait: &ReportWait, answer: &str, invitees: usize) -> Result<(), JobError> {
    match wait.delay(Utc::now()) {
        Some(after) => Err(wait.defer("past meeting participants", answer, after)),
        None => {
            count("no_participant_data", invitees);
            tracing::info!(
                answer,
                invitees,
                "no participant data for the meeting: no no-show marked"
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, email: &str) -> Participant {
        Participant {
            name: name.into(),
            user_email: (!email.is_empty()).then(|| email.to_owned()),
            ..Participant::default()
        }
    }

    #[test]
    fn the_invitee_is_found_by_email_or_by_name_only_when_allowed() {
        let rows = [
            row("Maya Chen", "maya.chen@example.com"),
            row("  jordan   RIVERA ", "jr@personal.example"),
        ];
        assert!(joined(&rows, "Maya.Chen@Example.com", "", false));
        assert!(!joined(
            &rows,
            "jordan.rivera@example.com",
            "Jordan Rivera",
            false
        ));
        assert!(joined(
            &rows,
            "jordan.rivera@example.com",
            "Jordan Rivera",
            true
        ));
        assert!(!joined(&rows, "ana@example.com", "Ana Lima", true));
        assert!(!same_name("", "  "));
    }
}
