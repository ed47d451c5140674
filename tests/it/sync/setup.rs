//! What every backfill test starts: the worker test environment with
//! `connectors.calendly` pointing at a fake Calendly API, the config file the CLI reads, and
//! a history of bookings seeded in the fake.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use meetflow_shared::config::Settings;
use meetflow_tests::fakes::{EventSeed, FakeCalendlyApi, InviteeSeed};
use serde_json::Value;

use crate::support::worker::{Env, env};

pub(crate) struct Backfill {
    pub(crate) env: Env,
    pub(crate) fake: FakeCalendlyApi,
    config: PathBuf,
}

/// One seeded booking.
#[derive(Debug, Clone)]
pub(crate) struct Seeded {
    pub(crate) email: String,
    pub(crate) uri: String,
    pub(crate) state: &'static str,
    pub(crate) booked_at: DateTime<Utc>,
    pub(crate) no_show_at: Option<DateTime<Utc>>,
}

pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Midnight UTC `days` days ago.
pub(crate) fn days_ago(days: i64) -> DateTime<Utc> {
    Utc::now()
        .date_naive()
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        - TimeDelta::days(days)
}

pub(crate) async fn backfill() -> Backfill {
    let mut env = env().await;
    let fake = FakeCalendlyApi::start().await.unwrap();
    env.yaml = env.yaml.replace(
        "  calendly:\n",
        &format!(
            "  calendly:\n    access_token: \"{}\"\n    api_base_url: \"{}\"\n",
            fake.access_token(),
            fake.base_url()
        ),
    );
    env.yaml = env
        .yaml
        .replace("queues:\n", "queues:\n  sync: { concurrency: 2 }\n");
    env.settings = Settings::from_yaml_str(&env.yaml, &|_| None).unwrap();
    let config = std::env::temp_dir().join(format!("meetflow-sync-{}.yaml", uuid::Uuid::new_v4()));
    std::fs::write(&config, &env.yaml).unwrap();
    Backfill { env, fake, config }
}

impl Drop for Backfill {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.config);
    }
}

impl Backfill {
    /// `n` bookings, one a meeting, spread over `days` days from `start` (10:00 UTC on, 30
    /// minutes each), booked a week before: every fifth is cancelled, every fifth (from the
    /// fourth) a no-show, the rest active. All carry a phone number.
    pub(crate) fn seed(&self, start: DateTime<Utc>, days: i64, n: usize) -> Vec<Seeded> {
        (0..n)
            .map(|i| {
                let day = i64::try_from(i).unwrap() % days;
                let slot = i64::try_from(i).unwrap() / days;
                let begin = start
                    + TimeDelta::days(day)
                    + TimeDelta::hours(10)
                    + TimeDelta::minutes(30 * slot);
                let booked_at = begin - TimeDelta::days(7);
                let state = match i % 5 {
                    3 => "canceled",
                    4 => "no_show",
                    _ => "active",
                };
                let email = format!("guest{i}@example.com");
                let mut event = EventSeed::new(&iso(begin), &iso(begin + TimeDelta::minutes(30)));
                let mut invitee = InviteeSeed::new(&email, "Guest Person")
                    .phone("+1 415-555-0132")
                    .created_at(&iso(booked_at));
                let mut no_show_at = None;
                if state == "canceled" {
                    event = event.canceled();
                    invitee = invitee.canceled();
                } else if state == "no_show" {
                    let at = begin + TimeDelta::minutes(45);
                    invitee = invitee.no_show_at(&iso(at));
                    no_show_at = Some(at);
                }
                let event = self.fake.add_event(event);
                let uri = self.fake.add_invitee(&event, invitee);
                Seeded {
                    email,
                    uri,
                    state,
                    booked_at,
                    no_show_at,
                }
            })
            .collect()
    }

    /// `meetflow-admin --config <ours> sync calendly <args>`.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(meetflow_tests::binaries::meetflow_binary("admin"));
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("MEETFLOW_") && k != "MEETFLOW_REQUEST_LOG" {
                cmd.env_remove(k);
            }
        }
        cmd.arg("--config")
            .arg(&self.config)
            .args(["sync", "calendly"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs the CLI to the end; its JSON summary.
    pub(crate) async fn sync(&self, args: &[&str]) -> Value {
        let mut cmd = self.command(args);
        cmd.arg("--json");
        let out: Output = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .unwrap()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "sync failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    }

    /// Starts the CLI without waiting for it.
    pub(crate) fn spawn(&self, args: &[&str]) -> Child {
        let mut cmd = self.command(args);
        cmd.arg("--json");
        cmd.spawn().unwrap()
    }

    /// How many bookings the ledger has recorded.
    pub(crate) async fn ledger_len(&self) -> u64 {
        redis::cmd("HLEN")
            .arg(self.env.client.keys().sync_state("calendly"))
            .query_async(&mut self.env.client.redis())
            .await
            .unwrap()
    }

    /// The Brevo events named `name`, as (e-mail, event_date).
    pub(crate) fn brevo_events(&self, name: &str) -> Vec<(String, Option<String>)> {
        self.env
            .brevo
            .events()
            .into_iter()
            .filter(|e| e.event_name == name)
            .map(|e| {
                (
                    e.identifiers["email_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    e.raw["event_date"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }
}
