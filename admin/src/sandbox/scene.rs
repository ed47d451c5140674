//! The sandbox's side of `send-test-webhook --sandbox`: `POST /sandbox/webhooks/{provider}/{event}`
//! answers `{"deliveries": [...]}`, the sample(s) of that event about the sandbox's
//! [`Scene`](crate::samples::Scene), after taking in what they say so its Calendly and Zoom APIs
//! answer alike: a booking, cancellation, reschedule or no-show becomes the scheduled event and
//! invitee the Calendly API lists; a `meeting.ended` seeds that occurrence's participants (the
//! host and the invitee); a `webinar.ended` seeds the webinar's registrants (the invitee and one
//! who stayed away) and its participants (the invitee). Also the delivery of the webhooks a
//! no-show marked through the Calendly API emits.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::recorder::RecordedCall;
use super::{Sandbox, lock};
use crate::samples::{self, ABSENT_EMAIL, HOST_EMAIL, INVITEE_EMAIL};

/// Answers `POST /sandbox/webhooks/{provider}/{event}` (404 for an unknown one).
pub(super) async fn samples(sb: &Arc<Sandbox>, provider: &str, event: &str) -> Response {
    let now = chrono::Utc::now();
    let deliveries = {
        let mut scene = lock(&sb.scene);
        match provider {
            "calendly" => samples::calendly::calendly(event, now, &mut scene),
            "zoom" => samples::zoom::zoom(event, now, &mut scene),
            _ => None,
        }
    };
    let Some(deliveries) = deliveries else {
        let body = json!({"code": "not_found", "message": format!("no {provider} sample {event}")});
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    };
    for d in &deliveries {
        take_in(sb, d);
    }
    let path = format!("/sandbox/webhooks/{provider}/{event}");
    let summary: Vec<Value> = deliveries
        .iter()
        .map(|d| json!({"event": d["event"], "subject": subject(d)}))
        .collect();
    sb.recorder
        .record(RecordedCall::now(
            "sandbox",
            "POST",
            &path,
            200,
            json!({ "sample": summary }),
        ))
        .await;
    axum::Json(json!({ "deliveries": deliveries })).into_response()
}

/// What a delivery is about: the invitee URI, or the Zoom object's id and UUID.
fn subject(d: &Value) -> Value {
    let p = &d["payload"];
    if p["uri"].is_string() {
        return p["uri"].clone();
    }
    json!(format!(
        "{} {}",
        p["object"]["id"]
            .as_str()
            .map_or_else(|| p["object"]["id"].to_string(), str::to_owned),
        p["object"]["uuid"].as_str().unwrap_or_default()
    ))
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// Updates the Calendly and Zoom state with what delivery `d` says.
fn take_in(sb: &Sandbox, d: &Value) {
    let event = d["event"].as_str().unwrap_or_default();
    let p = &d["payload"];
    if p["scheduled_event"].is_object() {
        lock(&sb.calendly).apply_webhook_payload(p);
        return;
    }
    let o = &p["object"];
    let (start, end) = (text(&o["start_time"]), text(&o["end_time"]));
    let mut zoom = lock(&sb.zoom);
    match event {
        "meeting.ended" => {
            let uuid = text(&o["uuid"]);
            let mut host = super::zoom::row("Maya Chen", HOST_EMAIL, &start, &end);
            host["user_id"] = json!("16777216");
            host["internal_user"] = json!(true);
            let invitee = super::zoom::row("Jordan Rivera", INVITEE_EMAIL, &start, &end);
            zoom.add(&uuid, vec![host, invitee]);
        }
        "webinar.ended" => {
            let id = text(&o["id"]);
            zoom.registrants.insert(
                id,
                vec![
                    super::zoom::registrant("Jordan", "Rivera", INVITEE_EMAIL),
                    super::zoom::registrant("Priya", "Natarajan", ABSENT_EMAIL),
                ],
            );
            let row = super::zoom::row("Jordan Rivera", INVITEE_EMAIL, &start, &end);
            zoom.webinar_rows.insert(text(&o["uuid"]), vec![row]);
        }
        _ => {}
    }
}

/// Posts the webhooks of a no-show change to the subscriptions' callback URLs, signed with each
/// subscription's `signing_key` as Calendly signs them, and records each post.
pub(super) async fn deliver(sb: Arc<Sandbox>, outgoing: Vec<super::calendly::Outgoing>) {
    meetflow_shared::tls::install_crypto_provider();
    let Ok(client) = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    else {
        return;
    };
    for out in outgoing {
        let mut request = client
            .post(&out.url)
            .header("content-type", "application/json");
        if let Some(key) = &out.key {
            let t = chrono::Utc::now().timestamp();
            let sig = crate::commands::send_test_webhook::calendly_signature(key, t, &out.body);
            request = request.header("calendly-webhook-signature", sig);
        }
        let status = match request.body(out.body.clone()).send().await {
            Ok(r) => r.status().as_u16(),
            Err(e) => {
                tracing::warn!(url = %out.url, error = %e, "sandbox: Calendly webhook not delivered");
                0
            }
        };
        let body = serde_json::from_slice(&out.body).unwrap_or(Value::Null);
        sb.recorder
            .record(RecordedCall::now(
                "calendly-webhook",
                "POST",
                &out.url,
                status,
                json!({"event": out.event, "payload_uri": body["payload"]["uri"]}),
            ))
            .await;
    }
}
