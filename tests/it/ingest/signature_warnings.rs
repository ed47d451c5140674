//! Ingest: a rejected signature is logged at warn, at most once per provider and window, with
//! the count left out since the last warning (a flood of forged requests is one line, not
//! thousands); every rejection is still answered 401.

use std::time::Duration;

use meetflow_tests::fixtures::{CALENDLY_INVITEE_CREATED, ZOOM_MEETING_ENDED};
use meetflow_tests::log_capture::LogCapture;
use meetflow_tests::redis::TestRedis;
use serde_json::Value;

use crate::support::ingest::{now, spawn_ingest_with};

const WINDOW: Duration = Duration::from_millis(1500);

fn warnings(logs: &LogCapture, provider: &str) -> Vec<Value> {
    logs.with_message("webhook signature rejected")
        .into_iter()
        .filter(|l| l["level"] == "WARN" && l["provider"] == provider)
        .collect()
}

#[tokio::test]
async fn bad_signatures_warn_once_per_provider_and_window_with_the_count_left_out() {
    let logs = LogCapture::install().expect("first subscriber (run without TEST_LOG)");
    let redis = TestRedis::start().await.unwrap();
    let app = spawn_ingest_with(redis, "", |c| c.limits.signature_warn_every = WINDOW).await;
    let forged = Some(format!("t={},v1={}", now(), "0".repeat(64)));
    let calendly = CALENDLY_INVITEE_CREATED.as_bytes();

    for _ in 0..5 {
        let answer = app.calendly(calendly, forged.clone()).await;
        assert_eq!(answer.status(), 401);
    }
    let answer = app
        .zoom(
            ZOOM_MEETING_ENDED.as_bytes(),
            Some("v0=00".into()),
            Some(now()),
        )
        .await;
    assert_eq!(answer.status(), 401);

    let first = warnings(&logs, "calendly");
    assert_eq!(
        first.len(),
        1,
        "one warning for five rejections: {first:#?}"
    );
    assert_eq!(first[0]["suppressed"], 0);
    assert!(first[0]["reason"].is_string());
    assert_eq!(warnings(&logs, "zoom").len(), 1, "zoom has its own window");
    let debug = logs
        .with_message("webhook signature rejected")
        .into_iter()
        .filter(|l| l["level"] == "DEBUG")
        .count();
    assert_eq!(debug, 4, "the rest are at debug");

    // After the window: one more warning, naming the four left out.
    tokio::time::sleep(WINDOW + Duration::from_millis(100)).await;
    let answer = app.calendly(calendly, forged).await;
    assert_eq!(answer.status(), 401);
    let after = warnings(&logs, "calendly");
    assert_eq!(after.len(), 2, "{after:#?}");
    assert_eq!(after[1]["suppressed"], 4);
    app.shutdown().await;
}
