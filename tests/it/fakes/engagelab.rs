//! The fake EngageLab answers as EngageLab does: HTTP status + `{code, message}` bodies.

use std::time::{Duration, Instant};

use meetflow_tests::fakes::FakeEngageLab;
use meetflow_tests::fixtures;
use serde_json::{Value, json};

async fn send(e: &FakeEngageLab, body: &Value) -> (u16, Value) {
    let r = meetflow_tests::http_client()
        .post(format!("{}/messages", e.base_url()))
        .basic_auth(e.dev_key(), Some(e.dev_secret()))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

fn request() -> Value {
    serde_json::from_str(fixtures::ENGAGELAB_SEND_REQUEST).unwrap()
}

#[tokio::test]
async fn fakes_engagelab_success_records_message() {
    let e = FakeEngageLab::start().await.unwrap();
    let (status, v) = send(&e, &request()).await;
    assert_eq!(status, 200);
    assert_eq!(v["total_count"], 1);
    assert_eq!(v["accepted_count"], 1);
    let plan: u64 = v["plan_id"].as_str().unwrap().parse().unwrap();
    let msg: u64 = v["message_id"].as_str().unwrap().parse().unwrap();
    assert!(
        plan > 1 << 53 && msg > 1 << 53,
        "ids are big numeric strings"
    );
    assert_eq!(e.sent_count(), 1);
    let s = &e.sent()[0];
    assert_eq!(s.to, "+14155550132");
    assert_eq!(s.template_id, "1043277805628207104");
    assert_eq!(s.params["name"], "Jordan");
    assert_eq!(s.custom_args.as_ref().unwrap()["kind"], "reminder_24h");
    assert_eq!(s.message_id.as_deref(), v["message_id"].as_str());
    assert_eq!(e.sent_to("+14155550132").len(), 1);
}

#[tokio::test]
async fn fakes_engagelab_scheduled_send_has_i64_task_id() {
    let e = FakeEngageLab::start().await.unwrap();
    let mut req = request();
    req["schedule_time"] = json!(chrono::Utc::now().timestamp() + 3600);
    let (status, v) = send(&e, &req).await;
    assert_eq!(status, 200);
    assert!(v["schedule_info"]["task_id"].as_i64().unwrap() > 1 << 53);
    assert!(v.get("message_id").is_none());
    for bad in [
        chrono::Utc::now().timestamp() + 60,
        chrono::Utc::now().timestamp() + 31 * 86_400,
    ] {
        req["schedule_time"] = json!(bad);
        let (status, v) = send(&e, &req).await;
        assert_eq!((status, v["code"].as_i64()), (400, Some(3002)));
    }
}

#[tokio::test]
async fn fakes_engagelab_auth_codes() {
    let e = FakeEngageLab::start().await.unwrap();
    let r = meetflow_tests::http_client()
        .post(format!("{}/messages", e.base_url()))
        .basic_auth(e.dev_key(), Some("wrong"))
        .json(&request())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"code": 2001, "message": "authentication failed"})
    );
    e.disable_key();
    let (status, v) = send(&e, &request()).await;
    assert_eq!((status, v["code"].as_i64()), (401, Some(2002)));
    assert_eq!(e.sent_count(), 0);
}

#[tokio::test]
async fn fakes_engagelab_bad_requests() {
    let e = FakeEngageLab::start().await.unwrap();
    let r = meetflow_tests::http_client()
        .post(format!("{}/messages", e.base_url()))
        .basic_auth(e.dev_key(), Some(e.dev_secret()))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 3001);
    for to in [
        json!([]),
        json!(["+1 415-555-0132"]),
        json!(["0415555013"]),
        json!("+14155550132"),
    ] {
        let mut req = request();
        req["to"] = to.clone();
        let (status, v) = send(&e, &req).await;
        assert_eq!((status, v["code"].as_i64()), (400, Some(3002)), "{to}");
        assert!(v["plan_id"].is_string());
    }
    let mut req = request();
    req["template"].as_object_mut().unwrap().remove("id");
    let (status, v) = send(&e, &req).await;
    assert_eq!((status, v["code"].as_i64()), (400, Some(3002)));
    assert_eq!(e.sent_count(), 0);
}

#[tokio::test]
async fn fakes_engagelab_template_codes() {
    let e = FakeEngageLab::start().await.unwrap();
    e.add_unapproved_template("1043277805628207104");
    let (status, v) = send(&e, &request()).await;
    assert_eq!((status, v["code"].as_i64()), (400, Some(3003)));
    e.add_template("1043277805628207104");
    e.require_known_templates();
    assert_eq!(send(&e, &request()).await.0, 200);
    let mut req = request();
    req["template"]["id"] = json!("999");
    let (status, v) = send(&e, &req).await;
    assert_eq!(status, 400);
    assert_eq!(v["code"], 4001);
    assert_eq!(v["message"], "template not found");
}

#[tokio::test]
async fn fakes_engagelab_frequency_and_undeliverable() {
    let e = FakeEngageLab::start().await.unwrap();
    e.set_frequency_window(Duration::from_millis(300));
    assert_eq!(send(&e, &request()).await.0, 200);
    let (status, v) = send(&e, &request()).await;
    assert_eq!((status, v["code"].as_i64()), (400, Some(3004)));
    tokio::time::sleep(Duration::from_millis(320)).await;
    assert_eq!(send(&e, &request()).await.0, 200);
    e.set_undeliverable("+14155550132");
    let (status, v) = send(&e, &request()).await;
    assert_eq!((status, v["code"].as_i64()), (400, Some(5001)));
    assert_eq!(e.sent_count(), 2);
}

#[tokio::test]
async fn fakes_engagelab_faults_and_http_200_errors() {
    let e = FakeEngageLab::start().await.unwrap();
    e.fail_next_internal(1);
    let (status, v) = send(&e, &request()).await;
    assert_eq!(
        (status, v),
        (500, json!({"code": 1000, "message": "internal error"}))
    );
    e.errors_as_http_200(true);
    e.set_undeliverable("+14155550132");
    let (status, v) = send(&e, &request()).await;
    assert_eq!((status, v["code"].as_i64()), (200, Some(5001)));
    assert_eq!(e.sent_count(), 0);
    assert_eq!(e.requests().len(), 2);
}

#[tokio::test]
async fn fakes_engagelab_timeout_after_send_is_ambiguous() {
    let e = FakeEngageLab::start().await.unwrap();
    e.set_timeout_after_send(Some(Duration::from_millis(500)));
    let client = meetflow_tests::http::http_client_with_timeout(Duration::from_millis(100));
    let err = client
        .post(format!("{}/messages", e.base_url()))
        .basic_auth(e.dev_key(), Some(e.dev_secret()))
        .json(&request())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(
        e.sent_count(),
        1,
        "the SMS went out although the client timed out"
    );

    e.set_timeout_after_send(None);
    e.set_latency(Duration::from_millis(500));
    let t0 = Instant::now();
    let err = client
        .post(format!("{}/messages", e.base_url()))
        .basic_auth(e.dev_key(), Some(e.dev_secret()))
        .json(&request())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout() && t0.elapsed() < Duration::from_millis(400));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        e.sent_count(),
        1,
        "latency applies before processing; an abandoned request sends nothing"
    );
}
