//! The fake Brevo's auth errors, rate-limit headers/429 and injected faults.

use std::time::{Duration, Instant};

use meetflow_tests::fakes::FakeBrevo;
use reqwest::Method;
use serde_json::json;

use super::brevo::{body, call, create_request};

#[tokio::test]
async fn fakes_brevo_auth_errors() {
    let b = FakeBrevo::start().await.unwrap();
    let url = format!("{}/contacts", b.base_url());
    let c = meetflow_tests::http_client();
    let r = c.post(&url).json(&create_request()).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        body(r).await,
        json!({"code": "unauthorized", "message": "Key not found"})
    );
    let r = c
        .post(&url)
        .header("api-key", "xkeysib-wrong")
        .json(&create_request())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    b.ip_allowlist_mode(true);
    let r = call(&b, Method::POST, "/contacts", Some(create_request())).await;
    assert_eq!(r.status(), 401);
    let v = body(r).await;
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("unrecognised IP address")
    );
    assert!(b.contacts().is_empty());
    assert_eq!(b.requests().len(), 3);
}

#[tokio::test]
async fn fakes_brevo_rate_limit_headers_and_429() {
    let b = FakeBrevo::start().await.unwrap();
    let r = call(&b, Method::GET, "/contacts/1", None).await;
    for h in [
        "x-sib-ratelimit-limit",
        "x-sib-ratelimit-remaining",
        "x-sib-ratelimit-reset",
    ] {
        assert!(r.headers().contains_key(h), "{h} missing");
    }
    b.rate_limit_window(3, Duration::from_secs(60));
    let mut statuses = Vec::new();
    let mut remaining = Vec::new();
    for _ in 0..5 {
        let r = call(&b, Method::GET, "/contacts/1", None).await;
        statuses.push(r.status().as_u16());
        let h = |k: &str| r.headers()[k].to_str().unwrap().to_owned();
        remaining.push(h("x-sib-ratelimit-remaining"));
        assert_eq!(h("x-sib-ratelimit-limit"), "3");
        let reset: u64 = h("x-sib-ratelimit-reset").parse().unwrap();
        assert!((55..=60).contains(&reset), "reset {reset}");
    }
    assert_eq!(statuses, [404, 404, 404, 429, 429]);
    assert_eq!(remaining, ["2", "1", "0", "0", "0"]);
    // Events have their own budget.
    let ev = json!({"event_name": "x", "identifiers": {"email_id": "a@example.com"}});
    assert_eq!(
        call(&b, Method::POST, "/events", Some(ev)).await.status(),
        204
    );

    // A 1-second window refills after a second.
    b.rate_limit(1);
    assert_eq!(
        call(&b, Method::GET, "/contacts/1", None).await.status(),
        404
    );
    let r = call(&b, Method::GET, "/contacts/1", None).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["x-sib-ratelimit-reset"], "1");
    assert_eq!(r.headers()["x-sib-ratelimit-remaining"], "0");
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(
        call(&b, Method::GET, "/contacts/1", None).await.status(),
        404
    );
}

#[tokio::test]
async fn fakes_brevo_fail_next_and_latency() {
    let b = FakeBrevo::start().await.unwrap();
    b.fail_next(
        2,
        503,
        json!({"code": "service_unavailable", "message": "try later"}),
    );
    for _ in 0..2 {
        let r = call(&b, Method::POST, "/contacts", Some(create_request())).await;
        assert_eq!(r.status(), 503);
        assert!(r.headers().contains_key("x-sib-ratelimit-remaining"));
    }
    assert!(b.contacts().is_empty(), "failed requests change nothing");
    assert_eq!(
        call(&b, Method::POST, "/contacts", Some(create_request()))
            .await
            .status(),
        201
    );
    b.set_latency(Duration::from_millis(150));
    let t0 = Instant::now();
    call(&b, Method::GET, "/contacts/1", None).await;
    assert!(t0.elapsed() >= Duration::from_millis(150));
    let reqs = b.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/v3/contacts");
    assert_eq!(reqs[0].header("api-key"), Some(b.api_key().as_str()));
    assert_eq!(
        reqs[0].json.as_ref().unwrap()["email"],
        "jordan.rivera@example.com"
    );
}
