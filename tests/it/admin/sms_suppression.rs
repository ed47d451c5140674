//! `meetflow-admin sms suppress|unsuppress|suppressed` as the built binary, and
//! `GET/POST/DELETE /api/sms/suppressed` on a served admin: phones normalised to E.164, e-mails
//! lower-cased, junk refused (exit 2 / 400), the scope recorded, and what one side writes the
//! other reads.

use serde_json::{Value, json};

use crate::support::admin::{Admin, api_get, api_post, http, ok};

const TOKEN: &str = "suppression-test-token-7c2d";

#[tokio::test]
async fn cli_round_trip_normalises_and_refuses_junk() {
    let a = Admin::start().await;
    let out = ok(&a.cli(&["sms", "suppress", "+1 (415) 555-0132"]).await);
    assert!(out.contains("+14155550132"), "{out}");
    ok(&a
        .cli(&[
            "sms",
            "suppress",
            "Jordan.Rivera@Example.com",
            "--marketing-only",
        ])
        .await);

    let v: Value =
        serde_json::from_str(&ok(&a.cli(&["sms", "suppressed", "--json"]).await)).unwrap();
    assert_eq!(v[0]["kind"], "phone");
    assert_eq!(v[0]["value"], "+14155550132");
    assert_eq!(v[0]["scope"], "all");
    assert_eq!(v[1]["kind"], "email");
    assert_eq!(v[1]["value"], "jordan.rivera@example.com");
    assert_eq!(v[1]["scope"], "marketing");
    let table = ok(&a.cli(&["sms", "suppressed"]).await);
    assert!(
        table.contains("+14155550132") && table.contains("marketing"),
        "{table}"
    );

    for junk in ["555-0132", "not a number", "jordan@"] {
        let out = a.cli(&["sms", "suppress", junk]).await;
        assert_eq!(out.status.code(), Some(2), "{junk}: bad usage");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(junk), "{junk}: {err}");
    }

    let out = ok(&a.cli(&["sms", "unsuppress", "+14155550132"]).await);
    assert!(out.contains("unsuppressed"), "{out}");
    let out = ok(&a.cli(&["sms", "unsuppress", "+14155550132"]).await);
    assert!(out.contains("was not suppressed"), "{out}");
    let v: Value =
        serde_json::from_str(&ok(&a.cli(&["sms", "suppressed", "--json"]).await)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
}

#[tokio::test]
async fn api_round_trip_needs_the_token_and_agrees_with_the_cli() {
    let a = Admin::start().await;
    let s = a.serve(Some(TOKEN)).await;
    let path = "/api/sms/suppressed";

    let denied = api_post(&s, path, json!({"target": "+14155550132"}), None).await;
    assert_eq!(denied.status(), 401);

    let r = api_post(
        &s,
        path,
        json!({"target": "+44 20 7183 8750", "marketing_only": true}),
        Some(TOKEN),
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["value"], "+442071838750");
    assert_eq!(v["scope"], "marketing");
    assert_eq!(v["added"], true);

    let bad = api_post(&s, path, json!({"target": "0207 183 8750"}), Some(TOKEN)).await;
    assert_eq!(bad.status(), 400);
    let v: Value = bad.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().contains("E.164"), "{v}");

    ok(&a.cli(&["sms", "suppress", "ANA@example.com"]).await);
    let v: Value = api_get(&s, path, Some(TOKEN)).await.json().await.unwrap();
    let values: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["+442071838750", "ana@example.com"], "{v}");

    let r = http()
        .delete(format!("{}{path}", s.base))
        .bearer_auth(TOKEN)
        .json(&json!({"target": "+442071838750"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["removed"], true);
    let out = ok(&a.cli(&["sms", "suppressed", "--json"]).await);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["value"], "ana@example.com");
}
