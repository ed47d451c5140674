//! Logs of one delivery: ingest writes one `webhook accepted` line, each job attempt one `job
//! finished` line, and every line written while a job runs names the job and the delivery it
//! descends from (span fields), so one delivery can be followed across queues and processes.
//! The info lines hold no personal data.

use meetflow_tests::log_capture::LogCapture;
use serde_json::Value;

use crate::support::worker::{
    JORDAN_EMAIL, JORDAN_PHONE, created, env_with_ingest, in_two_days, new_invitee, post_calendly,
};

const CALENDLY_KEY: &str = "job-logs-calendly-key";

#[tokio::test]
async fn every_job_line_names_its_job_and_delivery_and_info_lines_hold_no_personal_data() {
    let logs = LogCapture::install().expect("first subscriber (run without TEST_LOG)");
    let (env, base, stop_ingest) = env_with_ingest(CALENDLY_KEY, "unused", "").await;
    let worker = env.start();
    let (uri, _key) = new_invitee();
    assert_eq!(
        post_calendly(&base, CALENDLY_KEY, created(&uri, in_two_days())).await,
        200
    );
    env.settle().await;
    worker.stop().await;
    stop_ingest.cancel();
    let lines = logs.lines();

    let accepted = logs.with_message("webhook accepted");
    assert_eq!(accepted.len(), 1, "{accepted:#?}");
    let accepted = &accepted[0];
    assert_eq!(accepted["level"], "INFO");
    assert_eq!(accepted["provider"], "calendly");
    assert_eq!(accepted["event"], "invitee.created");
    assert_eq!(accepted["outcome"], "created");
    let delivery = accepted["delivery_id"]
        .as_str()
        .expect("delivery id")
        .to_owned();
    assert!(delivery.starts_with("wh:calendly:"), "{delivery}");

    // One line per finished attempt: the events job, its Brevo calls and its SMS.
    let finished = logs.with_message("job finished");
    let queues: Vec<&str> = finished
        .iter()
        .filter_map(|l| l["span"]["queue"].as_str())
        .collect();
    for queue in ["events", "brevo", "sms"] {
        assert!(
            queues.contains(&queue),
            "no {queue} job finished: {finished:#?}"
        );
    }
    assert!(
        finished
            .iter()
            .all(|l| l["level"] == "INFO" && l["outcome"] == "done")
    );
    let events: Vec<&Value> = finished
        .iter()
        .filter(|l| l["span"]["queue"] == "events")
        .collect();
    // (More than one attempt when a slow machine lets the lease expire: at least once.)
    assert!(!events.is_empty());
    for line in &events {
        assert_eq!(line["span"]["job_id"], delivery.as_str(), "{line}");
    }

    // Every line written inside a job names the job and this delivery.
    let in_jobs: Vec<&Value> = lines
        .iter()
        .filter(|l| l["span"]["name"] == "job")
        .collect();
    assert!(in_jobs.len() >= finished.len());
    for line in &in_jobs {
        assert_eq!(line["span"]["delivery_id"], delivery.as_str(), "{line}");
        assert!(line["span"]["job_id"].is_string(), "{line}");
    }

    // No personal data at info and above.
    for line in lines
        .iter()
        .filter(|l| l["level"] != "DEBUG" && l["level"] != "TRACE")
    {
        let text = line.to_string();
        for personal in [JORDAN_EMAIL, JORDAN_PHONE, "Jordan"] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
    }
}
