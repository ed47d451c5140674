//! "None for a cancelled or moved booking", checked exactly: every SMS EngageLab has for a
//! booking that ends cancelled or rescheduled (other than the SMS that announce the change) was
//! claimed before the store recorded the change. Both times are Redis `TIME`: the claim's from
//! the SMS handler's `"SMS handled"` log line (`claimed_ms`, the instant its last check found the
//! SMS still true, atomically with the marker claim), the change's from the booking hash's
//! `updated_at`, which the cancel script stamps. A claim at or after the change is a failure.
//!
//! An SMS claimed before the change may still reach EngageLab after it: the call takes time on a
//! loaded machine, and under `redis.wait_replicas` the "possibly sent" mark waits for a replica
//! first. Those are counted with the longest claim-to-arrival lag, which is what the earlier
//! arrival-time check (1 s of grace) reported as unexplained outliers.
//!
//! An SMS with no claim line (its worker was killed -9 after the call and before the log line;
//! the next attempt then finds it stale or already sent) is judged by its arrival when that came
//! before the change, by the "possibly sent" accounting when it was ever marked so, and is
//! otherwise listed as unjudged in `after-cancel.txt` with its arrival time, and counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use meetflow_shared::queue::QueueClient;
use meetflow_tests::fakes::FakeEngageLab;

use crate::chaos::check::json_lines;
use crate::chaos::plan::{Booking, Scenario};

/// SMS kinds that are about the change itself and are sent after it.
const ABOUT_THE_CHANGE: [&str; 3] = ["cancellation", "host_cancellation", "rem-winback"];

/// What the check found.
#[derive(Debug, Default)]
pub(crate) struct StaleReport {
    /// Failures: SMS claimed at or after the change.
    pub problems: Vec<String>,
    /// SMS judged by their claim time (or by an arrival before the change).
    pub judged: usize,
    /// Of those, claimed before the change but arrived at EngageLab after it.
    pub arrived_after: usize,
    /// The longest claim-to-arrival lag among those (ms).
    pub max_lag_ms: i64,
    /// SMS left to the "possibly sent" accounting (no claim line; marked possibly sent).
    pub possibly_sent: usize,
    /// SMS with neither a claim line nor a "possibly sent" mark, with their arrival against the
    /// change (listed in `after-cancel.txt`).
    pub unjudged: Vec<String>,
}

/// `(booking, kind) -> claim times` of the SMS the workers report sent, read from the
/// `worker-sms*` logs in `dir`.
pub(crate) fn claims(dir: &Path) -> BTreeMap<(String, String), Vec<i64>> {
    let mut out: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    for (_, v) in json_lines(dir, &["worker-sms"], |l| l.contains("\"SMS handled\"")) {
        if v["outcome"].as_str() != Some("sent") {
            continue;
        }
        let (Some(booking), Some(kind), Some(at)) = (
            v["booking"].as_str(),
            v["kind"].as_str(),
            v["claimed_ms"].as_i64(),
        ) else {
            continue;
        };
        out.entry((booking.to_owned(), kind.to_owned()))
            .or_default()
            .push(at);
    }
    out
}

/// Holds every SMS EngageLab has for a booking of `plan` that ends cancelled or moved against
/// the time the store recorded that; `ever`: the SMS ever marked "possibly sent".
pub(crate) async fn check_stale(
    client: &QueueClient,
    plan: &[Booking],
    engagelab: &FakeEngageLab,
    logs: &Path,
    ever: &BTreeSet<(String, String)>,
) -> StaleReport {
    let anchor = (
        std::time::Instant::now(),
        chrono::Utc::now().timestamp_millis(),
    );
    let ended: BTreeMap<String, &Booking> = plan
        .iter()
        .filter(|b| !matches!(b.scenario, Scenario::Plain | Scenario::Redelivered(_)))
        .map(|b| (b.key.to_string(), b))
        .collect();
    let claims = claims(logs);
    let mut conn = client.redis();
    let mut changed_at: BTreeMap<String, Option<i64>> = BTreeMap::new();
    let mut report = StaleReport::default();
    for s in engagelab.sent() {
        let args = s.custom_args.clone().unwrap_or_default();
        let (Some(key), Some(kind)) = (args["booking"].as_str(), args["kind"].as_str()) else {
            continue;
        };
        let Some(b) = ended.get(key) else { continue };
        if ABOUT_THE_CHANGE.contains(&kind) {
            continue;
        }
        if !changed_at.contains_key(key) {
            let (status, at): (Option<String>, Option<i64>) = redis::cmd("HMGET")
                .arg(client.keys().booking(key))
                .arg("status")
                .arg("updated_at")
                .query_async(&mut conn)
                .await
                .unwrap_or((None, None));
            // A booking the store never saw cancelled or moved (its delivery was not stored:
            // a failure of its own) has no change to hold its SMS to.
            let changed = matches!(status.as_deref(), Some("canceled" | "rescheduled"));
            changed_at.insert(key.to_owned(), at.filter(|_| changed));
        }
        let Some(Some(changed)) = changed_at.get(key).copied() else {
            continue;
        };
        let received = wall_ms(s.received, anchor);
        let sms = (key.to_owned(), kind.to_owned());
        match claims.get(&sms).and_then(|c| c.iter().max()) {
            Some(&claimed) => {
                report.judged += 1;
                if claimed >= changed {
                    report.problems.push(format!(
                        "booking {key} ({:?}): {kind} claimed {} ms after the booking was cancelled or moved",
                        b.scenario,
                        claimed - changed
                    ));
                } else if received > changed {
                    report.arrived_after += 1;
                    report.max_lag_ms = report.max_lag_ms.max(received - claimed);
                }
            }
            // It reached EngageLab before the change, so it was claimed before it too.
            None if received < changed => report.judged += 1,
            None if ever.contains(&sms) => report.possibly_sent += 1,
            None => report.unjudged.push(format!(
                "booking {key} ({:?}): {kind} has no claim line; it reached EngageLab at {received}, {} ms after the change",
                b.scenario,
                received - changed
            )),
        }
    }
    report
}

/// Wall-clock time (unix ms) of instant `at`, read against `anchor` (an instant and its wall time).
fn wall_ms(at: std::time::Instant, anchor: (std::time::Instant, i64)) -> i64 {
    match anchor.0.checked_duration_since(at) {
        Some(before) => anchor.1 - before.as_millis() as i64,
        None => anchor.1 + at.duration_since(anchor.0).as_millis() as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_read_from_sent_lines_only() {
        let dir = std::env::temp_dir().join(format!("meetflow-claims-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let lines = [
            r#"{"message":"SMS handled","booking":"b1","kind":"confirmation","outcome":"sent","claimed_ms":1000}"#,
            r#"{"message":"SMS handled","booking":"b2","kind":"confirmation","outcome":"suppressed","claimed_ms":2000}"#,
            r#"{"message":"SMS no longer true of the booking: not sent","booking":"b3","kind":"rem-8s"}"#,
            "not json",
        ];
        std::fs::write(dir.join("worker-sms-1.log"), lines.join("\n")).unwrap();
        std::fs::write(dir.join("worker-events.log"), lines.join("\n")).unwrap();
        let got = claims(&dir);
        let want: BTreeMap<(String, String), Vec<i64>> =
            [(("b1".to_owned(), "confirmation".to_owned()), vec![1000])].into();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(got, want);
    }
}
