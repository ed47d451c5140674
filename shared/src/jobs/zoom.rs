//! [`ZoomJob`]: Zoom API work on the `zoom` queue (for now: reading a past meeting's participants
//! once it ended). Job id `zoom:ended:<meeting uuid>`: one look-up per meeting instance.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One Zoom look-up (queue [`super::ZOOM`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoomJob {
    /// Payload version: [`ZoomJob::VERSION`].
    pub v: u32,
    /// What to do.
    pub op: ZoomOp,
}

impl ZoomJob {
    /// The payload version this build writes and reads.
    pub const VERSION: u32 = 1;
}

/// The Zoom look-ups the worker makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ZoomOp {
    /// `meeting.ended`: read every participant and sync their attendance to Brevo.
    MeetingEnded(MeetingEnded),
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
}
