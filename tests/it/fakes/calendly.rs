//! The fake Calendly API answers as Calendly does: bearer auth, X-RateLimit-* headers
//! and 429, scheduled events (filters, cursor pagination) and invitees.

use std::time::Duration;

use meetflow_tests::fakes::{EventSeed, FakeCalendlyApi, InviteeSeed, ORG_URI, USER_URI};
use reqwest::{Method, Response};
use serde_json::Value;

pub(crate) async fn call(
    c: &FakeCalendlyApi,
    method: Method,
    path_and_query: &str,
    body: Option<Value>,
) -> Response {
    let url = if path_and_query.starts_with("http") {
        path_and_query.to_owned()
    } else {
        format!("{}{path_and_query}", c.base_url())
    };
    let mut req = meetflow_tests::http_client()
        .request(method, url)
        .bearer_auth(c.access_token());
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

fn seed_week(c: &FakeCalendlyApi) -> Vec<String> {
    (0..5)
        .map(|d| {
            let start = format!("2026-04-2{d}T17:00:00.000000Z");
            let end = format!("2026-04-2{d}T17:30:00.000000Z");
            let seed = EventSeed::new(&start, &end);
            if d == 4 {
                c.add_event(seed.canceled())
            } else {
                c.add_event(seed)
            }
        })
        .collect()
}

#[tokio::test]
async fn fakes_calendly_auth_and_rate_limit_headers() {
    let c = FakeCalendlyApi::start().await.unwrap();
    let r = meetflow_tests::http_client()
        .get(format!("{}/users/me", c.base_url()))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-ratelimit-limit"], "500");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["title"], "Unauthenticated");
    assert!(v["message"].is_string());

    let r = call(&c, Method::GET, "/users/me", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["resource"]["current_organization"],
        ORG_URI
    );

    c.rate_limit(2, Duration::from_secs(60));
    let a = call(&c, Method::GET, "/users/me", None).await;
    assert_eq!(a.headers()["x-ratelimit-remaining"], "1");
    call(&c, Method::GET, "/users/me", None).await;
    let r = call(&c, Method::GET, "/users/me", None).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
    let reset: u64 = r.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((55..=60).contains(&reset), "{reset}");
}

#[tokio::test]
async fn fakes_calendly_scheduled_events_filters_and_pages() {
    let c = FakeCalendlyApi::start().await.unwrap();
    let uris = seed_week(&c);
    let r = call(&c, Method::GET, "/scheduled_events", None).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["title"],
        "Invalid Argument"
    );

    let q = format!(
        "/scheduled_events?organization={ORG_URI}&status=active&min_start_time=2026-04-21T00:00:00Z&count=2"
    );
    let r = call(&c, Method::GET, &q, None).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let got: Vec<&str> = v["collection"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uri"].as_str().unwrap())
        .collect();
    assert_eq!(got, [uris[1].as_str(), uris[2].as_str()]);
    let next = v["pagination"]["next_page"].as_str().unwrap().to_owned();
    assert!(next.starts_with(&c.base_url()));
    let v: Value = call(&c, Method::GET, &next, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["collection"].as_array().unwrap().len(), 1);
    assert_eq!(v["collection"][0]["uri"], uris[3].as_str());
    assert!(v["pagination"]["next_page_token"].is_null());

    let q = format!("/scheduled_events?user={USER_URI}&max_start_time=2026-04-21T17:00:00Z");
    let v: Value = call(&c, Method::GET, &q, None).await.json().await.unwrap();
    assert_eq!(
        v["collection"].as_array().unwrap().len(),
        1,
        "max_start_time is exclusive"
    );
    let q = "/scheduled_events?user=https://api.calendly.com/users/someone-else";
    let v: Value = call(&c, Method::GET, q, None).await.json().await.unwrap();
    assert!(v["collection"].as_array().unwrap().is_empty());
    let q = format!("/scheduled_events?organization={ORG_URI}&count=101");
    assert_eq!(call(&c, Method::GET, &q, None).await.status(), 400);
}

#[tokio::test]
async fn fakes_calendly_invitees_paginate() {
    let c = FakeCalendlyApi::start().await.unwrap();
    let ev = c.add_event(EventSeed::new(
        "2026-04-21T17:00:00.000000Z",
        "2026-04-21T17:30:00.000000Z",
    ));
    for i in 0..3 {
        c.add_invitee(
            &ev,
            InviteeSeed::new(&format!("p{i}@example.com"), "Jordan Rivera")
                .phone("+1 415-555-0132"),
        );
    }
    let uuid = ev.rsplit('/').next().unwrap();
    let v: Value = call(&c, Method::GET, &format!("/scheduled_events/{uuid}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["resource"]["invitees_counter"]["total"], 3);
    let v: Value = call(
        &c,
        Method::GET,
        &format!("/scheduled_events/{uuid}/invitees?count=2"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(v["collection"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["collection"][0]["text_reminder_number"],
        "+1 415-555-0132"
    );
    assert_eq!(v["collection"][0]["first_name"], "Jordan");
    let tok = v["pagination"]["next_page_token"].as_str().unwrap();
    let v: Value = call(
        &c,
        Method::GET,
        &format!("/scheduled_events/{uuid}/invitees?count=2&page_token={tok}"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(v["collection"][0]["email"], "p2@example.com");
    assert_eq!(
        call(&c, Method::GET, "/scheduled_events/nope/invitees", None)
            .await
            .status(),
        404
    );
}
