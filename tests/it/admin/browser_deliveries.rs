//! The deliveries page of `meetflow-admin serve` in real headless Chromium
//! (tests/browser/deliveries.mjs through tests/browser/run.sh): the log newest first and paged by
//! cursor, searched by person (a phone typed in another format) and by provider, one delivery's
//! body masked then revealed, a replay of one delivery and of everything a time window
//! matches, after confirming. Screenshots land in target/screenshots/admin-deliveries-*.png.

use meetflow_shared::events::Provider;
use meetflow_shared::jobs::EVENTS;
use serde_json::{Value, json};

use super::deliveries::log_delivery;
use crate::support::admin::{Admin, api_get, assert_screenshots, run_browser};

const TOKEN: &str = "browser-deliveries-token-3";

async fn ready(a: &Admin) -> u64 {
    let mut conn = a.client.redis();
    redis::cmd("LLEN")
        .arg(a.client.keys().ready(EVENTS))
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_operator_searches_reveals_and_replays_deliveries_from_the_page() {
    let a = Admin::start().await;
    let zoom = log_delivery(
        &a,
        Provider::Zoom,
        "meeting.ended",
        &json!({"event": "meeting.ended", "payload": {"object": {"id": "85746065432",
            "participant": {"email": "alice@example.com"}}}}),
    )
    .await;
    let since = chrono::Utc::now().timestamp_millis().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut calendly = Vec::new();
    for i in 0..26 {
        let body = json!({"event": "invitee.created", "payload": {
            "uri": format!("https://api.calendly.com/scheduled_events/e/invitees/{i}"),
            "email": "jordan.rivera@example.com", "text_reminder_number": "+1 415-555-0132"}});
        calendly.push(log_delivery(&a, Provider::Calendly, "invitee.created", &body).await);
    }
    let before = ready(&a).await;
    let served = a.serve(Some(TOKEN)).await;
    let shots = run_browser(
        "deliveries.mjs",
        &[
            ("ADMIN_URL", &served.base),
            ("ADMIN_TOKEN", TOKEN),
            ("ZOOM_ID", &zoom),
            ("NEWEST_ID", calendly.last().unwrap()),
            ("SINCE", &since),
        ],
    )
    .await;
    assert_screenshots(
        &shots,
        "admin-deliveries",
        &["list", "revealed", "replayed"],
    );

    // One replay, then the 26 Calendly deliveries of the window.
    assert_eq!(ready(&a).await, before + 1 + 26);
    let r = api_get(&served, "/api/audit?limit=20", Some(TOKEN)).await;
    let audit: Value = r.json().await.unwrap();
    let entries = audit["entries"].as_array().unwrap();
    let counts: Vec<(String, Option<u64>)> = entries
        .iter()
        .filter(|e| e["via"] == "page" && e["action"] != "GET /favicon.ico")
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["count"].as_u64(),
            )
        })
        .collect();
    assert!(counts.contains(&("reveal".into(), Some(1))), "{counts:?}");
    assert!(
        counts.contains(&("replay_delivery".into(), Some(1))),
        "{counts:?}"
    );
    assert!(
        counts.contains(&("replay_delivery".into(), Some(26))),
        "{counts:?}"
    );
}
