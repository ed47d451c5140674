//! `meetflow-admin sync calendly --since DATE [--until DATE] [--dry-run] [--json]`: the backfill.
//!
//! Brings Brevo and the bookings store up to date with Calendly's history, quietly (no
//! confirmation, host notice, cancellation SMS, win-back or apology for anything before the
//! sync). The range is cut into one-day slices, enqueued as durable jobs on the `sync` queue
//! (job id per run and slice) and run by the workers serving that queue; this command shows
//! their progress (a bar on a terminal) and the summary (`--json`: one JSON object). Stopped
//! midway, the slices keep running; run it again with the same range and it resumes the same
//! run. Run again once finished, it starts a new run that finds nothing to change.
//!
//! `--dry-run` lists the range here (through the same paced client) and prints what would be
//! brought over, without enqueuing or writing anything. `--until` defaults to 60 days after
//! today (UTC), so meetings booked before go-live and still ahead are included; dates are
//! `YYYY-MM-DD` (midnight UTC) or RFC 3339.
//!
//! `sync zoom` (past meetings' and webinars' attendance) is not in this build.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use meetflow_shared::jobs::sync::SyncJob;
use meetflow_shared::jobs::{JobSpec, SYNC};
use meetflow_shared::queue::{NewJob, QueueClient};
use meetflow_shared::sync::calendly::{Change, SliceSync, SyncError, pacer};
use meetflow_shared::sync::{Counts, Run, Runs, slices};
use serde_json::json;

use super::calendly::{Api, explain};
use crate::backend::Backend;
use crate::{Ctx, Out};

/// How often the progress is read.
const POLL: Duration = Duration::from_millis(500);
/// How far ahead the default `--until` reaches (from today's midnight UTC).
const DEFAULT_AHEAD_DAYS: i64 = 60;

/// `meetflow-admin sync ...`.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Backfill Calendly's scheduled events and invitees in a range into Brevo, quietly.
    Calendly(SyncArgs),
    /// Backfill past Zoom meetings and webinars (not in this build).
    Zoom(SyncArgs),
}

/// The range and how to report.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Meetings starting on or after this date (YYYY-MM-DD, UTC, or RFC 3339).
    #[arg(long, value_parser = parse_date)]
    pub since: DateTime<Utc>,
    /// Meetings starting before this date (default: 60 days after today).
    #[arg(long, value_parser = parse_date)]
    pub until: Option<DateTime<Utc>>,
    /// Print what would change; enqueue and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// One JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
fn parse_date(raw: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{raw}` is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

impl SyncCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        match self {
            Self::Calendly(args) => args.calendly(ctx, out).await,
            Self::Zoom(_) => bail!(
                "sync zoom is not available in this build; Zoom attendance arrives through its webhooks"
            ),
        }
    }
}

impl SyncArgs {
    fn until(&self) -> DateTime<Utc> {
        self.until.unwrap_or_else(|| {
            Utc::now()
                .date_naive()
                .and_time(chrono::NaiveTime::MIN)
                .and_utc()
                + TimeDelta::days(DEFAULT_AHEAD_DAYS)
        })
    }

    async fn calendly(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let until = self.until();
        if until <= self.since {
            bail!("--until ({until}) must be after --since ({})", self.since);
        }
        let api = Api::connect(ctx)?;
        let backend = Backend::connect(ctx).await?;
        let me = api.me().await?;
        let cuts = slices(self.since, until);
        let job = |run: &str, (from, to): (DateTime<Utc>, DateTime<Utc>)| SyncJob {
            v: SyncJob::VERSION,
            source: SyncJob::CALENDLY.into(),
            run: run.to_owned(),
            from,
            until: to,
            organization: me.current_organization.clone(),
            user: me.uri.clone(),
        };
        if self.dry_run {
            let slice = SliceSync::new(
                api.client.clone().with_limit(pacer(
                    backend.client.handle(),
                    backend.settings.connectors.calendly.rate_limit,
                )),
                backend.client.clone(),
                backend.bookings(),
            );
            let bar = bar(cuts.len(), self.json, "listing (dry run)");
            let (mut total, mut changes) = (Counts::default(), Vec::new());
            for cut in &cuts {
                let (counts, mut more) = slice
                    .run(&job("dry-run", *cut), true)
                    .await
                    .map_err(|e| match e {
                        SyncError::Calendly(e) => explain(e),
                        other => anyhow::anyhow!(other),
                    })
                    .context("dry run")?;
                total.add(&counts);
                changes.append(&mut more);
                bar.inc(1);
            }
            bar.finish_and_clear();
            return self.report(out, None, cuts.len(), &total, Some(&changes));
        }
        let runs = Runs::new(backend.client.clone(), SyncJob::CALENDLY);
        let run = runs.begin(self.since, until, cuts.len()).await?;
        let done = runs.results(&run.id).await?;
        let jobs = cuts
            .iter()
            .filter(|(from, _)| !done.contains_key(&from.timestamp_millis()))
            .map(|cut| {
                let j = job(&run.id, *cut);
                Ok(NewJob::json(&j)?.with_id(j.job_id(&())))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        backend.client.enqueue_many(SYNC, jobs).await?;
        tracing::info!(target: "meetflow::audit", action = "sync calendly", run = %run.id, resumed = run.resumed, slices = cuts.len(), "backfill enqueued");
        let done = self.wait(&backend.client, &runs, &run).await?;
        let mut total = Counts::default();
        for counts in done.values() {
            total.add(counts);
        }
        self.report(out, Some(&run), cuts.len(), &total, None)
    }

    /// Shows progress until every slice of `run` is done (or one is dead).
    async fn wait(
        &self,
        client: &QueueClient,
        runs: &Runs,
        run: &Run,
    ) -> anyhow::Result<HashMap<i64, Counts>> {
        let bar = bar(run.slices, self.json, "backfilling");
        let prefix = format!("sync:{}:{}:", SyncJob::CALENDLY, run.id);
        let mut polls = 0u64;
        loop {
            let done = runs.results(&run.id).await?;
            bar.set_position(done.len() as u64);
            if done.len() >= run.slices {
                bar.finish_and_clear();
                return Ok(done);
            }
            polls += 1;
            if polls.is_multiple_of(10) {
                let dead = client.dead_letters().list(Some(SYNC), 0, 100).await?;
                if let Some(d) = dead.iter().find(|d| d.id.starts_with(&prefix)) {
                    bar.abandon();
                    bail!(
                        "backfill slice {} failed for good (see `meetflow-admin dlq show {}`); fix the cause, `dlq retry` it, and run this again to follow",
                        d.id,
                        d.id
                    );
                }
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn report(
        &self,
        out: &mut Out,
        run: Option<&Run>,
        slices: usize,
        total: &Counts,
        changes: Option<&[Change]>,
    ) -> anyhow::Result<()> {
        if self.json {
            let mut summary = json!({
                "source": SyncJob::CALENDLY,
                "since": self.since,
                "until": self.until(),
                "dry_run": self.dry_run,
                "slices": slices,
                "events": total.events,
                "invitees": total.invitees,
                "synced": total.synced,
                "active": total.active,
                "canceled": total.canceled,
                "no_show": total.no_show,
                "unchanged": total.unchanged,
            });
            if let Some(run) = run {
                summary["run"] = run.id.clone().into();
                summary["resumed"] = run.resumed.into();
            }
            if let Some(changes) = changes {
                summary["changes"] = serde_json::to_value(changes)?;
            }
            writeln!(out, "{summary}")?;
            return Ok(());
        }
        if let Some(changes) = changes {
            for c in changes {
                let start = c.start.map_or_else(|| "-".into(), |s| s.to_rfc3339());
                writeln!(
                    out,
                    "would sync {} as {} (meeting {start})",
                    c.booking, c.state
                )?;
            }
        }
        let verb = if self.dry_run { "would sync" } else { "synced" };
        writeln!(
            out,
            "{} slices, {} events, {} invitees: {verb} {} ({} active, {} cancelled, {} no-show), {} unchanged",
            slices,
            total.events,
            total.invitees,
            total.synced,
            total.active,
            total.canceled,
            total.no_show,
            total.unchanged
        )?;
        Ok(())
    }
}

/// A progress bar on stderr (hidden when stderr is not a terminal, and with `--json`).
fn bar(len: usize, json: bool, message: &'static str) -> ProgressBar {
    let target = if json {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(len as u64), target);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} slices ({elapsed}, eta {eta})")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(message);
    bar
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates_are_days_at_midnight_utc_or_rfc3339() {
        assert_eq!(
            parse_date("2026-03-01").unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_date("2026-03-01T10:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2026-03-01T08:00:00+00:00"
        );
        assert!(parse_date("March 1").is_err());
    }
}
