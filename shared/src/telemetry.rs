//! Logging setup shared by every binary, so all four speak the same format.
//!
//! - `MEETFLOW_LOG_FORMAT=json|pretty` picks the output; unset, it is `pretty` when stderr is a
//!   terminal and `json` otherwise (containers, files).
//! - The level comes from `RUST_LOG` (default `info`; e.g. `RUST_LOG=meetflow_worker=debug,info`).
//! - Logs go to stderr, so command output on stdout (`meetflow-admin ... --json`) stays clean.
//! - Personal data never goes into a field as is: use [`redact::phone`] and [`redact::email`].
//! - Tests stay silent unless `TEST_LOG` is set ([`init_for_tests`]).
//! - Traces: with `telemetry.otlp_endpoint` set, spans are also exported over OTLP/HTTP
//!   ([`otlp`]); the trace context travels in job payloads ([`trace_context`]). Without it no
//!   exporter exists and spans are only log context.
//! - Warnings a sender can repeat at will are rate-limited ([`warn_limit`]).

pub mod otlp;
pub mod trace_context;
pub mod warn_limit;

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::Registry;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use otlp::TraceExport;

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
    /// The OTLP exporter of `telemetry.otlp_endpoint` cannot be built.
    #[error("telemetry.otlp_endpoint: cannot export traces: {0}")]
    Exporter(String),
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
/// `service` label of `meetflow_build_info`, without trace export. Calling it again in the same
/// process is harmless (the first subscriber and name stay).
pub fn init(service_name: &str) -> Result<(), TelemetryError> {
    init_with_export(service_name, None).map(|_| ())
}

/// Like [`init`], and with `otlp_endpoint` (`telemetry.otlp_endpoint`) also exports spans over
/// OTLP/HTTP. Returns the exporter to flush at the end ([`TraceExport::shutdown`]); `None` when
/// there is no endpoint or a subscriber was already installed.
pub fn init_with_export(
    service_name: &str,
    otlp_endpoint: Option<&str>,
) -> Result<Option<TraceExport>, TelemetryError> {
    crate::ops_metrics::build_info::set_service(service_name);
    let format = LogFormat::from_env()?;
    let (export, otel_layer) = match otlp_endpoint {
        Some(endpoint) => {
            let (export, tracer) = TraceExport::start(endpoint, service_name)?;
            let layer = tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_tracked_inactivity(false)
                .with_threads(false);
            (Some(export), Some(layer))
        }
        None => (None, None),
    };
    let fmt_layer: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .boxed(),
    };
    let installed = tracing_subscriber::registry()
        .with(fmt_layer)
        .with(otel_layer)
        .with(filter())
        .try_init();
    if installed.is_err() {
        return Ok(None);
    }
    tracing::debug!(
        service = service_name,
        version = env!("CARGO_PKG_VERSION"),
        ?format,
        traces = otlp_endpoint.is_some(),
        "logging ready"
    );
    Ok(export)
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
