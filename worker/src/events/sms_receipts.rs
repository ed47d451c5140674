//! EngageLab delivery callbacks (`POST /webhooks/engagelab`, stored by ingest): each status row
//! moves its SMS's delivery state forward ([`meetflow_shared::sms_delivery`]), counted and timed,
//! with a Brevo event for a final state; each notification row (`insufficient_balance`, ...) is
//! counted and logged for the alert. A row whose `error_code` is one of
//! `sms.opt_out.engagelab_codes` (5019, "unsubscribed") puts its `to` on the suppression list
//! ([`crate::sms::opt_out::engagelab`]).
//!
//! A row finds its SMS by `message_id` (recorded when EngageLab accepted the send), else by the
//! `custom_args` sent with it (`booking`, `kind`). A row that moves nothing (a redelivery, or a
//! late `sent` after `delivered`) changes no state and no metric; its Brevo event, if the state
//! is that final one, is enqueued again under the same job id, which the queue de-duplicates, so
//! a crash between the state change and the enqueue loses no event and a redelivery sends none.
//!
//! Metrics: `meetflow_sms_delivery_total{status, kind, country}`,
//! `meetflow_sms_delivery_seconds{kind, country}` (accept to delivered),
//! `meetflow_sms_delivery_rows_total{outcome}` and `meetflow_engagelab_notifications_total{event}`.

use chrono::{DateTime, Utc};
use meetflow_shared::bookings::BookingKey;
use meetflow_shared::jobs::brevo::EventTrack;
use meetflow_shared::jobs::sms::SmsKind;
use meetflow_shared::providers::engagelab::callback::{
    CallbackBody, CallbackRow, StatusRow, read_row,
};
use meetflow_shared::queue::JobError;
use meetflow_shared::sms_delivery::{Deliveries, DeliveryStatus, Transition};
use serde_json::{Map, Value};

use crate::context::Worker;
use crate::error::{self, bad_payload};
use crate::fanout::FanOut;

/// The notification that says the account ran out of credit.
pub(crate) const INSUFFICIENT_BALANCE: &str = "insufficient_balance";

fn rows(outcome: &'static str) {
    metrics::counter!("meetflow_sms_delivery_rows_total", "outcome" => outcome).increment(1);
}

/// Handles one stored callback body.
pub(crate) async fn handle(
    w: &Worker,
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<(), JobError> {
    let parsed: CallbackBody = serde_json::from_slice(body)
        .map_err(|e| bad_payload(format!("engagelab callback: {e}")))?;
    let deliveries = Deliveries::new(w.redis.clone());
    let mut out = FanOut::default();
    for row in &parsed.rows {
        match read_row(row) {
            CallbackRow::Notification { event } => notification(&event),
            CallbackRow::Other => rows("unreadable"),
            CallbackRow::Status(s) => {
                status_row(w, &deliveries, &s, received_at, &mut out).await?;
            }
        }
    }
    out.enqueue(&w.client).await
}

fn notification(event: &str) {
    let known = match event {
        INSUFFICIENT_BALANCE => INSUFFICIENT_BALANCE,
        _ => "other",
    };
    metrics::counter!("meetflow_engagelab_notifications_total", "event" => known).increment(1);
    rows("notification");
    if known == INSUFFICIENT_BALANCE {
        tracing::error!(
            event,
            "EngageLab reports insufficient balance: SMS will fail until the account is topped up"
        );
    } else {
        tracing::info!(event, "EngageLab notification");
    }
}

/// The (booking, kind) a row is about: by message id, else by `custom_args`.
async fn target(
    deliveries: &Deliveries,
    s: &StatusRow,
) -> Result<Option<(String, String)>, JobError> {
    if let Some(id) = s.message_id()
        && let Some(found) = deliveries.find(&id).await.map_err(error::redis)?
    {
        return Ok(Some(found));
    }
    Ok(s.arg("booking").zip(s.arg("kind")))
}

async fn status_row(
    w: &Worker,
    deliveries: &Deliveries,
    s: &StatusRow,
    received_at: DateTime<Utc>,
    out: &mut FanOut,
) -> Result<(), JobError> {
    // An unsubscribed number (`sms.opt_out.engagelab_codes`) is suppressed whatever the row's
    // status and whether or not it matches an SMS of ours.
    crate::sms::opt_out::engagelab(w, s.to.as_deref(), s.status.error_code).await?;
    let Some(status) = DeliveryStatus::parse(&s.status.message_status) else {
        rows("ignored_status");
        return Ok(());
    };
    let Some((booking, kind)) = target(deliveries, s).await? else {
        rows("unmatched");
        tracing::info!(
            status = status.as_str(),
            "EngageLab callback row matches no SMS of this installation"
        );
        return Ok(());
    };
    let code = s.status.error_code.filter(|c| *c != 0);
    let reported = reported_at(s.itime, received_at);
    let t = deliveries
        .report(
            &booking,
            &kind,
            status,
            code,
            s.message_id().as_deref(),
            reported.timestamp_millis(),
        )
        .await
        .map_err(error::redis)?;
    if t.changed {
        rows("applied");
        counted(status, &t, reported);
        if status.is_failure() {
            tracing::warn!(%booking, kind = %t.kind, status = status.as_str(), error_code = code, "SMS not delivered");
        } else {
            tracing::info!(%booking, kind = %t.kind, status = status.as_str(), "SMS delivery status");
        }
    } else {
        rows("unchanged");
    }
    if t.changed || t.previous == status.as_str() {
        brevo_event(w, &booking, &kind, status, code, out).await?;
    }
    Ok(())
}

/// When EngageLab reported the row (`itime`, seconds or milliseconds), else when ingest got it.
fn reported_at(itime: Option<i64>, received_at: DateTime<Utc>) -> DateTime<Utc> {
    let at = itime.and_then(|t| {
        if t > 100_000_000_000 {
            DateTime::from_timestamp_millis(t)
        } else {
            DateTime::from_timestamp(t, 0)
        }
    });
    at.filter(|t| *t <= received_at + chrono::Duration::minutes(5))
        .unwrap_or(received_at)
}

fn counted(status: DeliveryStatus, t: &Transition, reported: DateTime<Utc>) {
    let country = if t.country.is_empty() {
        "unknown".to_owned()
    } else {
        t.country.clone()
    };
    metrics::counter!("meetflow_sms_delivery_total",
        "status" => status.as_str(), "kind" => t.kind.clone(), "country" => country.clone())
    .increment(1);
    if status == DeliveryStatus::Delivered
        && let Some(accepted) = t.accepted_ms
    {
        let secs = (reported.timestamp_millis() - accepted).max(0) as f64 / 1000.0;
        metrics::histogram!("meetflow_sms_delivery_seconds", "kind" => t.kind.clone(), "country" => country)
            .record(secs);
    }
}

/// The Brevo event of a final state (`sms_delivered`, `sms_failed`; an empty name = off), for the
/// invitee's e-mail. Host notices go to the host's phone: no event.
async fn brevo_event(
    w: &Worker,
    booking: &str,
    kind: &str,
    status: DeliveryStatus,
    code: Option<i64>,
    out: &mut FanOut,
) -> Result<(), JobError> {
    let names = &w.settings.engagement.brevo_events;
    let name = match status {
        DeliveryStatus::Delivered => &names.sms_delivered,
        s if s.is_failure() => &names.sms_failed,
        _ => return Ok(()),
    };
    if name.is_empty() || kind == SmsKind::HostNotify.as_str() {
        return Ok(());
    }
    let Some(key) = BookingKey::parse(booking) else {
        return Ok(());
    };
    let email = w
        .bookings
        .get(&key)
        .await
        .map_err(error::bookings)?
        .and_then(|b| b.email)
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty());
    let Some(email) = email else {
        crate::brevo::brevo_skipped("engagelab:callback", "no_email");
        return Ok(());
    };
    let mut properties = Map::new();
    properties.insert("booking".into(), Value::String(booking.to_owned()));
    properties.insert("sms_kind".into(), Value::String(kind.to_owned()));
    properties.insert("status".into(), Value::String(status.as_str().to_owned()));
    if let Some(c) = code {
        properties.insert("error_code".into(), Value::from(c));
    }
    out.event(
        &format!("{booking}:{kind}"),
        EventTrack {
            event_name: name.clone(),
            date: None,
            email,
            properties,
        },
    )
}
