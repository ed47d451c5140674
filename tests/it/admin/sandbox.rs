//! `meetflow-admin sandbox` (the built binary) answers meetflow's own Brevo and EngageLab clients
//! the way the real APIs answer a success, and records every call as one JSON line in the record
//! file and on stdout.

use std::process::Stdio;
use std::time::Duration;

use meetflow_shared::config::Settings;
use meetflow_shared::providers::brevo::{BrevoClient, BrevoEvent, ContactUpsert, UpsertOutcome};
use meetflow_shared::providers::engagelab::{EngageLabClient, SendOutcome, SmsRequest};
use serde_json::{Map, Value, json};

use crate::support::admin::{Admin, free_port, terminate, wait_port};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[tokio::test]
async fn the_sandbox_answers_our_clients_and_records_each_call() {
    let a = Admin::start().await;
    let dir = std::env::temp_dir().join(format!("meetflow-sandbox-{}", uuid::Uuid::new_v4()));
    let record = dir.join("nested/sandbox.jsonl");
    let port = free_port();
    let mut cmd = a.sandbox_command(port, &record);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    wait_port(port, &mut child).await;

    // Credentials come from the config, as in a real run: any value is accepted.
    let yaml = "brevo: { api_key: xkeysib-anything }\nengagelab: { dev_key: k, dev_secret: s }\n";
    let settings = Settings::from_yaml_str(yaml, &|_| None).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let brevo = BrevoClient::new(
        format!("{base}/v3").parse().unwrap(),
        settings.brevo.api_key.clone().unwrap(),
        Duration::from_secs(5),
    )
    .unwrap();
    let contact = ContactUpsert {
        email: "jordan.rivera@example.com".into(),
        ext_id: Some("calendly:9cbca8f8".into()),
        attributes: obj(json!({"FIRSTNAME": "Jordan", "SMS": "+14155550132"})),
        list_ids: vec![10],
    };
    let created = brevo.upsert_contact(&contact).await.unwrap();
    assert!(
        matches!(created, UpsertOutcome::Created { id: Some(_) }),
        "{created:?}"
    );
    assert_eq!(
        brevo.upsert_contact(&contact).await.unwrap(),
        UpsertOutcome::Updated
    );
    let attrs = obj(json!({"BOOKING_STATUS": "canceled"}));
    brevo
        .update_contact_attributes("jordan.rivera@example.com", &attrs)
        .await
        .unwrap();
    let event = BrevoEvent {
        event_name: "booking_created".into(),
        email: "jordan.rivera@example.com".into(),
        properties: obj(json!({"meeting": "Product Demo"})),
        contact_properties: Map::new(),
        date: None,
    };
    brevo.track_event(&event).await.unwrap();
    let added = brevo
        .add_to_list(15, &["jordan.rivera@example.com".to_owned()])
        .await
        .unwrap();
    assert_eq!(added.added, ["jordan.rivera@example.com"]);

    let http = meetflow_tests::http::http_client();
    let found: Value = http
        .get(format!("{base}/v3/contacts/jordan.rivera%40example.com"))
        .header("api-key", "whatever")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["attributes"]["BOOKING_STATUS"], "canceled");
    assert_eq!(found["attributes"]["FIRSTNAME"], "Jordan");
    let missing = http
        .get(format!("{base}/v3/contacts/nobody%40example.com"))
        .header("api-key", "whatever")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let sms = EngageLabClient::new(
        format!("{base}/v1").parse().unwrap(),
        settings.engagelab.dev_key.clone().unwrap(),
        settings.engagelab.dev_secret.clone().unwrap(),
        Duration::from_secs(5),
    )
    .unwrap();
    let request = SmsRequest {
        to: "+14155550132".into(),
        template_id: "1043277805628207104".into(),
        params: obj(json!({"name": "Jordan"})),
        custom_args: obj(json!({"kind": "reminder_24h"})),
        plan_name: Some("calendly-demo-reminder".into()),
    };
    let SendOutcome::Accepted(accepted) = sms.send(&request).await.unwrap() else {
        panic!("the sandbox accepts every well-formed send");
    };
    let plan = accepted.plan_id.unwrap();
    assert!(
        plan.len() >= 19 && plan.bytes().all(|b| b.is_ascii_digit()),
        "{plan}"
    );
    assert!(
        accepted
            .message_id
            .unwrap()
            .bytes()
            .all(|b| b.is_ascii_digit())
    );

    let lines: Vec<Value> = std::fs::read_to_string(&record)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(String, String, String, u64)> = lines
        .iter()
        .map(|l| {
            let s = |k: &str| l[k].as_str().unwrap().to_owned();
            (
                s("provider"),
                s("method"),
                s("path"),
                l["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [
        ("brevo", "POST", "/v3/contacts", 201),
        ("brevo", "POST", "/v3/contacts", 204),
        (
            "brevo",
            "PUT",
            "/v3/contacts/jordan.rivera%40example.com?identifierType=email_id",
            204,
        ),
        ("brevo", "POST", "/v3/events", 204),
        ("brevo", "POST", "/v3/contacts/lists/15/contacts/add", 201),
        (
            "brevo",
            "GET",
            "/v3/contacts/jordan.rivera%40example.com",
            200,
        ),
        ("brevo", "GET", "/v3/contacts/nobody%40example.com", 404),
        ("engagelab", "POST", "/v1/messages", 200),
    ];
    let want: Vec<(String, String, String, u64)> = want
        .iter()
        .map(|(p, m, path, s)| (p.to_string(), m.to_string(), path.to_string(), *s))
        .collect();
    assert_eq!(summary, want);
    assert!(
        lines
            .iter()
            .all(|l| chrono::DateTime::parse_from_rfc3339(l["time"].as_str().unwrap()).is_ok())
    );
    assert_eq!(
        lines[0]["body"]["attributes"]["SMS"], "+14155550132",
        "exactly what would have been sent"
    );
    assert_eq!(lines[7]["body"]["to"], json!(["+14155550132"]));
    assert_eq!(lines[7]["body"]["template"]["id"], "1043277805628207104");
    assert!(
        !std::fs::read_to_string(&record)
            .unwrap()
            .contains("xkeysib"),
        "credentials are not recorded"
    );

    terminate(&mut child);
    assert_eq!(
        child.try_wait().unwrap().and_then(|s| s.code()),
        Some(0),
        "SIGTERM stops it cleanly"
    );
    let mut stdout = String::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert_eq!(
        stdout,
        std::fs::read_to_string(&record).unwrap(),
        "stdout shows the same lines"
    );
    let _ = std::fs::remove_dir_all(dir);
}
