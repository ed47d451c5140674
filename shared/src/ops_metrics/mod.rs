//! Metrics every binary exports from its first second, whatever it has done yet, and the
//! settings of the Prometheus recorder. [`crate::ops`] calls these; binaries do not.
//!
//! - [`buckets`]: the histogram buckets, per metric where an alert needs a wider range
//!   (reminder lateness reaches hours, the alert threshold is 2 minutes).
//! - [`catalog`]: the HELP text (and unit) of every `meetflow_*` metric, so `promtool check
//!   metrics` finds each one documented.
//! - [`build_info`]: `meetflow_build_info{service,version,commit} 1`.
//! - [`process`]: `process_cpu_seconds_total`, `process_resident_memory_bytes`,
//!   `process_open_fds`, `process_start_time_seconds`, ... read from `/proc/self` at each scrape.
//! - [`redis_probe`]: `meetflow_redis_up`, from a PING every few seconds.
//! - [`lateness`]: `meetflow_reminder_lateness_seconds`, due time to EngageLab's acceptance.

pub mod buckets;
pub mod build_info;
pub mod catalog;
pub mod lateness;
pub mod process;
pub mod redis_probe;

/// The text appended to the recorder's output on `/metrics`: build info and process metrics,
/// rendered at each scrape (they need no recorder and so are there from the first scrape).
pub fn render_static() -> String {
    let mut out = build_info::render();
    out.push_str(&process::render());
    out
}

/// Registers at 0 the counters alerts read with `increase()` and that would otherwise appear
/// only with their first increment (which `increase()` cannot see): credential failures of
/// every provider.
pub fn preregister() {
    use crate::providers::Provider;
    for p in [
        Provider::Brevo,
        Provider::EngageLab,
        Provider::Zoom,
        Provider::Calendly,
    ] {
        metrics::counter!(crate::providers::http::CREDENTIAL_FAILURES, "provider" => p.as_str())
            .increment(0);
    }
}

/// The value of one rendered series (`name{labels}` exactly as `/metrics` writes it) in this
/// process's recorder, 0 when absent. For tests.
#[cfg(test)]
pub(crate) fn rendered_value(series: &str) -> f64 {
    let handle = crate::ops::metrics_handle();
    handle.run_upkeep();
    handle
        .render()
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;

    #[test]
    fn reminder_lateness_buckets_tell_ten_minutes_from_an_hour() {
        let _ = crate::ops::metrics_handle();
        let bucket =
            |le: &str| rendered_value(&format!("{}_bucket{{le=\"{le}\"}}", lateness::METRIC));
        let (at_600, at_3600) = (bucket("600"), bucket("3600"));
        let due = Utc::now() - Duration::minutes(10);
        lateness::reminder_accepted(due + Duration::seconds(5), Utc::now());
        lateness::reminder_accepted(due, Utc::now() + Duration::minutes(50));
        // 9m55s late falls in le="600"; 1 h late only from le="3600" on.
        assert_eq!(bucket("600") - at_600, 1.0);
        assert_eq!(bucket("3600") - at_3600, 2.0);
        assert!(bucket("86400") >= 2.0);
    }

    #[test]
    fn credential_failure_counters_exist_at_zero_before_any_failure() {
        let _ = crate::ops::metrics_handle();
        let text = crate::ops::metrics_handle().render();
        for p in ["brevo", "engagelab", "zoom", "calendly"] {
            let series = format!(
                "{}{{provider=\"{p}\"}}",
                crate::providers::http::CREDENTIAL_FAILURES
            );
            assert!(text.contains(&series), "{series} missing:\n{text}");
        }
    }
}
