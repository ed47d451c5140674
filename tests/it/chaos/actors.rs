//! The chaos run's actors, each a task until told to stop: the provider (signs and sends every
//! delivery, retrying what was not stored, as Calendly does), the killer (SIGKILL of a random
//! worker or scheduler every few seconds, restarted; Redis killed and restarted once), the
//! faults (5xx shares, 429 bursts with reset headers, slow answers, and EngageLab timing out
//! after accepting a share of messages) and the outages (EngageLab refusing the key for about a
//! second, a few times). The operator is in [`crate::chaos::operator`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use meetflow_tests::fakes::{FakeBrevo, FakeEngageLab};
use meetflow_tests::redis::TestRedis;
use meetflow_tests::signing::calendly_signature;
use meetflow_tests::topology::{TestCluster, TestSentinel};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::chaos::bodies::Delivery;
use crate::chaos::check::Figures;
use crate::chaos::operator::Outages;
use crate::chaos::procs::{CALENDLY_KEY, Config, NS, Proc};

/// Counters shared by the actors.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) posts: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) kept_for_review: AtomicU64,
    pub(crate) redelivered_after_failure: AtomicU64,
    pub(crate) refused: AtomicU64,
    pub(crate) kills: AtomicU64,
    pub(crate) crashes: AtomicU64,
    pub(crate) redis_kills: AtomicU64,
    pub(crate) faults_5xx: AtomicU64,
    pub(crate) bursts_429: AtomicU64,
    pub(crate) slow_spells: AtomicU64,
    pub(crate) timeouts_after_accept: AtomicU64,
    pub(crate) outages: AtomicU64,
}

fn n(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

impl Counters {
    /// The counters as rows of the run's figures.
    pub(crate) fn figures(&self, fig: &mut Figures) {
        fig.add("webhook POSTs", n(&self.posts));
        fig.add("  stored (200 accepted)", n(&self.accepted));
        fig.add("  duplicates prevented by ingest", n(&self.duplicates));
        fig.add("  kept for review (not JSON)", n(&self.kept_for_review));
        fig.add(
            "  redelivered after 503/refused",
            n(&self.redelivered_after_failure),
        );
        fig.add("kills -9 (workers, schedulers)", n(&self.kills));
        fig.add("redis kills -9 / failovers", n(&self.redis_kills));
        fig.add("provider 5xx injected", n(&self.faults_5xx));
        fig.pair(
            "429 bursts / slow spells",
            n(&self.bursts_429),
            n(&self.slow_spells),
        );
        fig.add(
            "EngageLab timeouts after accepting",
            n(&self.timeouts_after_accept),
        );
        fig.add("EngageLab refusal outages (key)", n(&self.outages));
    }

    /// What went wrong on the provider and process side.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if n(&self.crashes) > 0 {
            out.push(format!(
                "{} processes exited on their own",
                n(&self.crashes)
            ));
        }
        if n(&self.refused) > 0 {
            out.push(format!("{} deliveries were never stored", n(&self.refused)));
        }
        out
    }
}

fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// How long a delivery is re-sent before the sender gives up (Calendly: 24 hours, compressed).
const GIVE_UP_AFTER: Duration = Duration::from_secs(180);
/// The first wait after a failed delivery; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(300);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Sends one delivery until it is stored (200), as Calendly does: any non-2xx is re-sent with
/// exponential back-off (jittered, on a compressed clock) for [`GIVE_UP_AFTER`]. A sender that
/// instead re-sent every 300 ms and gave up after a minute turned a 30 s Redis restart in the
/// long run into a storm of thousands of requests a second that no ingest could serve.
pub(crate) async fn deliver(http: reqwest::Client, url: String, d: Delivery, c: Arc<Counters>) {
    let deadline = Instant::now() + GIVE_UP_AFTER;
    let mut backoff = FIRST_BACKOFF;
    loop {
        inc(&c.posts);
        let sig = calendly_signature(CALENDLY_KEY, chrono::Utc::now().timestamp(), &d.body);
        let sent = http
            .post(&url)
            .header("content-type", "application/json")
            .header("Calendly-Webhook-Signature", sig)
            .body(d.body.clone())
            .send()
            .await;
        let answer = match sent {
            Ok(r) => Some((r.status().as_u16(), r.text().await.unwrap_or_default())),
            Err(_) => None,
        };
        match answer {
            Some((200, text)) => {
                let status = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v["status"].as_str().map(str::to_owned));
                match status.as_deref() {
                    Some("duplicate") => inc(&c.duplicates),
                    Some("kept_for_review") => inc(&c.kept_for_review),
                    _ => inc(&c.accepted),
                }
                return;
            }
            Some((401 | 413, _)) => {
                inc(&c.refused);
                return;
            }
            _ if Instant::now() > deadline => {
                inc(&c.refused);
                return;
            }
            _ => {
                inc(&c.redelivered_after_failure);
                let jitter = 0.5 + rand::random::<f64>();
                tokio::time::sleep(backoff.mul_f64(jitter)).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// The Redis of a run: one persistent server (killed -9 and restarted mid-run), a master,
/// a replica and three Sentinels (the master killed -9 and a replica promoted mid-run), or a
/// Cluster of three masters with a replica each (the master serving the namespace's slot killed
/// -9 and its replica promoted mid-run).
pub(crate) enum RedisSetup {
    Single(TestRedis),
    Sentinel(TestSentinel),
    Cluster(TestCluster),
}

impl RedisSetup {
    pub(crate) fn url(&self) -> String {
        match self {
            Self::Single(r) => r.url(),
            Self::Sentinel(s) => s.url(),
            Self::Cluster(c) => c.url(),
        }
    }

    /// The mid-run blow: kill -9 and restart, or kill -9 the master and fail over.
    async fn strike(&mut self, rng: &mut StdRng) {
        match self {
            Self::Single(redis) => {
                redis.kill9().unwrap();
                tokio::time::sleep(Duration::from_millis(rng.random_range(500..1500))).await;
                redis.restart().await.unwrap();
                eprintln!("chaos: redis killed -9 and restarted");
            }
            Self::Sentinel(s) => {
                let began = Instant::now();
                let port = s.fail_over().await.unwrap();
                eprintln!(
                    "chaos: sentinel master killed -9; replica on port {port} promoted, a new replica in sync {:.1} s after the kill",
                    began.elapsed().as_secs_f64()
                );
            }
            Self::Cluster(c) => {
                let began = Instant::now();
                let port = c.fail_over_slot_of(&format!("{{{NS}}}")).await.unwrap();
                eprintln!(
                    "chaos: cluster master of the namespace's slot killed -9; replica on port {port} promoted, a new replica in sync {:.1} s after the kill",
                    began.elapsed().as_secs_f64()
                );
            }
        }
    }
}

/// Kills a random killable process every 2-4 s (restarting it shortly after), Redis once at
/// `redis_at`; restarts anything that exited on its own (counted as a crash). Returns the fleet
/// and Redis when `stop` is set, every process running.
pub(crate) async fn killer(
    mut fleet: Vec<Proc>,
    mut redis: RedisSetup,
    config: Arc<Config>,
    redis_at: Instant,
    seed: u64,
    stop: Arc<AtomicBool>,
    c: Arc<Counters>,
) -> (Vec<Proc>, RedisSetup) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6b696c6c);
    let mut next_kill = Instant::now() + Duration::from_secs(2);
    let mut redis_done = false;
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        for p in fleet.iter_mut() {
            if let Some(status) = p.exited() {
                eprintln!("chaos: {} exited on its own ({status}); restarting", p.name);
                inc(&c.crashes);
                p.kill9();
                p.start(&config);
            }
        }
        if !redis_done && Instant::now() >= redis_at {
            redis_done = true;
            inc(&c.redis_kills);
            redis.strike(&mut rng).await;
        }
        if Instant::now() >= next_kill {
            let killable: Vec<usize> = (0..fleet.len())
                .filter(|i| !fleet[*i].name.starts_with("ingest"))
                .collect();
            let victim = killable[rng.random_range(0..killable.len())];
            fleet[victim].kill9();
            inc(&c.kills);
            tokio::time::sleep(Duration::from_millis(rng.random_range(100..800))).await;
            fleet[victim].start(&config);
            next_kill = Instant::now() + Duration::from_millis(rng.random_range(2000..4000));
        }
    }
    (fleet, redis)
}

/// Misbehaving providers until `stop`: 5xx on about 12% of the calls, sometimes a 429 burst
/// (Brevo: its rate window shrinks to 3 calls per 2 s, answered with the reset headers; EngageLab:
/// 429s), sometimes a slow spell (0.4-0.9 s per answer for 1.5 s).
pub(crate) async fn faults(
    brevo: Arc<FakeBrevo>,
    engagelab: Arc<FakeEngageLab>,
    seed: u64,
    stop: Arc<AtomicBool>,
    c: Arc<Counters>,
) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6661756c);
    let internal = json!({"code": 1000, "message": "internal error"});
    let brevo_error = json!({"code": "internal_error", "message": "try later"});
    // A share of the calls fails: each call of the last half second stands for one future call
    // that fails with probability FAIL_SHARE (so a lone retrying job is not fed every fault).
    const FAIL_SHARE: f64 = 0.12;
    let (mut seen_e, mut seen_b) = (0, 0);
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (now_e, now_b) = (engagelab.requests().len(), brevo.requests().len());
        let share = |calls: usize, rng: &mut StdRng| {
            (0..calls).filter(|_| rng.random_bool(FAIL_SHARE)).count()
        };
        let n = share(now_e - seen_e, &mut rng);
        if n > 0 {
            engagelab.fail_next(n, 500, internal.clone());
        }
        let m = share(now_b - seen_b, &mut rng);
        if m > 0 {
            brevo.fail_next(
                m,
                [500, 502, 503][rng.random_range(0..3)],
                brevo_error.clone(),
            );
        }
        c.faults_5xx.fetch_add((n + m) as u64, Ordering::Relaxed);
        const TIMEOUT_SHARE: f64 = 0.015;
        let t = (0..now_e - seen_e)
            .filter(|_| rng.random_bool(TIMEOUT_SHARE))
            .count();
        if t > 0 {
            engagelab.time_out_next_sends(t, Duration::from_millis(10_500));
            c.timeouts_after_accept
                .fetch_add(t as u64, Ordering::Relaxed);
        }
        (seen_e, seen_b) = (now_e, now_b);
        let roll = rng.random_range(0..100);
        if roll < 8 {
            inc(&c.bursts_429);
            brevo.rate_limit_window(3, Duration::from_secs(2));
            engagelab.fail_next(4, 429, json!({"message": "Too Many Requests"}));
            tokio::time::sleep(Duration::from_secs(2)).await;
            brevo.rate_limit_window(100_000, Duration::from_secs(1));
        } else if roll < 16 {
            inc(&c.slow_spells);
            let d = Duration::from_millis(rng.random_range(400..900));
            brevo.set_latency(d);
            engagelab.set_latency(d);
            tokio::time::sleep(Duration::from_millis(1500)).await;
            brevo.set_latency(Duration::ZERO);
            engagelab.set_latency(Duration::ZERO);
        }
    }
    brevo.set_latency(Duration::ZERO);
    engagelab.set_latency(Duration::ZERO);
    engagelab.time_out_next_sends(0, Duration::ZERO);
    brevo.rate_limit_window(100_000, Duration::from_secs(1));
}

/// EngageLab refusal outages at `at` (offsets from `started`): the key refused (401/2002, a
/// permanent error: each SMS tried meanwhile goes to the dead letters as not sent) for 0.8-1.2 s,
/// recorded in `outages` for the operator.
pub(crate) async fn outages(
    engagelab: Arc<FakeEngageLab>,
    started: Instant,
    at: Vec<Duration>,
    seed: u64,
    windows: Arc<Outages>,
    stop: Arc<AtomicBool>,
    c: Arc<Counters>,
) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6f757467);
    for t in at {
        tokio::time::sleep_until((started + t).into()).await;
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let begin = chrono::Utc::now().timestamp_millis();
        windows.0.lock().unwrap().push((begin, 0));
        engagelab.disable_key();
        inc(&c.outages);
        tokio::time::sleep(Duration::from_millis(rng.random_range(800..1200))).await;
        engagelab.enable_key();
        let end = chrono::Utc::now().timestamp_millis();
        if let Some(w) = windows.0.lock().unwrap().iter_mut().find(|w| w.0 == begin) {
            w.1 = end;
        }
    }
}
