//! Worker: backpressure, not bounce (issue 16, item 3). A backlog of SMS under a low shared
//! EngageLab limit drains at the limit, each job leased only when its slot is near (the SMS queue's
//! lease gate) and never sent back to the queue to wait: every job finishes at attempt 1, no rate-limit entry ever lands in its error history, its enqueue
//! time (`enq_ms`, which the oldest-ready-job alert reads) survives the wait, and the Redis
//! commands clients send per job stay small (`total_commands_processed` of `INFO stats`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use meetflow_shared::config::Settings;
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::{ALL_QUEUES, SMS};
use meetflow_shared::queue::Keys;
use meetflow_shared::redis::RedisConn;
use meetflow_shared::shutdown::Shutdown;
use meetflow_worker::{QueueSelection, WorkerError};
use tokio::task::JoinHandle;

use crate::support::worker::{Env, created, env, eventually, in_two_days, new_invitee, options};

/// Jobs in the backlog, and the EngageLab limit they drain under.
const JOBS: usize = 60;
const PER_SECOND: u32 = 20;
/// Most Redis commands per job the drain may cost (issue 16: under 30).
pub(super) const PER_JOB_MAX: f64 = 30.0;
/// Commands a worker sends once when it starts, whatever the backlog: loading its scripts, the
/// start-up checks of Redis, the first heartbeat and queue statistics.
const START: u64 = 150;
/// Most commands a second the SMS queue's idle loops send whatever the backlog: promotion every
/// 100 ms (two with nothing delayed), lease recovery every second (three), the heartbeat every
/// 5 s (seven), with room for the odd extra wake. A provider queue's loops are the same whatever
/// its provider.
const IDLE_PER_SECOND: f64 = 25.0;

/// Runs a worker in this process on `queues` until `stop` is triggered.
pub(super) fn run(
    env: &Env,
    queues: &[&str],
    stop: &Shutdown,
) -> JoinHandle<Result<(), WorkerError>> {
    let (settings, stop) = (env.settings.clone(), stop.clone());
    let selection = QueueSelection::parse(queues).unwrap();
    tokio::spawn(
        async move { meetflow_worker::run_with(settings, selection, options(), stop).await },
    )
}

pub(super) async fn stop(stop: Shutdown, handle: JoinHandle<Result<(), WorkerError>>) {
    stop.trigger();
    tokio::time::timeout(Duration::from_secs(15), handle)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// Commands clients sent (`total_commands_processed` of `INFO stats`: a script's call is one,
/// whatever it does inside), and calls per command of `INFO commandstats` (for the message).
async fn commands(conn: &mut RedisConn) -> (u64, HashMap<String, u64>) {
    let info: String = redis::cmd("INFO")
        .arg("all")
        .query_async(conn)
        .await
        .unwrap();
    let total = info
        .lines()
        .find_map(|l| l.strip_prefix("total_commands_processed:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    let per_command = info
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest.split(',').find_map(|f| f.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.parse().ok()?))
        })
        .collect();
    (total, per_command)
}

/// The Redis commands of a measured drain: from [`Self::start`] to [`Self::per_job`], less the
/// test's own (counted in `ours` by the test as it sends them) and the worker's start and idle
/// loops.
pub(super) struct Measured {
    before: u64,
    per_command_before: HashMap<String, u64>,
    started: Instant,
    /// The test's own commands in the window (its polls and the INFO that ends it).
    pub(super) ours: u64,
}

impl Measured {
    pub(super) async fn start(conn: &mut RedisConn) -> Self {
        let (before, per_command_before) = commands(conn).await;
        Self {
            before,
            per_command_before,
            started: Instant::now(),
            ours: 1,
        }
    }

    /// Redis commands per job of the drain of `jobs` jobs, and a message naming the figures.
    pub(super) async fn per_job(&self, conn: &mut RedisConn, jobs: usize) -> (f64, String) {
        let (after, per_command) = commands(conn).await;
        let elapsed = self.started.elapsed();
        let spent = after - self.before - self.ours;
        let window: HashMap<&String, u64> = per_command
            .iter()
            .map(|(name, n)| {
                let before = self.per_command_before.get(name).copied().unwrap_or(0);
                (name, n - before)
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        // The worker's start and its idle loops cost the same whatever the backlog, so their
        // share of a short drain depends on how long the window lasted (a loaded machine starts
        // the worker more slowly): START, and at most IDLE_PER_SECOND a second, come off before
        // the per-job figure.
        let fixed = START + (IDLE_PER_SECOND * elapsed.as_secs_f64()).ceil() as u64;
        let per_job = spent.saturating_sub(fixed) as f64 / jobs as f64;
        eprintln!(
            "{per_job:.1} Redis commands per job ({spent} in {:.1} s, less {fixed} for the start and idle loops)",
            elapsed.as_secs_f64()
        );
        let message = format!(
            "{per_job:.1} Redis commands per job ({spent} in all, {fixed} allowed for the start and idle loops; per command, scripts' inner calls included: {window:?})"
        );
        (per_job, message)
    }

    /// Whether every job of `ids` is acknowledged within `within` (the polls count as the
    /// test's own commands).
    pub(super) async fn all_done(
        &mut self,
        conn: &RedisConn,
        keys: &Keys,
        ids: &[String],
        within: Duration,
    ) -> bool {
        eventually(within, || {
            let (mut conn, keys) = (conn.clone(), keys.clone());
            self.ours += ids.len() as u64;
            async move {
                let mut pipe = redis::pipe();
                for id in ids {
                    pipe.cmd("HGET").arg(keys.job(id)).arg("state");
                }
                let states: Vec<Option<String>> = pipe.query_async(&mut conn).await.unwrap();
                states.iter().all(|s| s.as_deref() == Some("done"))
            }
        })
        .await
    }

    /// How long since [`Self::start`].
    pub(super) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

#[tokio::test]
async fn a_rate_limited_backlog_drains_at_the_limit_without_bouncing() {
    // Arrange: EngageLab limited to PER_SECOND; JOBS bookings, their confirmation SMS queued.
    let mut env = env().await;
    let yaml = env.yaml.replacen(
        "\n  rate_limit: 1000/s\n",
        &format!("\n  rate_limit: {PER_SECOND}/s\n"),
        1,
    );
    assert_ne!(
        yaml, env.yaml,
        "the EngageLab limit is set in the test settings"
    );
    env.settings = Settings::from_yaml_str(&yaml, &|_| None).unwrap();
    let mut ids = Vec::new();
    for _ in 0..JOBS {
        let (uri, key) = new_invitee();
        env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
            .await;
        ids.push(format!("sms:confirmation:{key}"));
    }
    // The bookings are stored and their confirmation SMS queued by a worker that does not serve
    // the SMS queue: the backlog is in place before the measured drain starts.
    let keys = env.client.keys().clone();
    let mut conn = env.client.redis();
    let shutdown = Shutdown::new();
    let others: Vec<&str> = ALL_QUEUES.iter().copied().filter(|q| *q != SMS).collect();
    let handle = run(&env, &others, &shutdown);
    let queued = eventually(Duration::from_secs(20), || {
        let (mut conn, keys, ids) = (conn.clone(), keys.clone(), &ids);
        async move {
            let mut pipe = redis::pipe();
            for id in ids {
                pipe.cmd("EXISTS").arg(keys.job(id));
            }
            let found: Vec<u8> = pipe.query_async(&mut conn).await.unwrap();
            found.iter().all(|f| *f == 1)
        }
    })
    .await;
    assert!(queued, "every booking queued its confirmation SMS");
    stop(shutdown, handle).await;
    let mut measured = Measured::start(&mut conn).await;

    // Act: drain, watching every job's error history while it waits.
    let shutdown = Shutdown::new();
    let worker = run(&env, &[SMS], &shutdown);
    let mut most_errors = 0_usize;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut drained = false;
    while !drained && Instant::now() < deadline {
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.cmd("LLEN").arg(keys.job_errors(id));
        }
        measured.ours += ids.len() as u64;
        let lens: Vec<usize> = pipe.query_async(&mut conn).await.unwrap();
        most_errors = most_errors.max(lens.into_iter().max().unwrap_or(0));
        drained = env.engagelab.sent_count() >= JOBS;
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    assert!(
        drained,
        "only {} of {JOBS} SMS sent",
        env.engagelab.sent_count()
    );
    assert!(
        measured
            .all_done(&conn, &keys, &ids, Duration::from_secs(5))
            .await,
        "every job is acknowledged"
    );
    let (per_job, message) = measured.per_job(&mut conn, JOBS).await;
    stop(shutdown, worker).await;

    // Assert: once each, attempt 1, no error entry, enq_ms kept, few commands per job.
    assert_eq!(env.engagelab.sent_count(), JOBS, "each SMS sent once");
    assert_eq!(
        most_errors, 0,
        "no rate-limit entry in any job's error history"
    );
    for id in &ids {
        let (attempts, created, enq): (u32, i64, i64) = redis::cmd("HMGET")
            .arg(keys.job(id))
            .arg("attempts")
            .arg("created_ms")
            .arg("enq_ms")
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(attempts, 1, "{id} finished at attempt 1");
        assert_eq!(enq, created, "{id} keeps its enqueue time");
    }
    // All commands, a script's inner calls included. The SMS queue's lease gate leases only what
    // the limit serves within a second and reserves those slots as it leases, so no job goes
    // through the queue twice, and each pass costs about 24 commands: the lease (one read and
    // one write of the job hash, its share of one ZADD), the booking check and claim (HGETALL
    // and TIME, then one script: the booking fields, one HMGET of the suppression list, the
    // marker), `possibly_sent`, the delivery record (one script), the marker's `sent`, and the
    // ack (one script: TIME, the check, the writes of the job hash and the minute's count).
    // 82 before the gate, when every job was leased, deferred, promoted and leased again;
    // bouncing once a second cost about ten times that (scripts/bench-backpressure.sh).
    assert!(per_job < PER_JOB_MAX, "{message}");
}
