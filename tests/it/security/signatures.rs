//! Security: signature attacks on the real ingest server over real HTTP, against a private Redis.
//! A replayed old delivery, a body swapped under a valid header, one provider's signature sent to
//! the other's route, and timestamps far in the future are all 401, and leave Redis untouched:
//! no key appears, and the attacker's bytes are nowhere.

use meetflow_tests::signing::{calendly_signature, hmac_sha256_hex, zoom_signature};

use crate::support::ingest::{CALENDLY_KEY, TestIngest, ZOOM_SECRET, now, spawn_ingest};
use crate::support::security::{all_keys, assert_no_key_name_holds, keys_holding, marked_body};

/// Answers 401 with `reason`, and Redis holds exactly the keys it held before.
async fn refused(app: &TestIngest, response: reqwest::Response, reason: &str, marker: &str) {
    let before = all_keys(&app.redis).await;
    let status = response.status().as_u16();
    let json: serde_json::Value = response.json().await.unwrap_or_default();
    assert_eq!(
        (status, json["reason"].as_str()),
        (401, Some(reason)),
        "{json}"
    );
    assert_eq!(
        all_keys(&app.redis).await,
        before,
        "a refused delivery wrote to Redis"
    );
    assert!(keys_holding(&app.redis, marker).await.is_empty());
}

#[tokio::test]
async fn a_replayed_old_delivery_with_a_valid_signature_is_401_and_not_stored() {
    let app = spawn_ingest().await;
    let body = marked_body("replay-old");
    for age in [181, 3600, 24 * 3600, 400 * 24 * 3600] {
        let t = now() - age;
        let sig = calendly_signature(CALENDLY_KEY, t, &body);
        refused(
            &app,
            app.calendly(&body, Some(sig)).await,
            "stale",
            "replay-old",
        )
        .await;
    }
    // Zoom: the same, with its own headers.
    let ts = now() - 3600;
    let sig = zoom_signature(ZOOM_SECRET, ts, &body);
    refused(
        &app,
        app.zoom(&body, Some(sig), Some(ts)).await,
        "stale",
        "replay-old",
    )
    .await;
    assert!(all_keys(&app.redis).await.is_empty());
}

#[tokio::test]
async fn a_body_swapped_under_a_valid_header_is_401_and_not_stored() {
    let app = spawn_ingest().await;
    let original = marked_body("swap-original");
    let t = now();
    let header = calendly_signature(CALENDLY_KEY, t, &original);
    let swaps = [
        marked_body("swap-other"),
        String::from_utf8(marked_body("swap-original"))
            .unwrap()
            .replace("jordan.rivera@example.com", "attacker@evil.example")
            .replace("swap-original", "swap-email")
            .into_bytes(),
        [original.as_slice(), b" "].concat(),
        original[..original.len() - 1].to_vec(),
        Vec::new(),
    ];
    for (i, swapped) in swaps.iter().enumerate() {
        let response = app.calendly(swapped, Some(header.clone())).await;
        refused(&app, response, "mismatch", &format!("swap-{i}")).await;
    }
    let ts = now();
    let zoom_header = zoom_signature(ZOOM_SECRET, ts, &original);
    let response = app
        .zoom(&swaps[0], Some(zoom_header.clone()), Some(ts))
        .await;
    refused(&app, response, "mismatch", "swap-other").await;
    // The signed timestamp is part of what is signed: moving it breaks the signature.
    let response = app.zoom(&original, Some(zoom_header), Some(ts + 1)).await;
    refused(&app, response, "mismatch", "swap-original").await;
    assert!(
        keys_holding(&app.redis, "attacker@evil.example")
            .await
            .is_empty()
    );
    assert!(all_keys(&app.redis).await.is_empty());
}

#[tokio::test]
async fn one_providers_signature_on_the_other_providers_route_is_401() {
    let app = spawn_ingest().await;
    let body = marked_body("cross-provider");
    let t = now();
    let zoom_sig = zoom_signature(ZOOM_SECRET, t, &body);
    let cal_sig = calendly_signature(CALENDLY_KEY, t, &body);

    // Zoom's headers on the Calendly route: no Calendly header at all.
    let response = app
        .http
        .post(app.url("/webhooks/calendly"))
        .header("x-zm-signature", &zoom_sig)
        .header("x-zm-request-timestamp", t.to_string())
        .body(body.clone())
        .send()
        .await
        .unwrap();
    refused(&app, response, "missing", "cross-provider").await;
    // Zoom's value in Calendly's header: not `t=..,v1=..`.
    refused(
        &app,
        app.calendly(&body, Some(zoom_sig.clone())).await,
        "malformed",
        "cross-provider",
    )
    .await;
    // Calendly's scheme keyed with the Zoom secret (a leaked secret of the other provider).
    let sig = calendly_signature(ZOOM_SECRET, t, &body);
    refused(
        &app,
        app.calendly(&body, Some(sig)).await,
        "mismatch",
        "cross-provider",
    )
    .await;
    // Zoom's MAC over Calendly's message layout, as a v1 value.
    let mac = hmac_sha256_hex(ZOOM_SECRET, &[format!("{t}.").as_bytes(), &body].concat());
    refused(
        &app,
        app.calendly(&body, Some(format!("t={t},v1={mac}"))).await,
        "mismatch",
        "cross-provider",
    )
    .await;

    // And the other way: Calendly's header on the Zoom route.
    let response = app
        .http
        .post(app.url("/webhooks/zoom"))
        .header("Calendly-Webhook-Signature", &cal_sig)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    refused(&app, response, "missing", "cross-provider").await;
    refused(
        &app,
        app.zoom(&body, Some(cal_sig), Some(t)).await,
        "malformed",
        "cross-provider",
    )
    .await;
    let sig = zoom_signature(CALENDLY_KEY, t, &body);
    refused(
        &app,
        app.zoom(&body, Some(sig), Some(t)).await,
        "mismatch",
        "cross-provider",
    )
    .await;
    let v1 = calendly_signature(CALENDLY_KEY, t, &body);
    let tag = v1.rsplit('=').next().unwrap();
    refused(
        &app,
        app.zoom(&body, Some(format!("v0={tag}")), Some(t)).await,
        "mismatch",
        "cross-provider",
    )
    .await;
    assert!(all_keys(&app.redis).await.is_empty());
}

#[tokio::test]
async fn timestamps_far_in_the_future_are_401_even_with_a_valid_signature() {
    let app = spawn_ingest().await;
    let body = marked_body("future");
    for ahead in [181, 3600, 24 * 3600, 10 * 365 * 24 * 3600] {
        let t = now() + ahead;
        let sig = calendly_signature(CALENDLY_KEY, t, &body);
        refused(
            &app,
            app.calendly(&body, Some(sig)).await,
            "future",
            "future",
        )
        .await;
        let sig = zoom_signature(ZOOM_SECRET, t, &body);
        refused(
            &app,
            app.zoom(&body, Some(sig), Some(t)).await,
            "future",
            "future",
        )
        .await;
    }
    // Timestamps that do not fit the reader (13+ digits, signs, overflow) are malformed, not
    // wrapped around into the window.
    for t in [
        "9999999999999",
        "-1",
        "+1700000000",
        "18446744073709551617",
        "1e9",
        " ",
    ] {
        let mac = hmac_sha256_hex(CALENDLY_KEY, &[format!("{t}.").as_bytes(), &body].concat());
        let response = app.calendly(&body, Some(format!("t={t},v1={mac}"))).await;
        refused(&app, response, "malformed", "future").await;
    }
    assert!(all_keys(&app.redis).await.is_empty());
}

#[tokio::test]
async fn accepted_deliveries_keep_bodies_out_of_key_names() {
    let app = spawn_ingest().await;
    let body = marked_body("accepted-marker");
    assert_eq!(app.calendly_signed(&body).await.status(), 200);
    assert_eq!(
        app.calendly_signed(b"not json at all: accepted-marker")
            .await
            .status(),
        200
    );
    assert_eq!(app.zoom_signed(&body).await.status(), 200);
    assert!(
        !all_keys(&app.redis).await.is_empty(),
        "the deliveries were stored"
    );
    assert_no_key_name_holds(
        &app.redis,
        &[
            "accepted-marker",
            "jordan.rivera",
            "example.com",
            "invitees/",
            "scheduled_events",
            "\"",
            "payload",
        ],
    )
    .await;
}
