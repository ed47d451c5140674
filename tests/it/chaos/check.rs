//! The chaos run's end state, read from the fakes' records and from Redis, and the figures it
//! prints. Each check returns its failures as lines, so one run reports everything wrong at once.

use std::collections::{BTreeMap, BTreeSet};

use meetflow_shared::jobs::ALL_QUEUES;
use meetflow_shared::queue::QueueClient;
use meetflow_tests::fakes::{FakeBrevo, FakeEngageLab};

use crate::chaos::plan::{Booking, expected_sms, final_status};
use crate::security::logscan::{LogScan, ScanReport};

/// SMS the fake EngageLab accepted, per `(booking, kind)` from the `custom_args` the worker sets.
pub(crate) fn sms_counts(engagelab: &FakeEngageLab) -> BTreeMap<(String, String), u32> {
    let mut out = BTreeMap::new();
    for s in engagelab.sent() {
        let args = s.custom_args.unwrap_or_default();
        let key = (
            args["booking"].as_str().unwrap_or("?").to_owned(),
            args["kind"].as_str().unwrap_or("?").to_owned(),
        );
        *out.entry(key).or_insert(0) += 1;
    }
    out
}

/// The SMS `(booking, kind)` a dead letter's id stands for (`rem:<booking>:<label>` is the
/// reminder `rem-<label>`, `sms:<kind>:<booking>` an event SMS), as the worker labels it.
pub(crate) fn sms_of(id: &str) -> Option<(String, String)> {
    let mut parts = id.splitn(3, ':');
    match (parts.next()?, parts.next()?, parts.next()?) {
        ("rem", booking, label) => Some((booking.to_owned(), format!("rem-{label}"))),
        ("sms", kind, booking) => Some((booking.to_owned(), kind.to_owned())),
        _ => None,
    }
}

/// Dead letters marked "possibly sent": an attempt claimed the send and was killed (SIGKILL)
/// before its outcome was known, so the worker refused to guess and left the SMS to an operator
/// (`dlq retry ID --resend` after checking EngageLab). Each is accounted for, not lost: its SMS
/// went out at most once. Returns the dead letters' ids and the SMS they stand for.
pub(crate) async fn possibly_sent(client: &QueueClient) -> BTreeMap<String, (String, String)> {
    let ids: Vec<String> = client
        .dead_letters()
        .list(None, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    let flags = client.dead_letters().possibly_sent(&ids).await.unwrap();
    ids.into_iter()
        .zip(flags)
        .filter(|(_, flagged)| *flagged)
        .filter_map(|(id, _)| sms_of(&id).map(|sms| (id, sms)))
        .collect()
}

/// Every booking's SMS within its expected range, and no SMS nobody expects. An SMS in `open`
/// ("possibly sent" at some point, or a reminder dropped because it really came too late) may
/// be 0: 0 or 1 of it, never more.
pub(crate) fn check_sms(
    plan: &[Booking],
    counts: &BTreeMap<(String, String), u32>,
    open: &BTreeSet<(String, String)>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut expected = BTreeSet::new();
    for b in plan {
        for (key, kind, min, max) in expected_sms(b) {
            let min = if open.contains(&(key.clone(), kind.to_owned())) {
                0
            } else {
                min
            };
            let got = counts
                .get(&(key.clone(), kind.to_owned()))
                .copied()
                .unwrap_or(0);
            if got < min || got > max {
                problems.push(format!(
                    "booking {key} ({:?}): {kind} sent {got} times, expected {min}..={max}",
                    b.scenario
                ));
            }
            expected.insert((key, kind.to_owned()));
        }
    }
    for ((key, kind), n) in counts {
        if !expected.contains(&(key.clone(), kind.clone())) {
            problems.push(format!("unexpected SMS {kind} for {key} ({n} times)"));
        }
    }
    problems
}

/// Every booking's contact exists with its final status.
pub(crate) fn check_contacts(plan: &[Booking], brevo: &FakeBrevo) -> Vec<String> {
    plan.iter()
        .filter_map(|b| {
            let want = final_status(b);
            let got = brevo.contact(&b.email).map(|c| {
                c.attributes
                    .get("BOOKING_STATUS")
                    .and_then(|v| v.as_str())
                    .unwrap_or("<none>")
                    .to_owned()
            });
            (got.as_deref() != Some(want)).then(|| {
                format!(
                    "booking {} ({:?}): contact status {got:?}, expected {want}",
                    b.key, b.scenario
                )
            })
        })
        .collect()
}

/// The dead-letter store holds exactly `expected` (the deliberately broken deliveries); returns
/// how many it holds and the differences.
pub(crate) async fn check_dead_letters(
    client: &QueueClient,
    expected: &BTreeSet<String>,
) -> (usize, Vec<String>) {
    let dead: BTreeSet<String> = client
        .dead_letters()
        .list(None, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    let mut problems = Vec::new();
    for id in dead.symmetric_difference(expected) {
        let why = if dead.contains(id) {
            "unexpected dead letter"
        } else {
            "broken delivery not in the dead letters"
        };
        let detail = client
            .job(id)
            .await
            .ok()
            .flatten()
            .and_then(|j| j.errors.last().map(|e| e.message.clone()));
        problems.push(format!("{why}: {id} {detail:?}"));
    }
    (dead.len(), problems)
}

/// Every log line of the run against the secrets in `env` (`CHAOS_*`) and every invitee's phone
/// number and e-mail address.
pub(crate) fn scan_logs(
    env: &[(String, String)],
    plan: &[Booking],
    dir: &std::path::Path,
) -> ScanReport {
    let mut scan = LogScan::new();
    for (k, v) in env.iter().filter(|(k, _)| k.starts_with("CHAOS_")) {
        scan.secret(k, v);
    }
    for b in plan {
        scan.phone(&b.phone).email(&b.email);
    }
    scan.dir(dir)
}

/// How many log lines of the run contain each of `needles`.
pub(crate) fn count_in_logs(dir: &std::path::Path, needles: &[&str]) -> Vec<usize> {
    let mut counts = vec![0; needles.len()];
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines() {
            for (i, n) in needles.iter().enumerate() {
                counts[i] += usize::from(line.contains(n));
            }
        }
    }
    counts
}

/// Jobs per queue and state, and the retries they took (`attempts - 1` summed).
#[derive(Debug, Default)]
pub(crate) struct JobCensus {
    pub(crate) by_queue_state: BTreeMap<(String, String), u64>,
    pub(crate) retries: u64,
}

pub(crate) async fn census(client: &QueueClient) -> JobCensus {
    let mut conn = client.redis();
    let pattern = client.keys().job("*");
    let mut census = JobCensus::default();
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .unwrap();
        for key in keys.iter().filter(|k| !k.ends_with(":errors")) {
            let (queue, state, attempts): (Option<String>, Option<String>, Option<u64>) =
                redis::cmd("HMGET")
                    .arg(key)
                    .arg("queue")
                    .arg("state")
                    .arg("attempts")
                    .query_async(&mut conn)
                    .await
                    .unwrap();
            let entry = (
                queue.unwrap_or_else(|| "?".into()),
                state.unwrap_or_else(|| "?".into()),
            );
            *census.by_queue_state.entry(entry).or_insert(0) += 1;
            census.retries += attempts.unwrap_or(1).saturating_sub(1);
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    census
}

/// Work still waiting or running, per queue, plus reminders due and not yet handed over. The
/// queues are read in one atomic snapshot: reading them one after the other could miss a job that
/// a handler enqueued on an already-read queue just before it finished. The reminders live under
/// another hash tag (`{ns:bookings}`), so they are read first, in a snapshot of their own: a
/// reminder in neither `due` nor `claimed` then had its job enqueued before the queues are read
/// (the scheduler settles a claim only after enqueueing).
pub(crate) async fn in_flight(client: &QueueClient) -> Vec<String> {
    let k = client.keys();
    let now = chrono::Utc::now().timestamp_millis();
    let mut conn = client.redis();
    let mut reminders = redis::pipe();
    reminders
        .atomic()
        .cmd("ZCOUNT")
        .arg(k.reminders_due())
        .arg("-inf")
        .arg(now)
        .cmd("ZCARD")
        .arg(k.reminders_claimed());
    let reminders: Vec<u64> = match reminders.query_async(&mut conn).await {
        Ok(c) => c,
        Err(e) => return vec![format!("reminders snapshot: {e}")],
    };
    let counts: Vec<u64> = match crate::support::worker::queue_snapshot(client)
        .query_async(&mut conn)
        .await
    {
        Ok(c) => c,
        Err(e) => return vec![format!("queue snapshot: {e}")],
    };
    let mut out = Vec::new();
    for (q, c) in ALL_QUEUES.iter().zip(counts.chunks(3)) {
        if c.iter().any(|&n| n > 0) {
            out.push(format!(
                "{q}: ready {} running {} delayed or retrying {}",
                c[0], c[1], c[2]
            ));
        }
    }
    if reminders.iter().any(|&n| n > 0) {
        out.push(format!(
            "reminders: {} due and not claimed, {} claimed and not settled",
            reminders[0], reminders[1]
        ));
    }
    out
}

/// The figures of a run.
#[derive(Debug, Default)]
pub(crate) struct Figures {
    pub(crate) rows: Vec<(String, String)>,
}

impl Figures {
    pub(crate) fn add(&mut self, name: &str, value: impl ToString) {
        self.rows.push((name.to_owned(), value.to_string()));
    }

    /// A row of two figures, `a / b`.
    pub(crate) fn pair(
        &mut self,
        name: &str,
        a: impl std::fmt::Display,
        b: impl std::fmt::Display,
    ) {
        self.rows.push((name.to_owned(), format!("{a} / {b}")));
    }

    pub(crate) fn print(&self, title: &str) {
        println!("\n{title}");
        for (k, v) in &self.rows {
            println!("  {k:<44} {v:>10}");
        }
    }
}

/// Reminders dropped because they came too late (`superseded`: the next reminder was due
/// already; `meeting_started`), by the SMS workers at send time or by the schedulers at claim
/// time (a claim that came late takes both reminders at once and drops the earlier one), read
/// from their logs, with the real time of each drop (a log's timestamps less its process's clock
/// lead, `ahead`: file name prefix -> seconds).
pub(crate) fn late_drops(
    dir: &std::path::Path,
    ahead: &[(&str, i64)],
) -> BTreeMap<(String, String), (i64, String)> {
    let mut out = BTreeMap::new();
    let drops = json_lines(dir, &["worker-sms", "scheduler"], |l| {
        l.contains("no longer") || l.contains("\"reminder dropped\"")
    });
    for (name, v) in drops {
        let lead_ms = ahead
            .iter()
            .find(|(p, _)| name.starts_with(p))
            .map_or(0, |(_, s)| s * 1000);
        let reason = v["reason"].as_str().unwrap_or_default();
        if !matches!(reason, "superseded" | "meeting_started") {
            continue;
        }
        let id = v["reminder"]
            .as_str()
            .or(v["reminder.id"].as_str())
            .or(v["job.id"].as_str());
        let (Some(sms), Some(at)) = (
            id.and_then(sms_of),
            v["timestamp"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()),
        ) else {
            continue;
        };
        out.insert(sms, (at.timestamp_millis() - lead_ms, reason.to_owned()));
    }
    out
}

/// The JSON log lines of the processes whose log file name starts with one of `prefixes`, among
/// those `keep` accepts (a cheap text test before parsing), each with its file name.
pub(crate) fn json_lines(
    dir: &std::path::Path,
    prefixes: &[&str],
    keep: impl Fn(&str) -> bool,
) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !prefixes.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines().filter(|l| keep(l)) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                out.push((name.clone(), v));
            }
        }
    }
    out
}

/// Of the `drops`, those that really were too late for `plan`'s meeting times: a reminder
/// dropped as superseded at or after the next reminder's due time (8 s before the start), or as
/// "meeting started" at or after the start. A drop before that is a lost SMS.
pub(crate) fn really_late(
    plan: &[Booking],
    drops: &BTreeMap<(String, String), (i64, String)>,
) -> BTreeSet<(String, String)> {
    let mut starts: BTreeMap<String, i64> = BTreeMap::new();
    for b in plan {
        starts.insert(b.key.to_string(), b.start.timestamp_millis());
        if let Some((_, key, start)) = &b.moved {
            starts.insert(key.to_string(), start.timestamp_millis());
        }
    }
    drops
        .iter()
        .filter(|((booking, _), (at, reason))| {
            starts
                .get(booking)
                .is_some_and(|start| match reason.as_str() {
                    "superseded" => *at >= start - 8000,
                    _ => *at >= *start,
                })
        })
        .map(|(sms, _)| sms.clone())
        .collect()
}

/// Reminders a live booking never had a use for because the booking itself was recorded too
/// late (the events queue behind under load): by the catch-up rules a reminder is planned only
/// while it is still useful, so `rem-16s` needs the booking recorded before the next reminder's
/// due time (8 s before the start) and `rem-8s` before the start. Read from the booking hashes'
/// `updated_at` (the time `invitee.created` was recorded, for a booking that stays live).
pub(crate) async fn recorded_too_late(
    client: &QueueClient,
    plan: &[Booking],
) -> BTreeSet<(String, String)> {
    use crate::chaos::plan::Scenario;
    let mut live: Vec<(String, i64)> = Vec::new();
    for b in plan {
        match b.scenario {
            Scenario::Plain | Scenario::Redelivered(_) => {
                live.push((b.key.to_string(), b.start.timestamp_millis()));
            }
            Scenario::Rescheduled { .. } => {
                if let Some((_, key, start)) = &b.moved {
                    live.push((key.to_string(), start.timestamp_millis()));
                }
            }
            _ => {}
        }
    }
    let mut conn = client.redis();
    let mut out = BTreeSet::new();
    for (key, start) in live {
        let at: Option<i64> = redis::cmd("HGET")
            .arg(client.keys().booking(&key))
            .arg("updated_at")
            .query_async(&mut conn)
            .await
            .unwrap_or(None);
        let Some(at) = at else { continue };
        if at >= start - 8000 {
            out.insert((key.clone(), "rem-16s".to_owned()));
        }
        if at >= start {
            out.insert((key, "rem-8s".to_owned()));
        }
    }
    out
}

#[test]
fn late_drops_reads_the_workers_and_the_schedulers_drops() {
    let dir = std::env::temp_dir().join(format!("meetflow-late-drops-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("scheduler-2.log"),
        r#"{"timestamp":"2026-12-06T06:09:52.042Z","level":"INFO","message":"reminder dropped","reminder.id":"rem:b1:16s","reason":"superseded"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("worker-sms-2.log"),
        r#"{"timestamp":"2026-12-06T06:10:32.898Z","level":"INFO","message":"reminder no longer applies: not sent","reminder":"rem:b2:8s","reason":"meeting_started"}"#,
    )
    .unwrap();
    let drops = late_drops(&dir, &[("worker-sms-2", 30)]);
    std::fs::remove_dir_all(&dir).unwrap();
    let at = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .unwrap()
            .timestamp_millis()
    };
    assert_eq!(
        drops.get(&("b1".to_owned(), "rem-16s".to_owned())),
        Some(&(at("2026-12-06T06:09:52.042Z"), "superseded".to_owned()))
    );
    assert_eq!(
        drops.get(&("b2".to_owned(), "rem-8s".to_owned())),
        Some(&(at("2026-12-06T06:10:02.898Z"), "meeting_started".to_owned()))
    );
}
