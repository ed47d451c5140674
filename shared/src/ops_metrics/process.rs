//! The standard Prometheus process metrics, read from `/proc/self` at each scrape (Linux; on
//! other systems nothing is rendered): `process_cpu_seconds_total`,
//! `process_resident_memory_bytes`, `process_virtual_memory_bytes`, `process_open_fds`,
//! `process_max_fds`, `process_start_time_seconds`.
//!
//! Rendered as text rather than through the `metrics` recorder, whose counters are integers
//! (CPU seconds are fractional). Clock ticks are taken as 100 per second (`USER_HZ`, fixed on
//! Linux for `/proc`); memory comes from `VmRSS` / `VmSize` (kB) in `/proc/self/status`.

use std::fmt::Write as _;

/// `/proc` clock ticks per second (`USER_HZ`).
const TICKS_PER_SECOND: f64 = 100.0;

/// What one look at `/proc/self` found; `None` where a file could not be read.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProcessSample {
    /// User + system CPU time, seconds.
    pub cpu_seconds: Option<f64>,
    /// Resident set size, bytes.
    pub resident_bytes: Option<u64>,
    /// Virtual memory size, bytes.
    pub virtual_bytes: Option<u64>,
    /// Open file descriptors.
    pub open_fds: Option<u64>,
    /// The soft limit on open file descriptors.
    pub max_fds: Option<u64>,
    /// Process start, seconds since the Unix epoch.
    pub start_time_seconds: Option<f64>,
}

/// Reads `/proc/self` now.
pub fn sample() -> ProcessSample {
    let stat = std::fs::read_to_string("/proc/self/stat").ok();
    let fields = stat.as_deref().and_then(stat_fields);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let boot = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| boot_time(&s));
    ProcessSample {
        cpu_seconds: fields
            .as_ref()
            .map(|f| (f.utime + f.stime) as f64 / TICKS_PER_SECOND),
        resident_bytes: status_kb(&status, "VmRSS:").map(|kb| kb * 1024),
        virtual_bytes: status_kb(&status, "VmSize:").map(|kb| kb * 1024),
        open_fds: std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|d| d.count() as u64),
        max_fds: std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|l| max_open_files(&l)),
        start_time_seconds: match (fields, boot) {
            (Some(f), Some(b)) => Some(b as f64 + f.start_ticks as f64 / TICKS_PER_SECOND),
            _ => None,
        },
    }
}

/// Prometheus text of [`sample`].
pub fn render() -> String {
    render_sample(&sample())
}

/// Prometheus text of one sample (metrics that could not be read are left out).
pub fn render_sample(s: &ProcessSample) -> String {
    let mut out = String::new();
    let mut put = |name: &str, kind: &str, help: &str, value: Option<String>| {
        if let Some(v) = value {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
            );
        }
    };
    put(
        "process_cpu_seconds_total",
        "counter",
        "Total user and system CPU time spent in seconds.",
        s.cpu_seconds.map(|v| v.to_string()),
    );
    put(
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory size in bytes.",
        s.resident_bytes.map(|v| v.to_string()),
    );
    put(
        "process_virtual_memory_bytes",
        "gauge",
        "Virtual memory size in bytes.",
        s.virtual_bytes.map(|v| v.to_string()),
    );
    put(
        "process_open_fds",
        "gauge",
        "Number of open file descriptors.",
        s.open_fds.map(|v| v.to_string()),
    );
    put(
        "process_max_fds",
        "gauge",
        "Maximum number of open file descriptors.",
        s.max_fds.map(|v| v.to_string()),
    );
    put(
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since unix epoch in seconds.",
        s.start_time_seconds.map(|v| v.to_string()),
    );
    out
}

struct StatFields {
    utime: u64,
    stime: u64,
    start_ticks: u64,
}

/// Fields 14 (utime), 15 (stime) and 22 (starttime) of `/proc/self/stat`. The command name
/// (field 2) is in parentheses and may hold spaces: count from the last `)`.
fn stat_fields(stat: &str) -> Option<StatFields> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): field n is f[n - 3].
    let get = |n: usize| f.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    Some(StatFields {
        utime: get(14)?,
        stime: get(15)?,
        start_ticks: get(22)?,
    })
}

fn status_kb(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

fn boot_time(proc_stat: &str) -> Option<u64> {
    proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

fn max_open_files(limits: &str) -> Option<u64> {
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_read_field_by_field() {
        let stat = "4242 (meet flow) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 8 0 123456 999 77";
        let f = stat_fields(stat).expect("fields");
        assert_eq!((f.utime, f.stime, f.start_ticks), (250, 50, 123456));
        assert_eq!(
            status_kb("Name:\tx\nVmRSS:\t  2048 kB\n", "VmRSS:"),
            Some(2048)
        );
        assert_eq!(
            boot_time("cpu 1 2\nbtime 1700000000\n"),
            Some(1_700_000_000)
        );
        let limits = "Limit Soft Hard Units\nMax open files            1024                 524288               files\n";
        assert_eq!(max_open_files(limits), Some(1024));
    }

    #[test]
    fn a_sample_renders_help_type_and_value_and_skips_what_is_unknown() {
        let text = render_sample(&ProcessSample {
            cpu_seconds: Some(1.5),
            open_fds: Some(9),
            ..ProcessSample::default()
        });
        assert!(
            text.contains(
                "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n"
            ),
            "{text}"
        );
        assert!(text.contains("process_open_fds 9\n"), "{text}");
        assert!(!text.contains("process_max_fds"), "{text}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_cpu_memory_fds_and_a_start_time() {
        let s = sample();
        assert!(s.resident_bytes.is_some_and(|b| b > 0), "{s:?}");
        assert!(s.open_fds.is_some_and(|n| n > 0), "{s:?}");
        assert!(s.cpu_seconds.is_some(), "{s:?}");
        assert!(s.start_time_seconds.is_some_and(|t| t > 1.0e9), "{s:?}");
    }
}
