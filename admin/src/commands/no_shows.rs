//! `meetflow-admin no-shows list [--limit N] [--json]` and `no-shows undo INVITEE_URI`: the
//! no-shows meetflow marked in Calendly from Zoom attendance (`engagement.no_show_detection`,
//! [`meetflow_shared::auto_no_show`]).
//!
//! `undo` removes the mark in Calendly (`DELETE /invitee_no_shows/{uuid}`, through the shared
//! Calendly rate limit), which answers with `invitee_no_show.deleted`: the booking's status comes
//! back and a pending apology SMS is called off by the normal webhook handling. The undo is kept
//! on the mark (so the worker never marks that booking again) and in the audit trail.

use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use meetflow_shared::auto_no_show::AutoNoShows;
use meetflow_shared::bookings::BookingKey;
use meetflow_shared::providers::call_limit::CallLimit;
use meetflow_shared::providers::rate_limit::RateLimiter;

use super::calendly::{Api, explain};
use crate::audit;
use crate::backend::Backend;
use crate::commands::dlq::time;
use crate::table::Table;
use crate::{Ctx, Out};

/// How long the undo waits for a slot of the shared Calendly rate limit.
const SLOT_WAIT: Duration = Duration::from_secs(10);

/// `meetflow-admin no-shows ...`.
#[derive(Debug, Subcommand)]
pub enum NoShowsCommand {
    /// The no-shows meetflow marked from Zoom attendance, newest first.
    List(ListArgs),
    /// Remove one of them in Calendly (the invitee's status and apology SMS follow).
    Undo(UndoArgs),
}

/// `no-shows list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `no-shows undo`.
#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The Calendly invitee URI (as `no-shows list` shows it).
    #[arg(value_name = "INVITEE_URI")]
    pub invitee: String,
}

impl NoShowsCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        match self {
            Self::List(a) => list(ctx, a, out).await,
            Self::Undo(a) => undo(ctx, a, out).await,
        }
    }
}

async fn list(ctx: &Ctx, a: ListArgs, out: &mut Out) -> anyhow::Result<()> {
    let backend = Backend::connect(ctx).await?;
    let marks = AutoNoShows::new(backend.client.handle().clone())
        .list(a.limit)
        .await?;
    if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&marks)?)?;
        return Ok(());
    }
    if marks.is_empty() {
        writeln!(out, "no no-show marked from Zoom attendance")?;
        return Ok(());
    }
    let mut t = Table::new(&["MARKED", "STATE", "INVITEE", "ZOOM MEETING"]);
    for m in &marks {
        let state = match (m.undone_ms, &m.undone_by) {
            (Some(at), Some(by)) => format!("undone {} by {by}", time(at)),
            (Some(at), None) => format!("undone {}", time(at)),
            _ => m.state().to_owned(),
        };
        t.row(vec![
            time(m.marked_ms),
            state,
            m.invitee_uri.clone(),
            m.meeting_id
                .clone()
                .unwrap_or_else(|| m.meeting_uuid.clone()),
        ]);
    }
    write!(out, "{}", t.render())?;
    Ok(())
}

async fn undo(ctx: &Ctx, a: UndoArgs, out: &mut Out) -> anyhow::Result<()> {
    let backend = Backend::connect(ctx).await?;
    let uri = a.invitee.trim();
    let key = BookingKey::from_invitee_uri(uri);
    let marks = AutoNoShows::new(backend.client.handle().clone());
    let result = undo_mark(ctx, &backend, &marks, &key, uri).await;
    let record =
        audit::cli("no_show_undo", format!("invitee: {uri}")).outcome_of(&result, |_| Some(1));
    audit::record(&audit::of_backend(&backend), record).await;
    let gone_before = result?;
    writeln!(
        out,
        "no-show of {uri} removed in Calendly{}",
        if gone_before {
            " (it was already gone there)"
        } else {
            ""
        }
    )?;
    Ok(())
}

/// Removes the mark; `true` when Calendly no longer had it.
async fn undo_mark(
    ctx: &Ctx,
    backend: &Backend,
    marks: &AutoNoShows,
    key: &BookingKey,
    uri: &str,
) -> anyhow::Result<bool> {
    let Some(mut mark) = marks.get(key).await? else {
        bail!(
            "no no-show of {uri} marked from Zoom attendance in the last 30 days (see `no-shows list`); a host's own mark is removed in Calendly"
        );
    };
    if let Some(at) = mark.undone_ms {
        bail!("the no-show of {uri} was already undone at {}", time(at));
    }
    let cal = &backend.settings.connectors.calendly;
    let api = Api::connect(ctx)?;
    let client = api.client.with_limit(CallLimit::new(
        RateLimiter::new(
            backend.client.handle(),
            "calendly",
            cal.rate_limit.count,
            cal.rate_limit.per,
        ),
        SLOT_WAIT,
    ));
    let gone_before = match client.delete_invitee_no_show(&mark.no_show_uri).await {
        Ok(()) => false,
        Err(e) if e.status == Some(404) => true,
        Err(e) => return Err(explain(e)).context("removing the no-show in Calendly"),
    };
    mark.undone_ms = Some(Utc::now().timestamp_millis());
    mark.undone_by = Some(audit::cli_who());
    marks.put(&mark).await?;
    Ok(gone_before)
}
