//! `meetflow-admin person (EMAIL | PHONE | URI) [--json] [--reveal]`: everything meetflow did
//! for one person ([`crate::person`]): their bookings with each status change and Calendly
//! delivery, Brevo jobs, every SMS with its state, and their dead letters, with the command that
//! acts on each. Personal data is masked unless `--reveal`, which is recorded in the audit trail.

use clap::Args;

use crate::audit;
use crate::backend::Backend;
use crate::commands::dlq::time;
use crate::person::{self, JobView, Lookup, PersonView, Sources};
use crate::table::Table;
use crate::{Ctx, Out};

/// `person`.
#[derive(Debug, Args)]
pub struct PersonCommand {
    /// An e-mail address, a phone number (any format; national numbers are read with
    /// sms.default_region), or a Calendly invitee URI or booking key.
    #[arg(value_name = "EMAIL|PHONE|URI")]
    pub query: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Show e-mails, numbers, names and error texts unmasked (recorded in the audit trail).
    #[arg(long)]
    pub reveal: bool,
}

impl PersonCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let backend = Backend::connect(ctx).await?;
        let lookup = Lookup::parse(&self.query, backend.settings.sms.region())?;
        let bookings = backend.bookings();
        let src = Sources {
            client: &backend.client,
            bookings: &bookings,
            settings: &backend.settings,
        };
        let found = person::view(src, &lookup, self.reveal).await;
        if self.reveal {
            let record = audit::cli("reveal", format!("person: {}", lookup.masked()))
                .outcome_of(&found, |v| Some(v.bookings.len() as u64));
            audit::record(&audit::of_backend(&backend), record).await;
        }
        let v = found?;
        if self.json {
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        } else {
            write_text(&v, out)?;
        }
        Ok(())
    }
}

fn at(ms: Option<i64>) -> String {
    ms.map(time).unwrap_or_else(|| "-".to_owned())
}

/// The command that acts on `job` now, if any.
fn act(job: &JobView) -> String {
    let id = &job.id;
    match job.actions.first().copied() {
        Some("replay") => format!("meetflow-admin dlq retry {id}"),
        Some("resend") => format!("meetflow-admin dlq retry {id} --resend"),
        Some("run-now") => format!("meetflow-admin jobs run-now {id}"),
        Some("cancel") => format!("meetflow-admin jobs cancel {id}"),
        _ => String::new(),
    }
}

fn write_text(v: &PersonView, out: &mut Out) -> anyhow::Result<()> {
    let note = if v.revealed {
        "personal data shown"
    } else {
        "masked; --reveal shows e-mails and numbers"
    };
    writeln!(out, "person {} ({} lookup; {note})", v.query, v.kind)?;
    if !v.emails.is_empty() {
        writeln!(out, "e-mail:  {}", v.emails.join(", "))?;
    }
    if !v.phones.is_empty() {
        writeln!(out, "phone:   {}", v.phones.join(", "))?;
    }
    for s in &v.suppressed {
        writeln!(
            out,
            "SMS suppressed: {} {} (scope {}, since {})",
            s.kind,
            s.value,
            s.scope,
            at(s.added_ms)
        )?;
    }
    if v.bookings.is_empty() {
        writeln!(out, "no bookings found")?;
    }
    for b in &v.bookings {
        writeln!(out)?;
        writeln!(
            out,
            "booking {} ({}){}{}",
            b.key,
            b.status.as_deref().unwrap_or("no longer stored"),
            b.event_name
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default(),
            b.start_ms
                .map(|s| format!(" at {}", time(s)))
                .unwrap_or_default(),
        )?;
        if let Some(from) = &b.rescheduled_from {
            writeln!(out, "  rescheduled from {from}")?;
        }
        if let Some(to) = &b.rescheduled_to {
            writeln!(out, "  rescheduled to {to}")?;
        }
        let mut t = Table::new(&[
            "  HANDLED",
            "EVENT",
            "VIA",
            "STATUS AFTER",
            "DELIVERY",
            "JOB",
        ]);
        for d in &b.deliveries {
            t.row(vec![
                format!("  {}", time(d.entry.at_ms)),
                d.entry.event.clone(),
                d.entry.via.clone(),
                d.entry.status.clone().unwrap_or_else(|| "-".into()),
                d.entry.delivery.clone(),
                d.job
                    .as_ref()
                    .map_or_else(|| "expired".to_owned(), |j| j.state.clone()),
            ]);
        }
        if !t.is_empty() {
            out.write_all(t.render().as_bytes())?;
        }
        let mut t = Table::new(&["  SMS", "STATE", "DUE", "DELIVERY", "JOB", "ACT"]);
        for s in &b.sms {
            t.row(vec![
                format!("  {}", s.kind),
                s.state.as_str().to_owned(),
                at(s.due_ms),
                s.delivery.as_ref().map_or_else(
                    || "-".to_owned(),
                    |d| match &d.error_code {
                        Some(c) => format!("{} ({c})", d.status),
                        None => d.status.clone(),
                    },
                ),
                s.job
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |j| format!("{} {}", j.id, j.state)),
                s.job.as_ref().map(act).unwrap_or_default(),
            ]);
        }
        if !t.is_empty() {
            out.write_all(t.render().as_bytes())?;
        }
        let mut t = Table::new(&["  BREVO JOB", "STATE", "ATTEMPTS", "LAST ERROR", "ACT"]);
        for j in &b.brevo {
            t.row(vec![
                format!("  {}", j.id),
                j.state.clone(),
                if j.max_attempts == 0 {
                    j.attempts.to_string()
                } else {
                    format!("{}/{}", j.attempts, j.max_attempts)
                },
                j.last_error.clone().unwrap_or_default(),
                act(j),
            ]);
        }
        if !t.is_empty() {
            out.write_all(t.render().as_bytes())?;
        }
    }
    if !v.dead_letters.is_empty() {
        writeln!(out)?;
        let mut t = Table::new(&["DEAD LETTER", "QUEUE", "DIED", "LAST ERROR", "ACT"]);
        for j in &v.dead_letters {
            t.row(vec![
                j.id.clone(),
                j.queue.clone(),
                at(j.dead_ms),
                j.last_error.clone().unwrap_or_default(),
                act(j),
            ]);
        }
        out.write_all(t.render().as_bytes())?;
    }
    Ok(())
}
