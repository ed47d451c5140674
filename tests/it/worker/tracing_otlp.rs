//! Tracing: with `telemetry.otlp_endpoint` set, one Calendly delivery is one trace, from the
//! ingest request through the jobs it causes (events, then the SMS queue) to the EngageLab call,
//! exported over OTLP/HTTP to a collector in this process; the booking's reminder, a day later,
//! is a trace of its own linked to it.

use std::time::Duration;

use meetflow_scheduler::DueLoopSettings;
use meetflow_shared::bookings::Clock;
use meetflow_tests::fakes::{CollectedSpan, FakeCollector};

use crate::support::scheduler::spawn_loop;
use crate::support::worker::{
    created, env_with_ingest, eventually, in_two_days, new_invitee, post_calendly,
};

const CALENDLY_KEY: &str = "tracing-calendly-key";

#[tokio::test]
async fn one_trace_spans_the_webhook_request_the_jobs_and_the_engagelab_call() {
    let collector = FakeCollector::start().await.unwrap();
    let extra = format!(
        "telemetry: {{ otlp_endpoint: \"{}\" }}\n",
        collector.endpoint()
    );
    let (env, base, stop_ingest) = env_with_ingest(CALENDLY_KEY, "unused", &extra).await;
    // What the binaries do at start (Process::start): the subscriber with the exporter the
    // settings name. Ingest and worker run in this process, so they share it.
    let endpoint = env.settings.telemetry.otlp_endpoint.clone();
    assert_eq!(endpoint.as_deref(), Some(collector.endpoint().as_str()));
    let traces = meetflow_shared::telemetry::init_with_export("meetflow-it", endpoint.as_deref())
        .unwrap()
        .expect("no subscriber installed before this one (run without TEST_LOG)");
    let worker = env.start();

    let (uri, key) = new_invitee();
    let body = created(&uri, in_two_days());
    assert_eq!(post_calendly(&base, CALENDLY_KEY, body).await, 200);
    env.settle().await;
    assert!(
        !env.engagelab.sent().is_empty(),
        "the confirmation SMS went out"
    );

    // The spans leave in batches: flush, and wait for the collector to have the client span.
    let exported = eventually(Duration::from_secs(10), || async {
        traces.flush().await;
        collector
            .spans()
            .iter()
            .any(|s| s.kind == "SPAN_KIND_CLIENT" && s.attribute("provider") == Some("engagelab"))
    })
    .await;
    let spans = collector.spans();
    assert!(exported, "no EngageLab client span exported: {spans:#?}");

    let request = one(&spans, |s| s.name == "POST /webhooks/calendly");
    assert_eq!(request.kind, "SPAN_KIND_SERVER");
    assert_eq!(
        request.parent_span_id, "",
        "the request is the root of the trace"
    );
    assert_eq!(request.service, "meetflow-it");
    let trace = request.trace_id.clone();
    let delivery = request
        .attribute("delivery_id")
        .expect("the request span names the delivery")
        .to_owned();
    let in_trace: Vec<&CollectedSpan> = spans.iter().filter(|s| s.trace_id == trace).collect();

    // The events job: a child of the request; its job id is the delivery id. (An attempt per
    // span: a slow machine may let a lease expire and run it again, at least once.)
    let events: Vec<&&CollectedSpan> = in_trace.iter().filter(|s| s.name == "job events").collect();
    assert!(
        !events.is_empty(),
        "no events job span in the trace: {in_trace:#?}"
    );
    for job in &events {
        assert_eq!(job.parent_span_id, request.span_id);
        assert_eq!(job.attribute("job_id"), Some(delivery.as_str()));
        assert_eq!(job.attribute("delivery_id"), Some(delivery.as_str()));
    }

    // The SMS job it caused (the confirmation), a child of the events job, same delivery id.
    let sms: Vec<&&CollectedSpan> = in_trace.iter().filter(|s| s.name == "job sms").collect();
    assert!(
        !sms.is_empty(),
        "no sms job span in the trace: {in_trace:#?}"
    );
    for job in &sms {
        assert!(
            events.iter().any(|e| e.span_id == job.parent_span_id),
            "{job:#?}"
        );
        assert_eq!(job.attribute("delivery_id"), Some(delivery.as_str()));
        assert_ne!(job.attribute("job_id"), Some(delivery.as_str()));
    }

    // The EngageLab call: a client span under an SMS job span, in the same trace.
    let calls: Vec<&&CollectedSpan> = in_trace
        .iter()
        .filter(|s| s.kind == "SPAN_KIND_CLIENT" && s.attribute("provider") == Some("engagelab"))
        .collect();
    assert!(!calls.is_empty());
    for call in calls {
        assert!(
            sms.iter().any(|j| j.span_id == call.parent_span_id),
            "the EngageLab call is not under an SMS job: {call:#?}"
        );
        assert_eq!(call.attribute("http.request.method"), Some("POST"));
        assert_eq!(call.attribute("server.address"), Some("127.0.0.1"));
    }
    // The Brevo calls of the same delivery are in the trace too.
    assert!(
        in_trace
            .iter()
            .any(|s| s.kind == "SPAN_KIND_CLIENT" && s.attribute("provider") == Some("brevo")),
        "no Brevo call in the trace"
    );
    // The trace context went to EngageLab as a W3C traceparent header.
    let sent = env.engagelab.requests();
    let header = sent
        .iter()
        .find_map(|r| r.headers.get("traceparent"))
        .and_then(|v| v.to_str().ok())
        .expect("EngageLab got a traceparent");
    assert!(header.contains(&trace), "{header} is not in trace {trace}");

    // The booking keeps the trace; its 24 h reminder, sent by the scheduler a day later (a
    // clock a day ahead here), starts a trace of its own linked to the booking's.
    let booking = env.booking(&key).await.expect("booking stored");
    let kept = booking
        .traceparent
        .expect("the booking keeps its traceparent");
    assert!(kept.contains(&trace), "{kept} is not in trace {trace}");
    let bookings = env
        .bookings()
        .with_clock(Clock::offset((24 * 60 + 1) * 60_000));
    let due = spawn_loop(&bookings, DueLoopSettings::default());
    let sent = eventually(Duration::from_secs(15), || async {
        env.engagelab.sent().len() >= 2
    })
    .await;
    due.stop().await;
    env.settle().await;
    assert!(
        sent,
        "the reminder was not sent: {:?}",
        env.engagelab.sent()
    );
    let linked = eventually(Duration::from_secs(10), || async {
        traces.flush().await;
        collector
            .spans()
            .iter()
            .any(|s| s.name == "job sms" && s.linked_trace_ids.contains(&trace))
    })
    .await;
    let spans = collector.spans();
    assert!(
        linked,
        "no reminder span linked to the booking's trace: {spans:#?}"
    );
    for reminder in spans.iter().filter(|s| !s.linked_trace_ids.is_empty()) {
        assert_eq!(reminder.name, "job sms");
        assert_ne!(reminder.trace_id, trace, "a trace of its own, not a child");
        assert!(
            reminder
                .attribute("job_id")
                .is_some_and(|id| id.starts_with("rem:")),
            "{reminder:#?}"
        );
    }

    worker.stop().await;
    stop_ingest.cancel();
}

fn one(spans: &[CollectedSpan], pick: impl Fn(&CollectedSpan) -> bool) -> &CollectedSpan {
    let found: Vec<&CollectedSpan> = spans.iter().filter(|s| pick(s)).collect();
    assert_eq!(found.len(), 1, "expected one such span in {spans:#?}");
    found[0]
}
