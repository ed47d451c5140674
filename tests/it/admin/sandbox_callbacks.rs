//! `meetflow-admin sandbox --callback-url URL --callback-secret S --fail-share F`: after each SMS
//! it accepts, the sandbox posts EngageLab's delivery callbacks (`sent`, then `delivered` or, for
//! the failing share, `delivered_failed`), signed with `X-CALLBACK-ID`, to a real ingest, which
//! verifies and stores them; so a local run shows delivered and failed SMS end to end.

use std::process::Stdio;
use std::time::Duration;

use meetflow_shared::providers::engagelab::{EngageLabClient, SendOutcome, SmsRequest};
use meetflow_tests::wait::eventually;
use serde_json::{Map, Value, json};

use crate::support::admin::{Admin, free_port, terminate, wait_port};
use crate::support::ingest::{ENGAGELAB_CALLBACK_SECRET, spawn_ingest};

#[tokio::test]
async fn the_sandbox_posts_signed_callbacks_that_ingest_stores() {
    let ingest = spawn_ingest().await;
    let a = Admin::start().await;
    let dir = std::env::temp_dir().join(format!("meetflow-sandbox-{}", uuid::Uuid::new_v4()));
    let port = free_port();
    let mut cmd = a.sandbox_command(port, &dir.join("sandbox.jsonl"));
    cmd.args([
        "--callback-url",
        &ingest.url("/webhooks/engagelab"),
        "--callback-secret",
        ENGAGELAB_CALLBACK_SECRET,
        "--fail-share",
        "1",
        "--callback-delay-ms",
        "10",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    wait_port(port, &mut child).await;

    let sms = EngageLabClient::new(
        format!("http://127.0.0.1:{port}/v1").parse().unwrap(),
        "k".to_owned().into(),
        "s".to_owned().into(),
        Duration::from_secs(5),
    )
    .unwrap();
    let mut custom_args = Map::new();
    custom_args.insert("booking".into(), json!("9cbca8f8"));
    custom_args.insert("kind".into(), json!("rem-24h"));
    let request = SmsRequest {
        to: "+14155550132".into(),
        template_id: "tpl_reminder".into(),
        params: Map::new(),
        custom_args,
        plan_name: None,
    };
    let SendOutcome::Accepted(accepted) = sms.send(&request).await.unwrap() else {
        panic!("the sandbox accepts a well-formed send");
    };
    let stored = eventually(Duration::from_secs(10), || async {
        ingest.ready_ids().await.len() == 2
    })
    .await;
    assert!(
        stored,
        "two callbacks stored: {:?}",
        ingest.ready_ids().await
    );
    let mut statuses = Vec::new();
    for id in ingest.ready_ids().await {
        let job = ingest.webhook_job(&id).await;
        let body: Value = serde_json::from_slice(&job.raw_body().unwrap()).unwrap();
        let row = &body["rows"][0];
        assert_eq!(row["message_id"].as_str(), accepted.message_id.as_deref());
        assert_eq!(row["custom_args"]["kind"], "rem-24h");
        statuses.push(
            row["status"]["message_status"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
    }
    assert_eq!(statuses, ["sent", "delivered_failed"]);
    terminate(&mut child);
}
