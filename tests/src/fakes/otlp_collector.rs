//! An OTLP/HTTP trace collector in the test process: `POST /v1/traces` with a protobuf
//! `ExportTraceServiceRequest` (as the OpenTelemetry collector takes it on port 4318), decoded
//! with `opentelemetry-proto` and kept as [`CollectedSpan`]s for the test to read.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;

use super::common::{Server, lock};

/// One span as the collector received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedSpan {
    /// `service.name` of the resource that sent it.
    pub service: String,
    /// Trace id, lower-case hex.
    pub trace_id: String,
    /// Span id, lower-case hex.
    pub span_id: String,
    /// Parent span id, lower-case hex; empty for a root span.
    pub parent_span_id: String,
    /// Span name.
    pub name: String,
    /// `SPAN_KIND_SERVER`, `SPAN_KIND_CLIENT`, ...
    pub kind: String,
    /// String and integer attributes, as text.
    pub attributes: Vec<(String, String)>,
    /// Trace ids of the span's links.
    pub linked_trace_ids: Vec<String>,
}

impl CollectedSpan {
    /// The value of attribute `key`, as text.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

type Shared = Arc<Mutex<Vec<CollectedSpan>>>;

/// The running collector.
pub struct FakeCollector {
    spans: Shared,
    server: Server,
}

impl FakeCollector {
    /// Starts on 127.0.0.1 with an OS-chosen port.
    pub async fn start() -> anyhow::Result<Self> {
        let spans: Shared = Arc::default();
        let router = Router::new()
            .route("/v1/traces", post(receive))
            .with_state(spans.clone());
        let server = Server::start(router).await?;
        Ok(Self { spans, server })
    }

    /// The base URL to configure as `telemetry.otlp_endpoint`.
    pub fn endpoint(&self) -> String {
        self.server.origin()
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<CollectedSpan> {
        lock(&self.spans).clone()
    }
}

async fn receive(State(spans): State<Shared>, body: Bytes) -> Response {
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return (StatusCode::BAD_REQUEST, "not an ExportTraceServiceRequest").into_response();
    };
    let mut received = Vec::new();
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|r| r.attributes.iter())
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| kv.value.as_ref())
            .and_then(|v| text(v.value.as_ref()))
            .unwrap_or_default();
        for scope in resource_spans.scope_spans {
            for span in scope.spans {
                received.push(CollectedSpan {
                    service: service.clone(),
                    trace_id: hex::encode(&span.trace_id),
                    span_id: hex::encode(&span.span_id),
                    parent_span_id: hex::encode(&span.parent_span_id),
                    kind: span.kind().as_str_name().to_owned(),
                    name: span.name,
                    attributes: span
                        .attributes
                        .iter()
                        .filter_map(|kv| {
                            let value = text(kv.value.as_ref()?.value.as_ref())?;
                            Some((kv.key.clone(), value))
                        })
                        .collect(),
                    linked_trace_ids: span
                        .links
                        .iter()
                        .map(|l| hex::encode(&l.trace_id))
                        .collect(),
                });
            }
        }
    }
    lock(&spans).extend(received);
    let answer = ExportTraceServiceResponse::default().encode_to_vec();
    ([(header::CONTENT_TYPE, "application/x-protobuf")], answer).into_response()
}

fn text(value: Option<&AnyValue>) -> Option<String> {
    match value? {
        AnyValue::StringValue(s) => Some(s.clone()),
        AnyValue::IntValue(i) => Some(i.to_string()),
        AnyValue::BoolValue(b) => Some(b.to_string()),
        _ => None,
    }
}
