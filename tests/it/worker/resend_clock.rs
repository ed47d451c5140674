//! An operator's `dlq retry ID --resend` is honoured by workers whose host clock runs ahead.
//! The grant (`resend_ms`) is stamped by Redis `TIME`; the worker takes over the earlier
//! attempt's claim only when the grant is later than that claim. Before, the claim carried the
//! claiming worker's host time: after a worker 30 s ahead died mid-send, every resend within
//! those 30 s was refused and the SMS went back to the dead letters "possibly sent" (the chaos
//! run v2 saw one SMS resent nine times).

use std::time::Duration;

use meetflow_shared::events::Provider;
use meetflow_shared::jobs::SMS;

use super::process::{config_file, spawn};
use crate::support::worker::{JORDAN_PHONE, created, env, eventually, in_two_days, new_invitee};

#[tokio::test]
async fn a_resend_is_honoured_after_a_worker_30s_ahead_died_mid_send() {
    let env = env().await;
    let ahead = meetflow_tests::binaries::clock_ahead_env(30);
    let mut envs: Vec<(&str, &str)> = ahead
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    envs.push(("MEETFLOW__QUEUES__SMS__LEASE", "2s"));
    // EngageLab holds the request: the worker is killed while it waits, nothing was sent.
    env.engagelab.set_latency(Duration::from_secs(30));
    let (dir, config) = config_file(&env.yaml);
    let mut first = spawn(&config, &["--queues", "events,sms"], &envs);
    let (uri, _) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    let calling = eventually(Duration::from_secs(30), || async {
        !env.engagelab.requests().is_empty()
    })
    .await;
    assert!(calling, "the first worker called EngageLab");
    first.kill().unwrap();
    first.wait().unwrap();
    env.engagelab.set_latency(Duration::ZERO);

    // The next attempt finds the claim and refuses to guess: "possibly sent".
    let mut second = spawn(&config, &["--queues", "sms"], &envs);
    let dead = eventually(Duration::from_secs(30), || async {
        !env.dead(SMS).await.is_empty()
    })
    .await;
    assert!(dead, "the job ran again after its lease expired");
    let id = env.dead(SMS).await[0].id.clone();
    assert_eq!(
        env.client
            .dead_letters()
            .possibly_sent(std::slice::from_ref(&id))
            .await
            .unwrap(),
        vec![true]
    );
    assert_eq!(env.engagelab.sent_count(), 0, "EngageLab has nothing");

    // The operator checked EngageLab and resends: it goes out, once.
    assert!(env.client.dead_letters().resend(&id).await.unwrap());
    let sent = eventually(Duration::from_secs(10), || async {
        env.engagelab.sent_count() == 1
    })
    .await;
    let letters = env.dead(SMS).await;
    assert!(
        sent,
        "the resend was refused: {:?}",
        letters
            .first()
            .and_then(|j| j.errors.last().map(|e| e.message.clone()))
    );
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1);
    assert!(letters.is_empty(), "nothing left in the dead letters");
    second.kill().unwrap();
    second.wait().unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
