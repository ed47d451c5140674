//! `meetflow-admin jobs list|run-now|cancel|dead`: every job in view, and an operator's hand on
//! a waiting one.
//!
//! `jobs list --state ready|inflight|scheduled|retrying|dead [--queue Q] [--limit N] [--cursor C]`
//! pages through one state, oldest (or next due) first, dead letters newest first; the cursor a
//! page prints continues it, stable while new jobs arrive (see
//! [`meetflow_shared::queue::ListState`]). `run-now`, `cancel` and `dead` act on one job
//! atomically and only while it waits (ready, scheduled, retrying; run-now takes scheduled and
//! retrying only); `--expect STATE` also refuses a job no longer in the state you saw. A job in
//! flight is always refused, with the process holding it.

use clap::{Args, Subcommand};
use meetflow_shared::queue::{JobAction, JobPage, JobRow, ListState};

use crate::backend::Backend;
use crate::commands::dlq::time;
use crate::table::Table;
use crate::{Ctx, Out};

/// `meetflow-admin jobs ...`.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List the jobs in one state (a page; --cursor continues it).
    List(ListArgs),
    /// Run a scheduled or retrying job now.
    RunNow(ActArgs),
    /// Cancel a ready, scheduled or retrying job: it never runs (never an in-flight one).
    Cancel(ActArgs),
    /// Move a ready, scheduled or retrying job to the dead letters.
    Dead(ActArgs),
}

/// `jobs list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// ready, inflight, scheduled, retrying or dead.
    #[arg(long, value_parser = parse_state)]
    pub state: ListState,
    /// Only this queue.
    #[arg(long)]
    pub queue: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
    /// Continue after this cursor (printed by the previous page).
    #[arg(long)]
    pub cursor: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `jobs run-now|cancel|dead ID`.
#[derive(Debug, Args)]
pub struct ActArgs {
    /// The job id.
    pub id: String,
    /// Refuse unless the job is still in this state (the one you saw in `jobs list`).
    #[arg(long, value_parser = parse_state)]
    pub expect: Option<ListState>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A `--state` value.
pub fn parse_state(s: &str) -> Result<ListState, String> {
    ListState::parse(s).ok_or_else(|| {
        format!("{s:?} is not a state: use ready, inflight, scheduled, retrying or dead")
    })
}

impl JobsCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let backend = Backend::connect(ctx).await?;
        let (args, action) = match self {
            Self::List(args) => return list(&backend, args, out).await,
            Self::RunNow(a) => (a, JobAction::RunNow),
            Self::Cancel(a) => (a, JobAction::Cancel),
            Self::Dead(a) => (a, JobAction::Dead),
        };
        let result = backend.client.act(&args.id, action, args.expect).await;
        let record =
            crate::audit::job_action(&crate::audit::cli_who(), "cli", action, &args.id, &result);
        crate::audit::record(&crate::audit::of_backend(&backend), record).await;
        let outcome = result?;
        let line = outcome.explain(action, &args.id);
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&outcome)?)?;
        }
        if !outcome.is_done() {
            anyhow::bail!(line);
        }
        if !args.json {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }
}

/// Masks phone numbers and e-mail addresses in the rows' last errors (CLI, API and page alike).
pub fn mask_page(page: &mut JobPage) {
    for r in &mut page.items {
        if let Some(e) = &mut r.last_error {
            e.message = crate::mask::text(&e.message);
        }
    }
}

async fn list(backend: &Backend, args: ListArgs, out: &mut Out) -> anyhow::Result<()> {
    let mut page = backend
        .client
        .list_jobs(
            args.state,
            args.queue.as_deref(),
            args.cursor.as_deref(),
            args.limit.into(),
        )
        .await?;
    mask_page(&mut page);
    page.fill_max_attempts(|q| backend.settings.queue(q).max_attempts);
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&page)?)?;
        return Ok(());
    }
    if page.items.is_empty() {
        writeln!(out, "no {} jobs{}", page.state, scope(&page))?;
    } else {
        out.write_all(render(&page).as_bytes())?;
    }
    if let Some(c) = &page.next_cursor {
        writeln!(out, "more: --cursor '{c}'")?;
    }
    Ok(())
}

fn scope(page: &JobPage) -> String {
    page.queue
        .as_deref()
        .map(|q| format!(" in queue {q}"))
        .unwrap_or_default()
}

/// The list as a table; its columns depend on the state.
pub fn render(page: &JobPage) -> String {
    let when = match page.state {
        ListState::Inflight => ">LEASE UNTIL",
        ListState::Scheduled | ListState::Retrying => ">NEXT RUN",
        ListState::Dead => ">DIED",
        ListState::Ready => ">ENQUEUED",
    };
    let mut headers = vec!["ID", "QUEUE", "KIND", ">ATTEMPT", when];
    if page.state == ListState::Inflight {
        headers.push("HELD BY");
    }
    headers.push("LAST ERROR");
    let mut t = Table::new(&headers);
    for r in &page.items {
        let mut row = vec![
            r.id.clone(),
            r.queue.clone(),
            r.kind.clone().unwrap_or_default(),
            format!("{}/{}", r.attempt, r.max_attempts.unwrap_or_default()),
            when_of(page.state, r),
        ];
        if page.state == ListState::Inflight {
            row.push(r.holder.clone().unwrap_or_default());
        }
        row.push(
            r.last_error
                .as_ref()
                .map(|e| format!("{}: {}", e.class, e.message))
                .unwrap_or_default(),
        );
        t.row(row);
    }
    t.render()
}

fn when_of(state: ListState, r: &JobRow) -> String {
    let ms = match state {
        ListState::Inflight => r.lease_expires_ms,
        ListState::Scheduled | ListState::Retrying => r.next_run_ms,
        ListState::Dead => r.dead_ms,
        ListState::Ready => Some(r.enqueued_ms),
    };
    ms.map(time).unwrap_or_default()
}
