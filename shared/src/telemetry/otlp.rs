//! The OTLP/HTTP trace exporter: built only when `telemetry.otlp_endpoint` is set, flushed when
//! the process stops ([`TraceExport::shutdown`]).
//!
//! Spans are batched on a thread of the SDK and posted as protobuf to
//! `<otlp_endpoint>/v1/traces`; a collector that is down costs dropped spans, never a stalled
//! job (the batch queue is bounded and the export has a timeout).

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

use super::TelemetryError;

/// How long one export may take before it is given up.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long stopping waits for the last spans to leave.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The running exporter of one process.
#[derive(Debug, Clone)]
pub struct TraceExport {
    provider: SdkTracerProvider,
}

impl TraceExport {
    /// An exporter to the collector at `endpoint` (its base URL) for `service`.
    pub(super) fn start(
        endpoint: &str,
        service: &str,
    ) -> Result<(Self, SdkTracer), TelemetryError> {
        let traces = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(traces)
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        let resource = Resource::builder()
            .with_service_name(service.to_owned())
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build();
        let tracer = provider.tracer("meetflow");
        Ok((Self { provider }, tracer))
    }

    /// Sends the spans still in the batch now (tests, and before a planned stop).
    pub async fn flush(&self) {
        let provider = self.provider.clone();
        let _ = tokio::task::spawn_blocking(move || provider.force_flush()).await;
    }

    /// Sends what is left and stops the exporter (the end of [`crate::process::Process::run`]).
    pub async fn shutdown(self) {
        let provider = self.provider;
        let done =
            tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT))
                .await;
        if let Ok(Err(e)) = done {
            tracing::warn!(error = %e, "trace export did not finish cleanly");
        }
    }
}
