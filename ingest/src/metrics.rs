//! The webhook server's metrics (exported on `ops.listen` `/metrics`).
//!
//! - `meetflow_ingest_requests_total{route, status}` and
//!   `meetflow_ingest_request_seconds{route}`: every request, by route (`calendly`, `zoom`,
//!   `engagelab`, `other`) and status code.
//! - `meetflow_ingest_signature_failures_total{provider, reason}`.
//! - `meetflow_ingest_duplicates_total{provider}`: redeliveries answered 200 without a new job.
//! - `meetflow_ingest_dead_lettered_total{provider, kind}`: signed bodies that are not events.
//! - `meetflow_ingest_enqueue_seconds{provider, outcome}`: time Redis took to take (or refuse)
//!   the job; `outcome` is `created`, `duplicate`, `error` or `timeout`.
//! - `meetflow_ingest_webhooks_accepted_total{provider}`: verified deliveries stored (created or
//!   a known redelivery); registered at 0 for every provider ingest has a secret for, so the
//!   `MeetflowWebhooksSilent` alert sees a provider that never delivers after a restart.
//! - `meetflow_delivery_log_entries{provider}` and `meetflow_delivery_log_bytes`: what the
//!   delivery log holds, set from every trim (after each written batch, and every
//!   [`crate::batcher::TRIM_EVERY`] without traffic); `meetflow_delivery_log_trimmed_total{reason}`:
//!   entries the trim removed, by `age`, `count` or `bytes` (registered at 0 while the log is on).

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use meetflow_shared::events::Provider;
use meetflow_shared::queue::TrimReport;

use crate::config::IngestConfig;

const ACCEPTED: &str = "meetflow_ingest_webhooks_accepted_total";
const LOG_TRIMMED: &str = "meetflow_delivery_log_trimmed_total";

/// Registers the accepted-webhook counter at 0 for each provider `config` can verify.
pub(crate) fn expect_webhooks(config: &IngestConfig) {
    let calendly = config.calendly.has_key() || config.calendly.allows_unsigned();
    for (provider, configured) in [
        (Provider::Calendly, calendly),
        (Provider::Zoom, config.zoom.has_secret()),
    ] {
        if configured {
            metrics::counter!(ACCEPTED, "provider" => provider.as_str()).increment(0);
        }
    }
}

/// Middleware: counts and times every request by route and status.
pub(crate) async fn track(request: Request, next: Next) -> Response {
    let route = match request.uri().path() {
        "/webhooks/calendly" => "calendly",
        "/webhooks/zoom" => "zoom",
        "/webhooks/engagelab" => "engagelab",
        _ => "other",
    };
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("meetflow_ingest_requests_total", "route" => route, "status" => status)
        .increment(1);
    metrics::histogram!("meetflow_ingest_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

pub(crate) fn signature_failure(provider: Provider, reason: &'static str) {
    metrics::counter!("meetflow_ingest_signature_failures_total",
        "provider" => provider.as_str(), "reason" => reason)
    .increment(1);
}

pub(crate) fn duplicate(provider: Provider) {
    metrics::counter!("meetflow_ingest_duplicates_total", "provider" => provider.as_str())
        .increment(1);
}

pub(crate) fn dead_lettered(provider: Provider, kind: &'static str) {
    metrics::counter!("meetflow_ingest_dead_lettered_total",
        "provider" => provider.as_str(), "kind" => kind)
    .increment(1);
}

/// Records how long the enqueue took; a `created` or `duplicate` outcome also counts the
/// delivery as accepted.
pub(crate) fn enqueue_latency(provider: Provider, outcome: &'static str, started: Instant) {
    if matches!(outcome, "created" | "duplicate") {
        metrics::counter!(ACCEPTED, "provider" => provider.as_str()).increment(1);
    }
    metrics::histogram!("meetflow_ingest_enqueue_seconds",
        "provider" => provider.as_str(), "outcome" => outcome)
    .record(started.elapsed().as_secs_f64());
}

/// Registers the delivery log's trimmed counter at 0 for every reason (the log is on).
pub(crate) fn expect_log_trims() {
    for reason in ["age", "count", "bytes"] {
        metrics::counter!(LOG_TRIMMED, "reason" => reason).increment(0);
    }
}

/// Records one trim of the delivery log: what it removed, and what the log holds now.
pub(crate) fn delivery_log_trimmed(report: &TrimReport) {
    for (reason, n) in [
        ("age", report.aged),
        ("count", report.over_count),
        ("bytes", report.over_bytes),
    ] {
        metrics::counter!(LOG_TRIMMED, "reason" => reason).increment(n);
    }
    for (provider, n) in &report.by_provider {
        metrics::gauge!("meetflow_delivery_log_entries", "provider" => provider.as_str())
            .set(*n as f64);
    }
    metrics::gauge!("meetflow_delivery_log_bytes").set(report.bytes as f64);
}
