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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Settings;

    fn load(engagement: &str) -> Result<Settings, crate::config::ConfigError> {
        Settings::from_yaml_str(&format!("engagement: {engagement}\n"), &|_| None)
    }

    #[test]
    fn off_unless_set_with_defaults_for_what_is_left_out() {
        assert_eq!(load("{}").unwrap().engagement.no_show_detection, None);
        assert_eq!(
            load("{ no_show_detection: null }")
                .unwrap()
                .engagement
                .no_show_detection,
            None
        );
        let on = load("{ no_show_detection: { grace: 5m } }").unwrap();
        assert_eq!(
            on.engagement.no_show_detection,
            Some(NoShowDetection {
                grace: Duration::from_secs(300),
                match_by_name: true
            })
        );
        let err = load("{ no_show_detection: { grace: 5m, by_name: false } }").unwrap_err();
        assert!(err.to_string().contains("by_name"), "{err}");
    }
}
