//! `meetflow-admin calendly ...` and `zoom check`, the one-command setup verbs, run as a process
//! against the fake Calendly API and the fake Zoom over real HTTP (no mocks): webhook
//! subscriptions, event types and the Zoom credentials check.

mod event_types;
mod subscriptions;
mod zoom;

use std::process::{Command, Output};

use meetflow_tests::fakes::FakeCalendlyApi;

use crate::support::admin::{admin_binary, run};

/// `meetflow-admin` with no config but the fake Calendly API and its token (no Redis needed).
pub(super) fn calendly(fake: &FakeCalendlyApi, token: &str) -> Command {
    let mut cmd = Command::new(admin_binary());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("MEETFLOW") {
            cmd.env_remove(k);
        }
    }
    cmd.env(
        "MEETFLOW__CONNECTORS__CALENDLY__API_BASE_URL",
        fake.base_url(),
    )
    .env("MEETFLOW__CONNECTORS__CALENDLY__ACCESS_TOKEN", token)
    .env("RUST_LOG", "warn")
    .env("NO_COLOR", "1");
    cmd
}

/// Runs `meetflow-admin ARGS` with the fake's valid token.
pub(super) async fn cal(fake: &FakeCalendlyApi, args: &[&str]) -> Output {
    let mut cmd = calendly(fake, &fake.access_token());
    cmd.args(args);
    run(cmd).await
}

/// Stderr of a run that failed with exit 1 and exactly one line.
pub(super) fn failed(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}\nstderr: {err}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    err
}

pub(super) fn posts_to_subscriptions(fake: &FakeCalendlyApi) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/webhook_subscriptions")
        .count()
}
