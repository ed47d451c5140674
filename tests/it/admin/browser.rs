//! The `meetflow-admin` web page in real headless Chromium (tests/browser/admin.mjs through
//! tests/browser/run.sh, which installs Chromium and playwright-core when missing): log in, see a
//! dead job, filter, open it with its attempt timeline, replay it, see it leave the list, bulk
//! delete another, pause the sms queue. Screenshots land in target/screenshots/admin-*.png.

use meetflow_shared::queue::{ErrorClass, JobState};
use serde_json::json;

use crate::support::admin::{Admin, assert_screenshots, run_browser};

const TOKEN: &str = "browser-test-token-42";

#[tokio::test]
async fn an_operator_replays_a_dead_job_from_the_page() {
    let a = Admin::start().await;
    let payload =
        json!({"v": 1, "to": "+14155550132", "email": "jordan.rivera@example.com", "kind": "24h"});
    a.kill_through_worker(
        "sms",
        vec![(
            "rem:9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e:24h".into(),
            payload,
        )],
    )
    .await;
    let body = json!({"v": 1, "provider": "calendly", "body": "{\"event\":\"invitee.created\"}"});
    a.bury(
        "events",
        "wh:calendly:4f1c0d",
        &body,
        ErrorClass::BadPayload,
        "payload.scheduled_event is missing",
    )
    .await;
    // An SMS that may have reached EngageLab: bulk actions leave it, "Send again" replays it.
    a.bury(
        "sms",
        "sms:confirmation:ps-1",
        &json!({"v": 1}),
        ErrorClass::Timeout,
        "possibly sent; check EngageLab before replaying (timeout)",
    )
    .await;
    let mut conn = a.client.redis();
    let _: () = redis::cmd("HSET")
        .arg(a.client.keys().job("sms:confirmation:ps-1"))
        .arg("possibly_sent")
        .arg(1)
        .query_async(&mut conn)
        .await
        .unwrap();
    let served = a.serve(Some(TOKEN)).await;

    let screenshots = run_browser(
        "admin.mjs",
        &[
            ("ADMIN_URL", &served.base),
            ("ADMIN_TOKEN", TOKEN),
            (
                "DEAD_JOB_ID",
                "rem:9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e:24h",
            ),
            ("OTHER_JOB_ID", "wh:calendly:4f1c0d"),
            ("PS_JOB_ID", "sms:confirmation:ps-1"),
        ],
    )
    .await;

    let job = a
        .client
        .job("rem:9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e:24h")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        job.state,
        JobState::Ready,
        "the page's replay put it back on its queue"
    );
    assert!(
        a.client.job("wh:calendly:4f1c0d").await.unwrap().is_none(),
        "bulk delete removed it"
    );
    assert_eq!(
        a.client
            .job("sms:confirmation:ps-1")
            .await
            .unwrap()
            .unwrap()
            .state,
        JobState::Ready,
        "Send again replayed the possibly sent SMS"
    );
    assert!(
        a.client.is_paused("sms").await.unwrap(),
        "the page's Pause button paused the sms queue"
    );
    assert!(!a.client.is_paused("brevo").await.unwrap());
    assert_screenshots(
        &screenshots,
        "admin",
        &["login", "overview", "job", "after-replay", "paused"],
    );
}
