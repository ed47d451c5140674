//! deploy/grafana/meetflow.json asks only for series meetflow emits. Every panel query (and
//! every templating query) is lexed as PromQL (dashboard/promql.rs) after Grafana's variables
//! are filled in; each metric it names must be one the binaries render: a counter or gauge of
//! the HELP catalogue (shared/src/ops_metrics/catalog.rs), a histogram's `_bucket`, `_sum` or
//! `_count` (never its bare name), the build-info and process metrics every binary renders
//! (`ops_metrics::render_static`, read from its `# TYPE` lines), or Prometheus's own `up`.
//! `rate()`/`increase()` of a gauge is refused too. (That the catalogued names are recorded
//! somewhere in the code is tests/it/admin/observability.rs's check.) Where promtool is
//! installed (CI installs it), every query must also parse: `promtool check rules` over them.
//! The panels the monitoring issue asks for (ingest latency, SMS outcomes and delivery, lease
//! expiries, Redis, reminder lateness) must be there, and panels must not overlap.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use meetflow_shared::ops_metrics::{self, catalog};
use serde_json::Value;

use crate::support::admin::repo_root;

mod promql;

/// How a series may be used: counters (and histogram series) under `rate()`, gauges not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Series {
    Counter,
    Gauge,
}

/// Functions that make sense only over counters.
const COUNTER_FUNCTIONS: &[&str] = &["rate", "irate", "increase", "resets"];

/// Grafana's built-in variables, and what stands in for them in a check.
const GRAFANA_VARIABLES: &[(&str, &str)] = &[
    ("$__rate_interval", "5m"),
    ("$__interval", "1m"),
    ("$__range", "6h"),
];

/// Every series name the binaries can put on `/metrics`, with how it may be used.
fn emitted_series() -> BTreeMap<String, Series> {
    let mut out = BTreeMap::new();
    for (name, kind) in catalog::kinds() {
        match kind {
            catalog::Kind::Counter => {
                out.insert(name.to_owned(), Series::Counter);
            }
            catalog::Kind::Gauge => {
                out.insert(name.to_owned(), Series::Gauge);
            }
            catalog::Kind::Histogram => {
                for suffix in ["_bucket", "_sum", "_count"] {
                    out.insert(format!("{name}{suffix}"), Series::Counter);
                }
            }
        }
    }
    for line in ops_metrics::render_static().lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("`# TYPE name kind`");
            let series = if kind == "counter" {
                Series::Counter
            } else {
                Series::Gauge
            };
            out.insert(name.to_owned(), series);
        }
    }
    // Prometheus records `up` for every scrape target itself.
    out.insert("up".to_owned(), Series::Gauge);
    out
}

/// A query as Prometheus would receive it from Grafana: variables filled in.
fn as_sent(query: &str, variables: &BTreeSet<String>) -> String {
    let mut q = query.to_owned();
    for (var, value) in GRAFANA_VARIABLES {
        q = q.replace(var, value);
    }
    for var in variables {
        q = q
            .replace(&format!("${{{var}}}"), ".*")
            .replace(&format!("${var}"), ".*");
    }
    q
}

/// One query of the dashboard: where it is and its PromQL.
#[derive(Debug)]
struct Query {
    place: String,
    expr: String,
}

fn panels(list: &Value, out: &mut Vec<Value>) {
    for p in list.as_array().into_iter().flatten() {
        out.push(p.clone());
        // A collapsed row holds its panels itself.
        panels(&p["panels"], out);
    }
}

/// Every query of `dashboard`, and problems with panels that have none.
fn queries(dashboard: &Value, problems: &mut Vec<String>) -> Vec<Query> {
    let variables: BTreeSet<String> = dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str().map(str::to_owned))
        .collect();
    let mut out = Vec::new();
    let mut all = Vec::new();
    panels(&dashboard["panels"], &mut all);
    for p in all.iter().filter(|p| p["type"] != "row") {
        let title = p["title"].as_str().unwrap_or("(untitled)");
        let exprs: Vec<(&str, &str)> = p["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| Some((t["refId"].as_str().unwrap_or("?"), t["expr"].as_str()?)))
            .collect();
        if exprs.is_empty() || exprs.iter().any(|(_, e)| e.trim().is_empty()) {
            problems.push(format!("panel `{title}`: a target without a query"));
        }
        for (ref_id, expr) in exprs {
            out.push(Query {
                place: format!("panel `{title}` ({ref_id})"),
                expr: as_sent(expr, &variables),
            });
        }
    }
    for v in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let query = v["query"]["query"].as_str().or(v["query"].as_str());
        if v["type"] != "query" {
            continue;
        }
        // label_values(<selector>, <label>): the selector is PromQL.
        let selector = query
            .and_then(|q| q.trim().strip_prefix("label_values("))
            .and_then(|q| q.strip_suffix(')'))
            .and_then(|q| q.rsplit_once(','))
            .map(|(selector, _label)| selector.to_owned());
        match selector {
            Some(expr) => out.push(Query {
                place: format!("variable `{}`", v["name"].as_str().unwrap_or("?")),
                expr: as_sent(&expr, &variables),
            }),
            None => problems.push(format!(
                "variable `{}`: query {query:?} is not label_values(<selector>, <label>)",
                v["name"]
            )),
        }
    }
    out
}

/// Everything wrong with the queries of `dashboard` against what the code emits.
fn problems(dashboard: &Value) -> Vec<String> {
    let emitted = emitted_series();
    let mut problems = Vec::new();
    for q in queries(dashboard, &mut problems) {
        let selectors = match promql::selectors(&q.expr) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("{}: {e} in `{}`", q.place, q.expr));
                continue;
            }
        };
        if selectors.is_empty() {
            problems.push(format!("{}: reads no series: `{}`", q.place, q.expr));
        }
        for s in selectors {
            match emitted.get(&s.name) {
                None => problems.push(format!(
                    "{}: `{}` is emitted by no meetflow binary (not a catalogued counter or gauge, \
                     a histogram's _bucket/_sum/_count, build info or a process metric)",
                    q.place, s.name
                )),
                Some(Series::Gauge)
                    if s.function
                        .as_deref()
                        .is_some_and(|f| COUNTER_FUNCTIONS.contains(&f)) =>
                {
                    problems.push(format!(
                        "{}: {}() of `{}`, a gauge",
                        q.place,
                        s.function.unwrap_or_default(),
                        s.name
                    ));
                }
                Some(_) => {}
            }
        }
    }
    problems
}

fn dashboard() -> Value {
    let path = repo_root().join("deploy/grafana/meetflow.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_dashboard_query_reads_only_series_meetflow_emits() {
    let d = dashboard();
    let problems = problems(&d);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let mut none = Vec::new();
    let all = queries(&d, &mut none);
    assert!(all.len() > 40, "the dashboard lost its queries: {all:?}");
}

#[test]
fn a_panel_naming_a_metric_the_code_never_emits_fails() {
    let planted = |from: &str, to: &str| -> Vec<String> {
        let text =
            std::fs::read_to_string(repo_root().join("deploy/grafana/meetflow.json")).unwrap();
        assert!(text.contains(from), "the dashboard no longer has {from}");
        problems(&serde_json::from_str(&text.replacen(from, to, 1)).unwrap())
    };
    for (from, to, expected) in [
        // A counter that does not exist (the real one is meetflow_sms_total).
        (
            "meetflow_sms_total{",
            "meetflow_sms_sent_total{",
            "`meetflow_sms_sent_total` is emitted by no",
        ),
        // A histogram's bare name is no series.
        (
            "meetflow_ingest_request_seconds_bucket",
            "meetflow_ingest_request_seconds",
            "`meetflow_ingest_request_seconds` is emitted by no",
        ),
        // rate() of a gauge.
        (
            "rate(meetflow_jobs_processed_total{",
            "rate(meetflow_queue_ready{",
            "rate() of `meetflow_queue_ready`, a gauge",
        ),
    ] {
        let found = planted(from, to);
        assert!(
            found.len() == 1 && found[0].contains(expected),
            "{from} -> {to}: {found:?}"
        );
    }
}

#[test]
fn the_dashboard_shows_what_the_monitoring_issue_asks_for() {
    let d = dashboard();
    let mut problems = Vec::new();
    let all = queries(&d, &mut problems);
    let uses = |series: &str| {
        all.iter().any(|q| {
            promql::selectors(&q.expr)
                .unwrap_or_default()
                .iter()
                .any(|s| s.name == series)
        })
    };
    for (topic, series) in [
        ("ingest latency", "meetflow_ingest_request_seconds_bucket"),
        (
            "ingest enqueue latency",
            "meetflow_ingest_enqueue_seconds_bucket",
        ),
        ("SMS outcomes", "meetflow_sms_total"),
        (
            "SMS delivery (EngageLab answers)",
            "meetflow_provider_requests_total",
        ),
        ("lease expiries", "meetflow_leases_expired_total"),
        ("Redis reachable", "meetflow_redis_up"),
        ("Redis memory", "meetflow_redis_memory_used_bytes"),
        ("Redis maxmemory", "meetflow_redis_memory_max_bytes"),
        (
            "reminder lateness",
            "meetflow_reminder_lateness_seconds_bucket",
        ),
        (
            "scheduler enqueue delay",
            "meetflow_reminder_enqueue_delay_seconds_bucket",
        ),
    ] {
        if !uses(series) {
            problems.push(format!("no panel shows {topic} ({series})"));
        }
    }
    if !all
        .iter()
        .any(|q| q.expr.contains("provider=\"engagelab\""))
    {
        problems.push("no panel shows EngageLab's answers".into());
    }
    // Panels sit in the 24-column grid without covering each other.
    let mut boxes: Vec<(String, [i64; 4])> = Vec::new();
    for p in d["panels"].as_array().unwrap() {
        let g = &p["gridPos"];
        let [x, y, w, h] = ["x", "y", "w", "h"].map(|k| g[k].as_i64().unwrap_or(-1));
        let title = p["title"].as_str().unwrap_or("?").to_owned();
        if x < 0 || w <= 0 || h <= 0 || x + w > 24 {
            problems.push(format!("panel `{title}`: gridPos {g} off the grid"));
        }
        for (other, [ox, oy, ow, oh]) in &boxes {
            if x < ox + ow && ox < &(x + w) && y < oy + oh && oy < &(y + h) {
                problems.push(format!("panels `{title}` and `{other}` overlap"));
            }
        }
        boxes.push((title, [x, y, w, h]));
    }
    let ids: BTreeSet<i64> = d["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_i64())
        .collect();
    if ids.len() != d["panels"].as_array().unwrap().len() {
        problems.push("panel ids are not unique".into());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn promtool_parses_every_dashboard_query() {
    let d = dashboard();
    let mut problems = Vec::new();
    let rules: Vec<Value> = queries(&d, &mut problems)
        .iter()
        .enumerate()
        .map(|(i, q)| serde_json::json!({ "record": format!("dashboard:query_{i}"), "expr": q.expr }))
        .collect();
    let dir = std::env::temp_dir().join(format!("meetflow-dashboard-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("queries.yaml");
    // JSON is YAML: one rule group holding every query as a recording rule.
    let doc = serde_json::json!({ "groups": [{ "name": "dashboard", "rules": rules }] });
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let Ok(out) = out else {
        eprintln!(
            "SKIP promtool check rules (dashboard): promtool not installed (apt-get install prometheus)"
        );
        return;
    };
    assert!(
        out.status.success(),
        "promtool check rules over the dashboard's queries:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
