//! Every job in view at the queue core (`QueueClient::list_jobs`, `act`, `processes`) against a
//! private Redis and a real worker: each state is listed with its facts (the in-flight job with
//! the process holding it and its lease expiry), the cursor neither repeats nor skips a job while
//! new jobs arrive between pages, run-now runs a retrying job at once, cancel and move-to-dead
//! refuse an in-flight job, and the process list shows the worker with its queues.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use meetflow_shared::queue::{
    ActOutcome, ErrorClass, JobAction, JobContext, JobError, ListState, NewJob, QueueClient,
    QueueSettings, process_identity,
};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::support::queue::{Running, eventually, fixture, spawn};

/// Retries wait up to ten hours (full jitter): a retrying job stays retrying for the test.
fn slow_retries() -> QueueSettings {
    QueueSettings {
        concurrency: 4,
        // Long enough that a loaded machine never lets the held job's lease lapse.
        lease: Duration::from_secs(10),
        max_attempts: 5,
        backoff_base: Duration::from_secs(36_000),
        backoff_cap: Duration::from_secs(36_000),
        ..QueueSettings::default()
    }
}

/// A worker on `queue` whose job `hold` runs until `release` is notified, `flaky` fails with a
/// retryable error on its first attempt, `doomed` fails for good, anything else succeeds.
pub(crate) fn worker(
    client: &QueueClient,
    queue: &str,
    release: Arc<Notify>,
    runs: Arc<AtomicUsize>,
) -> Running {
    spawn(
        client,
        queue,
        slow_retries(),
        move |_: Value, ctx: JobContext| {
            let (release, runs) = (release.clone(), runs.clone());
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                match ctx.id.as_str() {
                    "hold" => {
                        release.notified().await;
                        Ok(())
                    }
                    "flaky" if ctx.attempt == 1 => Err(JobError::retry(
                        ErrorClass::ProviderServer,
                        "engagelab: HTTP 500 for +14155550132",
                    )),
                    "doomed" => Err(JobError::permanent(
                        ErrorClass::ProviderRejected,
                        "engagelab: HTTP 400 template not found",
                    )),
                    _ => Ok(()),
                }
            }
        },
    )
}

pub(crate) fn job(id: &str) -> NewJob {
    NewJob::json(&json!({"v": 1, "kind": "confirmation"}))
        .unwrap()
        .with_id(id)
}

async fn ids(client: &QueueClient, state: ListState, queue: Option<&str>) -> Vec<String> {
    let page = client.list_jobs(state, queue, None, 100).await.unwrap();
    page.items.into_iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn each_state_is_listed_with_its_facts_and_the_process_holding_an_inflight_job() {
    let f = fixture().await;
    let c = &f.client;
    let release = Arc::new(Notify::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let w = worker(c, "sms", release.clone(), runs.clone());
    for id in ["hold", "flaky", "doomed"] {
        c.enqueue("sms", job(id)).await.unwrap();
    }
    let later = Utc::now() + ChronoDuration::hours(2);
    c.enqueue("sms", job("later").run_at(later)).await.unwrap();
    // Ready jobs wait in a queue nobody serves.
    for id in ["r1", "r2"] {
        c.enqueue("brevo", job(id)).await.unwrap();
    }
    assert!(
        eventually(Duration::from_secs(5), || async {
            ids(c, ListState::Retrying, None).await == ["flaky"]
                && ids(c, ListState::Dead, None).await == ["doomed"]
                && ids(c, ListState::Inflight, None).await == ["hold"]
        })
        .await,
        "the worker holds one, retries one and buries one"
    );

    let inflight = c
        .list_jobs(ListState::Inflight, Some("sms"), None, 10)
        .await
        .unwrap();
    let h = &inflight.items[0];
    assert_eq!(h.holder.as_deref(), Some(process_identity()));
    let expiry = h.lease_expires_ms.unwrap();
    let now = Utc::now().timestamp_millis();
    assert!(
        expiry > now && expiry <= now + 11_000,
        "lease expiry {expiry} vs now {now}"
    );
    assert_eq!(h.attempt, 1);
    assert_eq!(
        h.max_attempts, None,
        "the queue's setting (the reader fills it in)"
    );
    assert_eq!(h.kind.as_deref(), Some("confirmation"));

    let retrying = c
        .list_jobs(ListState::Retrying, None, None, 10)
        .await
        .unwrap();
    let r = &retrying.items[0];
    assert_eq!(r.attempt, 1);
    let next = r.next_run_ms.unwrap();
    assert!(
        next > now && next <= now + 36_100_000,
        "next run within the ten-hour backoff: {next} vs now {now}"
    );
    let err = r.last_error.as_ref().unwrap();
    assert_eq!(err.class, "provider_server");
    assert!(err.message.contains("HTTP 500"), "{err:?}");

    // Scheduled (first run later) and retrying share the delayed ZSET but not the list.
    let scheduled = c
        .list_jobs(ListState::Scheduled, None, None, 10)
        .await
        .unwrap();
    assert_eq!(scheduled.items.len(), 1, "{scheduled:?}");
    assert_eq!(scheduled.items[0].id, "later");
    assert_eq!(scheduled.items[0].attempt, 0);
    assert_eq!(
        scheduled.items[0].next_run_ms,
        Some(later.timestamp_millis())
    );

    assert_eq!(ids(c, ListState::Ready, None).await, ["r1", "r2"]);
    assert_eq!(
        ids(c, ListState::Ready, Some("sms")).await,
        Vec::<String>::new()
    );
    let dead = c
        .list_jobs(ListState::Dead, Some("sms"), None, 10)
        .await
        .unwrap();
    assert_eq!(
        dead.items[0].last_error.as_ref().unwrap().class,
        "provider_rejected"
    );
    assert!(dead.items[0].dead_ms.is_some());

    // The process list shows this worker with its queue and, after a heartbeat, its job in flight.
    assert!(
        eventually(Duration::from_secs(8), || async {
            c.processes().await.unwrap().iter().any(|p| {
                p.identity == process_identity()
                    && p.queues.get("sms") == Some(&1)
                    && p.in_flight == 1
                    && !p.version.is_empty()
                    && !p.host.is_empty()
            })
        })
        .await,
        "{:?}",
        c.processes().await.unwrap()
    );

    // Cancel and move-to-dead refuse the in-flight job, naming its holder; it finishes.
    for action in [JobAction::Cancel, JobAction::Dead, JobAction::RunNow] {
        match c.act("hold", action, None).await.unwrap() {
            ActOutcome::Refused {
                state: Some(ListState::Inflight),
                holder,
                lease_expires_ms,
            } => {
                assert_eq!(holder.as_deref(), Some(process_identity()));
                assert!(lease_expires_ms.is_some());
            }
            other => panic!("{action:?}: {other:?}"),
        }
    }
    release.notify_one();
    assert!(
        eventually(Duration::from_secs(3), || async {
            ids(c, ListState::Inflight, None).await.is_empty()
        })
        .await
    );
    w.shutdown().await.unwrap();
    assert!(
        c.processes()
            .await
            .unwrap()
            .iter()
            .all(|p| !p.queues.contains_key("sms")),
        "a stopped runtime leaves the process list"
    );
}

/// Pages through `state` with `limit`, calling `between` after each page; returns every id seen.
async fn page_through<F, Fut>(
    c: &QueueClient,
    state: ListState,
    queue: Option<&str>,
    limit: usize,
    mut between: F,
) -> Vec<String>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for n in 0.. {
        let page = c
            .list_jobs(state, queue, cursor.as_deref(), limit)
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|r| r.id));
        between(n).await;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(n < 200, "paging does not end");
    }
    seen
}

fn assert_once(seen: &[String], original: &[String]) {
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a job was listed twice: {seen:?}");
    for id in original {
        assert!(unique.contains(id), "{id} was skipped: {seen:?}");
    }
}

#[tokio::test]
async fn paging_by_cursor_neither_repeats_nor_skips_while_jobs_arrive() {
    let f = fixture().await;
    let c = &f.client;
    let base = Utc::now() + ChronoDuration::hours(1);
    // Scheduled jobs over two queues, several sharing a run time (ordered by id then).
    let mut original = Vec::new();
    for i in 0..30 {
        let id = format!("s{i:02}");
        let queue = if i % 2 == 0 { "sms" } else { "brevo" };
        let at = base + ChronoDuration::seconds(i / 3);
        c.enqueue(queue, job(&id).run_at(at)).await.unwrap();
        original.push(id);
    }
    let seen = page_through(c, ListState::Scheduled, None, 7, |n| {
        let c = c.clone();
        async move {
            // New jobs land before, at and after the cursor's run time.
            for (k, offset) in [-5i64, 0, 4, 20].into_iter().enumerate() {
                let at = base + ChronoDuration::seconds(offset + i64::try_from(n).unwrap_or(0));
                c.enqueue("sms", job(&format!("new{n}-{k}")).run_at(at))
                    .await
                    .unwrap();
            }
        }
    })
    .await;
    assert_once(&seen, &original);

    // Ready lists: new jobs join the tail, and a worker leasing from the head does not shift the
    // cursor (it finds its job again, or starts at the head once that job was leased).
    let mut original = Vec::new();
    for i in 0..20 {
        let id = format!("r{i:02}");
        c.enqueue("events", job(&id)).await.unwrap();
        original.push(id);
    }
    let popped = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = page_through(c, ListState::Ready, Some("events"), 6, |n| {
        let (c, popped) = (c.clone(), popped.clone());
        async move {
            c.enqueue("events", job(&format!("arrived{n}")))
                .await
                .unwrap();
            // Two leased from the head (as a worker's lease script pops them).
            let mut conn = c.redis();
            let gone: Vec<String> = redis::cmd("LPOP")
                .arg(c.keys().ready("events"))
                .arg(2)
                .query_async(&mut conn)
                .await
                .unwrap();
            popped.lock().unwrap().extend(gone);
        }
    })
    .await;
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "a ready job was listed twice: {seen:?}"
    );
    let popped = popped.lock().unwrap().clone();
    for id in &original {
        assert!(
            unique.contains(id) || popped.contains(id),
            "{id} was neither listed nor leased: seen {seen:?}, leased {popped:?}"
        );
    }
    let firsts: Vec<&String> = seen.iter().filter(|id| id.starts_with('r')).collect();
    let mut sorted = firsts.clone();
    sorted.sort();
    assert_eq!(firsts, sorted, "ready jobs come oldest first");

    // Dead letters, newest first: new deaths land on page one, never between later pages.
    let mut original = Vec::new();
    for i in 0..15 {
        let id = format!("d{i:02}");
        c.bury("sms", job(&id), ErrorClass::BadPayload, "bad")
            .await
            .unwrap();
        original.push(id);
    }
    let seen = page_through(c, ListState::Dead, None, 4, |n| {
        let c = c.clone();
        async move {
            c.bury(
                "sms",
                job(&format!("died{n}")),
                ErrorClass::BadPayload,
                "bad",
            )
            .await
            .unwrap();
        }
    })
    .await;
    assert_once(&seen, &original);
    assert!(
        seen.iter().all(|id| !id.starts_with("died")),
        "a death after paging began lands on page one, not between pages: {seen:?}"
    );
    let bad = c
        .list_jobs(ListState::Dead, None, Some("not-a-cursor"), 5)
        .await;
    assert!(bad.is_err(), "a cursor no page gave out is refused");
}

#[tokio::test]
async fn run_now_runs_a_retrying_job_at_once_and_refuses_one_that_changed() {
    let f = fixture().await;
    let c = &f.client;
    let release = Arc::new(Notify::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let w = worker(c, "sms", release, runs.clone());
    c.enqueue("sms", job("flaky")).await.unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            ids(c, ListState::Retrying, Some("sms")).await == ["flaky"]
        })
        .await
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // The page showed it scheduled: it is retrying now, so nothing is done.
    assert_eq!(
        c.act("flaky", JobAction::RunNow, Some(ListState::Scheduled))
            .await
            .unwrap(),
        ActOutcome::Changed {
            now: Some(ListState::Retrying)
        }
    );
    assert_eq!(
        c.act("flaky", JobAction::RunNow, Some(ListState::Retrying))
            .await
            .unwrap(),
        ActOutcome::Done {
            was: ListState::Retrying
        }
    );
    assert!(
        eventually(Duration::from_secs(1), || async {
            runs.load(Ordering::SeqCst) == 2
                && c.job("flaky")
                    .await
                    .unwrap()
                    .is_some_and(|j| j.state == meetflow_shared::queue::JobState::Done)
        })
        .await,
        "run-now ran the retry at once (its backoff was hours)"
    );
    // Done now: every action refuses it.
    assert!(matches!(
        c.act("flaky", JobAction::Cancel, None).await.unwrap(),
        ActOutcome::Refused { state: None, .. }
    ));
    assert_eq!(
        c.act("nosuch", JobAction::Cancel, None).await.unwrap(),
        ActOutcome::Missing
    );

    // A scheduled job moved to the dead letters carries the operator's error and can be replayed.
    let at = Utc::now() + ChronoDuration::hours(1);
    c.enqueue("sms", job("moved").run_at(at).group("booking:b1"))
        .await
        .unwrap();
    assert_eq!(
        c.act("moved", JobAction::Dead, Some(ListState::Scheduled))
            .await
            .unwrap(),
        ActOutcome::Done {
            was: ListState::Scheduled
        }
    );
    let dead = c
        .list_jobs(ListState::Dead, Some("sms"), None, 5)
        .await
        .unwrap();
    assert_eq!(dead.items[0].id, "moved");
    assert_eq!(dead.items[0].last_error.as_ref().unwrap().class, "operator");
    assert!(ids(c, ListState::Scheduled, None).await.is_empty());
    assert_eq!(
        c.dead_letters()
            .replay(&["moved".to_owned()])
            .await
            .unwrap(),
        1
    );
    assert!(
        eventually(Duration::from_secs(2), || async {
            c.job("moved")
                .await
                .unwrap()
                .is_some_and(|j| j.state == meetflow_shared::queue::JobState::Done)
        })
        .await
    );
    w.shutdown().await.unwrap();
}
