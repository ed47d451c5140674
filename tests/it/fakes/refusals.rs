//! The fakes refuse what the real APIs refuse, with the providers' documented error shapes, so a
//! test can no longer pass against a fake the real service would reject (issue 15, item 3).

use meetflow_tests::fakes::{FakeBrevo, FakeEngageLab};
use reqwest::Method;
use serde_json::{Value, json};

use crate::fakes::brevo::{body, call};

#[tokio::test]
async fn fakes_brevo_refuses_events_outside_its_schema() {
    let b = FakeBrevo::start().await.unwrap();
    let ids = json!({"email_id": "ada@example.com"});
    for (event, code) in [
        (
            json!({"event_name": "booking created", "identifiers": ids}),
            "invalid_parameter",
        ),
        (
            json!({"event_name": "x", "identifiers": ids, "event_properties": {"attended": false}}),
            "invalid_parameter",
        ),
        (
            json!({"event_name": "x", "identifiers": ids, "event_properties": {"share": 0.5}}),
            "invalid_parameter",
        ),
        (
            json!({"event_name": "x", "identifiers": ids, "contact_properties": {"A": {"b": 1}}}),
            "invalid_parameter",
        ),
        (
            json!({"event_name": "x", "identifiers": {}}),
            "missing_parameter",
        ),
        (json!({"identifiers": ids}), "missing_parameter"),
    ] {
        let r = call(&b, Method::POST, "/events", Some(event.clone())).await;
        assert_eq!(r.status(), 400, "{event}");
        let answer = body(r).await;
        assert_eq!(answer["code"], code, "{event}: {answer}");
        assert!(answer["message"].is_string(), "{answer}");
    }
    assert!(b.events().is_empty());
    let ok = json!({"event_name": "meeting_ended", "identifiers": ids,
        "event_properties": {"attended": "false", "minutes": 3, "nested": {"a": ["b", 1]}}});
    assert_eq!(
        call(&b, Method::POST, "/events", Some(ok)).await.status(),
        204
    );
}

#[tokio::test]
async fn fakes_brevo_update_of_an_unknown_contact_is_404() {
    let b = FakeBrevo::start().await.unwrap();
    let r = call(
        &b,
        Method::PUT,
        "/contacts/nobody%40example.com?identifierType=email_id",
        Some(json!({"attributes": {"FIRSTNAME": "X"}})),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(body(r).await["code"], "document_not_found");
    assert!(b.contacts().is_empty());
}

async fn engagelab_send(e: &FakeEngageLab, auth: bool, req: &Value) -> (u16, Value) {
    let mut r = meetflow_tests::fakes::probe_client()
        .post(format!("{}/messages", e.base_url()))
        .json(req);
    if auth {
        r = r.basic_auth(e.dev_key(), Some(e.dev_secret()));
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn fakes_engagelab_refuses_a_send_without_auth_or_params() {
    let e = FakeEngageLab::start().await.unwrap();
    let full =
        json!({"to": ["+14155550132"], "template": {"id": "1043277805628207104", "params": {}}});
    let (status, answer) = engagelab_send(&e, false, &full).await;
    assert_eq!(
        (status, answer["code"].as_i64()),
        (401, Some(2001)),
        "{answer}"
    );
    let no_params = json!({"to": ["+14155550132"], "template": {"id": "1043277805628207104"}});
    let (status, answer) = engagelab_send(&e, true, &no_params).await;
    assert_eq!(
        (status, answer["code"].as_i64()),
        (400, Some(3002)),
        "{answer}"
    );
    assert!(
        answer["message"].as_str().unwrap().contains("params"),
        "{answer}"
    );
    assert_eq!(e.sent_count(), 0);
    let (status, answer) = engagelab_send(&e, true, &full).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(e.sent_count(), 1);
}
