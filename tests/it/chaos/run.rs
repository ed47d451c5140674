//! The chaos run (v2): the system as users run it, under fire. Separate processes (ingest, two
//! SMS workers, one of them with its host clock 30 s ahead, two Brevo workers, an events+zoom
//! worker, two schedulers), fake Brevo and EngageLab over HTTP answering 5xx, 429 bursts and
//! slow answers, EngageLab timing out after accepting about 3% of messages and refusing its key
//! for about a second a few times; hundreds (`MEETFLOW_CHAOS=long`: thousands) of signed Calendly
//! bookings, cancelled, rescheduled in both orders and redelivered, with meetings seconds ahead,
//! and a storm of bookings cancelled or moved while their confirmations wait behind the SMS rate
//! limit. Meanwhile a worker or scheduler is killed -9 every few seconds and restarted; Redis is
//! killed -9 and restarted once (one persistent server, AOF), or, in the Sentinel run, the master
//! is killed -9 and a replica promoted (`redis.wait_replicas: 1`), or, in the Cluster run (three
//! masters with a replica each, `redis.wait_replicas: 1`), the master serving the namespace's
//! slot is killed -9 and its replica promoted; and an operator works the dead letters with
//! `meetflow-admin` ([`crate::chaos::operator`]).
//!
//! At the end, from the fakes' records and Redis: every contact synced with its final status;
//! no SMS twice; none for a cancelled or moved booking (reminders of a cancelled or moved time
//! at most once, and each one claimed before the store recorded the change:
//! [`crate::chaos::stale`]); none lost
//! (one confirmation per live booking, every reminder and follow-up exactly once, but a reminder
//! that really came too late, or whose booking was recorded too late, under load); every "possibly
//! sent" SMS accounted for: EngageLab has it exactly once (the operator deleted the dead letter),
//! or the operator resent it with `--resend` because EngageLab did not have it (then at most once),
//! or it is still a dead letter and EngageLab has it at most once; nothing in flight; only the
//! deliberately broken deliveries (less those the operator's filtered delete took) in the
//! dead-letter store; and not one log line with a secret, a phone number or an e-mail address.
//! Run it with `scripts/chaos.sh` (prints the figures); `MEETFLOW_CHAOS_SEED` replays a plan.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use meetflow_shared::events::Provider;
use meetflow_shared::events::{calendly, identity::Identity};
use meetflow_shared::queue::QueueClient;
use meetflow_tests::fakes::{FakeBrevo, FakeEngageLab, FakeZoom};
use meetflow_tests::redis::{TestRedis, TestRedisOptions};
use meetflow_tests::topology::{TestCluster, TestSentinel};

use crate::chaos::actors::{Counters, RedisSetup, deliver, faults, killer, outages};
use crate::chaos::bodies::{deliveries, poison};
use crate::chaos::check::{
    Figures, census, check_contacts, check_dead_letters, check_sms, count_in_logs, in_flight,
    late_drops, possibly_sent, really_late, recorded_too_late, scan_logs, sms_counts,
};
use crate::chaos::operator::{Ledger, Outages, operator};
use crate::chaos::plan::{Size, last_due, plan};
use crate::chaos::procs::{NS, Proc, wait_port, write_config};
use crate::chaos::stale::check_stale;

/// The job id ingest gives a poison delivery (its dead-letter id).
fn poison_id(body: &[u8]) -> String {
    match calendly::head(body) {
        Ok(head) => Identity::calendly(&head, body).job_id(),
        Err(_) => Identity::of_body(Provider::Calendly, body).job_id(),
    }
}

/// The clock of `worker-sms-2` runs this far ahead of the others.
const CLOCK_AHEAD_SECS: u32 = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chaos_run_loses_nothing_and_sends_every_sms_exactly_once() {
    let (size, size_name) = Size::from_env();
    let redis = TestRedis::start_with(TestRedisOptions::new().persistent())
        .await
        .unwrap();
    chaos_run(size, size_name, RedisSetup::Single(redis), 0).await;
}

/// The same run (short size) on a master, a replica and three Sentinels with
/// `redis.wait_replicas: 1`, the master killed -9 mid-run and the replica promoted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chaos_run_on_sentinel_survives_a_failover_with_wait_replicas_1() {
    let sentinel = TestSentinel::start().await.unwrap();
    chaos_run(
        Size::short(),
        "short (sentinel)",
        RedisSetup::Sentinel(sentinel),
        1,
    )
    .await;
}

/// The same run (short size) on a Redis Cluster of three masters with a replica each and
/// `redis.wait_replicas: 1`. Every key of the run is in the namespace's slot, so the blow that
/// matters is to its shard: the master serving that slot is killed -9 mid-run and its replica
/// promoted (`CLUSTER FAILOVER FORCE`); a fresh replica joins the new master.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chaos_run_on_cluster_survives_the_namespace_masters_failover_with_wait_replicas_1() {
    let cluster = TestCluster::start_with_replicas().await.unwrap();
    chaos_run(
        Size::short(),
        "short (cluster)",
        RedisSetup::Cluster(cluster),
        1,
    )
    .await;
}

async fn chaos_run(size: Size, size_name: &str, redis: RedisSetup, wait_replicas: u32) {
    let seed = std::env::var("MEETFLOW_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    let logs = std::env::temp_dir().join(format!("meetflow-chaos-{seed}"));
    std::fs::create_dir_all(&logs).unwrap();
    eprintln!(
        "chaos: {size_name} run, seed {seed}, logs in {}",
        logs.display()
    );

    let began = Instant::now();
    let brevo = Arc::new(FakeBrevo::start().await.unwrap());
    let engagelab = Arc::new(FakeEngageLab::start().await.unwrap());
    let zoom = FakeZoom::start().await.unwrap();
    let config = Arc::new(write_config(
        &logs,
        &redis.url(),
        &brevo,
        &engagelab,
        &zoom,
        size.sms_rate,
        wait_replicas,
    ));
    let client = QueueClient::connect(&redis.url(), NS).await.unwrap();

    let mut fleet = vec![
        Proc::new("ingest", "meetflow-ingest", &[], &logs),
        Proc::new(
            "worker-events-zoom-sync",
            "meetflow-worker",
            &["--queues", "events,zoom,sync"],
            &logs,
        ),
        Proc::new(
            "worker-sms-1",
            "meetflow-worker",
            &["--queues", "sms"],
            &logs,
        ),
        Proc::new(
            "worker-sms-2",
            "meetflow-worker",
            &["--queues", "sms"],
            &logs,
        )
        .clock_ahead(CLOCK_AHEAD_SECS),
        Proc::new(
            "worker-brevo-1",
            "meetflow-worker",
            &["--queues", "brevo"],
            &logs,
        ),
        Proc::new(
            "worker-brevo-2",
            "meetflow-worker",
            &["--queues", "brevo"],
            &logs,
        ),
        Proc::new("scheduler-1", "meetflow-scheduler", &[], &logs),
        Proc::new("scheduler-2", "meetflow-scheduler", &[], &logs),
    ];
    for p in &mut fleet {
        p.start(&config);
    }
    wait_port(config.ingest_port, Duration::from_secs(60)).await;

    let setup = began.elapsed();
    let started = Instant::now();
    let plan = plan(size, seed, Utc::now());
    let mut all: Vec<_> = plan.iter().flat_map(deliveries).collect();
    let poisons: Vec<_> = (0..size.poison)
        .map(|i| poison(i, size.poison, size.send_for))
        .collect();
    let poison_ids: BTreeSet<String> = poisons.iter().map(|d| poison_id(&d.body)).collect();
    all.extend(poisons);
    all.sort_by_key(|d| d.at);
    let deliveries_planned = all.len();

    let counters = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let redis_at = started + size.send_for.mul_f64(0.4);
    let killer = tokio::spawn(killer(
        fleet,
        redis,
        config.clone(),
        redis_at,
        seed,
        stop.clone(),
        counters.clone(),
    ));
    let faults = tokio::spawn(faults(
        brevo.clone(),
        engagelab.clone(),
        seed,
        stop.clone(),
        counters.clone(),
    ));
    let windows = Arc::new(Outages::default());
    let outage_at = (0..size.outages)
        .map(|k| {
            size.send_for
                .mul_f64(0.9 * (k as f64 + 0.5) / size.outages as f64)
        })
        .collect();
    let outages = tokio::spawn(outages(
        engagelab.clone(),
        started,
        outage_at,
        seed,
        windows.clone(),
        stop.clone(),
        counters.clone(),
    ));
    let op_stop = Arc::new(AtomicBool::new(false));
    let ledger = Arc::new(Ledger::default());
    let operator = tokio::spawn(operator(
        config.clone(),
        engagelab.clone(),
        windows,
        started + size.send_for.mul_f64(0.6),
        op_stop.clone(),
        ledger.clone(),
    ));

    // The provider: each delivery at its time, retried until stored.
    let http = meetflow_tests::http::http_client_with_timeout(Duration::from_secs(5));
    let url = format!("http://127.0.0.1:{}/webhooks/calendly", config.ingest_port);
    let mut sends = Vec::new();
    for d in all {
        tokio::time::sleep_until((started + d.at).into()).await;
        sends.push(tokio::spawn(deliver(
            http.clone(),
            url.clone(),
            d,
            counters.clone(),
        )));
    }
    for s in sends {
        s.await.unwrap();
    }
    let sent_by = started.elapsed();

    // Chaos until the last follow-up is due, then let the system drain with everything up.
    let until = last_due(&plan) + chrono::Duration::seconds(2);
    while Utc::now() < until {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::Relaxed);
    faults.await.unwrap();
    outages.await.unwrap();
    let (mut fleet, redis) = killer.await.unwrap();
    let drain = Instant::now();
    let mut pending = in_flight(&client).await;
    while !pending.is_empty() && drain.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        pending = in_flight(&client).await;
    }
    // The operator handles the last "possibly sent" entries; their replays must drain too.
    tokio::time::sleep(Duration::from_secs(3)).await;
    op_stop.store(true, Ordering::Relaxed);
    operator.await.unwrap();
    while !in_flight(&client).await.is_empty() && drain.elapsed() < Duration::from_secs(70) {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    pending = in_flight(&client).await;
    let drained_in = drain.elapsed();
    let stopping = Instant::now();
    fleet.iter().for_each(Proc::terminate);
    let stops: Vec<_> = fleet
        .iter_mut()
        .map(|p| (p.name.clone(), p.wait_stopped()))
        .collect();
    let stopped_in = stopping.elapsed();

    // End state.
    let c = &counters;
    let mut problems: Vec<String> = pending
        .iter()
        .map(|p| format!("left in flight: {p}"))
        .collect();
    problems.extend(c.problems());
    for (name, status) in &stops {
        if !status.is_some_and(|s| s.success()) {
            problems.push(format!(
                "{name} did not stop cleanly on SIGTERM: {status:?}"
            ));
        }
    }
    problems.extend(ledger.problems.lock().unwrap().iter().cloned());
    let open = possibly_sent(&client).await;
    let counts = sms_counts(&engagelab);
    // Every SMS that was ever "possibly sent" may be 0 or 1 at EngageLab (a resent one may have
    // gone stale meanwhile); never 2.
    let seen = ledger.possibly_sent_seen.lock().unwrap().clone();
    let ever: BTreeSet<(String, String)> = open.values().chain(seen.values()).cloned().collect();
    // A reminder the machine's load (or an outage's replay) made too late is dropped by the
    // rules, not lost; one dropped "too late" while it was not is lost.
    let drops = late_drops(&logs, &[("worker-sms-2", i64::from(CLOCK_AHEAD_SECS))]);
    let late = really_late(&plan, &drops);
    let unplanned = recorded_too_late(&client, &plan).await;
    let excused: BTreeSet<(String, String)> = ever
        .iter()
        .chain(&late)
        .chain(&unplanned)
        .cloned()
        .collect();
    problems.extend(check_sms(&plan, &counts, &excused));
    let stale = check_stale(&client, &plan, &engagelab, &logs, &ever).await;
    let _ = std::fs::write(logs.join("after-cancel.txt"), stale.unjudged.join("\n"));
    problems.extend(stale.problems.iter().cloned());
    problems.extend(check_contacts(&plan, &brevo));
    let ps = account_possibly_sent(&ledger, &open, &counts, &engagelab);
    problems.extend(ps.problems.iter().cloned());
    let filter_deleted = ledger.deleted_by_filter.lock().unwrap().clone();
    for id in filter_deleted.difference(&poison_ids) {
        problems.push(format!(
            "the filtered delete took {id}, not a deliberately broken delivery"
        ));
    }
    let accounted: BTreeSet<String> = poison_ids
        .difference(&filter_deleted)
        .chain(open.keys())
        .cloned()
        .collect();
    let (dead, dead_problems) = check_dead_letters(&client, &accounted).await;
    problems.extend(dead_problems);
    let report = scan_logs(&config.env, &plan, &logs);
    let leaks = report.findings.iter().take(20);
    problems.extend(leaks.map(|f| format!("log leak: {} in {}", f.what, f.place)));

    let census = census(&client).await;
    let mut fig = Figures::default();
    fig.pair("size / seed", size_name, seed);
    fig.add("bookings (distinct invitees)", plan.len());
    fig.add("deliveries planned (incl. broken)", deliveries_planned);
    c.figures(&mut fig);
    for ((q, state), count) in &census.by_queue_state {
        fig.add(&format!("jobs {q} {state}"), count);
    }
    fig.add("job retries (attempts - 1)", census.retries);
    fig.pair(
        "provider calls brevo / engagelab",
        brevo.requests().len(),
        engagelab.requests().len(),
    );
    fig.add("SMS sent", engagelab.sent_count());
    fig.add(
        "  SMS sent twice",
        counts.values().filter(|n| **n > 1).count(),
    );
    fig.pair(
        "storm bookings / SMS judged against a cancel",
        size.storm,
        stale.judged,
    );
    fig.add("  claimed after the cancel or move", stale.problems.len());
    fig.pair(
        "  claimed before, arrived after / max lag ms",
        stale.arrived_after,
        stale.max_lag_ms,
    );
    fig.pair(
        "  no claim line: possibly sent / unjudged",
        stale.possibly_sent,
        stale.unjudged.len(),
    );
    let storm: Vec<_> = plan.iter().filter(|b| b.storm_after.is_some()).collect();
    let confirmed = storm
        .iter()
        .filter(|b| counts.contains_key(&(b.key.to_string(), "confirmation".to_owned())))
        .count();
    fig.pair(
        "  storm confirmations sent before / withdrawn",
        confirmed,
        storm.len() - confirmed,
    );
    ledger.figures(&mut fig);
    ps.figures(&mut fig);
    fig.add("brevo contacts", brevo.contacts().len());
    fig.add("dead letters at the end (deliberate + open)", dead);
    fig.pair("log lines scanned / json", report.lines, report.json_lines);
    fig.add("log leaks", report.findings.len());
    let marks = count_in_logs(
        &logs,
        &[
            "SMS already handled",
            "reminder no longer applies",
            "\"reminder dropped\"",
            "SMS no longer true of the booking",
        ],
    );
    fig.add("SMS duplicates prevented (marker)", marks[0]);
    fig.pair(
        "stale reminders dropped at send / at claim",
        marks[1],
        marks[2],
    );
    fig.add("stale SMS dropped at the last check", marks[3]);
    fig.pair(
        "reminders dropped too late: really late / not",
        late.len(),
        drops.len() - late.len(),
    );
    fig.add(
        "reminders not planned: booking recorded too late",
        unplanned.len(),
    );
    fig.add(
        &format!("worker-sms-2 clock ahead (s, set {CLOCK_AHEAD_SECS})"),
        clock_ahead_seen(&logs.join("worker-sms-2.log")),
    );
    let secs = |d: Duration| format!("{:.1}", d.as_secs_f64());
    fig.pair("setup / sending (s)", secs(setup), secs(sent_by));
    fig.pair(
        "drained / fleet stopped in (s)",
        secs(drained_in),
        secs(stopped_in),
    );
    fig.add("whole run (s)", secs(started.elapsed()));
    fig.add("problems (lost, duplicated, wrong)", problems.len());
    fig.print("chaos run");
    drop(redis);
    let _ = std::fs::write(logs.join("problems.txt"), problems.join("\n"));
    assert!(
        problems.is_empty(),
        "{} problems (logs kept in {}):\n{}",
        problems.len(),
        logs.display(),
        problems
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    if std::env::var_os("MEETFLOW_CHAOS_KEEP_LOGS").is_none() {
        let _ = std::fs::remove_dir_all(&logs);
    }
}

/// How far ahead (s) the timestamps of a log ran against the file's last write: shows the
/// skewed worker's clock really was ahead.
fn clock_ahead_seen(log: &std::path::Path) -> String {
    let Ok(text) = std::fs::read_to_string(log) else {
        return "?".into();
    };
    let modified = std::fs::metadata(log)
        .and_then(|m| m.modified())
        .ok()
        .map(chrono::DateTime::<Utc>::from);
    let last = text
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| {
            v["timestamp"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        });
    match (last, modified) {
        (Some(t), Some(m)) => format!("{:.0}", (t.with_timezone(&Utc) - m).as_seconds_f64()),
        _ => "?".into(),
    }
}

/// Where every "possibly sent" SMS of the run ended.
#[derive(Debug, Default)]
struct PossiblySent {
    seen: usize,
    deleted_in_engagelab: usize,
    resent_sent: usize,
    resent_not_sent: usize,
    open_in_engagelab: usize,
    open_not_in_engagelab: usize,
    problems: Vec<String>,
}

impl PossiblySent {
    fn figures(&self, fig: &mut Figures) {
        fig.add("possibly sent (all, accounted below)", self.seen);
        fig.add(
            "  in EngageLab once, dead letter deleted",
            self.deleted_in_engagelab,
        );
        fig.pair(
            "  resent (--resend): sent once / not sent",
            self.resent_sent,
            self.resent_not_sent,
        );
        fig.pair(
            "  still dead at the end: in EngageLab / not",
            self.open_in_engagelab,
            self.open_not_in_engagelab,
        );
    }
}

/// The accounting of the "possibly sent" SMS: each one the operator saw ends in exactly one way.
/// - EngageLab had it when the operator looked: the dead letter deleted; EngageLab has it once.
/// - EngageLab did not have it: resent with `--resend`; EngageLab has it at most once (0 when the
///   booking changed or the meeting began meanwhile: dropped as stale). A resend that did not
///   take (the SMS dead again as "possibly sent" without EngageLab having it) shows as more
///   than two resends of one id: a problem.
/// - Still a dead letter at the end (died after the operator's last look): at most once.
///
/// A resent SMS that EngageLab has must have reached it after the `--resend` (nothing else sent
/// it again: no bulk replay, no retry).
fn account_possibly_sent(
    ledger: &Ledger,
    open: &BTreeMap<String, (String, String)>,
    counts: &BTreeMap<(String, String), u32>,
    engagelab: &FakeEngageLab,
) -> PossiblySent {
    let mut out = PossiblySent::default();
    let seen = ledger.possibly_sent_seen.lock().unwrap().clone();
    let deleted = ledger.possibly_sent_deleted.lock().unwrap().clone();
    let resent = ledger.resent.lock().unwrap().clone();
    let count = |sms: &(String, String)| counts.get(sms).copied().unwrap_or(0);
    let mut all: BTreeMap<String, (String, String)> = seen.clone();
    all.extend(open.iter().map(|(k, v)| (k.clone(), v.clone())));
    out.seen = all.len();
    for (id, sms) in &all {
        let n = count(sms);
        if open.contains_key(id) {
            if n == 1 {
                out.open_in_engagelab += 1;
            } else {
                out.open_not_in_engagelab += 1;
            }
        } else if deleted.contains_key(id) {
            out.deleted_in_engagelab += 1;
            if n != 1 {
                out.problems.push(format!(
                    "possibly sent {id}: deleted as in EngageLab, which has it {n} times"
                ));
            }
        } else if let Some(times) = resent.get(id) {
            if n == 1 {
                out.resent_sent += 1;
                let asked = ledger.resent_at.lock().unwrap().get(id).copied();
                let got = engagelab.sent().into_iter().find(|m| {
                    let a = m.custom_args.clone().unwrap_or_default();
                    a["booking"].as_str() == Some(sms.0.as_str())
                        && a["kind"].as_str() == Some(sms.1.as_str())
                });
                if let (Some(asked), Some(m)) = (asked, got)
                    && m.received < asked
                {
                    out.problems.push(format!(
                        "possibly sent {id}: EngageLab had it before the operator resent it"
                    ));
                }
            } else {
                out.resent_not_sent += 1;
            }
            if *times > 2 {
                out.problems.push(format!(
                    "possibly sent {id}: resent {times} times, EngageLab has it {n} times (the resend did not take)"
                ));
            }
        }
        if n > 1 {
            out.problems
                .push(format!("possibly sent {id}: EngageLab has it {n} times"));
        }
    }
    out
}
