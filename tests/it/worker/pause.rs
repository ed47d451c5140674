//! Worker: the kill switch with the real worker and fake providers. A booking made while the sms
//! queue is paused is synced to Brevo but its confirmation SMS is not sent; resume sends it
//! within a second.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use meetflow_shared::events::Provider;
use meetflow_shared::jobs::SMS;
use meetflow_shared::queue::PauseScope;

use crate::support::worker::{created, env, eventually, in_two_days, new_invitee};

#[tokio::test]
async fn pause_stops_sms_and_resume_sends_what_waited_within_a_second() {
    let env = env().await;
    let sms = PauseScope::Queue(SMS.to_owned());
    assert!(env.client.pause(&sms).await.unwrap());
    let worker = env.start();
    let (uri, _) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    let mut conn = env.client.redis();
    let ready_key = env.client.keys().ready(SMS);
    let waiting = AtomicUsize::new(0);
    assert!(
        eventually(Duration::from_secs(10), || async {
            let n: usize = redis::cmd("LLEN")
                .arg(&ready_key)
                .query_async(&mut conn.clone())
                .await
                .unwrap();
            waiting.store(n, Ordering::SeqCst);
            n > 0
        })
        .await,
        "the confirmation SMS is enqueued while paused"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(env.engagelab.sent_count(), 0, "paused: no SMS goes out");
    let n: usize = redis::cmd("LLEN")
        .arg(&ready_key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        n >= waiting.load(Ordering::SeqCst),
        "the SMS waits in ready"
    );

    let resumed = Instant::now();
    assert!(env.client.resume(&sms).await.unwrap());
    assert!(
        eventually(Duration::from_secs(1), || async {
            env.engagelab.sent_count() >= 1
        })
        .await,
        "resume sends what waited within a second"
    );
    eprintln!("resume to first SMS sent: {:?}", resumed.elapsed());
    env.settle().await;
    worker.stop().await;
}
