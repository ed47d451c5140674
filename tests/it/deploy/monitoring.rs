//! The Kubernetes monitoring component ships the alert rules as a PrometheusRule
//! (deploy/k8s/components/monitoring/prometheus-rule.yaml): its `spec.groups` must equal the
//! `groups` of deploy/prometheus/alerts.yaml, the file promtool tests, so the two cannot drift.
//! With MEETFLOW_WRITE_DOCS=1 the test rewrites the PrometheusRule from alerts.yaml (its header,
//! then alerts.yaml's `groups:` block indented under `spec:`, comments kept) instead of failing.

use serde_json::Value;

use crate::support::admin::repo_root;

const ALERTS: &str = "deploy/prometheus/alerts.yaml";
const PROMETHEUS_RULE: &str = "deploy/k8s/components/monitoring/prometheus-rule.yaml";

/// The PrometheusRule's text, generated from alerts.yaml's text.
fn generated(rule_text: &str, alerts_text: &str) -> String {
    let header_end = rule_text
        .find("\nspec:\n")
        .map(|at| at + "\nspec:\n".len())
        .expect("prometheus-rule.yaml has a `spec:` line");
    let mut out = rule_text[..header_end].to_owned();
    let groups = alerts_text
        .lines()
        .skip_while(|l| !l.starts_with("groups:"));
    for line in groups {
        if !line.trim().is_empty() {
            out.push_str("  ");
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

fn yaml(text: &str, what: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{what}: {e}"))
}

#[test]
fn the_prometheus_rule_holds_exactly_the_alert_rules() {
    let root = repo_root();
    let alerts_text = std::fs::read_to_string(root.join(ALERTS)).unwrap();
    let rule_path = root.join(PROMETHEUS_RULE);
    let rule_text = std::fs::read_to_string(&rule_path).unwrap();
    if std::env::var_os("MEETFLOW_WRITE_DOCS").is_some() {
        std::fs::write(&rule_path, generated(&rule_text, &alerts_text)).unwrap();
        return;
    }
    let alerts = yaml(&alerts_text, ALERTS);
    let rule = yaml(&rule_text, PROMETHEUS_RULE);
    assert_eq!(rule["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(rule["kind"], "PrometheusRule");
    assert!(
        alerts["groups"].as_array().is_some_and(|g| !g.is_empty()),
        "{ALERTS} has no groups"
    );
    assert!(
        rule["spec"]["groups"] == alerts["groups"],
        "{PROMETHEUS_RULE} differs from {ALERTS}: run \
         `MEETFLOW_WRITE_DOCS=1 cargo nextest run -p meetflow-tests --test it deploy::monitoring`"
    );
    // The generator reproduces the committed file, so regenerating changes nothing else.
    assert_eq!(
        generated(&rule_text, &alerts_text),
        rule_text,
        "{PROMETHEUS_RULE} is not in its generated form"
    );
}

#[test]
fn a_rule_changed_only_in_alerts_yaml_is_caught() {
    let root = repo_root();
    let alerts_text = std::fs::read_to_string(root.join(ALERTS)).unwrap();
    let rule_text = std::fs::read_to_string(root.join(PROMETHEUS_RULE)).unwrap();
    let changed = alerts_text.replacen("> 300", "> 301", 1);
    assert_ne!(changed, alerts_text, "alerts.yaml has no `> 300` to change");
    let alerts = yaml(&changed, ALERTS);
    let rule = yaml(&rule_text, PROMETHEUS_RULE);
    assert!(rule["spec"]["groups"] != alerts["groups"]);
    // ... and regenerating brings them together again.
    let regenerated = yaml(&generated(&rule_text, &changed), PROMETHEUS_RULE);
    assert!(regenerated["spec"]["groups"] == alerts["groups"]);
}
