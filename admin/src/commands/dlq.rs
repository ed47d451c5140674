//! `meetflow-admin dlq list|show|retry|delete`: inspect dead letters and replay or drop them.
//!
//! `retry` and `delete` take ids or `--all` with the list's filters. Both are safe to repeat and
//! to run while workers run: the queue core moves each id atomically and skips ids that are no
//! longer dead, so a replayed job is queued once however often the command runs. `--all` asks
//! for confirmation (on stderr) unless `--yes`, refuses without a terminal, and shows a progress
//! bar. Dead letters marked "possibly sent" are only replayed one at a time, with
//! `dlq retry ID --resend` (see [`crate::commands::dlq_bulk`]).

use clap::{Args, Subcommand};

use crate::audit;
use crate::backend::Backend;
use crate::commands::dlq_bulk::{Bulk, BulkAction};
use crate::dead::{self, Filter};
use crate::table::Table;
use crate::{Ctx, Out};

/// `meetflow-admin dlq ...`.
#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead letters, newest first.
    List(ListArgs),
    /// Show one job: payload (phone numbers and e-mails masked), every attempt and its error.
    Show(ShowArgs),
    /// Send dead letters back to their queue with a fresh attempt budget.
    Retry(Bulk),
    /// Delete dead letters for good.
    Delete(Bulk),
}

/// `dlq list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this queue.
    #[arg(long)]
    pub queue: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
    /// Skip this many (a scan position when --class or --grep is given).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Only jobs whose last error has this class (e.g. provider_rejected).
    #[arg(long)]
    pub class: Option<String>,
    /// Only jobs whose id, payload or an error message contains this text.
    #[arg(long)]
    pub grep: Option<String>,
    /// Only jobs that died at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_parser = dead::parse_time)]
    pub since: Option<i64>,
    /// Only jobs that died before this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_parser = dead::parse_time)]
    pub until: Option<i64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `dlq show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The job id.
    pub id: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Show phone numbers and e-mail addresses unmasked (recorded in the audit trail).
    #[arg(long)]
    pub reveal: bool,
}

impl DlqCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let backend = Backend::connect(ctx).await?;
        match self {
            Self::List(args) => list(&backend, args, out).await,
            Self::Show(args) => show(&backend, args, out).await,
            Self::Retry(bulk) => bulk.run(&backend, BulkAction::Retry, out).await,
            Self::Delete(bulk) => bulk.run(&backend, BulkAction::Delete, out).await,
        }
    }
}

async fn list(backend: &Backend, args: ListArgs, out: &mut Out) -> anyhow::Result<()> {
    let filter = Filter {
        queue: args.queue,
        class: args.class,
        text: args.grep,
        since_ms: args.since,
        until_ms: args.until,
    };
    let page = dead::page(&backend.client, &filter, args.offset, args.limit.into()).await?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&page)?)?;
        return Ok(());
    }
    let mut t = Table::new(&["ID", "QUEUE", "DIED", ">ATTEMPTS", "CLASS", "LAST ERROR"]);
    for s in &page.items {
        t.row(vec![
            s.id.clone(),
            s.queue.clone(),
            s.dead_ms.map(time).unwrap_or_default(),
            format!("{}/{}", s.attempts, s.max_attempts),
            s.class.clone().unwrap_or_default(),
            if s.possibly_sent {
                format!(
                    "[possibly sent] {}",
                    dead::shorten(s.message.as_deref().unwrap_or_default(), 64)
                )
            } else {
                dead::shorten(s.message.as_deref().unwrap_or_default(), 80)
            },
        ]);
    }
    if t.is_empty() {
        writeln!(out, "no dead letters{}", matching(&filter))?;
    } else {
        out.write_all(t.render().as_bytes())?;
    }
    let shown = page.items.len();
    match page.next_offset {
        Some(next) if page.filtered => writeln!(
            out,
            "# {shown} shown; scanned {} of {} dead letters; more with --offset {next}",
            page.scanned, page.total
        )?,
        Some(next) => writeln!(
            out,
            "# {shown} of {} shown; more with --offset {next}",
            page.total
        )?,
        None => writeln!(out, "# {shown} shown of {} dead letters", page.total)?,
    }
    Ok(())
}

fn matching(f: &Filter) -> String {
    let d = f.describe();
    if d.is_empty() {
        String::new()
    } else {
        format!(" matching {d}")
    }
}

async fn show(backend: &Backend, args: ShowArgs, out: &mut Out) -> anyhow::Result<()> {
    let found = dead::detail(&backend.client, &args.id, args.reveal).await;
    if args.reveal {
        let record = audit::cli("reveal", format!("job: {}", args.id))
            .outcome_of(&found, |d| Some(u64::from(d.is_some())));
        audit::record(&audit::of_backend(backend), record).await;
    }
    let Some(d) = found? else {
        anyhow::bail!("no job with id {}", args.id);
    };
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&d)?)?;
        return Ok(());
    }
    let r = &d.record;
    let state = serde_json::to_value(r.state)?;
    writeln!(out, "id:        {}", r.id)?;
    writeln!(out, "queue:     {}", r.queue)?;
    writeln!(out, "state:     {}", state.as_str().unwrap_or_default())?;
    writeln!(out, "attempts:  {}/{}", r.attempts, r.max_attempts)?;
    writeln!(out, "created:   {}", time(r.created_ms))?;
    if let Some(ms) = r.dead_ms {
        writeln!(out, "died:      {}", time(ms))?;
    }
    if let Some(g) = &r.group {
        writeln!(out, "group:     {g}")?;
    }
    if d.possibly_sent {
        writeln!(
            out,
            "sent:      possibly (check EngageLab; `dlq retry {} --resend` sends it again)",
            r.id
        )?;
    }
    writeln!(out, "\nattempts ({}):", r.errors.len())?;
    for e in &r.errors {
        writeln!(
            out,
            "  #{:<3} {}  {:<17} {}",
            e.attempt,
            time(e.at_ms),
            e.class,
            e.message
        )?;
    }
    let note = if d.revealed {
        ""
    } else {
        " (phone numbers and e-mails masked; --reveal shows them)"
    };
    writeln!(out, "\npayload{note}:")?;
    match &d.payload_json {
        Some(v) => {
            writeln!(out, "{}", serde_json::to_string_pretty(v)?)?;
            if let Some(body) = v.get("body").and_then(|b| b.as_str())
                && let Ok(inner) = serde_json::from_str::<serde_json::Value>(body)
            {
                writeln!(out, "\nbody:\n{}", serde_json::to_string_pretty(&inner)?)?;
            }
        }
        None => writeln!(out, "{}", r.payload.as_deref().unwrap_or("(none)"))?,
    }
    Ok(())
}

/// Unix ms as a UTC timestamp.
pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3fZ").to_string())
        .unwrap_or_else(|| ms.to_string())
}
