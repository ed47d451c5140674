//! Zoom `payload.object` shapes: meetings, participants, registrants and recordings.
//!
//! From `docs/providers.md` section 2.4 (Zoom's own SDK types). Meeting ids arrive as strings or
//! numbers ([`MeetingId`]); participant fields are often `""` for guests, so use the helpers that
//! treat empty text as absent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::lenient::{null_as_empty, opt_text, opt_time};
use super::meeting_id::{MeetingId, opt_meeting_id};

/// A meeting or webinar instance (`meeting.ended`, the meeting part of participant events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingObject {
    /// Numeric meeting id (same for every instance of a recurring meeting).
    #[serde(default, deserialize_with = "opt_meeting_id")]
    pub id: Option<MeetingId>,
    /// Instance UUID (what `past_meetings/{uuid}/participants` wants).
    pub uuid: Option<String>,
    /// Host user id.
    pub host_id: Option<String>,
    /// Meeting topic.
    pub topic: Option<String>,
    /// Zoom meeting type (2 scheduled, 5 webinar, ...).
    #[serde(rename = "type")]
    pub kind: Option<i64>,
    /// Actual start.
    #[serde(default, deserialize_with = "opt_time")]
    pub start_time: Option<DateTime<Utc>>,
    /// Actual end (`meeting.ended`).
    #[serde(default, deserialize_with = "opt_time")]
    pub end_time: Option<DateTime<Utc>>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// Scheduled duration in minutes.
    pub duration: Option<i64>,
}

/// Object of `meeting.participant_joined` / `webinar.participant_joined`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantObject {
    /// The meeting joined.
    #[serde(flatten)]
    pub meeting: MeetingObject,
    /// Who joined.
    pub participant: Participant,
}

/// A meeting participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Zoom user id of this session (changes per join).
    #[serde(default, deserialize_with = "opt_text")]
    pub user_id: Option<String>,
    /// Display name.
    pub user_name: Option<String>,
    /// Account user id; `""` for guests.
    #[serde(default, deserialize_with = "opt_text")]
    pub id: Option<String>,
    /// Stable participant UUID.
    pub participant_uuid: Option<String>,
    /// Join time.
    #[serde(default, deserialize_with = "opt_time")]
    pub join_time: Option<DateTime<Utc>>,
    /// Leave time (`participant_left`).
    #[serde(default, deserialize_with = "opt_time")]
    pub leave_time: Option<DateTime<Utc>>,
    /// Email; `""` for unauthenticated guests.
    pub email: Option<String>,
    /// Registrant id for registered webinars/meetings.
    #[serde(default, deserialize_with = "opt_text")]
    pub registrant_id: Option<String>,
    /// Phone number for dial-in participants.
    pub phone_number: Option<String>,
    /// Custom key passed in the join link.
    pub customer_key: Option<String>,
}

impl Participant {
    /// The email, unless absent or empty.
    #[must_use]
    pub fn email(&self) -> Option<&str> {
        non_empty(self.email.as_deref())
    }
}

/// Object of `webinar.registration_created`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationObject {
    /// Webinar id (a number on the wire).
    #[serde(default, deserialize_with = "opt_meeting_id")]
    pub id: Option<MeetingId>,
    /// Webinar UUID.
    pub uuid: Option<String>,
    /// Host user id.
    pub host_id: Option<String>,
    /// Webinar topic.
    pub topic: Option<String>,
    /// Scheduled start.
    #[serde(default, deserialize_with = "opt_time")]
    pub start_time: Option<DateTime<Utc>>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// Who registered.
    pub registrant: Registrant,
}

/// A webinar registrant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registrant {
    /// Registrant id.
    #[serde(default, deserialize_with = "opt_text")]
    pub id: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone as typed (not E.164).
    pub phone: Option<String>,
    /// Organisation.
    pub org: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Custom registration questions.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub custom_questions: Vec<CustomQuestion>,
    /// `approved`, `pending`, `denied`.
    pub status: Option<String>,
    /// Personal join link.
    pub join_url: Option<String>,
}

/// A custom registration question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomQuestion {
    /// Question title.
    pub title: Option<String>,
    /// Answer.
    pub value: Option<String>,
}

/// Zoom meeting types that are webinars (5 webinar, 6 recurring without a fixed time, 9
/// recurring with a fixed time).
pub const WEBINAR_TYPES: [i64; 3] = [5, 6, 9];

/// Whether a Zoom meeting `type` is a webinar's.
#[must_use]
pub fn is_webinar_type(kind: Option<i64>) -> bool {
    kind.is_some_and(|k| WEBINAR_TYPES.contains(&k))
}

/// A recording passcode: serialized as it is (Brevo gets it), never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Passcode(pub String);

impl std::fmt::Debug for Passcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passcode(***)")
    }
}

/// Object of `recording.completed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// Meeting id (a number on the wire).
    #[serde(default, deserialize_with = "opt_meeting_id")]
    pub id: Option<MeetingId>,
    /// Meeting instance UUID.
    pub uuid: Option<String>,
    /// Host user id.
    pub host_id: Option<String>,
    /// Host email.
    pub host_email: Option<String>,
    /// Meeting topic.
    pub topic: Option<String>,
    /// Zoom meeting type (5, 6, 9: a webinar).
    #[serde(default, rename = "type")]
    pub kind: Option<i64>,
    /// Meeting start.
    #[serde(default, deserialize_with = "opt_time")]
    pub start_time: Option<DateTime<Utc>>,
    /// Duration in minutes.
    pub duration: Option<i64>,
    /// Share link.
    pub share_url: Option<String>,
    /// The passcode viewers of the share link type, when Zoom gives one (masked in `Debug`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_play_passcode: Option<Passcode>,
    /// Total bytes.
    pub total_size: Option<u64>,
    /// Number of files.
    pub recording_count: Option<u64>,
    /// The files.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub recording_files: Vec<RecordingFile>,
}

/// One recording file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingFile {
    /// File id.
    pub id: Option<String>,
    /// `MP4`, `M4A`, `TRANSCRIPT`, ...
    pub file_type: Option<String>,
    /// Bytes.
    pub file_size: Option<u64>,
    /// Download link (needs the delivery's `download_token`).
    pub download_url: Option<String>,
    /// Play link.
    pub play_url: Option<String>,
    /// `completed`, ...
    pub status: Option<String>,
    /// `shared_screen_with_speaker_view`, ...
    pub recording_type: Option<String>,
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}
