//! Calendly client against a wiremock server over real HTTP.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use wiremock::matchers::{
    bearer_token, body_json, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const TOKEN: &str = "calendly-pat-secret";
const ORG: &str = "https://api.calendly.com/organizations/ORG1";

async fn client(server: &MockServer) -> CalendlyClient {
    let base = Url::parse(&server.uri()).unwrap();
    CalendlyClient::new(base, SecretString::from(TOKEN), Duration::from_secs(5)).unwrap()
}

fn event(n: u32) -> serde_json::Value {
    json!({
        "uri": format!("https://api.calendly.com/scheduled_events/E{n}"),
        "name": "Discovery call",
        "status": "active",
        "start_time": "2026-04-21T17:00:00.000000Z",
        "end_time": "2026-04-21T17:30:00.000000Z",
        "event_type": "https://api.calendly.com/event_types/T1"
    })
}

#[tokio::test]
async fn users_me_returns_the_user_and_organization() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/me"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "resource": { "uri": "https://api.calendly.com/users/U1", "name": "Host", "current_organization": ORG, "email": "h@example.com" }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let me = client(&server).await.users_me().await.unwrap();
    assert_eq!(
        (me.uri.as_str(), me.current_organization.as_str()),
        ("https://api.calendly.com/users/U1", ORG)
    );
}

#[tokio::test]
async fn scheduled_events_follow_the_page_token_to_the_end() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scheduled_events"))
        .and(query_param("organization", ORG))
        .and(query_param("count", "100"))
        .and(query_param("status", "active"))
        .and(query_param("min_start_time", "2026-04-21T00:00:00.000000Z"))
        .and(query_param_is_missing("page_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "collection": [event(1), event(2)],
            "pagination": { "count": 2, "next_page": "https://api.calendly.com/scheduled_events?page_token=P2", "next_page_token": "P2" }
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scheduled_events"))
        .and(query_param("page_token", "P2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "collection": [event(3)],
            "pagination": { "count": 1, "next_page": null, "next_page_token": null }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let query = EventsQuery {
        scope: Scope::Organization(ORG.into()),
        min_start_time: Some("2026-04-21T00:00:00Z".parse().unwrap()),
        max_start_time: None,
        status: Some(EventStatus::Active),
    };

    let events = client(&server)
        .await
        .list_scheduled_events(&query)
        .await
        .unwrap();

    let uris: Vec<_> = events.iter().map(|e| e.uri.clone().unwrap()).collect();
    assert_eq!(uris.len(), 3);
    assert!(uris[2].ends_with("/E3"));
    assert!(events[0].start_time.is_some());
}

#[tokio::test]
async fn invitees_are_listed_by_event_uuid_taken_from_a_uri() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scheduled_events/E1/invitees"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "collection": [{ "uri": "https://api.calendly.com/scheduled_events/E1/invitees/I1", "email": "a@example.com",
                             "name": "Ana", "status": "active", "text_reminder_number": "+1 415-555-0132" }],
            "pagination": { "next_page_token": null }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let invitees = client(&server)
        .await
        .list_invitees("https://api.calendly.com/scheduled_events/E1")
        .await
        .unwrap();
    assert_eq!(invitees.len(), 1);
    assert_eq!(
        invitees[0].text_reminder_number.as_deref(),
        Some("+1 415-555-0132")
    );
}

#[tokio::test]
async fn webhook_subscriptions_are_listed_created_and_deleted() {
    let server = MockServer::start().await;
    let sub = json!({ "uri": "https://api.calendly.com/webhook_subscriptions/W1", "callback_url": "https://hooks.example.com/webhooks/calendly",
                      "state": "active", "events": ["invitee.created"], "scope": "organization", "organization": ORG });
    Mock::given(method("GET"))
        .and(path("/webhook_subscriptions"))
        .and(query_param("organization", ORG))
        .and(query_param("scope", "organization"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "collection": [sub], "pagination": {} })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/webhook_subscriptions"))
        .and(body_json(json!({ "url": "https://hooks.example.com/webhooks/calendly", "events": ["invitee.created"],
                               "organization": ORG, "scope": "organization", "signing_key": "sign-me" })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "resource": sub })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/webhook_subscriptions/W1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server).await;
    let scope = Scope::Organization(ORG.into());

    assert_eq!(c.list_webhook_subscriptions(&scope).await.unwrap().len(), 1);
    let new = NewWebhookSubscription {
        url: "https://hooks.example.com/webhooks/calendly".into(),
        events: vec!["invitee.created".into()],
        scope,
        signing_key: Some(SecretString::from("sign-me")),
    };
    assert!(!format!("{new:?}").contains("sign-me"));
    let created = c.create_webhook_subscription(&new).await.unwrap();
    c.delete_webhook_subscription(&created.uri).await.unwrap();
}

#[tokio::test]
async fn a_free_plan_403_is_a_clear_permanent_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "title": "Permission Denied", "message": "Please upgrade your Calendly account to Standard"
        })))
        .mount(&server)
        .await;
    let new = NewWebhookSubscription {
        url: "https://x.example.com".into(),
        events: vec!["invitee.created".into()],
        scope: Scope::Organization(ORG.into()),
        signing_key: None,
    };
    let e = client(&server)
        .await
        .create_webhook_subscription(&new)
        .await
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::Config);
    assert!(!e.is_retryable());
    assert!(e.message.contains("paid Calendly plan"), "{}", e.message);
}

#[tokio::test]
async fn rate_limits_wait_for_x_ratelimit_reset() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-RateLimit-Limit", "500")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", "42")
                .set_body_json(json!({ "title": "Too Many Requests", "message": "slow down" })),
        )
        .mount(&server)
        .await;
    let e = client(&server)
        .await
        .list_event_types(&Scope::Organization(ORG.into()))
        .await
        .unwrap_err();
    assert_eq!(
        (e.class, e.retry_after),
        (ErrorClass::RateLimited, Some(Duration::from_secs(42)))
    );
    assert!(!e.consume_attempt && e.is_retryable());
}

#[tokio::test]
async fn event_types_scheduling_links_and_no_shows() {
    let server = MockServer::start().await;
    let user = "https://api.calendly.com/users/U1";
    Mock::given(method("GET"))
        .and(path("/event_types"))
        .and(query_param("user", user))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "collection": [{ "uri": "https://api.calendly.com/event_types/T1", "name": "Discovery", "active": true, "duration": 30 }],
            "pagination": { "next_page_token": "" }
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/scheduling_links"))
        .and(body_json(json!({ "max_event_count": 1, "owner": "https://api.calendly.com/event_types/T1", "owner_type": "EventType" })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "resource": { "booking_url": "https://calendly.com/d/abc-123", "owner": "x", "owner_type": "EventType" }
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/invitee_no_shows"))
        .and(body_json(json!({ "invitee": "https://api.calendly.com/scheduled_events/E1/invitees/I1" })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "resource": { "uri": "https://api.calendly.com/invitee_no_shows/N1",
                          "invitee": "https://api.calendly.com/scheduled_events/E1/invitees/I1", "created_at": "2026-04-21T18:00:00Z" }
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/invitee_no_shows/N1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server).await;

    let scope = Scope::User {
        organization: ORG.into(),
        user: user.into(),
    };
    let types = c.list_event_types(&scope).await.unwrap();
    assert_eq!((types.len(), types[0].duration), (1, Some(30)));
    let link = c.create_scheduling_link(&types[0].uri).await.unwrap();
    assert_eq!(link, "https://calendly.com/d/abc-123");
    let mark = c
        .create_invitee_no_show("https://api.calendly.com/scheduled_events/E1/invitees/I1")
        .await
        .unwrap();
    c.delete_invitee_no_show(&mark.uri).await.unwrap();
}

#[tokio::test]
async fn errors_never_show_the_token_and_server_errors_retry() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("unavailable"))
        .mount(&server)
        .await;
    let c = client(&server).await;
    let e = c.users_me().await.unwrap_err();
    assert_eq!(e.class, ErrorClass::ProviderServer);
    assert!(e.is_retryable());
    for text in [e.to_string(), format!("{e:?}"), format!("{c:?}")] {
        assert!(!text.contains(TOKEN), "{text}");
    }
}

#[tokio::test]
async fn a_reconciliation_page_with_every_location_kind_reads() {
    let server = MockServer::start().await;
    let locations = [
        json!({"type": "webex_conference", "status": "pushed", "join_url": "https://org.webex.com/j.php?MTID=m04be",
               "data": {"id": "m04be557baa4cc8b037b8ff0b59cc5cab", "password": "m8BgwrPQb93"}}),
        json!({"type": "microsoft_teams_conference", "data": {"id": "123456"}}),
        json!({"type": "gotomeeting", "data": {"uniqueMeetingId": 123_456}}),
        json!({"type": "google_conference", "status": "processing", "join_url": null}),
        json!({"type": "zoom", "status": "processing", "join_url": null, "data": null}),
        json!({"type": "outbound_call", "location": "+1 415-555-0100"}),
        json!({"type": "hologram", "data": "pending", "location": {"room": 7}}),
        json!({"type": "zoom", "join_url": "https://zoom.us/j/85746065432", "data": {"id": 85_746_065_432_u64}}),
    ];
    let collection: Vec<_> = locations
        .iter()
        .enumerate()
        .map(|(i, loc)| {
            let mut e = event(u32::try_from(i).unwrap());
            e["location"] = loc.clone();
            e
        })
        .collect();
    Mock::given(method("GET"))
        .and(path("/scheduled_events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "collection": collection,
            "pagination": { "next_page_token": null }
        })))
        .mount(&server)
        .await;
    let query = EventsQuery {
        scope: Scope::Organization(ORG.into()),
        min_start_time: None,
        max_start_time: None,
        status: None,
    };
    let events = client(&server)
        .await
        .list_scheduled_events(&query)
        .await
        .unwrap();
    assert_eq!(events.len(), locations.len());
    let zoom_ids: Vec<_> = events
        .iter()
        .filter_map(|e| e.location.as_ref()?.zoom_meeting_id())
        .map(|m| m.as_str().to_owned())
        .collect();
    assert_eq!(
        zoom_ids,
        ["85746065432"],
        "only the Zoom location has a Zoom id"
    );
}
