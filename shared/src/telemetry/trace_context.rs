//! The trace context a job carries: the W3C `traceparent` of the span that enqueued it and the
//! delivery it belongs to, written into the job payload's optional `trace` member.
//!
//! - [`envelope_for_new_job`] is what [`crate::queue::NewJob::json`] adds: the current span's
//!   `traceparent` (only when spans are exported: without `telemetry.otlp_endpoint` there is no
//!   trace id to carry) and the delivery id of the job running now ([`delivery_scope`]).
//! - The worker reads it back with [`JobTrace::of_payload`] before the handler runs and makes
//!   the job's span a child of the enqueuing span (or, for [`JobTrace::link`], linked to it:
//!   a reminder links to the trace of the delivery that booked it).
//!
//! Backward compatible both ways: payloads without `trace` (queued by older builds) decode as
//! before, and every payload type ignores members it does not know, so an older worker reads a
//! newer payload.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use serde::{Deserialize, Serialize};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The name of the payload member holding the [`JobTrace`].
pub const TRACE_MEMBER: &str = "trace";

/// What a job payload carries about the trace it belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobTrace {
    /// W3C `traceparent` of the span that caused the job (its parent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// W3C `traceparent` of an earlier trace the job is linked to rather than a child of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The id of the webhook delivery (its `events` job id) the job descends from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
}

#[derive(Deserialize)]
struct PayloadTrace {
    #[serde(default)]
    trace: Option<JobTrace>,
}

impl JobTrace {
    /// The `trace` member of a JSON payload (`None`: absent or not readable; the payload itself
    /// is judged by its own decoder).
    pub fn of_payload(payload: &str) -> Option<JobTrace> {
        serde_json::from_str::<PayloadTrace>(payload)
            .ok()
            .and_then(|p| p.trace)
    }

    fn is_empty(&self) -> bool {
        self.traceparent.is_none() && self.link.is_none() && self.delivery_id.is_none()
    }

    /// Makes `span` a child of [`JobTrace::traceparent`] and links it to [`JobTrace::link`]
    /// (no-op when spans are not exported or the values are not valid `traceparent`s).
    pub fn attach(&self, span: &tracing::Span) {
        if let Some(parent) = self.traceparent.as_deref().and_then(context_of) {
            let _ = span.set_parent(parent);
        }
        if let Some(linked) = self.link.as_deref().and_then(context_of) {
            span.add_link(linked.span().span_context().clone());
        }
    }
}

tokio::task_local! {
    static DELIVERY: String;
}

/// Runs `fut` with `delivery_id` as the delivery of every job it enqueues.
pub async fn delivery_scope<F: std::future::Future>(delivery_id: String, fut: F) -> F::Output {
    DELIVERY.scope(delivery_id, fut).await
}

/// The delivery of the job running on this task, if any.
pub fn current_delivery() -> Option<String> {
    DELIVERY.try_with(Clone::clone).ok()
}

/// The W3C `traceparent` of the current span; `None` when spans are not exported.
pub fn current_traceparent() -> Option<String> {
    traceparent_of(&tracing::Span::current())
}

/// The W3C `traceparent` of `span`; `None` when spans are not exported.
pub fn traceparent_of(span: &tracing::Span) -> Option<String> {
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut carrier);
    carrier.remove("traceparent")
}

/// What a job enqueued now carries (`None`: nothing to carry, the payload stays as it is).
pub fn envelope_for_new_job() -> Option<JobTrace> {
    let trace = JobTrace {
        traceparent: current_traceparent(),
        link: None,
        delivery_id: current_delivery(),
    };
    (!trace.is_empty()).then_some(trace)
}

/// The remote context a `traceparent` names (`None` when it is not one).
fn context_of(traceparent: &str) -> Option<opentelemetry::Context> {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let cx = TraceContextPropagator::new().extract(&carrier);
    cx.span().span_context().is_valid().then_some(cx)
}

/// Adds the `traceparent` of the current span to an outgoing HTTP request's headers (so a
/// provider or proxy that traces can join the trace); nothing when spans are not exported.
pub fn inject_headers(headers: &mut reqwest::header::HeaderMap) {
    if let Some(value) =
        current_traceparent().and_then(|v| reqwest::header::HeaderValue::from_str(&v).ok())
    {
        headers.insert("traceparent", value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_without_trace_reads_as_none_and_a_bad_one_too() {
        assert_eq!(JobTrace::of_payload(r#"{"v":1,"id":"x"}"#), None);
        assert_eq!(JobTrace::of_payload("not json"), None);
        let with = JobTrace::of_payload(
            r#"{"v":1,"trace":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","delivery_id":"d1"}}"#,
        );
        assert_eq!(with.and_then(|t| t.delivery_id).as_deref(), Some("d1"));
    }

    #[test]
    fn a_traceparent_parses_and_garbage_does_not() {
        assert!(context_of("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").is_some());
        assert!(context_of("nonsense").is_none());
    }

    #[tokio::test]
    async fn the_delivery_scope_is_seen_by_enqueues_inside_it_only() {
        assert_eq!(current_delivery(), None);
        let inside = delivery_scope("d9".to_owned(), async { envelope_for_new_job() }).await;
        assert_eq!(inside.and_then(|t| t.delivery_id).as_deref(), Some("d9"));
        assert_eq!(envelope_for_new_job(), None);
    }
}
