//! Zoom client against wiremock (API and OAuth server) and the real test Redis (token cache).
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{
    basic_auth, bearer_token, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::providers::test_redis::TestNamespace;

const SECRET: &str = "zoom-client-secret-xyz";

/// Two participant pages in the shape of Zoom's `GET /past_meetings/{uuid}/participants`, trimmed.
fn fixture(name: &str) -> Value {
    let p = |email: &str, join: &str, duration: u64| {
        json!({ "id": "", "name": "n", "user_email": email, "join_time": join,
                "leave_time": join, "duration": duration, "status": "in_meeting", "internal_user": false })
    };
    match name {
        "past_meeting_participants_page1.json" => json!({
            "next_page_token": "Tva2CuIdTgsv8wAnhyAdU3m06Y2HuLQtlh3",
            "participants": [p("maya.chen@example.com", "2026-04-21T17:01:12Z", 1956),
                             p("jordan.rivera@example.com", "2026-04-21T17:02:47Z", 675)]
        }),
        _ => json!({
            "next_page_token": "",
            "participants": [p("jordan.rivera@example.com", "2026-04-21T17:15:20Z", 945)]
        }),
    }
}

fn token_body(token: &str) -> Value {
    json!({ "access_token": token, "token_type": "bearer", "expires_in": 3600, "scope": "x", "api_url": "https://api.zoom.us" })
}

async fn client(server: &MockServer, ns: &TestNamespace) -> ZoomClient {
    let credentials = ZoomCredentials {
        account_id: SecretString::from("acct-1"),
        client_id: SecretString::from("client-1"),
        client_secret: SecretString::from(SECRET),
    };
    let oauth = Url::parse(&server.uri()).unwrap();
    let auth = ZoomAuth::new(oauth, &credentials, &ns.handle(), Duration::from_secs(5)).unwrap();
    ZoomClient::new(Url::parse(&format!("{}/v2", server.uri())).unwrap(), auth)
}

async fn mount_token(server: &MockServer, token: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(query_param("grant_type", "account_credentials"))
        .and(query_param("account_id", "acct-1"))
        .and(basic_auth("client-1", SECRET))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(token)))
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn participants_are_read_from_every_page_with_a_double_encoded_uuid() {
    let ns = TestNamespace::new();
    let server = MockServer::start().await;
    mount_token(&server, "token-1", 1).await;
    let uuid_path = "/v2/past_meetings/%252FgyQ0iJUTHqdr7Ft1cSm0w%253D%253D/participants";
    Mock::given(method("GET"))
        .and(path(uuid_path))
        .and(bearer_token("token-1"))
        .and(query_param("page_size", "300"))
        .and(query_param_is_missing("next_page_token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("past_meeting_participants_page1.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(uuid_path))
        .and(query_param(
            "next_page_token",
            "Tva2CuIdTgsv8wAnhyAdU3m06Y2HuLQtlh3",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("past_meeting_participants_page2.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let zoom = client(&server, &ns).await;

    let participants = zoom
        .past_meeting_participants("/gyQ0iJUTHqdr7Ft1cSm0w==")
        .await
        .unwrap();

    let emails: Vec<_> = participants
        .iter()
        .map(|p| p.user_email.as_deref().unwrap())
        .collect();
    assert_eq!(
        emails,
        [
            "maya.chen@example.com",
            "jordan.rivera@example.com",
            "jordan.rivera@example.com"
        ]
    );
    assert_eq!(
        participants.iter().map(|p| p.duration).sum::<u64>(),
        1956 + 675 + 945
    );
    assert!(participants[0].join_time.is_some());
    ns.cleanup().await;
}

#[test]
fn uuids_are_encoded_once_unless_they_start_with_or_hold_a_double_slash() {
    assert_eq!(
        meeting_uuid_segment("4444AAAiAAAAAiAiAiiAii=="),
        "4444AAAiAAAAAiAiAiiAii%3D%3D"
    );
    assert_eq!(meeting_uuid_segment("ab+c/d=="), "ab%2Bc%2Fd%3D%3D");
    assert_eq!(
        meeting_uuid_segment("/gyQ0iJUTHqdr7Ft1cSm0w=="),
        "%252FgyQ0iJUTHqdr7Ft1cSm0w%253D%253D"
    );
    assert_eq!(meeting_uuid_segment("ab//cd=="), "ab%252F%252Fcd%253D%253D");
}

#[tokio::test]
async fn a_401_drops_the_cached_token_and_retries_once_with_a_fresh_one() {
    let ns = TestNamespace::new();
    let server = MockServer::start().await;
    mount_token(&server, "token-old", 1).await;
    let zoom = client(&server, &ns).await;
    // Cache token-old, then make Zoom reject it.
    Mock::given(method("GET"))
        .and(path("/v2/users/me"))
        .and(bearer_token("token-old"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "id": "u1", "account_id": "a1", "email": "h@example.com" })),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    zoom.users_me().await.unwrap();
    Mock::given(method("GET"))
        .and(bearer_token("token-old"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({ "code": 124, "message": "Invalid access token." })),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_token(&server, "token-new", 1).await;
    Mock::given(method("GET"))
        .and(path("/v2/users/me"))
        .and(bearer_token("token-new"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "id": "u1", "account_id": "a1", "email": "h@example.com" })),
        )
        .expect(1)
        .mount(&server)
        .await;

    let me = zoom.users_me().await.unwrap();

    assert_eq!(me.id, "u1");
    let mut conn = ns.connect().await;
    let cached: Option<String> = redis::cmd("GET")
        .arg(ns.keys.zoom_token())
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(cached.as_deref(), Some("token-new"));
    ns.cleanup().await;
}

#[tokio::test]
async fn a_token_rejected_twice_is_a_permanent_config_error() {
    let ns = TestNamespace::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("t")))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({ "code": 124, "message": "Invalid access token." })),
        )
        .expect(2)
        .mount(&server)
        .await;
    let e = client(&server, &ns).await.users_me().await.unwrap_err();
    assert_eq!(
        (e.class, e.status, e.code.as_deref()),
        (ErrorClass::Config, Some(401), Some("124"))
    );
    ns.cleanup().await;
}

#[tokio::test]
async fn two_clients_share_one_cached_token_that_expires_a_minute_early() {
    let ns = TestNamespace::new();
    let server = MockServer::start().await;
    mount_token(&server, "shared-token", 1).await;
    Mock::given(method("GET"))
        .and(path("/v2/users/me"))
        .and(bearer_token("shared-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": "u1" })))
        .expect(2)
        .mount(&server)
        .await;
    let (first, second) = (client(&server, &ns).await, client(&server, &ns).await);

    first.users_me().await.unwrap();
    second.users_me().await.unwrap();

    let mut conn = ns.connect().await;
    let pttl: i64 = redis::cmd("PTTL")
        .arg(ns.keys.zoom_token())
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!((3_530_000..=3_540_000).contains(&pttl), "ttl {pttl} ms");
    ns.cleanup().await;
}

#[tokio::test]
async fn bad_credentials_are_a_permanent_config_error_without_the_secret() {
    let ns = TestNamespace::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({ "reason": "Invalid client_id or client_secret", "error": "invalid_client" }),
        ))
        .mount(&server)
        .await;
    let zoom = client(&server, &ns).await;
    let e = zoom.users_me().await.unwrap_err();
    assert_eq!(
        (e.class, e.code.as_deref()),
        (ErrorClass::Config, Some("invalid_client"))
    );
    assert!(!e.is_retryable());
    for text in [e.to_string(), format!("{e:?}"), format!("{zoom:?}")] {
        assert!(!text.contains(SECRET), "{text}");
    }
    ns.cleanup().await;
}

#[tokio::test]
async fn zoom_token_refusals_count_as_credential_failures() {
    let series = "meetflow_provider_credential_failures_total{provider=\"zoom\"}";
    for (status, body) in [
        (
            400,
            json!({ "reason": "Invalid client_id or client_secret", "error": "invalid_client" }),
        ),
        (
            400,
            json!({ "reason": "Account does not exist", "error": "invalid_request" }),
        ),
        (401, json!({ "reason": "Bad credentials" })),
    ] {
        let ns = TestNamespace::new();
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body.clone()))
            .mount(&server)
            .await;
        let zoom = client(&server, &ns).await;
        let before = crate::ops_metrics::rendered_value(series);
        let _ = zoom.users_me().await.unwrap_err();
        // Other tests of this process may count too: at least ours, exactly once is not provable.
        assert!(
            crate::ops_metrics::rendered_value(series) >= before + 1.0,
            "{status} {body} not counted"
        );
        ns.cleanup().await;
    }
}

#[tokio::test]
async fn unknown_meetings_are_rejected_and_rate_limits_carry_retry_after() {
    let ns = TestNamespace::new();
    let server = MockServer::start().await;
    mount_token(&server, "t", 1).await;
    Mock::given(method("GET"))
        .and(path("/v2/past_meetings/missing/participants"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({ "code": 3001, "message": "Meeting does not exist: 1." })),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/past_meetings/busy/participants"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "2").set_body_json(
            json!({ "code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later." }),
        ))
        .mount(&server)
        .await;
    let zoom = client(&server, &ns).await;

    let missing = zoom.past_meeting_participants("missing").await.unwrap_err();
    assert_eq!(
        (missing.class, missing.code.as_deref()),
        (ErrorClass::ProviderRejected, Some("3001"))
    );
    let busy = zoom.past_meeting_participants("busy").await.unwrap_err();
    assert_eq!(
        (busy.class, busy.retry_after),
        (ErrorClass::RateLimited, Some(Duration::from_secs(2)))
    );
    assert!(!busy.consume_attempt);
    ns.cleanup().await;
}

#[tokio::test]
async fn concurrent_callers_of_one_process_fetch_a_single_token() {
    let ns = TestNamespace::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("only-one"))
                .set_delay(Duration::from_millis(100)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let zoom = client(&server, &ns).await;

    let calls = (0..16).map(|_| zoom.auth.token());
    let tokens = futures::future::join_all(calls).await;

    for t in tokens {
        assert_eq!(t.unwrap().expose_secret(), "only-one");
    }
    ns.cleanup().await;
}

#[tokio::test]
async fn webinar_registrants_and_participants_are_read_from_every_page() {
    let ns = TestNamespace::new();
    let server = MockServer::start().await;
    mount_token(&server, "t", 1).await;
    let reg = |email: &str| json!({ "id": "r", "email": email, "first_name": "Léa", "last_name": "", "status": "approved" });
    let registrants = "/v2/webinars/91234567890/registrants";
    Mock::given(method("GET"))
        .and(path(registrants))
        .and(query_param("page_size", "300"))
        .and(query_param_is_missing("next_page_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "page_size": 300, "total_records": 2, "next_page_token": "p2",
            "registrants": [reg("lea@example.com")]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(registrants))
        .and(query_param("next_page_token", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "page_size": 300, "total_records": 2, "next_page_token": "",
            "registrants": [reg(""), reg("tom@example.com")]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/v2/past_webinars/%252FWb7%252F%252FK2%253D%253D/participants",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("page2")))
        .expect(1)
        .mount(&server)
        .await;
    let zoom = client(&server, &ns).await;

    let got = zoom.webinar_registrants("91234567890").await.unwrap();
    let emails: Vec<_> = got.iter().map(|r| r.email.as_deref()).collect();
    assert_eq!(
        emails,
        [Some("lea@example.com"), None, Some("tom@example.com")]
    );
    assert_eq!(got[0].name(), "Léa");
    let rows = zoom.past_webinar_participants("/Wb7//K2==").await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].duration, 945);
    ns.cleanup().await;
}

#[tokio::test]
async fn a_daily_limit_waits_until_zooms_date_without_spending_an_attempt() {
    let ns = TestNamespace::new();
    let server = MockServer::start().await;
    mount_token(&server, "tok-1", 1).await;
    let until = chrono::Utc::now() + chrono::Duration::hours(3);
    let date = until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Mock::given(method("GET"))
        .and(path("/v2/past_meetings/daily/participants"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", date.as_str())
                .insert_header("x-ratelimit-type", "Daily-limit")
                .set_body_json(json!({ "code": 429, "message": "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request." })),
        )
        .mount(&server)
        .await;
    let zoom = client(&server, &ns).await;
    let e = zoom.past_meeting_participants("daily").await.unwrap_err();
    assert_eq!(e.class, ErrorClass::RateLimited);
    assert!(!e.consume_attempt, "a daily limit spends no attempt");
    let wait = e.retry_after.expect("waits until Zoom's date");
    assert!(
        wait > Duration::from_secs(3 * 3600 - 60) && wait <= Duration::from_secs(3 * 3600),
        "{wait:?} for {date}"
    );
    ns.cleanup().await;
}

#[test]
fn a_daily_limit_without_a_date_waits_until_the_next_utc_midnight() {
    let mut e = ProviderError::new(Provider::Zoom, "op", ErrorClass::ProviderRejected, "x");
    let now = chrono::DateTime::parse_from_rfc3339("2020-05-30T22:30:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    daily_limit(&mut e, now);
    assert_eq!(e.retry_after, Some(Duration::from_secs(5400)));
    assert_eq!(
        (e.class, e.consume_attempt),
        (ErrorClass::RateLimited, false)
    );
}
