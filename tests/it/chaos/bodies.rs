//! The signed Calendly deliveries of the chaos plan: each booking's own invitee, e-mail, phone
//! and meeting time written into the real `invitee.created` fixture, the cancellation and the two
//! halves of a reschedule, redeliveries, and the deliberately broken deliveries.

use std::time::Duration;

use chrono::{DateTime, Utc};
use meetflow_tests::fixtures::CALENDLY_INVITEE_CREATED;
use serde_json::{Value, json};

use crate::chaos::plan::{Booking, MEETING, Scenario, rfc};

/// One signed delivery to make.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) at: Duration,
    pub(crate) body: Vec<u8>,
}

/// A Calendly delivery about `b` (its own invitee, e-mail, phone and meeting time).
fn body(
    b: &Booking,
    event: &str,
    uri: &str,
    start: DateTime<Utc>,
    edit: impl FnOnce(&mut Value),
) -> Vec<u8> {
    let mut v: Value = serde_json::from_str(CALENDLY_INVITEE_CREATED).unwrap();
    let now = rfc(Utc::now());
    v["event"] = json!(event);
    v["created_at"] = json!(now);
    let p = &mut v["payload"];
    p["uri"] = json!(uri);
    p["email"] = json!(b.email);
    p["text_reminder_number"] = json!(b.phone_text);
    p["created_at"] = json!(now);
    let ev = &mut p["scheduled_event"];
    ev["start_time"] = json!(rfc(start));
    ev["end_time"] = json!(rfc(start + chrono::Duration::from_std(MEETING).unwrap()));
    ev["location"]["data"]["id"] = json!(80_000_000_000u64 + start.timestamp() as u64 % 1_000_000);
    edit(&mut v);
    serde_json::to_vec(&v).unwrap()
}

fn canceled(v: &mut Value, rescheduled_to: Option<&str>) {
    let p = &mut v["payload"];
    p["status"] = json!("canceled");
    p["rescheduled"] = json!(rescheduled_to.is_some());
    p["new_invitee"] = json!(rescheduled_to);
    p["cancellation"] = json!({
        "canceled_by": "Invitee", "canceler_type": "invitee",
        "created_at": rfc(Utc::now()), "reason": if rescheduled_to.is_some() { "rescheduled" } else { "conflict" }
    });
}

/// Every delivery of booking `b`, in the order the provider sends them.
pub(crate) fn deliveries(b: &Booking) -> Vec<Delivery> {
    let at = |ms: u64| b.send_at + Duration::from_millis(ms);
    let created = body(b, "invitee.created", &b.uri, b.start, |_| {});
    let cancel = || {
        body(b, "invitee.canceled", &b.uri, b.start, |v| {
            canceled(v, None)
        })
    };
    let mut out = vec![];
    match b.scenario {
        Scenario::Plain => out.push(Delivery {
            at: at(0),
            body: created,
        }),
        Scenario::Redelivered(n) => {
            for k in 0..=u64::from(n) {
                out.push(Delivery {
                    at: at(k * 700),
                    body: created.clone(),
                });
            }
        }
        Scenario::Canceled => {
            out.push(Delivery {
                at: at(0),
                body: created,
            });
            let after = b.storm_after.map_or(2500, |d| d.as_millis() as u64);
            out.push(Delivery {
                at: at(after),
                body: cancel(),
            });
        }
        Scenario::CanceledFirst => {
            out.push(Delivery {
                at: at(0),
                body: cancel(),
            });
            out.push(Delivery {
                at: at(1500),
                body: created,
            });
        }
        Scenario::Rescheduled { cancel_first } => {
            let (new_uri, _, new_start) = b.moved.clone().unwrap();
            let old = body(b, "invitee.canceled", &b.uri, b.start, |v| {
                canceled(v, Some(&new_uri))
            });
            let new = body(b, "invitee.created", &new_uri, new_start, |v| {
                v["payload"]["old_invitee"] = json!(b.uri);
            });
            out.push(Delivery {
                at: at(0),
                body: created,
            });
            let (first, second) = if cancel_first { (old, new) } else { (new, old) };
            let after = b.storm_after.map_or(2000, |d| d.as_millis() as u64);
            out.push(Delivery {
                at: at(after),
                body: first,
            });
            out.push(Delivery {
                at: at(after + 600),
                body: second,
            });
        }
    }
    out
}

/// Signed deliveries made to fail for good: not JSON (ingest keeps them as dead letters), or an
/// `invitee.created` without the invitee URI (the events worker refuses it).
/// The `i`-th of `count`, spread evenly over `send_for`.
pub(crate) fn poison(i: usize, count: usize, send_for: Duration) -> Delivery {
    let body = if i.is_multiple_of(2) {
        format!("not json: chaos poison {i} {}", uuid::Uuid::new_v4()).into_bytes()
    } else {
        let mut v: Value = serde_json::from_str(CALENDLY_INVITEE_CREATED).unwrap();
        v["created_at"] = json!(rfc(Utc::now()));
        v["payload"].as_object_mut().unwrap().remove("uri");
        v["payload"]["email"] = json!(format!("poison{i}@example.org"));
        serde_json::to_vec(&v).unwrap()
    };
    Delivery {
        at: send_for.mul_f64((i as f64 + 0.5) / count as f64),
        body,
    }
}
