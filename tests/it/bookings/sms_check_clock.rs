//! The SMS handler's last check judges a reminder at Redis `TIME`, not at the worker's host
//! clock: a worker whose clock runs 30 s ahead still finds a reminder due before a meeting 20 s
//! away current. Before, it read its own clock, judged "meeting started" and dropped the
//! reminder unsent (the chaos run v2 lost 150 reminders so, all at its skewed SMS worker).

use std::time::Duration;

use meetflow_shared::bookings::{Bookings, Clock, Currentness, ReminderKind, SmsSubject};
use meetflow_shared::config::RemindersSettings;
use meetflow_shared::jobs::reminder::ReminderJob;
use meetflow_shared::queue::QueueClient;
use meetflow_tests::redis::TestRedis;

use crate::support::scheduler::{NS, at, facts, key, now_ms, rem};

#[tokio::test]
async fn a_worker_with_a_clock_30s_ahead_still_sends_a_reminder_due_before_the_meeting() {
    let redis = TestRedis::start().await.unwrap();
    let client = QueueClient::connect(&redis.url(), NS).await.unwrap();
    let settings = RemindersSettings {
        offsets: vec![Duration::from_secs(10)],
        ..RemindersSettings::default()
    };
    let bookings = Bookings::new(client.handle().clone(), settings);
    let start = now_ms() + 20_000;
    let b = facts(start);
    bookings.booked(&b).await.unwrap();
    let job = ReminderJob {
        v: ReminderJob::VERSION,
        reminder_id: rem(&b, "10s"),
        booking: key(&b),
        kind: ReminderKind::Before(Duration::from_secs(10)),
        due_at: at(start - 10_000),
        start: b.start,
        end: b.end,
        invitee_uri: b.invitee_uri.clone(),
        phone: "+14155550132".into(),
        name: b.name.clone(),
        timezone: b.timezone.clone(),
        event_name: b.event_name.clone(),
        event_type: Some(b.event_type.clone()),
        links: Default::default(),
    };
    for skew_ms in [0, 30_000, -30_000] {
        let worker = bookings.clone().with_clock(Clock::skewed(skew_ms));
        let (verdict, _) = worker
            .sms_verdict(SmsSubject::Reminder(&job))
            .await
            .unwrap();
        assert_eq!(
            verdict,
            Currentness::Current,
            "a worker whose clock is {skew_ms} ms off judges by Redis time"
        );
    }
}
