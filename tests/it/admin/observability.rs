//! The Grafana dashboard (deploy/grafana/meetflow.json) and the Prometheus alert rules
//! (deploy/prometheus/alerts.yaml) use only metrics meetflow exports: every `meetflow_*` name in
//! a panel or rule must appear as a string literal in the Rust sources, and the queue metrics
//! must show up on a real /metrics after a worker ran jobs (in this process, and on the
//! `meetflow-admin serve` ops endpoint).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use meetflow_shared::ops;
use meetflow_shared::queue::{
    ErrorClass, JobContext, JobError, NewJob, PauseScope, QueueSettings, run_queue,
    spawn_stats_exporter,
};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::support::admin::{Admin, repo_root};
use crate::support::scrape;

/// Every `meetflow_*` identifier in `text`.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(pos) = text[i..].find("meetflow_") {
        let start = i + pos;
        let boundary =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let mut end = start;
        while end < bytes.len()
            && (bytes[end].is_ascii_lowercase()
                || bytes[end].is_ascii_digit()
                || bytes[end] == b'_')
        {
            end += 1;
        }
        if boundary {
            out.insert(text[start..end].to_owned());
        }
        i = end;
    }
    out
}

fn exprs_of_dashboard(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("expr", Value::String(e)) => out.push(e.clone()),
                    _ => exprs_of_dashboard(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| exprs_of_dashboard(i, out)),
        _ => {}
    }
}

fn rust_sources(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        // The HELP catalogue names every metric: it proves nothing is emitted.
        if path.ends_with("ops_metrics/catalog.rs") {
            continue;
        }
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// Whether the code emits `name` (a histogram's `_bucket`/`_sum`/`_count` series come from its base name).
fn emitted(code: &str, name: &str) -> bool {
    let base = ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name);
    code.contains(&format!("\"{name}\"")) || code.contains(&format!("\"{base}\""))
}

struct Deploy {
    dashboard: Value,
    dashboard_exprs: Vec<String>,
    rules: Vec<Value>,
}

fn deploy() -> Deploy {
    let root = repo_root();
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("deploy/grafana/meetflow.json")).unwrap(),
    )
    .unwrap();
    let mut dashboard_exprs = Vec::new();
    exprs_of_dashboard(&dashboard["panels"], &mut dashboard_exprs);
    let alerts: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root.join("deploy/prometheus/alerts.yaml")).unwrap(),
    )
    .unwrap();
    let rules = alerts["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap().clone())
        .collect();
    Deploy {
        dashboard,
        dashboard_exprs,
        rules,
    }
}

#[test]
fn every_metric_of_the_dashboard_and_the_alerts_is_emitted_by_the_code() {
    let d = deploy();
    let mut code = String::new();
    for dir in [
        "shared/src",
        "ingest/src",
        "worker/src",
        "scheduler/src",
        "admin/src",
    ] {
        rust_sources(&repo_root().join(dir), &mut code);
    }
    let mut used = BTreeSet::new();
    for e in &d.dashboard_exprs {
        used.extend(metric_names(e));
    }
    for r in &d.rules {
        used.extend(metric_names(r["expr"].as_str().unwrap()));
    }
    let missing: Vec<&String> = used.iter().filter(|n| !emitted(&code, n)).collect();
    assert!(
        missing.is_empty(),
        "used by deploy/ but emitted nowhere: {missing:?}"
    );
    // The topics the issue asks for are all on the dashboard.
    for needed in [
        "meetflow_queue_ready",
        "meetflow_queue_oldest_ready_age_seconds",
        "meetflow_queue_dead",
        "meetflow_queue_consumers",
        "meetflow_jobs_processed_total",
        "meetflow_jobs_failed_total",
        "meetflow_jobs_retried_total",
        "meetflow_jobs_dead_total",
        "meetflow_provider_request_duration_seconds_bucket",
        "meetflow_provider_requests_total",
        "meetflow_ingest_signature_failures_total",
        "meetflow_reminder_lateness_seconds_bucket",
    ] {
        assert!(
            d.dashboard_exprs.iter().any(|e| e.contains(needed)),
            "no panel uses {needed}"
        );
    }
    assert!(
        d.dashboard_exprs
            .iter()
            .any(|e| e.contains("outcome=\"429\"")),
        "a panel shows 429s"
    );
    for p in d.dashboard["panels"].as_array().unwrap() {
        let title = p["title"].as_str().unwrap();
        assert!(
            p["type"] == "row" || !p["targets"].as_array().unwrap().is_empty(),
            "{title} has no query"
        );
    }
}

#[test]
fn the_alert_rules_cover_what_operators_must_hear_about() {
    let d = deploy();
    let by_name = |name: &str| {
        d.rules
            .iter()
            .find(|r| r["alert"] == name)
            .unwrap_or_else(|| panic!("no alert {name}"))
    };
    for r in &d.rules {
        let name = r["alert"].as_str().unwrap();
        assert!(
            r["expr"].as_str().is_some_and(|e| !e.trim().is_empty()),
            "{name}"
        );
        assert!(
            r["labels"]["severity"].as_str().is_some(),
            "{name} has a severity"
        );
        assert!(
            r["annotations"]["summary"].as_str().is_some(),
            "{name} has a summary"
        );
        let opens = r["expr"].as_str().unwrap().matches('(').count();
        assert_eq!(
            opens,
            r["expr"].as_str().unwrap().matches(')').count(),
            "{name}: unbalanced parentheses"
        );
    }
    assert!(
        by_name("MeetflowDeadLettersGrowing")["expr"]
            .as_str()
            .unwrap()
            .contains("meetflow_queue_dead")
    );
    assert!(
        by_name("MeetflowOldestReadyJobTooOld")["expr"]
            .as_str()
            .unwrap()
            .contains("meetflow_queue_oldest_ready_age_seconds) > 300")
    );
    assert!(
        by_name("MeetflowProviderFailing")["expr"]
            .as_str()
            .unwrap()
            .contains("meetflow_provider_requests_total")
    );
    assert!(
        by_name("MeetflowRemindersLate")["expr"]
            .as_str()
            .unwrap()
            .contains("meetflow_reminder_lateness_seconds_bucket")
    );
    assert!(
        by_name("MeetflowCalendlySubscriptionDisabled")["expr"]
            .as_str()
            .unwrap()
            .contains("state=\"disabled\"")
    );
    let no_worker = by_name("MeetflowQueueWithoutConsumer")["expr"]
        .as_str()
        .unwrap();
    assert!(
        no_worker.contains("meetflow_queue_consumers) == 0")
            && no_worker.contains("meetflow_queue_ready) > 0"),
        "{no_worker}"
    );
}

async fn scrape_until(url: &str, wanted: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = scrape(url).await;
        if wanted.iter().all(|w| text.contains(w)) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "missing some of {wanted:?} in:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn queue_metrics_appear_on_a_real_metrics_endpoint_after_a_worker_ran() {
    let a = Admin::start().await;
    let stop = CancellationToken::new();
    let (ops_addr, _task) = ops::serve(
        "127.0.0.1:0".parse().unwrap(),
        || -> futures::future::BoxFuture<'static, bool> { Box::pin(async { true }) },
        stop.clone().cancelled_owned(),
    )
    .await
    .unwrap();
    for i in 0..3 {
        a.client
            .enqueue("obs", NewJob::json(&i).unwrap().max_attempts(2))
            .await
            .unwrap();
    }
    let settings = QueueSettings {
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(20),
        ..QueueSettings::default()
    };
    let handler = |n: u32, _ctx: JobContext| async move {
        if n == 0 {
            Err(JobError::retry(ErrorClass::ProviderServer, "HTTP 503"))
        } else {
            Ok(())
        }
    };
    let (client, signal) = (a.client.clone(), stop.clone());
    let worker = tokio::spawn(async move {
        run_queue(client, "obs", settings, handler, signal.cancelled_owned()).await
    });
    spawn_stats_exporter(
        a.client.clone(),
        Vec::new(),
        Duration::from_millis(100),
        stop.clone(),
    );
    let url = format!("http://{ops_addr}/metrics");
    let text = scrape_until(
        &url,
        &[
            "meetflow_jobs_processed_total{queue=\"obs\"} 2",
            "meetflow_jobs_dead_total{queue=\"obs\",class=\"provider_server\"} 1",
            "meetflow_queue_dead{queue=\"obs\"} 1",
            "meetflow_queue_paused{queue=\"obs\"} 0",
            // Redis's memory against maxmemory, for MeetflowRedisMemoryHigh.
            "\nmeetflow_redis_memory_used_bytes ",
            "\nmeetflow_redis_memory_max_bytes ",
        ],
    )
    .await;
    // Histograms, counters and gauges of a worker that ran jobs follow Prometheus conventions.
    meetflow_tests::promtool::assert_clean_metrics("in-process worker", &text);
    let d = deploy();
    let mut wanted = BTreeSet::new();
    for e in d.dashboard_exprs.iter().chain(
        d.rules
            .iter()
            .map(|r| r["expr"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .iter(),
    ) {
        wanted.extend(
            metric_names(e)
                .into_iter()
                .filter(|n| n.starts_with("meetflow_queue_") || n.starts_with("meetflow_job")),
        );
    }
    for name in &wanted {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{name}{{"))),
            "{name} not on /metrics:\n{text}"
        );
    }
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(20), worker)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    // `meetflow-admin serve` exports the queue gauges on its own ops endpoint, the kill switch's
    // state with them.
    a.client
        .pause(&PauseScope::Queue("obs".into()))
        .await
        .unwrap();
    let served = a.serve(None).await;
    let admin_metrics = format!("http://127.0.0.1:{}/metrics", served.ops);
    scrape_until(
        &admin_metrics,
        &[
            "meetflow_queue_dead{queue=\"obs\"} 1",
            "meetflow_queue_ready{queue=\"obs\"} 0",
            "meetflow_queue_consumers{queue=\"obs\"}",
            "meetflow_queue_paused{queue=\"obs\"} 1",
        ],
    )
    .await;
}
