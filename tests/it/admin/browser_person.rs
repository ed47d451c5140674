//! The person page of `meetflow-admin serve` in real headless Chromium (tests/browser/person.mjs
//! through tests/browser/run.sh): an operator finds Jordan by a national-format number, sees the
//! 24 h reminder delivered with personal data masked, replays the person's dead letter from the
//! page, and reveals (recorded in the audit trail). Screenshots land in
//! target/screenshots/admin-person-*.png.

use meetflow_shared::jobs::SMS;
use meetflow_shared::queue::{ErrorClass, JobState, NewJob};
use serde_json::json;

use super::person::{NATIONAL, scene, serve};
use super::roles_and_audit::{ONCALL, config_file};
use crate::support::admin::{assert_screenshots, run_browser};
use crate::support::worker::JORDAN_EMAIL;

#[tokio::test]
async fn an_operator_finds_a_person_by_phone_sees_the_reminder_delivered_and_replays_their_dead_letter()
 {
    let (env, _uri, key) = scene().await;
    let dead = format!("sms:cancellation:{key}");
    let job = NewJob::json(&json!({"v": 1, "booking": key.as_str(), "kind": "cancellation"}))
        .unwrap()
        .with_id(&dead);
    env.client
        .bury(
            SMS,
            job,
            ErrorClass::ProviderRejected,
            "engagelab: HTTP 400 code 4001",
        )
        .await
        .unwrap();
    let config = config_file("");
    let served = serve(&env, &config).await;
    let screenshots = run_browser(
        "person.mjs",
        &[
            ("ADMIN_URL", &served.base),
            ("ADMIN_TOKEN", ONCALL),
            ("PERSON_PHONE", NATIONAL),
            ("BOOKING", key.as_str()),
            ("DEAD_ID", &dead),
            ("EMAIL", JORDAN_EMAIL),
        ],
    )
    .await;

    assert_eq!(
        env.client.job(&dead).await.unwrap().unwrap().state,
        JobState::Ready,
        "the page's Replay put the dead letter back on its queue"
    );
    let mut conn = env.client.redis();
    let audit: Vec<String> = redis::cmd("LRANGE")
        .arg(env.client.keys().admin_audit())
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap();
    let reveal = audit
        .iter()
        .find(|e| e.contains("\"action\":\"reveal\""))
        .expect("the reveal is in the audit trail");
    assert!(
        reveal.contains("\"who\":\"on-call\"") && reveal.contains("person: "),
        "{reveal}"
    );
    assert!(!reveal.contains(JORDAN_EMAIL), "{reveal}");
    assert_screenshots(&screenshots, "admin-person", &["found", "revealed"]);
}
