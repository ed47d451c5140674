//! `meetflow-admin sync calendly`: the history comes over quietly, once.
//!
//! - A backfill of bookings (active, cancelled, no-show) syncs every contact with its status and
//!   list, and the Brevo lifecycle events with their original times; it sends no SMS.
//! - A second run changes nothing: no job, no Brevo call, no SMS.
//! - `--dry-run` says what would change and changes nothing.
//! - A run interrupted midway (the CLI stopped) resumes when run again and completes without
//!   duplicates.

use std::time::Duration;

use chrono::{SecondsFormat, TimeDelta};
use meetflow_shared::bookings::BookingKey;
use meetflow_shared::jobs::SYNC;
use meetflow_shared::sync::Runs;

use super::setup::{Seeded, backfill, days_ago};
use crate::support::worker::eventually;

fn ms(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn count(seeded: &[Seeded], state: &str) -> usize {
    seeded.iter().filter(|s| s.state == state).count()
}

/// `--since` and `--until` of a history of `days` days starting `start_days_ago` days ago.
fn range(start_days_ago: i64, days: i64) -> [String; 4] {
    let since = days_ago(start_days_ago);
    [
        "--since".into(),
        since.format("%Y-%m-%d").to_string(),
        "--until".into(),
        (since + TimeDelta::days(days))
            .format("%Y-%m-%d")
            .to_string(),
    ]
}

fn args(r: &[String]) -> Vec<&str> {
    r.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn a_backfill_syncs_contacts_statuses_and_dated_events_without_sms_and_a_second_run_changes_nothing()
 {
    let b = backfill().await;
    let seeded = b.seed(days_ago(40), 5, 20);
    let worker = b.env.start();
    let r = range(40, 5);

    let first = b.sync(&args(&r)).await;
    b.env.settle().await;

    assert_eq!(first["slices"], 5, "{first}");
    assert_eq!(first["invitees"], 20, "{first}");
    assert_eq!(first["synced"], 20, "{first}");
    assert_eq!(first["canceled"], count(&seeded, "canceled"), "{first}");
    assert_eq!(first["no_show"], count(&seeded, "no_show"), "{first}");
    assert_eq!(first["unchanged"], 0, "{first}");
    assert_eq!(b.env.engagelab.sent_count(), 0, "the history sends no SMS");
    assert!(b.env.dead("events").await.is_empty());
    assert!(b.env.dead("brevo").await.is_empty());
    assert!(b.env.dead(SYNC).await.is_empty());

    // Contacts, list and status.
    assert_eq!(b.env.brevo.contacts().len(), 20);
    assert_eq!(b.env.brevo.list_members(10).len(), 20, "the mapped list");
    for s in &seeded {
        let contact = b.env.brevo.contact(&s.email).unwrap();
        let want = match s.state {
            "canceled" => "cancelled",
            other => other,
        };
        assert_eq!(contact.attributes["BOOKING_STATUS"], want, "{}", s.email);
        let recorded: String = redis::cmd("HGET")
            .arg(b.env.client.keys().sync_state("calendly"))
            .arg(BookingKey::from_invitee_uri(&s.uri).as_str())
            .query_async(&mut b.env.client.redis())
            .await
            .unwrap();
        assert!(recorded.starts_with(&format!("{}|", s.state)), "{recorded}");
    }

    // Lifecycle events at their original times.
    let booked = b.brevo_events("booking_created");
    assert_eq!(booked.len(), 20, "{booked:?}");
    for s in &seeded {
        assert!(
            booked.contains(&(s.email.clone(), Some(ms(s.booked_at)))),
            "{} booked at {}: {booked:?}",
            s.email,
            s.booked_at
        );
    }
    let cancelled = b.brevo_events("booking_cancelled");
    assert_eq!(cancelled.len(), count(&seeded, "canceled"), "{cancelled:?}");
    // the fake's cancellation time
    assert!(
        cancelled
            .iter()
            .all(|(_, at)| at.as_deref() == Some("2026-04-18T13:44:09.552Z")),
        "{cancelled:?}"
    );
    let no_shows = b.brevo_events("booking_no_show");
    assert_eq!(no_shows.len(), count(&seeded, "no_show"));
    for s in seeded.iter().filter(|s| s.state == "no_show") {
        let at = s.no_show_at.map(ms);
        assert!(no_shows.contains(&(s.email.clone(), at)), "{no_shows:?}");
    }

    // A second run: nothing to change, nothing sent.
    let brevo_calls = b.env.brevo.requests().len();
    let second = b.sync(&args(&r)).await;
    b.env.settle().await;
    assert_eq!(second["synced"], 0, "{second}");
    assert_eq!(second["unchanged"], 20, "{second}");
    assert_eq!(second["resumed"], false, "{second}");
    assert_eq!(b.env.brevo.requests().len(), brevo_calls, "no Brevo call");
    assert_eq!(b.env.engagelab.sent_count(), 0);
    worker.stop().await;
}

#[tokio::test]
async fn a_dry_run_lists_what_would_change_and_changes_nothing() {
    let b = backfill().await;
    let seeded = b.seed(days_ago(30), 3, 6);
    let r = range(30, 3);
    let mut dry = args(&r);
    dry.push("--dry-run");

    let report = b.sync(&dry).await;

    assert_eq!(report["dry_run"], true);
    assert_eq!(report["synced"], 6, "{report}");
    assert_eq!(report["changes"].as_array().unwrap().len(), 6, "{report}");
    assert_eq!(report["canceled"], count(&seeded, "canceled"), "{report}");
    // Nothing enqueued or written (no worker runs: anything enqueued would stay).
    b.env.settle().await;
    assert_eq!(b.ledger_len().await, 0);
    assert!(b.env.brevo.requests().is_empty());
    let since = days_ago(30);
    let range_name = Runs::range(since, since + TimeDelta::days(3));
    let keys = b.env.client.keys();
    let written: u64 = redis::cmd("EXISTS")
        .arg(keys.sync_state("calendly"))
        .arg(keys.sync_run("calendly", &range_name))
        .query_async(&mut b.env.client.redis())
        .await
        .unwrap();
    assert_eq!(written, 0, "no ledger, no run");

    // After the real run, a dry run has nothing left to show.
    let worker = b.env.start();
    assert_eq!(b.sync(&args(&r)).await["synced"], 6);
    b.env.settle().await;
    let again = b.sync(&dry).await;
    assert_eq!(
        (again["synced"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(6)),
        "{again}"
    );
    worker.stop().await;
}

#[tokio::test]
async fn an_interrupted_backfill_resumes_and_completes_without_duplicates() {
    let b = backfill().await;
    let seeded = b.seed(days_ago(60), 12, 36);
    // Slow Calendly down so the run is still going when it is interrupted.
    b.fake.set_latency(Duration::from_millis(150));
    let r = range(60, 12);
    let worker = b.env.start();
    let mut cli = b.spawn(&args(&r));
    let midway = eventually(Duration::from_secs(60), || async {
        b.ledger_len().await >= 6
    })
    .await;
    assert!(midway, "the backfill did not start");
    cli.kill().unwrap();
    let _ = cli.wait();
    let brought = b.ledger_len().await;
    assert!(
        brought < 36,
        "interrupted too late to test anything: {brought}"
    );

    // Run again: the same run resumes; the slices went on meanwhile, none is enqueued twice.
    let resumed = b.sync(&args(&r)).await;
    b.env.settle().await;

    assert_eq!(resumed["resumed"], true, "{resumed}");
    assert_eq!(resumed["synced"], 36, "{resumed}");
    assert_eq!(b.ledger_len().await, 36);
    let booked = b.brevo_events("booking_created");
    assert_eq!(booked.len(), 36, "each booked event once: {booked:?}");
    assert_eq!(
        b.brevo_events("booking_no_show").len(),
        count(&seeded, "no_show")
    );
    assert_eq!(b.env.brevo.contacts().len(), 36);
    assert_eq!(b.env.engagelab.sent_count(), 0);
    assert!(b.env.dead(SYNC).await.is_empty());
    assert!(b.env.dead("events").await.is_empty());
    worker.stop().await;
}
