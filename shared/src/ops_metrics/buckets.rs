//! Histogram buckets, chosen for the questions asked of each histogram.
//!
//! Request, job and provider-call durations use [`DEFAULT`] (5 ms to 60 s). Reminder lateness
//! uses [`LATENESS`] (1 s to 1 day): its alert fires at 2 minutes and must still tell
//! 10 minutes from an hour; with the default buckets everything above 60 s read as 60 s and the
//! alert could never fire.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

use super::lateness::METRIC as LATENESS_METRIC;

/// Seconds: webhook latency, job run time, provider calls, enqueue time.
pub const DEFAULT: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The scheduler's due-time-to-enqueue histogram, on the same buckets as the lateness.
pub const ENQUEUE_DELAY_METRIC: &str = "meetflow_reminder_enqueue_delay_seconds";

/// The accept-to-delivered time of an SMS, on the same buckets as the lateness.
pub const DELIVERY_METRIC: &str = "meetflow_sms_delivery_seconds";

/// Seconds: how late a reminder reached EngageLab (or the sms queue), up to a day.
pub const LATENESS: &[f64] = &[
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0,
    86400.0,
];

/// A recorder builder with [`DEFAULT`] for every histogram and the per-metric buckets above.
/// (The builder refuses only empty bucket lists; should that ever happen, the exporter's own
/// defaults apply.)
pub fn builder() -> PrometheusBuilder {
    PrometheusBuilder::new()
        .set_buckets(DEFAULT)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(LATENESS_METRIC.to_owned()), LATENESS))
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Full(ENQUEUE_DELAY_METRIC.to_owned()), LATENESS)
        })
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(DELIVERY_METRIC.to_owned()), LATENESS))
        .unwrap_or_else(|_| PrometheusBuilder::new())
}
