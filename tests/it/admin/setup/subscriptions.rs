//! `calendly subscribe`, `subscriptions` and `unsubscribe`: the printed key is the one Calendly
//! signs with, duplicates and disabled subscriptions are refused with what to do, and Calendly's
//! refusals (free plan, bad token) are one line.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use meetflow_shared::providers::calendly_api::CalendlyClient;
use meetflow_tests::fakes::{EventSeed, FakeCalendlyApi, InviteeSeed};
use meetflow_tests::signing::calendly_signature;

use super::{cal, calendly, failed, posts_to_subscriptions};
use crate::support::admin::{ok, run};

/// What `subscribe` printed after `connectors.calendly.signing_key: `.
fn printed_key(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("connectors.calendly.signing_key: "))
        .expect("config line");
    line.trim().to_owned()
}

/// Signature header and body of each delivery received.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A receiver standing in for meetflow-ingest: keeps each delivery's signature header and body.
async fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let sink = got.clone();
    let app = Router::new().route(
        "/webhooks/calendly",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                let sig = headers
                    .get("calendly-webhook-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                sink.lock().unwrap().push((sig, body.to_vec()));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/webhooks/calendly",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test]
async fn admin_setup_calendly_subscribe_prints_the_key_calendly_signs_with_and_refuses_a_duplicate()
{
    let fake = FakeCalendlyApi::start().await.unwrap();
    let (url, got) = receiver().await;
    let out = cal(&fake, &["calendly", "subscribe", "--url", &url]).await;
    let stdout = ok(&out);
    let key = printed_key(&stdout);
    assert!(
        key.len() >= 43
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{key}"
    );
    assert!(
        stdout.contains(&format!("CALENDLY_WEBHOOK_SIGNING_KEY={key}")),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches(&key).count(),
        2,
        "the key is printed once, in its two forms: {stdout}"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&key));
    let subs = fake.subscriptions();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0]["callback_url"], url.as_str());
    assert_eq!(subs[0]["scope"], "organization");
    assert_eq!(subs[0]["state"], "active");
    assert_eq!(
        subs[0]["events"],
        serde_json::json!([
            "invitee.created",
            "invitee.canceled",
            "invitee_no_show.created",
            "invitee_no_show.deleted"
        ])
    );
    assert!(stdout.contains(subs[0]["uri"].as_str().unwrap()));

    // Calendly signs deliveries to that subscription with exactly the printed key.
    let event = fake.add_event(EventSeed::new(
        "2026-05-04T17:00:00.000000Z",
        "2026-05-04T17:30:00.000000Z",
    ));
    let invitee = fake.add_invitee(&event, InviteeSeed::new("ana@example.com", "Ana Lima"));
    let api = CalendlyClient::new(
        fake.base_url().parse().unwrap(),
        fake.access_token().into(),
        Duration::from_secs(5),
    )
    .unwrap();
    api.create_invitee_no_show(&invitee).await.unwrap();
    let delivered = fake.wait_for_deliveries(1, Duration::from_secs(5)).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].status, Some(200));
    let (sig, body) = got.lock().unwrap()[0].clone();
    let t: i64 = sig
        .strip_prefix("t=")
        .and_then(|s| s.split(',').next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(sig, calendly_signature(&key, t, &body));

    // Same URL again (with a trailing slash): refused before any POST, nothing created.
    let again = cal(
        &fake,
        &[
            "calendly",
            "subscribe",
            "--url",
            &format!("{url}/"),
            "--scope",
            "user",
        ],
    )
    .await;
    let err = failed(&again);
    assert!(
        err.contains("already exists") && err.contains(subs[0]["uri"].as_str().unwrap()),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&again.stdout).contains("signing_key"));
    assert_eq!(fake.subscriptions().len(), 1);
    assert_eq!(posts_to_subscriptions(&fake), 1);
}

#[tokio::test]
async fn admin_setup_calendly_subscriptions_show_state_and_unsubscribe_removes() {
    let fake = FakeCalendlyApi::start().await.unwrap();
    let empty = ok(&cal(&fake, &["calendly", "subscriptions"]).await);
    assert!(empty.contains("no webhook subscriptions"), "{empty}");
    let url = "https://hooks.example.com/webhooks/calendly";
    ok(&cal(
        &fake,
        &[
            "calendly",
            "subscribe",
            "--url",
            url,
            "--scope",
            "user",
            "--events",
            "invitee.created,invitee.canceled",
        ],
    )
    .await);
    let uri = fake.subscriptions()[0]["uri"].as_str().unwrap().to_owned();
    assert_eq!(fake.subscriptions()[0]["scope"], "user");

    let table = ok(&cal(&fake, &["calendly", "subscriptions"]).await);
    let row = table
        .lines()
        .find(|l| l.starts_with(&uri))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        row.contains(url)
            && row.contains("active")
            && row.contains("invitee.created,invitee.canceled")
            && row.contains("user"),
        "{row}"
    );

    // Calendly disabled it (24 h of failures): listed as such, and subscribe says what to do.
    assert!(fake.disable_subscription(&uri));
    let table = ok(&cal(&fake, &["calendly", "subscriptions"]).await);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&uri) && l.contains("disabled")),
        "{table}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &cal(&fake, &["calendly", "subscriptions", "--json"])
            .await
            .stdout,
    )
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["state"], "disabled");
    assert_eq!(json[0]["callback_url"], url);
    let err = failed(&cal(&fake, &["calendly", "subscribe", "--url", url]).await);
    assert!(
        err.contains("disabled") && err.contains(&format!("unsubscribe {uri}")),
        "{err}"
    );

    let out = ok(&cal(&fake, &["calendly", "unsubscribe", &uri]).await);
    assert!(out.contains(&uri));
    assert!(fake.subscriptions().is_empty());
    let err = failed(&cal(&fake, &["calendly", "unsubscribe", &uri]).await);
    assert!(err.contains("no webhook subscription"), "{err}");
    ok(&cal(&fake, &["calendly", "subscribe", "--url", url]).await);
    assert_eq!(fake.subscriptions().len(), 1);
}

#[tokio::test]
async fn admin_setup_calendly_refusals_are_one_clear_line() {
    let fake = FakeCalendlyApi::start().await.unwrap();
    fake.set_free_plan(true);
    let url = "https://hooks.example.com/webhooks/calendly";
    let out = cal(&fake, &["calendly", "subscribe", "--url", url]).await;
    let err = failed(&out);
    assert!(
        err.contains("Calendly webhooks need a paid plan (Standard or above)"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("signing_key"));
    assert!(fake.subscriptions().is_empty());

    let mut cmd = calendly(&fake, "wrong-token-0123456789");
    cmd.args(["calendly", "subscriptions"]);
    let out = run(cmd).await;
    let err = failed(&out);
    assert!(
        err.contains("access token rejected") && !err.contains("wrong-token"),
        "{err}"
    );

    let mut cmd = calendly(&fake, "x");
    cmd.env_remove("MEETFLOW__CONNECTORS__CALENDLY__ACCESS_TOKEN")
        .args(["calendly", "event-types"]);
    let err = failed(&run(cmd).await);
    assert!(
        err.contains("connectors.calendly.access_token is not set"),
        "{err}"
    );

    for bad in [
        vec!["calendly", "subscribe"],
        vec!["calendly", "subscribe", "--url", url, "--scope", "group"],
        vec![
            "calendly",
            "subscribe",
            "--url",
            url,
            "--events",
            "invitee.created,invitee.bogus",
        ],
    ] {
        assert_eq!(cal(&fake, &bad).await.status.code(), Some(2), "{bad:?}");
    }
    assert_eq!(posts_to_subscriptions(&fake), 1);
}
