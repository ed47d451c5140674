//! `meetflow-admin reminders list [--booking URI] [--json]`: the reminders of one booking (every
//! state), or the next reminders waiting to be sent across all bookings, each with its delivery
//! state once sent (`delivered`, `delivered_failed (5012)`, ...: [`meetflow_shared::sms_delivery`]).

use clap::{Args, Subcommand};
use meetflow_shared::bookings::{BookingError, BookingKey, Bookings, PlannedReminder};
use meetflow_shared::sms_delivery::{Deliveries, Delivery};
use serde::Serialize;

use crate::backend::Backend;
use crate::commands::dlq::time;
use crate::table::Table;
use crate::{Ctx, Out};

/// `meetflow-admin reminders ...`.
#[derive(Debug, Subcommand)]
pub enum RemindersCommand {
    /// List reminders and follow-ups.
    List(ListArgs),
}

/// `reminders list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// A Calendly invitee URI or booking key; without it, the next reminders of all bookings.
    #[arg(long, value_name = "URI")]
    pub booking: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// What an operator sees of one booking (no phone number or e-mail).
#[derive(Debug, Clone, Serialize)]
pub struct BookingView {
    /// The booking key (invitee UUID).
    pub key: String,
    /// active, canceled, rescheduled or no_show; `None` when the booking is not stored.
    pub status: Option<String>,
    /// Meeting start.
    pub start: Option<chrono::DateTime<chrono::Utc>>,
    /// Meeting end.
    pub end: Option<chrono::DateTime<chrono::Utc>>,
    /// Event name.
    pub event_name: Option<String>,
    /// Invitee time zone.
    pub timezone: Option<String>,
}

/// One reminder and, once sent, its delivery state as EngageLab's callbacks reported it.
#[derive(Debug, Clone, Serialize)]
pub struct ReminderRow {
    /// The reminder.
    #[serde(flatten)]
    pub reminder: PlannedReminder,
    /// `accepted`, `sent`, `delivered`, `sent_failed`, `delivered_failed` or `target_invalid`
    /// (with EngageLab's error code); absent until EngageLab accepted the SMS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

impl ReminderRow {
    /// The delivery status, or `-`.
    pub fn delivery_text(&self) -> String {
        match &self.delivery {
            None => "-".to_owned(),
            Some(d) => match &d.error_code {
                Some(code) => format!("{} ({code})", d.status),
                None => d.status.clone(),
            },
        }
    }
}

/// The answer of `reminders list`.
#[derive(Debug, Clone, Serialize)]
pub struct RemindersView {
    /// The booking asked about, if any.
    pub booking: Option<BookingView>,
    /// Its reminders (or the next ones of all bookings), earliest first.
    pub reminders: Vec<ReminderRow>,
}

/// Each reminder with its delivery state.
async fn with_delivery(
    bookings: &Bookings,
    reminders: Vec<PlannedReminder>,
) -> Result<Vec<ReminderRow>, BookingError> {
    let deliveries = Deliveries::new(bookings.redis().clone());
    let mut rows = Vec::with_capacity(reminders.len());
    for reminder in reminders {
        let kind = format!("rem-{}", reminder.kind.label());
        let delivery = deliveries.get(reminder.booking.as_str(), &kind).await?;
        rows.push(ReminderRow { reminder, delivery });
    }
    Ok(rows)
}

/// Reminders of `booking` (URI or key) or the next `limit` of all bookings.
pub async fn view(
    bookings: &Bookings,
    booking: Option<&str>,
    limit: usize,
) -> Result<RemindersView, BookingError> {
    let Some(input) = booking.map(str::trim).filter(|b| !b.is_empty()) else {
        let reminders = bookings.reminders(None, limit).await?;
        return Ok(RemindersView {
            booking: None,
            reminders: with_delivery(bookings, reminders).await?,
        });
    };
    let key = BookingKey::from_uri_or_key(input);
    let stored = bookings.get(&key).await?;
    let view = BookingView {
        key: key.to_string(),
        status: stored.as_ref().map(|b| b.status.as_str().to_owned()),
        start: stored.as_ref().and_then(|b| b.start),
        end: stored.as_ref().and_then(|b| b.end),
        event_name: stored.as_ref().and_then(|b| b.event_name.clone()),
        timezone: stored.as_ref().and_then(|b| b.timezone.clone()),
    };
    let mut reminders = stored.map(|b| b.reminders).unwrap_or_default();
    reminders.truncate(limit);
    Ok(RemindersView {
        booking: Some(view),
        reminders: with_delivery(bookings, reminders).await?,
    })
}

impl RemindersCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let Self::List(args) = self;
        let backend = Backend::connect(ctx).await?;
        let v = view(&backend.bookings(), args.booking.as_deref(), args.limit).await?;
        if args.json {
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            return Ok(());
        }
        if let Some(b) = &v.booking {
            match &b.status {
                Some(status) => writeln!(
                    out,
                    "booking {} ({status}){}{}",
                    b.key,
                    b.event_name
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default(),
                    b.start
                        .map(|s| format!(" at {}", time(s.timestamp_millis())))
                        .unwrap_or_default(),
                )?,
                None => writeln!(out, "booking {}: not stored", b.key)?,
            }
        }
        let mut t = Table::new(&["DUE", "KIND", "STATE", "DELIVERY", "BOOKING", "ID"]);
        for row in &v.reminders {
            let r = &row.reminder;
            t.row(vec![
                time(r.due_at.timestamp_millis()),
                r.kind.label(),
                r.state.as_str().to_owned(),
                row.delivery_text(),
                r.booking.to_string(),
                r.id.clone(),
            ]);
        }
        if t.is_empty() {
            writeln!(out, "no reminders")?;
        } else {
            out.write_all(t.render().as_bytes())?;
        }
        Ok(())
    }
}
