//! The fake Brevo answers as Brevo does: statuses, bodies and rate-limit headers.

use meetflow_tests::fakes::FakeBrevo;
use meetflow_tests::fixtures;
use reqwest::{Method, Response};
use serde_json::{Value, json};

pub(crate) async fn call(
    b: &FakeBrevo,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Response {
    let mut req = meetflow_tests::http_client()
        .request(method, format!("{}{path}", b.base_url()))
        .header("api-key", b.api_key());
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

pub(crate) async fn body(r: Response) -> Value {
    r.json().await.unwrap()
}

pub(crate) fn create_request() -> Value {
    serde_json::from_str(fixtures::BREVO_CREATE_CONTACT_REQUEST).unwrap()
}

#[tokio::test]
async fn fakes_brevo_create_then_upsert_then_duplicate() {
    let b = FakeBrevo::start().await.unwrap();
    let r = call(&b, Method::POST, "/contacts", Some(create_request())).await;
    assert_eq!(r.status(), 201);
    let id = body(r).await["id"].as_i64().unwrap();
    let c = b.contact("Jordan.Rivera@example.com").unwrap();
    assert_eq!(c.id, id);
    assert_eq!(c.attributes["SMS"], "+14155550132");
    assert_eq!(
        c.ext_id.as_deref(),
        Some("calendly:9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e")
    );
    assert!(c.list_ids.contains(&7));

    // Same email with updateEnabled: 204, empty body, contact updated.
    let mut req = create_request();
    req["attributes"]["COMPANY"] = json!("Contoso");
    let r = call(&b, Method::POST, "/contacts", Some(req.clone())).await;
    assert_eq!(r.status(), 204);
    assert!(r.bytes().await.unwrap().is_empty());
    assert_eq!(
        b.contact("jordan.rivera@example.com").unwrap().attributes["COMPANY"],
        "Contoso"
    );
    assert_eq!(b.contacts().len(), 1);

    // Without updateEnabled: 400 duplicate_parameter naming the email.
    req["updateEnabled"] = json!(false);
    let r = call(&b, Method::POST, "/contacts", Some(req)).await;
    assert_eq!(r.status(), 400);
    let v = body(r).await;
    assert_eq!(v["code"], "duplicate_parameter");
    assert_eq!(v["metadata"]["duplicate_identifiers"], json!(["email"]));
}

#[tokio::test]
async fn fakes_brevo_phone_rules() {
    let b = FakeBrevo::start().await.unwrap();
    for bad in ["+1 415-555-0132", "4155550132", "+0123456789"] {
        let r = call(
            &b,
            Method::POST,
            "/contacts",
            Some(json!({"email": "a@example.com", "attributes": {"SMS": bad}})),
        )
        .await;
        assert_eq!(r.status(), 400, "{bad}");
        assert_eq!(
            body(r).await,
            json!({"code": "invalid_parameter", "message": "Invalid phone number"})
        );
    }
    b.reject_phone("+14155550199");
    let r = call(
        &b,
        Method::POST,
        "/contacts",
        Some(json!({"email": "a@example.com", "attributes": {"SMS": "+14155550199"}})),
    )
    .await;
    assert_eq!(r.status(), 400);

    b.sms_owned_by_another("+14155550132");
    let r = call(&b, Method::POST, "/contacts", Some(create_request())).await;
    assert_eq!(r.status(), 400);
    let v = body(r).await;
    assert_eq!(v["code"], "duplicate_parameter");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("SMS is already associated with another Contact")
    );
    assert_eq!(v["metadata"]["duplicate_identifiers"], json!(["SMS"]));
    // Retrying without SMS works.
    let mut req = create_request();
    req["attributes"].as_object_mut().unwrap().remove("SMS");
    assert_eq!(
        call(&b, Method::POST, "/contacts", Some(req))
            .await
            .status(),
        201
    );

    let r = call(
        &b,
        Method::POST,
        "/contacts",
        Some(json!({"attributes": {"FIRSTNAME": "X"}})),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(body(r).await["code"], "missing_parameter");
}

#[tokio::test]
async fn fakes_brevo_update_and_get_by_identifier() {
    let b = FakeBrevo::start().await.unwrap();
    let id = b.seed_contact("jordan.rivera@example.com", json!({"FIRSTNAME": "J"}));
    let update: Value = serde_json::from_str(fixtures::BREVO_UPDATE_CONTACT_REQUEST).unwrap();
    let r = call(
        &b,
        Method::PUT,
        "/contacts/jordan.rivera%40example.com?identifierType=email_id",
        Some(update),
    )
    .await;
    assert_eq!(r.status(), 204);
    let c = b.contact_by_id(id).unwrap();
    assert_eq!(c.attributes["FIRSTNAME"], "Jordan");
    assert_eq!(c.list_ids.iter().copied().collect::<Vec<_>>(), vec![7, 12]);
    assert_eq!(
        b.list_members(12),
        vec!["jordan.rivera@example.com".to_owned()]
    );

    let r = call(&b, Method::GET, &format!("/contacts/{id}"), None).await;
    assert_eq!(r.status(), 200);
    let v = body(r).await;
    assert_eq!(v["email"], "jordan.rivera@example.com");
    assert_eq!(v["listIds"], json!([7, 12]));

    let r = call(
        &b,
        Method::PUT,
        "/contacts/nobody%40example.com",
        Some(json!({"attributes": {}})),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        body(r).await,
        json!({"code": "document_not_found", "message": "Contact does not exist"})
    );
    let r = call(
        &b,
        Method::GET,
        "/contacts/%2B14155550132?identifierType=phone_id",
        None,
    )
    .await;
    assert_eq!(r.status(), 200);

    b.seed_contact("other@example.com", json!({}));
    let r = call(
        &b,
        Method::PUT,
        &format!("/contacts/{id}"),
        Some(json!({"attributes": {"EMAIL": "other@example.com"}})),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        body(r).await["metadata"]["duplicate_identifiers"],
        json!(["email"])
    );
}

#[tokio::test]
async fn fakes_brevo_lists_import_events() {
    let b = FakeBrevo::start().await.unwrap();
    b.seed_contact("a@example.com", json!({}));
    let r = call(
        &b,
        Method::POST,
        "/contacts/lists/9/contacts/add",
        Some(json!({"emails": ["a@example.com", "zz@example.com"]})),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        body(r).await,
        json!({"contacts": {"success": ["a@example.com"], "failure": ["zz@example.com"]}})
    );
    let r = call(
        &b,
        Method::POST,
        "/contacts/lists/9/contacts/add",
        Some(json!({"emails": ["a@example.com"]})),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        body(r).await["message"],
        "Contact already in list and/or does not exist"
    );
    let many: Vec<String> = (0..151).map(|i| format!("u{i}@example.com")).collect();
    let r = call(
        &b,
        Method::POST,
        "/contacts/lists/9/contacts/add",
        Some(json!({"emails": many})),
    )
    .await;
    assert_eq!(r.status(), 400);

    let r = call(&b, Method::POST, "/contacts/import", Some(json!({"jsonBody": [{"email": "b@example.com", "attributes": {"FIRSTNAME": "B"}}], "listIds": [3]}))).await;
    assert_eq!(r.status(), 202);
    assert!(body(r).await["processId"].is_i64());
    assert!(b.contact("b@example.com").unwrap().list_ids.contains(&3));

    let ev = json!({"event_name": "booking_created", "identifiers": {"email_id": "a@example.com"}, "event_properties": {"k": 1}});
    let r = call(&b, Method::POST, "/events", Some(ev)).await;
    assert_eq!(r.status(), 204);
    let events = b.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_name, "booking_created");
    assert_eq!(events[0].event_properties, Some(json!({"k": 1})));
    let r = call(
        &b,
        Method::POST,
        "/events",
        Some(json!({"event_name": "x"})),
    )
    .await;
    assert_eq!(r.status(), 400);
}
