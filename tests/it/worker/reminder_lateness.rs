//! Reminder lateness is measured where it matters: from the reminder's due time to EngageLab
//! accepting its SMS (the scheduler's enqueue is only half the way), on buckets that reach hours.
//! A reminder due 15 minutes ago, sent now, lands between the 600 s and 1800 s buckets.

use meetflow_shared::events::Provider;
use meetflow_shared::jobs::SMS;
use meetflow_shared::queue::NewJob;

use crate::support::worker::{
    JORDAN_PHONE, created, env, in_two_days, jordans_24h_reminder, new_invitee,
};

fn bucket(text: &str, le: &str) -> f64 {
    let series = format!("meetflow_reminder_lateness_seconds_bucket{{le=\"{le}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series)?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn a_reminder_sent_15_minutes_after_its_due_time_is_recorded_15_minutes_late() {
    let handle = meetflow_shared::ops::metrics_handle();
    let env = env().await;
    let worker = env.start();
    let (uri, key) = new_invitee();
    let start = in_two_days();
    env.deliver(Provider::Calendly, &created(&uri, start)).await;
    env.settle().await;

    let job = jordans_24h_reminder(
        &key,
        &uri,
        start,
        chrono::Utc::now() - chrono::Duration::minutes(15),
    );
    env.client
        .enqueue(SMS, NewJob::json(&job).unwrap().with_id(&job.reminder_id))
        .await
        .unwrap();
    env.settle().await;
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 2, "sent");
    worker.stop().await;

    handle.run_upkeep();
    let text = handle.render();
    assert_eq!(bucket(&text, "600"), 0.0, "{text}");
    assert_eq!(bucket(&text, "1800"), 1.0, "{text}");
    assert_eq!(bucket(&text, "86400"), 1.0, "{text}");
}
