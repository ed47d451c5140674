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
