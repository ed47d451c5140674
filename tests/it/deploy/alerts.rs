//! deploy/prometheus/alerts.yaml is proven, not just parsed: every alert has a `promtool test
//! rules` case in alerts.test.yaml where it fires and one where it stays silent, a
//! `runbook_url` pointing at its own `### AlertName` entry in docs/operations.md, and promtool
//! (when installed; CI installs it) checks the rules and runs the cases.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::support::admin::repo_root;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(repo_root().join(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn alerts() -> Vec<Value> {
    yaml("deploy/prometheus/alerts.yaml")["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap().clone())
        .filter(|r| r["alert"].is_string())
        .collect()
}

/// Alert name -> (cases where it fires, cases where it is silent).
fn cases() -> BTreeMap<String, (usize, usize)> {
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for test in yaml("deploy/prometheus/alerts.test.yaml")["tests"]
        .as_array()
        .unwrap()
    {
        for case in test["alert_rule_test"].as_array().into_iter().flatten() {
            let name = case["alertname"].as_str().unwrap().to_owned();
            let fires = case["exp_alerts"].as_array().is_some_and(|a| !a.is_empty());
            let entry = out.entry(name).or_default();
            if fires {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }
    out
}

#[test]
fn every_alert_has_a_firing_and_a_silent_case_and_a_runbook_entry() {
    let cases = cases();
    let runbook = std::fs::read_to_string(repo_root().join("docs/operations.md"))
        .expect("docs/operations.md holds the runbook");
    let mut problems = Vec::new();
    for rule in alerts() {
        let name = rule["alert"].as_str().unwrap();
        let (fires, silent) = cases.get(name).copied().unwrap_or_default();
        if fires == 0 {
            problems.push(format!("{name}: no promtool case where it fires"));
        }
        if silent == 0 {
            problems.push(format!("{name}: no promtool case where it stays silent"));
        }
        let want = format!("docs/operations.md#{}", name.to_lowercase());
        if rule["annotations"]["runbook_url"].as_str() != Some(want.as_str()) {
            problems.push(format!("{name}: runbook_url is not {want}"));
        }
        if !runbook
            .lines()
            .any(|l| l.trim_end() == format!("### {name}"))
        {
            problems.push(format!(
                "{name}: no `### {name}` entry in docs/operations.md"
            ));
        }
    }
    for name in cases.keys() {
        if !alerts().iter().any(|r| r["alert"] == name.as_str()) {
            problems.push(format!("alerts.test.yaml tests {name}, which is no alert"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn promtool_checks_the_rules_and_passes_every_case() {
    let dir = repo_root().join("deploy/prometheus");
    for args in [
        ["check", "rules", "alerts.yaml"],
        ["test", "rules", "alerts.test.yaml"],
    ] {
        let out = match Command::new("promtool")
            .args(args)
            .current_dir(&dir)
            .output()
        {
            Ok(out) => out,
            Err(_) => {
                eprintln!(
                    "SKIP promtool {}: promtool not installed (apt-get install prometheus)",
                    args.join(" ")
                );
                return;
            }
        };
        assert!(
            out.status.success(),
            "promtool {}:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
