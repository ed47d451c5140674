//! Logging setup shared by every binary, so all four speak the same format.
//!
//! - `MEETFLOW_LOG_FORMAT=json|pretty` picks the output; unset, it is `pretty` when stderr is a
//!   terminal and `json` otherwise (containers, files).
//! - The level comes from `RUST_LOG` (default `info`; e.g. `RUST_LOG=meetflow_worker=debug,info`).
//! - Logs go to stderr, so command output on stdout (`meetflow-admin ... --json`) stays clean.
//! - Personal data never goes into a field as is: use [`redact::phone`] and [`redact::email`].
//! - Tests stay silent unless `TEST_LOG` is set ([`init_for_tests`]).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

pub use crate::domain::redact;

/// Environment variable selecting the log format.
pub const LOG_FORMAT_ENV: &str = "MEETFLOW_LOG_FORMAT";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (production).
    Json,
    /// Human-readable, coloured on a terminal.
    Pretty,
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// `MEETFLOW_LOG_FORMAT` holds something else than `json` or `pretty`.
    #[error("{LOG_FORMAT_ENV} must be `json` or `pretty`, not `{0}`")]
    BadFormat(String),
}

impl LogFormat {
    /// The format chosen by `MEETFLOW_LOG_FORMAT`, or by whether stderr is a terminal.
    pub fn from_env() -> Result<LogFormat, TelemetryError> {
        let value = std::env::var(LOG_FORMAT_ENV).ok();
        Self::parse(value.as_deref(), std::io::stderr().is_terminal())
    }

    /// `json` / `pretty` (any case); unset or empty picks `pretty` on a terminal, else `json`.
    pub fn parse(value: Option<&str>, on_terminal: bool) -> Result<LogFormat, TelemetryError> {
        match value.map(str::trim) {
            None | Some("") if on_terminal => Ok(LogFormat::Pretty),
            None | Some("") => Ok(LogFormat::Json),
            Some(v) if v.eq_ignore_ascii_case("json") => Ok(LogFormat::Json),
            Some(v) if v.eq_ignore_ascii_case("pretty") => Ok(LogFormat::Pretty),
            Some(other) => Err(TelemetryError::BadFormat(other.to_owned())),
        }
    }
}

fn filter() -> EnvFilter {
    EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy()
}

/// Installs the global subscriber for `service_name` (e.g. `meetflow-worker`), which is also the
/// `service` label of `meetflow_build_info`. Calling it again in the same process is harmless
/// (the first subscriber and name stay).
pub fn init(service_name: &str) -> Result<(), TelemetryError> {
    crate::ops_metrics::build_info::set_service(service_name);
    let format = LogFormat::from_env()?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
    if installed.is_ok() {
        tracing::debug!(
            service = service_name,
            version = env!("CARGO_PKG_VERSION"),
            ?format,
            "logging ready"
        );
    }
    Ok(())
}

/// For tests: logs (pretty, through the test writer so `cargo test` captures them) only when
/// `TEST_LOG` is set; silent otherwise. Safe to call from every test.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_none() {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::builder()
                .with_default_directive(LevelFilter::DEBUG.into())
                .from_env_lossy(),
        )
        .with_test_writer()
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_follows_the_variable_then_the_terminal() {
        assert_eq!(
            LogFormat::parse(Some("JSON"), true).ok(),
            Some(LogFormat::Json)
        );
        assert_eq!(
            LogFormat::parse(Some(" pretty "), false).ok(),
            Some(LogFormat::Pretty)
        );
        assert_eq!(LogFormat::parse(None, true).ok(), Some(LogFormat::Pretty));
        assert_eq!(
            LogFormat::parse(Some(""), false).ok(),
            Some(LogFormat::Json)
        );
        let err = LogFormat::parse(Some("xml"), true)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("MEETFLOW_LOG_FORMAT must be `json` or `pretty`, not `xml`")
        );
    }
}
