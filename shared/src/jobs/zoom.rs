//! [`ZoomJob`]: Zoom API work on the `zoom` queue: a finished meeting's or webinar's attendance,
//! and who gets a finished recording. Job ids `zoom:ended:<meeting uuid>`,
//! `zoom:webinar_ended:<webinar uuid>` and `zoom:recording:<uuid>`: one look-up per instance,
//! however often Zoom delivers the event (or the catch-up sweep finds it). The
//! attendance-based no-show check of a meeting instance (`engagement.no_show_detection`) is
//! `zoom:no_show:<meeting uuid>`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::spec::JobSpec;
use crate::events::Passcode;

/// One Zoom look-up (queue [`super::ZOOM`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoomJob {
    /// Payload version: [`ZoomJob::VERSION`].
    pub v: u32,
    /// What to do.
    pub op: ZoomOp,
}

impl ZoomJob {
    /// The payload version this build writes and reads (new kinds of `op` keep the version: a
    /// build that does not know one dead-letters it as a bad payload).
    pub const VERSION: u32 = 1;
}

impl JobSpec for ZoomJob {
    const QUEUE: &'static str = super::ZOOM;
    const VERSION: u32 = ZoomJob::VERSION;
    const NAME: &'static str = "zoom job";
    type IdFrom = ();

    /// One look-up per meeting or webinar instance ([`MeetingEnded::job_id`],
    /// [`WebinarEnded::job_id`]).
    fn job_id(&self, (): &()) -> String {
        match &self.op {
            ZoomOp::MeetingEnded(m) => m.job_id(),
            ZoomOp::WebinarEnded(w) => w.job_id(),
            ZoomOp::NoShowCheck(m) => m.no_show_job_id(),
            ZoomOp::RecordingReady(r) => r.job_id(),
        }
    }

    fn version(&self) -> u32 {
        self.v
    }
}

/// The Zoom look-ups the worker makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ZoomOp {
    /// `meeting.ended`: read every participant and sync their attendance to Brevo.
    MeetingEnded(MeetingEnded),
    /// `webinar.ended`: read every registrant and participant; sync who attended and who missed.
    WebinarEnded(WebinarEnded),
    /// `engagement.no_show_detection`, the grace after `meeting.ended`: read every participant
    /// and mark in Calendly the invitees booked on this instance who never joined.
    NoShowCheck(MeetingEnded),
    /// `recording.completed`: read who attended (and, for a webinar, who registered) and give
    /// each of them, and the meeting's bookers, the share URL.
    RecordingReady(RecordingReady),
}

/// A cloud recording that is ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingReady {
    /// The recorded instance's UUID.
    pub uuid: String,
    /// The numeric meeting or webinar id, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<String>,
    /// Whether the instance is a webinar's (Zoom `type` 5, 6 or 9).
    #[serde(default)]
    pub webinar: bool,
    /// The topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// When the instance started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime<Utc>>,
    /// Its length in minutes (with the start: when it ended, for the report wait).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    /// The share link.
    pub share_url: String,
    /// The passcode of the share link, when Zoom gives one (never in `Debug`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode: Option<Passcode>,
}

impl RecordingReady {
    /// `zoom:recording:<uuid>`.
    #[must_use]
    pub fn job_id(&self) -> String {
        format!("zoom:recording:{}", self.uuid)
    }
}

/// A meeting instance that ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingEnded {
    /// The instance UUID (may start with `/` or hold `//`).
    pub meeting_uuid: String,
    /// The numeric meeting id, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<String>,
    /// The meeting topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// When it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime<Utc>>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
}

impl MeetingEnded {
    /// `zoom:ended:<meeting uuid>`.
    #[must_use]
    pub fn job_id(&self) -> String {
        format!("zoom:ended:{}", self.meeting_uuid)
    }

    /// `zoom:no_show:<meeting uuid>`.
    #[must_use]
    pub fn no_show_job_id(&self) -> String {
        format!("zoom:no_show:{}", self.meeting_uuid)
    }
}

/// A webinar instance that ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebinarEnded {
    /// The instance UUID (what `past_webinars/{uuid}/participants` wants).
    pub webinar_uuid: String,
    /// The numeric webinar id, as text (what `webinars/{id}/registrants` wants).
    pub webinar_id: String,
    /// The webinar topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
}

impl WebinarEnded {
    /// `zoom:webinar_ended:<webinar uuid>`.
    #[must_use]
    pub fn job_id(&self) -> String {
        format!("zoom:webinar_ended:{}", self.webinar_uuid)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_webinar_job_round_trips_and_is_named_by_its_instance() {
        let job = ZoomJob {
            v: ZoomJob::VERSION,
            op: ZoomOp::WebinarEnded(WebinarEnded {
                webinar_uuid: "/Wb7//K2==".into(),
                webinar_id: "91234567890".into(),
                topic: Some("Q&A".into()),
                end_time: None,
            }),
        };
        let text = serde_json::to_string(&job).unwrap();
        assert!(text.contains(r#""kind":"webinar_ended""#), "{text}");
        assert_eq!(serde_json::from_str::<ZoomJob>(&text).unwrap(), job);
        let ZoomOp::WebinarEnded(w) = job.op else {
            panic!()
        };
        assert_eq!(w.job_id(), "zoom:webinar_ended:/Wb7//K2==");
    }
}
