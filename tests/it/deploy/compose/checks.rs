//! Checks of one service against the real binaries and the real config loader.

use std::collections::BTreeSet;
use std::path::Path;

use meetflow_shared::config::{Role, Settings, source};
use meetflow_shared::jobs::ALL_QUEUES;

use super::processes::fresh_binary;
use super::services::{CONFIG_MOUNT, Service};

/// Flags taking a value, and subcommands, that each binary accepts (`meetflow-<binary> --help`; `admin/README.md`).
fn cli_of(binary: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match binary {
        "meetflow-ingest" | "meetflow-scheduler" => (&["--config"], &[]),
        "meetflow-worker" => (&["--config", "--queues"], &[]),
        "meetflow-admin" => (&["--config"], &["serve"]),
        other => panic!("unknown binary {other}"),
    }
}

/// Checks a service's arguments; returns the queues it serves.
pub(crate) fn check_args(svc: &Service) -> Vec<String> {
    let (flags, subcommands) = cli_of(&svc.binary);
    let mut queues = Vec::new();
    let mut args = svc.args.iter();
    while let Some(arg) = args.next() {
        if arg.starts_with("--") {
            assert!(
                flags.contains(&arg.as_str()),
                "{}: {} has no flag {arg}",
                svc.name,
                svc.binary
            );
            let value = args
                .next()
                .unwrap_or_else(|| panic!("{}: {arg} needs a value", svc.name));
            match arg.as_str() {
                "--queues" => queues.extend(value.split(',').map(|q| {
                    assert!(ALL_QUEUES.contains(&q), "{}: unknown queue `{q}`", svc.name);
                    q.to_owned()
                })),
                "--config" => assert!(
                    value.starts_with(CONFIG_MOUNT),
                    "{}: --config {value}",
                    svc.name
                ),
                _ => {}
            }
        } else {
            assert!(
                subcommands.contains(&arg.as_str()),
                "{}: {} has no subcommand {arg}",
                svc.name,
                svc.binary
            );
        }
    }
    if svc.binary == "meetflow-worker" {
        assert!(
            !queues.is_empty(),
            "{}: a worker container must name its --queues",
            svc.name
        );
    }
    if svc.binary == "meetflow-admin" {
        assert_eq!(
            svc.args.first().map(String::as_str),
            Some("serve"),
            "{}",
            svc.name
        );
    }
    queues
}

/// When the binary is built (and fresh), its own `--help` must list the flags and subcommands
/// used; returns whether it could check.
pub(crate) fn check_against_help(svc: &Service, bins: &Path) -> bool {
    let Some(path) = fresh_binary(bins, &svc.binary) else {
        return false;
    };
    let help = |extra: &[&str]| {
        let out = std::process::Command::new(&path)
            .args(extra)
            .arg("--help")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{} {extra:?} --help failed",
            svc.binary
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let sub: Vec<&str> = svc
        .args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .take(1)
        .map(String::as_str)
        .filter(|a| cli_of(&svc.binary).1.contains(a))
        .collect();
    let text = help(&sub);
    for flag in svc.args.iter().filter(|a| a.starts_with("--")) {
        assert!(
            text.contains(flag.as_str()),
            "{}: `{} {sub:?} --help` lists no {flag}",
            svc.name,
            svc.binary
        );
    }
    if let Some(s) = sub.first() {
        assert!(
            help(&[]).contains(s),
            "{}: `{} --help` lists no {s}",
            svc.name,
            svc.binary
        );
    }
    true
}

/// Loads `config` with the service's environment the way the binary does and checks it for the
/// binary's role. Every `MEETFLOW__` variable must name an existing key.
pub(crate) fn load_settings(svc: &Service, config: &Path) -> Settings {
    let yaml = std::fs::read_to_string(config).unwrap();
    let env = |k: &str| svc.env.get(k).cloned();
    let mut tree = source::parse_tree(&source::substitute(&yaml, &env).unwrap()).unwrap();
    let defaults = serde_json::to_value(Settings::default()).unwrap();
    let known: BTreeSet<String> = source::candidate_vars(&[&tree, &defaults])
        .into_iter()
        .collect();
    let overrides: Vec<(String, String)> = svc
        .env
        .iter()
        .filter(|(k, _)| k.starts_with(source::OVERRIDE_PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, _) in &overrides {
        assert!(known.contains(k), "{}: {k} is not a config key", svc.name);
    }
    source::apply_overrides(&mut tree, &overrides).unwrap();
    let settings: Settings = serde_json::from_value(tree)
        .unwrap_or_else(|e| panic!("{}: config does not load: {e}", svc.name));
    let role = match svc.binary.as_str() {
        "meetflow-ingest" => Role::Ingest,
        "meetflow-worker" => Role::Worker,
        "meetflow-scheduler" => Role::Scheduler,
        _ => Role::Admin,
    };
    settings
        .validate_for(role)
        .unwrap_or_else(|e| panic!("{}: {e}", svc.name));
    settings
}
