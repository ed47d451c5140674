//! `meetflow_reminder_lateness_seconds`: from a reminder's due time to EngageLab accepting its
//! SMS (not to the enqueue: a reminder stuck in the `sms` queue is late too). Recorded by the
//! SMS handler, once per accepted reminder; buckets in [`super::buckets::LATENESS`].

use chrono::{DateTime, Utc};

/// The histogram's name.
pub const METRIC: &str = "meetflow_reminder_lateness_seconds";

/// Records that EngageLab accepted, at `accepted`, the SMS of a reminder due at `due`
/// (early sends count as 0).
pub fn reminder_accepted(due: DateTime<Utc>, accepted: DateTime<Utc>) {
    let late_ms = (accepted - due).num_milliseconds().max(0);
    metrics::histogram!(METRIC).record(late_ms as f64 / 1000.0);
}
