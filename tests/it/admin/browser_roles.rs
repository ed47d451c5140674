//! Roles and the audit trail on the `meetflow-admin` page in real headless Chromium
//! (tests/browser/roles.mjs through tests/browser/run.sh, which installs Chromium and
//! playwright-core when missing, as for the other page test): a read token's page shows no
//! action button and no Reveal link, the Audit page lists who did what, and an operate token's
//! replay from the page appears there with its name. Screenshots land in
//! target/screenshots/roles-*.png.

use meetflow_shared::queue::{ErrorClass, JobState};
use reqwest::StatusCode;
use serde_json::json;

use super::roles_and_audit::{ONCALL, VIEWER, config_file};
use crate::support::admin::{Admin, api_post, assert_screenshots, run_browser};

const JOB: &str = "rem:5e0f2b1a-roles:24h";

#[tokio::test]
async fn a_read_token_sees_no_action_and_the_audit_page_shows_who_acted() {
    let a = Admin::start().await;
    for id in [JOB, "sms:api-replayed"] {
        a.bury(
            "sms",
            id,
            &json!({"v": 1, "to": "+14155550132"}),
            ErrorClass::ProviderRejected,
            "engagelab: HTTP 400 code 4001 template not found",
        )
        .await;
    }
    let config = config_file("");
    let served = a.serve_with(None, Some(&config.0)).await;
    let r = api_post(
        &served,
        "/api/dlq/retry",
        json!({"ids": ["sms:api-replayed"]}),
        Some(ONCALL),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);

    let screenshots = run_browser(
        "roles.mjs",
        &[
            ("ADMIN_URL", &served.base),
            ("READ_TOKEN", VIEWER),
            ("OPERATE_TOKEN", ONCALL),
            ("JOB_ID", JOB),
        ],
    )
    .await;
    assert_eq!(
        a.client.job(JOB).await.unwrap().unwrap().state,
        JobState::Ready,
        "the operate token's replay on the page put it back on its queue"
    );
    assert_screenshots(&screenshots, "roles", &["read", "audit-read", "audit"]);
}
