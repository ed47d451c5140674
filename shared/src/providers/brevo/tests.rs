//! Brevo client against a wiremock server over real HTTP.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const KEY: &str = "xkeysib-test-secret-0123";

async fn client(server: &MockServer, timeout: Duration) -> BrevoClient {
    let base = Url::parse(&format!("{}/v3", server.uri())).unwrap();
    BrevoClient::new(base, SecretString::from(KEY), timeout).unwrap()
}

fn contact() -> ContactUpsert {
    let mut attributes = Map::new();
    attributes.insert("FIRSTNAME".into(), json!("Jordan"));
    attributes.insert("SMS".into(), json!("+14155550132"));
    ContactUpsert {
        email: "jordan.rivera@example.com".into(),
        ext_id: Some("calendly:9cbca8f8".into()),
        attributes,
        list_ids: vec![7],
    }
}

async fn answer(status: u16, body: Value) -> (MockServer, BrevoClient) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/contacts"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_secs(5)).await;
    (server, c)
}

#[tokio::test]
async fn upsert_creates_a_contact_with_update_enabled_and_the_api_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/contacts"))
        .and(header("api-key", KEY))
        .and(body_json(json!({
            "email": "jordan.rivera@example.com",
            "ext_id": "calendly:9cbca8f8",
            "attributes": { "FIRSTNAME": "Jordan", "SMS": "+14155550132" },
            "listIds": [7],
            "updateEnabled": true
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "id": 4217 })))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_secs(5)).await;

    let outcome = c.upsert_contact(&contact()).await.unwrap();

    assert_eq!(outcome, UpsertOutcome::Created { id: Some(4217) });
}

#[tokio::test]
async fn upsert_of_an_existing_contact_is_an_update_on_204() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/contacts"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_secs(5)).await;
    assert_eq!(
        c.upsert_contact(&contact()).await.unwrap(),
        UpsertOutcome::Updated
    );
}

#[tokio::test]
async fn invalid_phone_is_a_phone_rejection_and_the_retry_without_sms_omits_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/contacts"))
        .and(wiremock::matchers::body_string_contains("\"SMS\""))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({ "code": "invalid_parameter", "message": "Invalid phone number" }),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v3/contacts"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_secs(5)).await;

    let err = c.upsert_contact(&contact()).await.unwrap_err();
    let BrevoError::PhoneRejected { reason, error } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*reason, PhoneRejection::Invalid);
    assert_eq!(error.class, ErrorClass::ProviderRejected);
    assert!(!err.is_retryable());

    let retried = contact().without_sms();
    assert!(!retried.has_sms());
    assert_eq!(
        c.upsert_contact(&retried).await.unwrap(),
        UpsertOutcome::Updated
    );
}

#[tokio::test]
async fn sms_owned_by_another_contact_is_read_from_metadata_whatever_the_code() {
    let (_s, c) = answer(
        400,
        json!({
            "code": "invalid_parameter",
            "message": "Unable to update contact, SMS is already associated with another Contact",
            "metadata": { "duplicate_identifiers": ["SMS"] }
        }),
    )
    .await;
    let err = c.upsert_contact(&contact()).await.unwrap_err();
    assert!(
        matches!(
            err,
            BrevoError::PhoneRejected {
                reason: PhoneRejection::OwnedByAnotherContact,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn other_400s_are_permanent_rejections() {
    let (_s, c) = answer(
        400,
        json!({
            "code": "duplicate_parameter",
            "message": "Unable to create contact, email is already associated with another Contact",
            "metadata": { "duplicate_identifiers": ["email"] }
        }),
    )
    .await;
    let err = c.upsert_contact(&contact()).await.unwrap_err();
    let BrevoError::Provider(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.class, ErrorClass::ProviderRejected);
    assert_eq!(e.code.as_deref(), Some("duplicate_parameter"));
    assert!(
        !e.message.contains("example.com"),
        "messages are sanitized: {}",
        e.message
    );
}

#[tokio::test]
async fn unauthorized_is_a_permanent_config_error_that_never_shows_the_key() {
    let (_s, c) = answer(
        401,
        json!({ "code": "unauthorized", "message": "Key not found" }),
    )
    .await;
    let err = c.upsert_contact(&contact()).await.unwrap_err();
    let e = err.provider_error();
    assert_eq!((e.class, e.status), (ErrorClass::Config, Some(401)));
    assert!(!err.is_retryable());
    for text in [err.to_string(), format!("{err:?}"), format!("{c:?}")] {
        assert!(!text.contains(KEY), "{text}");
    }
}

#[tokio::test]
async fn rate_limit_waits_for_the_reset_header_without_spending_an_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/contacts"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-sib-ratelimit-limit", "10")
                .insert_header("x-sib-ratelimit-remaining", "0")
                .insert_header("x-sib-ratelimit-reset", "3")
                .set_body_string("Too many requests"),
        )
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_secs(5)).await;
    let err = c.upsert_contact(&contact()).await.unwrap_err();
    let e = err.provider_error();
    assert_eq!(e.class, ErrorClass::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
    assert!(!e.consume_attempt && err.is_retryable());
}

#[tokio::test]
async fn server_errors_and_too_early_are_retryable() {
    for status in [500, 502, 503, 425] {
        let (_s, c) = answer(status, json!({ "code": "internal", "message": "oops" })).await;
        let err = c.upsert_contact(&contact()).await.unwrap_err();
        assert_eq!(
            err.provider_error().class,
            ErrorClass::ProviderServer,
            "{status}"
        );
        assert!(err.is_retryable(), "{status}");
    }
}

#[tokio::test]
async fn a_slow_answer_is_an_ambiguous_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_millis(800)))
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_millis(200)).await;
    let err = c.upsert_contact(&contact()).await.unwrap_err();
    let e = err.provider_error();
    assert_eq!(e.class, ErrorClass::Timeout);
    assert!(e.ambiguous && err.is_retryable());
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_unambiguous_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let base = Url::parse(&format!("http://{addr}/v3")).unwrap();
    let c = BrevoClient::new(base, SecretString::from(KEY), Duration::from_secs(2)).unwrap();
    let err = c.upsert_contact(&contact()).await.unwrap_err();
    let e = err.provider_error();
    assert_eq!(e.class, ErrorClass::Transport);
    assert!(!e.ambiguous && err.is_retryable(), "{e:?}");
}

#[tokio::test]
async fn update_encodes_the_email_and_names_the_identifier_type() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v3/contacts/a%2Bb%40example.com"))
        .and(query_param("identifierType", "email_id"))
        .and(body_json(
            json!({ "attributes": { "BOOKING_STATUS": "cancelled" } }),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_secs(5)).await;
    let mut attrs = Map::new();
    attrs.insert("BOOKING_STATUS".into(), json!("cancelled"));
    c.update_contact_attributes("a+b@example.com", &attrs)
        .await
        .unwrap();
}

#[tokio::test]
async fn updating_a_missing_contact_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({ "code": "document_not_found", "message": "Contact does not exist" }),
        ))
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_secs(5)).await;
    let err = c
        .update_contact_attributes("x@example.com", &Map::new())
        .await
        .unwrap_err();
    assert!(matches!(err, BrevoError::ContactNotFound(_)), "{err:?}");
}

#[tokio::test]
async fn track_event_posts_identifiers_and_properties() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/events"))
        .and(body_json(json!({
            "event_name": "meeting_attended",
            "identifiers": { "email_id": "jordan.rivera@example.com" },
            "event_properties": { "share_url": "https://zoom.us/rec/share/x" }
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_secs(5)).await;
    let mut properties = Map::new();
    properties.insert("share_url".into(), json!("https://zoom.us/rec/share/x"));
    let event = BrevoEvent {
        event_name: "meeting_attended".into(),
        email: "jordan.rivera@example.com".into(),
        properties,
        contact_properties: Map::new(),
        date: None,
    };
    c.track_event(&event).await.unwrap();
}

#[tokio::test]
async fn add_to_list_batches_by_150_and_reports_contacts_not_added() {
    let server = MockServer::start().await;
    let emails: Vec<String> = (0..151).map(|i| format!("p{i}@example.com")).collect();
    Mock::given(method("POST"))
        .and(path("/v3/contacts/lists/15/contacts/add"))
        .and(body_json(json!({ "emails": emails[..150] })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "contacts": { "success": emails[..149], "failure": [emails[149]] }
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v3/contacts/lists/15/contacts/add"))
        .and(body_json(json!({ "emails": [emails[150]] })))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": "invalid_parameter", "message": "Contact already in list and/or does not exist"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_secs(5)).await;

    let outcome = c.add_to_list(15, &emails).await.unwrap();

    assert_eq!(outcome.added.len(), 149);
    assert_eq!(
        outcome.not_added,
        vec![emails[149].clone(), emails[150].clone()]
    );
}
