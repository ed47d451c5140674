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
//! `meetflow-admin sync zoom --since DATE [--until DATE] [--dry-run] [--json]` is the Zoom
//! catch-up sweep ([`meetflow_shared::sync::zoom`]) over a chosen range, as the same durable
//! one-day slices on the `sync` queue with the same progress and summary: the workers list the
//! meetings and webinars that ended in each slice (and the recordings of those that started in
//! it) and handle the ones whose webhook meetflow never handled, as the webhook would have
//! (attendance, webinar attended/missed lists, recordings). A second run finds them all handled
//! and changes nothing. `--until` defaults to now; Zoom's reports reach six months back.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use meetflow_shared::jobs::sync::SyncJob;
use meetflow_shared::jobs::{JobSpec, SYNC};
use meetflow_shared::providers::zoom_api::ZoomClient;
use meetflow_shared::queue::{NewJob, QueueClient};
use meetflow_shared::sync::calendly::{SliceSync, SyncError, pacer};
use meetflow_shared::sync::zoom::{Missed, ZoomSlice};
use meetflow_shared::sync::{Counts, Run, Runs, slices};
use serde_json::json;

use super::calendly::{Api, explain};
use crate::backend::Backend;
use crate::{Ctx, Out};

/// How often the progress is read.
const POLL: Duration = Duration::from_millis(500);
/// Timeout of each Zoom call of a dry run.
const ZOOM_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest wait of a dry run's Zoom call for a slot of the shared limit.
const ZOOM_SLOT_WAIT: Duration = Duration::from_secs(60);
/// How far ahead the default `--until` reaches (from today's midnight UTC).
const DEFAULT_AHEAD_DAYS: i64 = 60;

/// `meetflow-admin sync ...`.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Backfill Calendly's scheduled events and invitees in a range into Brevo, quietly.
    Calendly(SyncArgs),
    /// Catch up past Zoom meetings, webinars and recordings whose webhook meetflow never handled.
    Zoom(SyncArgs),
}

/// The range and how to report.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Meetings starting on or after this date (YYYY-MM-DD, UTC, or RFC 3339).
    #[arg(long, value_parser = parse_date)]
    pub since: DateTime<Utc>,
    /// Meetings starting before this date (default: calendly 60 days after today; zoom now).
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
            Self::Zoom(args) => args.zoom(ctx, out).await,
        }
    }
}

impl SyncArgs {
    fn until(&self, source: &str) -> DateTime<Utc> {
        self.until.unwrap_or_else(|| {
            if source == SyncJob::ZOOM {
                return Utc::now();
            }
            Utc::now()
                .date_naive()
                .and_time(chrono::NaiveTime::MIN)
                .and_utc()
                + TimeDelta::days(DEFAULT_AHEAD_DAYS)
        })
    }

    async fn zoom(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let until = self.until(SyncJob::ZOOM);
        if until <= self.since {
            bail!("--until ({until}) must be after --since ({})", self.since);
        }
        let backend = Backend::connect(ctx).await?;
        let api = ZoomClient::from_settings(
            &backend.settings.connectors.zoom,
            backend.client.handle(),
            ZOOM_TIMEOUT,
            ZOOM_SLOT_WAIT,
        )?
        .context("connectors.zoom.account_id/client_id/client_secret are not set (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)")?;
        let cuts = slices(self.since, until);
        if self.dry_run {
            let slice = ZoomSlice::new(api, backend.client.clone());
            let bar = bar(cuts.len(), self.json, "listing (dry run)");
            let (mut total, mut changes) = (Counts::default(), Vec::new());
            for (from, to) in &cuts {
                let (counts, missed) = slice.missed(*from, *to).await.context("dry run")?;
                total.add(&counts);
                changes.extend(missed.iter().map(Missed::change));
                bar.inc(1);
            }
            bar.finish_and_clear();
            let lines = changes
                .iter()
                .map(|c| {
                    let at = c.at.map_or_else(|| "-".into(), |t| t.to_rfc3339());
                    format!("would handle {} {} ({at})", c.kind, c.uuid)
                })
                .collect();
            let changes = (serde_json::to_value(&changes)?, lines);
            return self.report(out, SyncJob::ZOOM, None, cuts.len(), &total, Some(changes));
        }
        let job = |run: &str, (from, to): (DateTime<Utc>, DateTime<Utc>)| SyncJob {
            v: SyncJob::VERSION,
            source: SyncJob::ZOOM.into(),
            run: run.to_owned(),
            from,
            until: to,
            organization: String::new(),
            user: String::new(),
        };
        let (run, total) = self
            .enqueue_and_wait(&backend.client, SyncJob::ZOOM, until, &cuts, job)
            .await?;
        self.report(out, SyncJob::ZOOM, Some(&run), cuts.len(), &total, None)
    }

    async fn calendly(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let until = self.until(SyncJob::CALENDLY);
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
            let lines = changes
                .iter()
                .map(|c| {
                    let start = c.start.map_or_else(|| "-".into(), |s| s.to_rfc3339());
                    format!("would sync {} as {} (meeting {start})", c.booking, c.state)
                })
                .collect();
            let changes = (serde_json::to_value(&changes)?, lines);
            return self.report(
                out,
                SyncJob::CALENDLY,
                None,
                cuts.len(),
                &total,
                Some(changes),
            );
        }
        let (run, total) = self
            .enqueue_and_wait(&backend.client, SyncJob::CALENDLY, until, &cuts, job)
            .await?;
        self.report(out, SyncJob::CALENDLY, Some(&run), cuts.len(), &total, None)
    }

    /// Begins (or resumes) the run of `[since, until)` of `source`, enqueues the slices it has
    /// not done (`job` builds each), shows progress until all are done and sums their counts.
    async fn enqueue_and_wait(
        &self,
        client: &QueueClient,
        source: &'static str,
        until: DateTime<Utc>,
        cuts: &[(DateTime<Utc>, DateTime<Utc>)],
        job: impl Fn(&str, (DateTime<Utc>, DateTime<Utc>)) -> SyncJob,
    ) -> anyhow::Result<(Run, Counts)> {
        let runs = Runs::new(client.clone(), source);
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
        client.enqueue_many(SYNC, jobs).await?;
        tracing::info!(target: "meetflow::audit", action = %format!("sync {source}"), run = %run.id, resumed = run.resumed, slices = cuts.len(), "backfill enqueued");
        let done = self.wait(client, source, &runs, &run).await?;
        let mut total = Counts::default();
        for counts in done.values() {
            total.add(counts);
        }
        Ok((run, total))
    }

    /// Shows progress until every slice of `run` is done (or one is dead).
    async fn wait(
        &self,
        client: &QueueClient,
        source: &str,
        runs: &Runs,
        run: &Run,
    ) -> anyhow::Result<HashMap<i64, Counts>> {
        let bar = bar(run.slices, self.json, "backfilling");
        let prefix = format!("sync:{source}:{}:", run.id);
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

    /// The summary: text, or one JSON object with `--json`; a dry run's changes are given as
    /// (JSON, text lines).
    fn report(
        &self,
        out: &mut Out,
        source: &str,
        run: Option<&Run>,
        slices: usize,
        total: &Counts,
        changes: Option<(serde_json::Value, Vec<String>)>,
    ) -> anyhow::Result<()> {
        let zoom = source == SyncJob::ZOOM;
        if self.json {
            let mut summary = json!({
                "source": source,
                "since": self.since,
                "until": self.until(source),
                "dry_run": self.dry_run,
                "slices": slices,
                "synced": total.synced,
                "unchanged": total.unchanged,
            });
            let counts: &[(&str, u64)] = if zoom {
                &[
                    ("meetings", total.meetings),
                    ("webinars", total.webinars),
                    ("recordings", total.recordings),
                ]
            } else {
                &[
                    ("events", total.events),
                    ("invitees", total.invitees),
                    ("active", total.active),
                    ("canceled", total.canceled),
                    ("no_show", total.no_show),
                ]
            };
            for (k, v) in counts {
                summary[*k] = (*v).into();
            }
            if let Some(run) = run {
                summary["run"] = run.id.clone().into();
                summary["resumed"] = run.resumed.into();
            }
            if let Some((changes, _)) = changes {
                summary["changes"] = changes;
            }
            writeln!(out, "{summary}")?;
            return Ok(());
        }
        for line in changes.iter().flat_map(|(_, lines)| lines) {
            writeln!(out, "{line}")?;
        }
        if zoom {
            let verb = if self.dry_run {
                "would handle"
            } else {
                "handled"
            };
            writeln!(
                out,
                "{} slices, {} meetings, {} webinars, {} recordings: {verb} {} whose webhook never came, {} already handled",
                slices,
                total.meetings,
                total.webinars,
                total.recordings,
                total.synced,
                total.unchanged
            )?;
            return Ok(());
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
