//! The chaos run's operator, at the real `meetflow-admin` CLI (a process per command, as on-call
//! runs it), following the runbook of docs/operations.md ("After a provider outage") while
//! everything else goes on:
//!
//! - after each EngageLab refusal outage, filtered bulk replays of the SMS it refused
//!   (`dlq retry --all --queue sms --class config --since ..` or `--grep .. --since .. --until ..`),
//!   which must leave out every dead letter marked "possibly sent";
//! - once, a filtered bulk delete of the events queue's dead letters up to a time
//!   (`dlq delete --all --queue events --until ..`), listed first with the same filter so the
//!   end state can tell that exactly that set went;
//! - for each SMS dead letter marked "possibly sent", the fake EngageLab's records looked up (the
//!   console, in real life): `dlq delete ID` when the message is there, `dlq retry ID --resend`
//!   when it is not.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use meetflow_tests::fakes::FakeEngageLab;
use serde_json::Value;

use crate::chaos::check::{Figures, sms_counts, sms_of};
use crate::chaos::procs::{Config, binary};

/// EngageLab refusal outages so far: (start, end) in unix ms; end 0 while it lasts.
#[derive(Debug, Default)]
pub(crate) struct Outages(pub(crate) Mutex<Vec<(i64, i64)>>);

/// What the operator did, for the end state and the figures.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub(crate) commands: AtomicU64,
    pub(crate) failed_commands: AtomicU64,
    pub(crate) bulk_replays: AtomicU64,
    pub(crate) bulk_replayed: AtomicU64,
    /// "possibly sent" dead letters the bulk replays said they left out.
    pub(crate) bulk_left_out: AtomicU64,
    /// Dead letters of the events queue the filtered delete listed, and how many it deleted.
    pub(crate) deleted_by_filter: Mutex<BTreeSet<String>>,
    pub(crate) filter_delete_count: AtomicU64,
    /// Every "possibly sent" SMS dead letter seen: id -> (booking, kind).
    pub(crate) possibly_sent_seen: Mutex<BTreeMap<String, (String, String)>>,
    /// Deleted because EngageLab had the message (id -> SMS).
    pub(crate) possibly_sent_deleted: Mutex<BTreeMap<String, (String, String)>>,
    /// Sent again with `--resend` because EngageLab did not have it (id -> times).
    pub(crate) resent: Mutex<BTreeMap<String, u32>>,
    /// When each was first resent.
    pub(crate) resent_at: Mutex<BTreeMap<String, Instant>>,
    /// Problems the operator saw at once (a command's output contradicting the filter).
    pub(crate) problems: Mutex<Vec<String>>,
}

fn n(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

impl Ledger {
    pub(crate) fn figures(&self, fig: &mut Figures) {
        fig.pair(
            "operator admin commands / failed",
            n(&self.commands),
            n(&self.failed_commands),
        );
        fig.pair(
            "bulk replays run / dead letters replayed",
            n(&self.bulk_replays),
            n(&self.bulk_replayed),
        );
        fig.add(
            "  possibly sent left out (summed over replays)",
            n(&self.bulk_left_out),
        );
        fig.add(
            "filtered bulk delete (events, --until)",
            n(&self.filter_delete_count),
        );
        let resent = self.resent.lock().unwrap();
        fig.pair(
            "possibly sent seen / deleted (EngageLab had it)",
            self.possibly_sent_seen.lock().unwrap().len(),
            self.possibly_sent_deleted.lock().unwrap().len(),
        );
        fig.pair(
            "  resent with --resend: SMS / commands",
            resent.len(),
            resent.values().sum::<u32>(),
        );
    }
}

fn rfc(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Runs `meetflow-admin --config .. <args>`; stdout when it exits 0.
async fn admin(config: &Config, ledger: &Ledger, args: Vec<String>) -> Option<String> {
    let bin = binary("meetflow-admin");
    let path = config.path.clone();
    let env = config.env.clone();
    let shown = args.join(" ");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .arg("--config")
            .arg(path)
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env)
            .env("RUST_LOG", "warn")
            .output()
    })
    .await
    .ok()?
    .ok()?;
    ledger.commands.fetch_add(1, Ordering::Relaxed);
    if out.status.success() {
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        // Redis killed or failing over: the operator tries again next round.
        ledger.failed_commands.fetch_add(1, Ordering::Relaxed);
        eprintln!(
            "chaos: operator: `meetflow-admin {shown}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        None
    }
}

fn s(v: &str) -> String {
    v.to_owned()
}

/// The first number in `text` after `word` (`replayed 12 dead letters`).
fn count_after(text: &str, word: &str) -> u64 {
    text.split(word)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok())
        .unwrap_or(0)
}

/// `dlq list --json` with `filters`: (id, possibly sent, dead ms) of every match.
async fn list(
    config: &Config,
    ledger: &Ledger,
    filters: &[String],
) -> Option<Vec<(String, bool, i64)>> {
    let mut args = vec![s("dlq"), s("list"), s("--json"), s("--limit"), s("1000")];
    args.extend(filters.iter().cloned());
    let out = admin(config, ledger, args).await?;
    let page: Value = serde_json::from_str(&out).ok()?;
    Some(
        page["items"]
            .as_array()?
            .iter()
            .map(|i| {
                (
                    i["id"].as_str().unwrap_or_default().to_owned(),
                    i["possibly_sent"].as_bool().unwrap_or(false),
                    i["dead_ms"].as_i64().unwrap_or(0),
                )
            })
            .collect(),
    )
}

/// The operator until `stop`, then one last round: two people at two terminals, one replaying
/// after outages, the other resolving "possibly sent" SMS (and running the filtered delete once
/// at `delete_at`).
pub(crate) async fn operator(
    config: Arc<Config>,
    engagelab: Arc<FakeEngageLab>,
    outages: Arc<Outages>,
    delete_at: Instant,
    stop: Arc<AtomicBool>,
    ledger: Arc<Ledger>,
) {
    let replays = tokio::spawn(replay_after_outages(
        config.clone(),
        outages,
        stop.clone(),
        ledger.clone(),
    ));
    resolve_possibly_sent(config, engagelab, delete_at, stop, ledger).await;
    replays.await.unwrap();
}

/// After each outage: replay what it refused, with the runbook's filters: `--class` 1 s after it
/// ended, `--grep` with a time window 3 s after (a refusal answered just before the end may
/// reach the dead letters late), and the whole queue since the outage began 5 s after and once
/// more at the end (which must leave out every "possibly sent" SMS).
async fn replay_after_outages(
    config: Arc<Config>,
    outages: Arc<Outages>,
    stop: Arc<AtomicBool>,
    ledger: Arc<Ledger>,
) {
    let mut replayed: BTreeMap<(i64, i64), u32> = BTreeMap::new();
    loop {
        let last = stop.load(Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = Utc::now().timestamp_millis();
        let windows: Vec<(i64, i64)> = outages.0.lock().unwrap().clone();
        for w in windows.into_iter().filter(|w| w.1 > 0) {
            let done = replayed.get(&w).copied().unwrap_or(0);
            let due = match done {
                0 => now >= w.1 + 1000,
                1 => now >= w.1 + 3000,
                2 => now >= w.1 + 5000,
                _ => last,
            };
            if !due {
                continue;
            }
            let since = rfc(w.0 - 1000);
            let mut args = vec![s("dlq"), s("retry"), s("--all"), s("--queue"), s("sms")];
            match done {
                0 => args.extend([s("--class"), s("config"), s("--since"), since]),
                1 => args.extend([
                    s("--grep"),
                    s("disabled"),
                    s("--since"),
                    since,
                    s("--until"),
                    rfc(now),
                ]),
                // Everything of the queue since the outage began: "possibly sent" left out.
                _ => args.extend([s("--since"), since]),
            }
            args.push(s("--yes"));
            if let Some(out) = admin(&config, &ledger, args).await {
                ledger.bulk_replays.fetch_add(1, Ordering::Relaxed);
                ledger
                    .bulk_replayed
                    .fetch_add(count_after(&out, "replayed"), Ordering::Relaxed);
                if out.contains("marked possibly sent left out") {
                    ledger
                        .bulk_left_out
                        .fetch_add(count_after(&out, "("), Ordering::Relaxed);
                }
                replayed.insert(w, done + 1);
            }
        }
        if last {
            return;
        }
    }
}

/// Every 500 ms: each "possibly sent" SMS dead letter resolved (EngageLab has it -> delete; it
/// has not -> `--resend`), only once it has been dead for 2 s (a request still on its way would
/// land in EngageLab first); and once, at `delete_at`, the filtered delete.
async fn resolve_possibly_sent(
    config: Arc<Config>,
    engagelab: Arc<FakeEngageLab>,
    delete_at: Instant,
    stop: Arc<AtomicBool>,
    ledger: Arc<Ledger>,
) {
    let mut deleted = false;
    loop {
        let last = stop.load(Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = Utc::now().timestamp_millis();
        // Once: the events queue's dead letters up to now, listed first with the same filter.
        if !deleted && Instant::now() >= delete_at {
            let filter = vec![s("--queue"), s("events"), s("--until"), rfc(now)];
            if let Some(before) = list(&config, &ledger, &filter).await {
                let mut args = vec![s("dlq"), s("delete"), s("--all")];
                args.extend(filter.iter().cloned());
                args.push(s("--yes"));
                if let Some(out) = admin(&config, &ledger, args).await {
                    deleted = true;
                    let count = count_after(&out, "deleted");
                    ledger.filter_delete_count.store(count, Ordering::Relaxed);
                    if count != before.len() as u64 {
                        ledger.problems.lock().unwrap().push(format!(
                            "filtered delete deleted {count}, its list showed {}",
                            before.len()
                        ));
                    }
                    ledger
                        .deleted_by_filter
                        .lock()
                        .unwrap()
                        .extend(before.into_iter().map(|(id, _, _)| id));
                }
            }
        }

        let filter = vec![s("--queue"), s("sms")];
        if let Some(items) = list(&config, &ledger, &filter).await {
            let sent = sms_counts(&engagelab);
            for (id, possibly, dead_ms) in items {
                let Some(sms) = sms_of(&id).filter(|_| possibly) else {
                    continue;
                };
                if now - dead_ms < 2000 && !last {
                    continue;
                }
                ledger
                    .possibly_sent_seen
                    .lock()
                    .unwrap()
                    .insert(id.clone(), sms.clone());
                if sent.get(&sms).copied().unwrap_or(0) > 0 {
                    let args = vec![s("dlq"), s("delete"), id.clone(), s("--yes")];
                    if admin(&config, &ledger, args).await.is_some() {
                        ledger.possibly_sent_deleted.lock().unwrap().insert(id, sms);
                    }
                } else {
                    let args = vec![s("dlq"), s("retry"), id.clone(), s("--resend"), s("--yes")];
                    let asked = Instant::now();
                    if admin(&config, &ledger, args).await.is_some() {
                        ledger
                            .resent_at
                            .lock()
                            .unwrap()
                            .entry(id.clone())
                            .or_insert(asked);
                        *ledger.resent.lock().unwrap().entry(id).or_insert(0) += 1;
                    }
                }
            }
        }
        if last {
            return;
        }
    }
}
