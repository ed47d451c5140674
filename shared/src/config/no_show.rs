//! `engagement.no_show_detection`: attendance-based no-shows. When a booked Zoom meeting ends and
//! the invitee never joined it, the worker marks them no-show in Calendly `grace` after the end.
//! Absent or `null` (the default) = off.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::values::duration;

/// `engagement.no_show_detection: { grace, match_by_name }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoShowDetection {
    /// How long after the meeting's end the participants are checked and the mark is made [15m]
    /// (a host who marks by hand first, or a late participant report, wins).
    #[serde(with = "duration")]
    pub grace: Duration,
    /// A participant whose Zoom name equals the invitee's name (case and spacing aside)
    /// counts as the invitee when no participant has the invitee's e-mail (they joined signed in
    /// under another address, or as a guest) [true].
    pub match_by_name: bool,
}

impl Default for NoShowDetection {
    fn default() -> Self {
        Self {
            grace: Duration::from_secs(15 * 60),
            match_by_name: true,
        }
    }
}
