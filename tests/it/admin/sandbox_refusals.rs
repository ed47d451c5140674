//! `meetflow-admin sandbox` refuses what Brevo and EngageLab refuse, with their error shapes, and
//! writes every call with its headers (credentials redacted) to `MEETFLOW_REQUEST_LOG`.

use std::process::Stdio;

use serde_json::{Value, json};

use crate::support::admin::{Admin, free_port, terminate, wait_port};

#[tokio::test]
async fn the_sandbox_refuses_what_the_providers_refuse_and_logs_for_the_checker() {
    let a = Admin::start().await;
    let dir = std::env::temp_dir().join(format!("meetflow-sandbox-{}", uuid::Uuid::new_v4()));
    let log = dir.join("requests.jsonl");
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let mut cmd = a.sandbox_command(port, &dir.join("record.jsonl"));
    cmd.env("MEETFLOW_REQUEST_LOG", &log)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    wait_port(port, &mut child).await;
    let base = format!("http://127.0.0.1:{port}");
    let http = meetflow_tests::http::http_client();

    let brevo = |method: reqwest::Method, path: &str, body: Value, key: bool| {
        let mut r = http.request(method, format!("{base}/v3{path}")).json(&body);
        if key {
            r = r.header("api-key", "xkeysib-secret-value");
        }
        r.send()
    };
    let status_code = |r: reqwest::Response| async move {
        let s = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        (s, v["code"].clone())
    };
    let ids = json!({"email_id": "ada@example.com"});
    let cases = [
        (
            reqwest::Method::POST,
            "/contacts",
            json!({"email": "ada@example.com"}),
            false,
            401,
            json!("unauthorized"),
        ),
        (
            reqwest::Method::PUT,
            "/contacts/nobody%40example.com",
            json!({"attributes": {"A": "b"}}),
            true,
            404,
            json!("document_not_found"),
        ),
        (
            reqwest::Method::POST,
            "/events",
            json!({"event_name": "booking created", "identifiers": ids}),
            true,
            400,
            json!("invalid_parameter"),
        ),
        (
            reqwest::Method::POST,
            "/events",
            json!({"event_name": "x", "identifiers": ids, "event_properties": {"attended": false}}),
            true,
            400,
            json!("invalid_parameter"),
        ),
        (
            reqwest::Method::POST,
            "/events",
            json!({"event_name": "x"}),
            true,
            400,
            json!("missing_parameter"),
        ),
    ];
    for (method, path, body, key, want_status, want_code) in cases {
        let got = status_code(
            brevo(method.clone(), path, body.clone(), key)
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(got, (want_status, want_code), "{method} {path} {body}");
    }

    let sms = |body: Value, auth: bool| {
        let mut r = http.post(format!("{base}/v1/messages")).json(&body);
        if auth {
            r = r.basic_auth("dev-key", Some("dev-secret"));
        }
        r.send()
    };
    let full = json!({"to": ["+14155550132"], "template": {"id": "1", "params": {}}});
    let no_params = json!({"to": ["+14155550132"], "template": {"id": "1"}});
    assert_eq!(
        status_code(sms(full.clone(), false).await.unwrap()).await,
        (401, json!(2001))
    );
    assert_eq!(
        status_code(sms(no_params, true).await.unwrap()).await,
        (400, json!(3002))
    );
    assert_eq!(sms(full, true).await.unwrap().status(), 200);

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8, "{text}");
    assert_eq!(lines[1]["provider"], "brevo");
    assert_eq!(lines[1]["method"], "PUT");
    assert_eq!(lines[1]["path"], "/v3/contacts/nobody%40example.com");
    assert_eq!(lines[1]["headers"]["api-key"], "***");
    assert_eq!(lines[7]["provider"], "engagelab");
    assert!(
        lines[7]["headers"]["authorization"]
            .as_str()
            .unwrap()
            .starts_with("Basic ")
    );
    assert!(!text.contains("xkeysib-secret-value") && !text.contains("ZGV2LWtleTpkZXYtc2VjcmV0"));

    terminate(&mut child);
    let _ = std::fs::remove_dir_all(&dir);
}
