//! What a planned SMS is for: a reminder `Before(offset)` the meeting start, the follow-up after
//! its end, or one of the engagement flows (win-back after a cancellation, apology after a
//! no-show).
//!
//! The kind is part of the reminder id (`rem:<booking>:<label>`) and therefore of the SMS job id,
//! so its label must be stable: `24h`, `1h`, `90m`, `45s` (largest whole unit), `followup`,
//! `winback` and `noshow`.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One kind of reminder of a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReminderKind {
    /// A reminder this long before the meeting start (`reminders.offsets`).
    Before(Duration),
    /// The follow-up after the meeting end (`reminders.follow_up_after_end`).
    FollowUp,
    /// The re-engagement SMS after a cancellation that was not a reschedule
    /// (`engagement.win_back_after`).
    WinBack,
    /// The "sorry we missed you" SMS after a no-show (`engagement.no_show_after`).
    NoShow,
}

const FOLLOW_UP: &str = "followup";
const WIN_BACK: &str = "winback";
const NO_SHOW: &str = "noshow";

impl ReminderKind {
    /// The stable label used in reminder ids, Redis and metrics.
    pub fn label(&self) -> String {
        match self {
            Self::FollowUp => FOLLOW_UP.to_owned(),
            Self::WinBack => WIN_BACK.to_owned(),
            Self::NoShow => NO_SHOW.to_owned(),
            Self::Before(d) => {
                let s = d.as_secs();
                if s > 0 && s % 3600 == 0 {
                    format!("{}h", s / 3600)
                } else if s > 0 && s % 60 == 0 {
                    format!("{}m", s / 60)
                } else {
                    format!("{s}s")
                }
            }
        }
    }

    /// Parse a label made by [`ReminderKind::label`].
    pub fn parse(label: &str) -> Option<Self> {
        match label {
            FOLLOW_UP => return Some(Self::FollowUp),
            WIN_BACK => return Some(Self::WinBack),
            NO_SHOW => return Some(Self::NoShow),
            _ => {}
        }
        let unit = label.chars().last()?;
        let n: u64 = label[..label.len() - unit.len_utf8()].parse().ok()?;
        let secs = match unit {
            'h' => n.checked_mul(3600)?,
            'm' => n.checked_mul(60)?,
            's' => n,
            _ => return None,
        };
        Some(Self::Before(Duration::from_secs(secs)))
    }

    /// Whether this reminder is sent before the meeting (and is useless once it has started).
    pub fn is_before_start(&self) -> bool {
        matches!(self, Self::Before(_))
    }

    /// Whether this SMS can wait: held until `engagement.quiet_hours` end in the recipient's time
    /// zone. Reminders before a meeting are never held; follow-ups and engagement SMS are.
    pub fn can_wait(&self) -> bool {
        !self.is_before_start()
    }

    /// Whether this SMS belongs to an engagement flow (win-back, no-show apology), which carries
    /// a fresh single-use booking link.
    pub fn is_engagement(&self) -> bool {
        matches!(self, Self::WinBack | Self::NoShow)
    }
}

impl std::fmt::Display for ReminderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl Serialize for ReminderKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

impl<'de> Deserialize<'de> for ReminderKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let label = String::deserialize(d)?;
        Self::parse(&label)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown reminder kind {label:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_use_the_largest_whole_unit_and_parse_back() {
        let cases = [
            (ReminderKind::Before(Duration::from_secs(86_400)), "24h"),
            (ReminderKind::Before(Duration::from_secs(3600)), "1h"),
            (ReminderKind::Before(Duration::from_secs(5400)), "90m"),
            (ReminderKind::Before(Duration::from_secs(45)), "45s"),
            (ReminderKind::Before(Duration::ZERO), "0s"),
            (ReminderKind::FollowUp, "followup"),
            (ReminderKind::WinBack, "winback"),
            (ReminderKind::NoShow, "noshow"),
        ];
        for (kind, label) in cases {
            assert_eq!(kind.label(), label);
            assert_eq!(ReminderKind::parse(label), Some(kind));
        }
        assert_eq!(ReminderKind::parse("x"), None);
        assert_eq!(ReminderKind::parse("1d"), None);
        assert_eq!(ReminderKind::parse(""), None);
    }
}
