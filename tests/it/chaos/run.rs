//! The chaos run: the system as users run it, under fire. Separate processes (ingest, two SMS
//! workers, two Brevo workers, an events+zoom worker, two schedulers), a persistent Redis (AOF),
//! fake Brevo and EngageLab over HTTP answering 5xx, 429 bursts and slow answers; hundreds
//! (`MEETFLOW_CHAOS=long`: thousands) of signed Calendly bookings, cancelled, rescheduled in both
//! orders and redelivered, with meetings seconds ahead. Meanwhile a worker or scheduler is killed
//! -9 every few seconds and restarted, and Redis is killed -9 and restarted once.
//!
//! At the end, from the fakes' records and Redis: every contact synced with its final status,
//! one confirmation per booking, every reminder and follow-up sent exactly once and none for a
//! cancelled or moved time, nothing in flight, only the deliberately broken deliveries in the
//! dead-letter store (besides SMS a SIGKILLed worker left "possibly sent": each counted, at most
//! once sent), and not one log line with a secret, a phone number or an e-mail address.
//! Run it with `scripts/chaos.sh` (prints the figures); `MEETFLOW_CHAOS_SEED` replays a plan.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use meetflow_shared::events::Provider;
use meetflow_shared::events::{calendly, identity::Identity};
use meetflow_shared::queue::QueueClient;
use meetflow_tests::fakes::{FakeBrevo, FakeEngageLab, FakeZoom};
use meetflow_tests::redis::{TestRedis, TestRedisOptions};

use crate::chaos::actors::{Counters, deliver, faults, killer, operator};
use crate::chaos::bodies::{deliveries, poison};
use crate::chaos::check::{
    Figures, census, check_contacts, check_dead_letters, check_sms, count_in_logs, in_flight,
    possibly_sent, scan_logs, sms_counts,
};
use crate::chaos::plan::{Size, last_due, plan};
use crate::chaos::procs::{NS, Proc, wait_port, write_config};

/// The job id ingest gives a poison delivery (its dead-letter id).
fn poison_id(body: &[u8]) -> String {
    match calendly::head(body) {
        Ok(head) => Identity::calendly(&head, body).job_id(),
        Err(_) => Identity::of_body(Provider::Calendly, body).job_id(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chaos_run_loses_nothing_and_sends_every_sms_exactly_once() {
    let (size, size_name) = Size::from_env();
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
    let redis = TestRedis::start_with(TestRedisOptions::new().persistent())
        .await
        .unwrap();
    let brevo = Arc::new(FakeBrevo::start().await.unwrap());
    let engagelab = Arc::new(FakeEngageLab::start().await.unwrap());
    let zoom = FakeZoom::start().await.unwrap();
    let config = Arc::new(write_config(&logs, &redis.url(), &brevo, &engagelab, &zoom));
    let client = QueueClient::connect(&redis.url(), NS).await.unwrap();

    let mut fleet = vec![
        Proc::new("ingest", "meetflow-ingest", &[], &logs),
        Proc::new(
            "worker-events-zoom",
            "meetflow-worker",
            &["--queues", "events,zoom"],
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
        ),
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
    let poisons: Vec<_> = (0..size.poison).map(|i| poison(i, size.send_for)).collect();
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
    let op_stop = Arc::new(AtomicBool::new(false));
    let operator = tokio::spawn(operator(
        client.clone(),
        engagelab.clone(),
        op_stop.clone(),
        counters.clone(),
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
    let open = possibly_sent(&client).await;
    let open_sms: BTreeSet<(String, String)> = open.values().cloned().collect();
    problems.extend(check_sms(&plan, &sms_counts(&engagelab), &open_sms));
    problems.extend(check_contacts(&plan, &brevo));
    let accounted: BTreeSet<String> = poison_ids.iter().chain(open.keys()).cloned().collect();
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
    fig.add("brevo contacts", brevo.contacts().len());
    fig.add("dead letters (deliberate + possibly sent)", dead);
    fig.add(
        "SMS possibly sent (killed mid-send, for an operator)",
        open.len(),
    );
    fig.pair("log lines scanned / json", report.lines, report.json_lines);
    fig.add("log leaks", report.findings.len());
    let marks = count_in_logs(
        &logs,
        &[
            "SMS already handled",
            "reminder no longer applies",
            "\"reminder dropped\"",
        ],
    );
    fig.add("SMS duplicates prevented (marker)", marks[0]);
    fig.pair(
        "stale reminders dropped at send / at claim",
        marks[1],
        marks[2],
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
