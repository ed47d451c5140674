//! The fake Calendly's webhook subscriptions (free-plan 403, 409, disable) and no-shows
//! that emit signed webhooks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use meetflow_tests::fakes::{EventSeed, FakeCalendlyApi, InviteeSeed, ORG_URI, USER_URI};
use meetflow_tests::signing::calendly_signature;
use reqwest::Method;
use serde_json::{Value, json};

use super::calendly::call;

#[tokio::test]
async fn fakes_calendly_subscriptions_and_event_types() {
    let c = FakeCalendlyApi::start().await.unwrap();
    let body = json!({"url": "https://hooks.example.com/calendly", "events": ["invitee.created", "invitee.canceled"],
        "organization": ORG_URI, "scope": "organization", "signing_key": "k"});
    c.set_free_plan(true);
    let r = call(
        &c,
        Method::POST,
        "/webhook_subscriptions",
        Some(body.clone()),
    )
    .await;
    assert_eq!(r.status(), 403);
    assert!(
        r.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .starts_with("Please upgrade")
    );
    c.set_free_plan(false);
    let r = call(
        &c,
        Method::POST,
        "/webhook_subscriptions",
        Some(body.clone()),
    )
    .await;
    assert_eq!(r.status(), 201);
    let sub = r.json::<Value>().await.unwrap()["resource"].clone();
    assert_eq!(sub["state"], "active");
    assert_eq!(
        call(&c, Method::POST, "/webhook_subscriptions", Some(body))
            .await
            .status(),
        409
    );
    let bad = json!({"url": "https://x.example.com", "events": ["routing_form_submission.created"], "organization": ORG_URI, "scope": "user", "user": USER_URI});
    assert_eq!(
        call(&c, Method::POST, "/webhook_subscriptions", Some(bad))
            .await
            .status(),
        400
    );

    let q = format!("/webhook_subscriptions?organization={ORG_URI}&scope=organization");
    let v: Value = call(&c, Method::GET, &q, None).await.json().await.unwrap();
    assert_eq!(v["collection"].as_array().unwrap().len(), 1);
    assert!(c.disable_subscription(sub["uri"].as_str().unwrap()));
    assert_eq!(c.subscriptions()[0]["state"], "disabled");
    let uuid = sub["uri"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        call(
            &c,
            Method::DELETE,
            &format!("/webhook_subscriptions/{uuid}"),
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        call(
            &c,
            Method::GET,
            &format!("/webhook_subscriptions/{uuid}"),
            None
        )
        .await
        .status(),
        404
    );

    let v: Value = call(
        &c,
        Method::GET,
        &format!("/event_types?user={USER_URI}"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let et = v["collection"][0]["uri"].as_str().unwrap().to_owned();
    let r = call(
        &c,
        Method::POST,
        "/scheduling_links",
        Some(json!({"max_event_count": 1, "owner": et, "owner_type": "EventType"})),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert!(
        r.json::<Value>().await.unwrap()["resource"]["booking_url"]
            .as_str()
            .unwrap()
            .starts_with("https://calendly.com/d/")
    );
}

#[tokio::test]
async fn fakes_calendly_no_shows_emit_signed_webhooks() {
    let seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
    let s = seen.clone();
    let app = Router::new().route(
        "/hook",
        post(move |h: HeaderMap, b: Bytes| async move {
            s.lock().unwrap().push((h, b));
            ""
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });

    let c = FakeCalendlyApi::start().await.unwrap();
    let sub = json!({"url": hook, "events": ["invitee_no_show.created", "invitee_no_show.deleted"], "organization": ORG_URI, "scope": "organization", "signing_key": "nskey"});
    assert_eq!(
        call(&c, Method::POST, "/webhook_subscriptions", Some(sub))
            .await
            .status(),
        201
    );
    let ev = c.add_event(EventSeed::new(
        "2026-04-21T17:00:00.000000Z",
        "2026-04-21T17:30:00.000000Z",
    ));
    let inv = c.add_invitee(
        &ev,
        InviteeSeed::new("jordan.rivera@example.com", "Jordan Rivera"),
    );

    let r = call(
        &c,
        Method::POST,
        "/invitee_no_shows",
        Some(json!({"invitee": inv})),
    )
    .await;
    assert_eq!(r.status(), 201);
    let ns = r.json::<Value>().await.unwrap()["resource"].clone();
    assert_eq!(ns["invitee"], inv.as_str());
    assert!(!c.invitee(&inv).unwrap()["no_show"].is_null());
    assert_eq!(
        call(
            &c,
            Method::POST,
            "/invitee_no_shows",
            Some(json!({"invitee": inv}))
        )
        .await
        .status(),
        400
    );
    let uuid = ns["uri"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        call(
            &c,
            Method::DELETE,
            &format!("/invitee_no_shows/{uuid}"),
            None
        )
        .await
        .status(),
        204
    );
    assert!(c.invitee(&inv).unwrap()["no_show"].is_null());
    assert_eq!(
        call(
            &c,
            Method::POST,
            "/invitee_no_shows",
            Some(json!({"invitee": "https://api.calendly.com/x"}))
        )
        .await
        .status(),
        404
    );
    let bare = call(
        &c,
        Method::POST,
        "/invitee_no_shows",
        Some(json!({"invitee": "9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e"})),
    )
    .await;
    assert_eq!(bare.status(), 400, "the spec's invitee is a URI");
    let err: Value = bare.json().await.unwrap();
    assert_eq!(err["title"], "Invalid Argument");
    assert_eq!(err["details"][0]["parameter"], "invitee");

    let d = c.wait_for_deliveries(2, Duration::from_secs(5)).await;
    assert_eq!(d.len(), 2);
    assert!(d.iter().all(|d| d.status == Some(200)));
    let seen = seen.lock().unwrap();
    let mut events = Vec::new();
    for (h, b) in seen.iter() {
        let sig = h["calendly-webhook-signature"].to_str().unwrap();
        let t: i64 = sig
            .strip_prefix("t=")
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(sig, calendly_signature("nskey", t, b));
        let v: Value = serde_json::from_slice(b).unwrap();
        assert_eq!(v["payload"]["uri"], inv.as_str());
        assert_eq!(v["payload"]["scheduled_event"]["uri"], ev.as_str());
        events.push(v["event"].as_str().unwrap().to_owned());
    }
    events.sort();
    assert_eq!(
        events,
        ["invitee_no_show.created", "invitee_no_show.deleted"]
    );
}
