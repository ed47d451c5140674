//! The fake Zoom answers as Zoom does: OAuth, 401 code 124, paging, double encoding, 429.

use std::time::Duration;

use meetflow_tests::fakes::FakeZoom;
use reqwest::Response;
use serde_json::{Value, json};

pub(crate) async fn token(z: &FakeZoom) -> String {
    let r = meetflow_tests::http_client()
        .post(format!("{}/oauth/token", z.oauth_base_url()))
        .basic_auth(z.client_id(), Some(z.client_secret()))
        .form(&[
            ("grant_type", "account_credentials"),
            ("account_id", &z.account_id()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["token_type"], "bearer");
    v["access_token"].as_str().unwrap().to_owned()
}

pub(crate) async fn get(z: &FakeZoom, tok: &str, path_and_query: &str) -> Response {
    meetflow_tests::http_client()
        .get(format!("{}{path_and_query}", z.api_base_url()))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn fakes_zoom_oauth_errors_and_query_form() {
    let z = FakeZoom::start().await.unwrap();
    let c = meetflow_tests::http_client();
    let url = format!("{}/oauth/token", z.oauth_base_url());
    let r = c
        .post(&url)
        .basic_auth(z.client_id(), Some("wrong"))
        .query(&[
            ("grant_type", "account_credentials"),
            ("account_id", &z.account_id()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
    );
    let r = c
        .post(&url)
        .basic_auth(z.client_id(), Some(z.client_secret()))
        .query(&[
            ("grant_type", "account_credentials"),
            ("account_id", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    // Query-string form (the documented one) works.
    let r = c
        .post(&url)
        .basic_auth(z.client_id(), Some(z.client_secret()))
        .query(&[
            ("grant_type", "account_credentials"),
            ("account_id", &z.account_id()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["expires_in"], 3600);
    assert_eq!(z.token_requests(), 1);
}

#[tokio::test]
async fn fakes_zoom_tokens_expire_and_can_be_revoked() {
    let z = FakeZoom::start().await.unwrap();
    let r = get(&z, "bogus", "/users/me").await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"code": 124, "message": "Invalid access token."})
    );
    let tok = token(&z).await;
    let r = get(&z, &tok, "/users/me").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["account_id"],
        z.account_id()
    );
    z.revoke_all_tokens();
    assert_eq!(get(&z, &tok, "/users/me").await.status(), 401);
    z.set_token_ttl(Duration::from_millis(200));
    let tok = token(&z).await;
    assert_eq!(get(&z, &tok, "/users/me").await.status(), 200);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(get(&z, &tok, "/users/me").await.status(), 401);
}

#[tokio::test]
async fn fakes_zoom_participants_paginate() {
    let z = FakeZoom::start().await.unwrap();
    z.add_past_meeting_fixture("4444AAAiAAAAAiAiAiiAii==");
    let tok = token(&z).await;
    let mut names = Vec::new();
    let mut next = String::new();
    let mut pages = 0;
    loop {
        let r = get(&z, &tok, &format!("/past_meetings/4444AAAiAAAAAiAiAiiAii%3D%3D/participants?page_size=2&next_page_token={next}")).await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["total_records"], 3);
        assert_eq!(v["page_count"], 2);
        pages += 1;
        names.extend(
            v["participants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_owned()),
        );
        next = v["next_page_token"].as_str().unwrap().to_owned();
        if next.is_empty() {
            break;
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(names, ["Maya Chen", "Jordan Rivera", "Jordan Rivera"]);
    let r = get(
        &z,
        &tok,
        "/past_meetings/4444AAAiAAAAAiAiAiiAii==/participants?page_size=301",
    )
    .await;
    assert_eq!(r.status(), 400);
    z.reject_oversized_page_size(false);
    let r = get(
        &z,
        &tok,
        "/past_meetings/4444AAAiAAAAAiAiAiiAii==/participants?page_size=1000",
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["page_size"], 300);
    let r = get(
        &z,
        &tok,
        "/past_meetings/4444AAAiAAAAAiAiAiiAii==/participants?next_page_token=forged",
    )
    .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn fakes_zoom_unknown_meeting_and_double_encoding() {
    let z = FakeZoom::start().await.unwrap();
    let tok = token(&z).await;
    let r = get(&z, &tok, "/past_meetings/unknown%3D%3D/participants").await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"code": 3001, "message": "Meeting does not exist: unknown==."})
    );

    let row = FakeZoom::participant(
        "Ana",
        "ana@example.com",
        "2026-04-21T17:00:00Z",
        "2026-04-21T17:10:00Z",
    );
    assert_eq!(row["duration"], 600);
    z.add_past_meeting("/gyQ0iJUTHqdr7Ft1cSm0w==", vec![row.clone()]);
    z.add_past_meeting("ab//cd==", vec![row]);
    // Encoded once: not found, as on the real API.
    assert_eq!(
        get(
            &z,
            &tok,
            "/past_meetings/%2FgyQ0iJUTHqdr7Ft1cSm0w%3D%3D/participants"
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        get(&z, &tok, "/past_meetings/ab%2F%2Fcd%3D%3D/participants")
            .await
            .status(),
        404
    );
    // Double encoded: found.
    let r = get(
        &z,
        &tok,
        "/past_meetings/%252FgyQ0iJUTHqdr7Ft1cSm0w%253D%253D/participants",
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["participants"][0]["name"],
        "Ana"
    );
    assert_eq!(
        get(
            &z,
            &tok,
            "/past_meetings/ab%252F%252Fcd%253D%253D/participants"
        )
        .await
        .status(),
        200
    );
}

#[tokio::test]
async fn fakes_zoom_rate_limit_and_faults() {
    let z = FakeZoom::start().await.unwrap();
    let tok = token(&z).await;
    z.rate_limit(2);
    let mut statuses = Vec::new();
    let mut last = Value::Null;
    for _ in 0..3 {
        let r = get(&z, &tok, "/users/me").await;
        statuses.push(r.status().as_u16());
        last = r.json().await.unwrap();
    }
    assert_eq!(statuses, [200, 200, 429]);
    assert_eq!(
        last,
        json!({"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."})
    );
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(get(&z, &tok, "/users/me").await.status(), 200);
    z.daily_limit_reached(true);
    let r = get(&z, &tok, "/users/me").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    z.daily_limit_reached(false);
    z.fail_next(1, 503, json!({"code": 503, "message": "unavailable"}));
    assert_eq!(get(&z, &tok, "/users/me").await.status(), 503);
    assert!(
        z.requests()
            .iter()
            .all(|r| r.path.starts_with("/v2/") || r.path == "/oauth/token")
    );
}
