//! `meetflow-admin deliveries list|show|replay`: the delivery log (every webhook delivery
//! ingest accepted, kept for `ingest.delivery_log.retention`).
//!
//! `list` pages newest first (`--cursor` continues, stable while deliveries arrive) with
//! `--provider`, `--event`, `--person EMAIL|PHONE`, `--since` and `--until` (RFC 3339,
//! `"YYYY-MM-DD HH:MM"`, `HH:MM` today in UTC, or an age like `30m`). `show ID` prints the raw
//! body with phone numbers and e-mails masked (`--reveal` shows them, recorded in the audit
//! trail). `replay ID...` re-processes deliveries one by one; `replay --all --since T [--until
//! T] [filters]` every delivery the filter matches (at most 10,000). A replay is a new job on
//! the `events` queue; the worker's send-once markers keep an SMS already sent from going out
//! again.

use clap::{Args, Subcommand};
use meetflow_shared::delivery_log::{DeliveryLog, DeliveryPage, ReplayReport};

use crate::backend::Backend;
use crate::commands::dlq::time;
use crate::deliveries::{self, FilterInput};
use crate::table::Table;
use crate::{Ctx, Out, audit};

/// `meetflow-admin deliveries ...`.
#[derive(Debug, Subcommand)]
pub enum DeliveriesCommand {
    /// List logged deliveries, newest first (a page; --cursor continues it).
    List(ListArgs),
    /// Show one delivery with its raw body (phone numbers and e-mails masked).
    Show(ShowArgs),
    /// Re-process deliveries: by id, or every one a filter and time window match (--all).
    Replay(ReplayArgs),
}

/// The filter flags of `list` and `replay --all`.
#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// Only this provider: calendly, zoom or engagelab.
    #[arg(long)]
    pub provider: Option<String>,
    /// Only this event (invitee.created, meeting.ended, callback, ...).
    #[arg(long)]
    pub event: Option<String>,
    /// Only deliveries naming this person: an e-mail address or a phone number (any format).
    #[arg(long)]
    pub person: Option<String>,
    /// Stored at or after this time (RFC 3339, "YYYY-MM-DD HH:MM", HH:MM today UTC, or an age like 30m).
    #[arg(long)]
    pub since: Option<String>,
    /// Stored at or before this time (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
}

impl FilterArgs {
    fn input(&self) -> FilterInput {
        FilterInput {
            provider: self.provider.clone(),
            event: self.event.clone(),
            person: self.person.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
        }
    }
}

/// `deliveries list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The filter.
    #[command(flatten)]
    pub filter: FilterArgs,
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

/// `deliveries show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The delivery id (first column of `deliveries list`).
    pub id: String,
    /// Show phone numbers and e-mail addresses unmasked (recorded in the audit trail).
    #[arg(long)]
    pub reveal: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `deliveries replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Delivery ids to re-process.
    #[arg(conflicts_with = "all")]
    pub ids: Vec<String>,
    /// Every delivery the filter matches (needs --since).
    #[arg(long)]
    pub all: bool,
    /// The filter of --all.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

impl DeliveriesCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let backend = Backend::connect(ctx).await?;
        let log = DeliveryLog::new(backend.client.clone());
        let region = backend.settings.sms.default_region.clone();
        match self {
            Self::List(args) => {
                let filter = args
                    .filter
                    .input()
                    .read(region.as_deref())
                    .map_err(anyhow::Error::msg)?;
                let page = log
                    .page(&filter, args.cursor.as_deref(), args.limit.into())
                    .await?;
                if args.json {
                    writeln!(out, "{}", serde_json::to_string_pretty(&page)?)?;
                } else {
                    print_page(&page, out)?;
                }
                Ok(())
            }
            Self::Show(args) => show(&backend, &log, args, out).await,
            Self::Replay(args) => replay(&backend, &log, args, region.as_deref(), out).await,
        }
    }
}

fn print_page(page: &DeliveryPage, out: &mut Out) -> anyhow::Result<()> {
    if page.items.is_empty() {
        writeln!(out, "no deliveries")?;
    } else {
        out.write_all(render(page).as_bytes())?;
    }
    if let Some(c) = &page.next_cursor {
        writeln!(out, "more: --cursor '{c}'")?;
    }
    Ok(())
}

/// The page as a table.
pub fn render(page: &DeliveryPage) -> String {
    let mut t = Table::new(&[
        "ID", ">STORED", "PROVIDER", "EVENT", "OUTCOME", ">BYTES", ">REPLAYS", "JOB",
    ]);
    for r in &page.items {
        t.row(vec![
            r.id.clone(),
            time(r.at_ms),
            r.provider.clone(),
            r.event.clone(),
            r.outcome.clone(),
            r.size.to_string(),
            r.replays.to_string(),
            r.job.clone(),
        ]);
    }
    t.render()
}

async fn show(
    backend: &Backend,
    log: &DeliveryLog,
    args: ShowArgs,
    out: &mut Out,
) -> anyhow::Result<()> {
    let found = log.get(&args.id).await;
    if args.reveal {
        let record = audit::cli("reveal", deliveries::target(&args.id))
            .outcome_of(&found, |d| Some(u64::from(d.is_some())));
        audit::record(&audit::of_backend(backend), record).await;
    }
    let Some(d) = found? else {
        anyhow::bail!(
            "no delivery with id {} (unknown, or trimmed from the log)",
            args.id
        );
    };
    let d = deliveries::masked(d, args.reveal);
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&d)?)?;
        return Ok(());
    }
    let r = &d.row;
    writeln!(out, "delivery {}", r.id)?;
    writeln!(out, "stored    {}", time(r.at_ms))?;
    writeln!(
        out,
        "provider  {}  event {}  signed {}",
        r.provider, r.event, d.signed
    )?;
    writeln!(out, "job       {}  ({})", r.job, r.outcome)?;
    if r.replays > 0 {
        writeln!(
            out,
            "replayed  {} time(s), last {}",
            r.replays,
            r.replayed_ms.map(time).unwrap_or_default()
        )?;
    }
    let note = if args.reveal {
        ""
    } else {
        " (phone numbers and e-mails masked; --reveal shows them)"
    };
    writeln!(out, "\nbody{note}:")?;
    match serde_json::from_str::<serde_json::Value>(&d.body) {
        Ok(v) => writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?,
        Err(_) => writeln!(out, "{}", d.body)?,
    }
    Ok(())
}

async fn replay(
    backend: &Backend,
    log: &DeliveryLog,
    args: ReplayArgs,
    region: Option<&str>,
    out: &mut Out,
) -> anyhow::Result<()> {
    let audit = audit::of_backend(backend);
    let who = audit::cli_who();
    let report = if args.all {
        let filter = args
            .filter
            .input()
            .read(region)
            .map_err(anyhow::Error::msg)?;
        deliveries::replay_matching(log, &audit, &who, "cli", &filter).await?
    } else {
        if args.ids.is_empty() {
            anyhow::bail!("give delivery ids, or --all with --since (and filters)");
        }
        deliveries::replay_ids(log, &audit, &who, "cli", &args.ids).await?
    };
    print_report(&report, args.json, out)
}

fn print_report(report: &ReplayReport, json: bool, out: &mut Out) -> anyhow::Result<()> {
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(report)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "replayed {} deliveries{}",
        report.replayed.len(),
        if report.missing.is_empty() {
            String::new()
        } else {
            format!(
                "; not in the log (trimmed or unknown): {}",
                report.missing.join(", ")
            )
        }
    )?;
    Ok(())
}
