//! `dlq retry` and `dlq delete`: by id, or `--all` with the list's filters (`--queue`, `--class`,
//! `--grep`, `--since`, `--until`), with confirmation (showing the count of exactly the set that
//! will be acted on) and progress.
//!
//! Dead letters marked "possibly sent" (an SMS that may have reached EngageLab) are never taken by
//! `--all` and never replayed by a plain `retry ID`: after checking EngageLab, an operator sends
//! one again with `dlq retry ID --resend` (one id; recorded in the audit log).

use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Out;
use crate::audit;
use crate::backend::Backend;
use crate::dead::{self, Filter};

/// Which bulk operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// Replay into the job's queue.
    Retry,
    /// Delete for good.
    Delete,
}

impl BulkAction {
    /// `replay` or `delete` (also the audit trail's action).
    pub fn verb(self) -> &'static str {
        match self {
            Self::Retry => "replay",
            Self::Delete => "delete",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Self::Retry => "replayed",
            Self::Delete => "deleted",
        }
    }
}

/// Which dead letters.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["ids", "all"]))]
pub struct Bulk {
    /// Job ids.
    pub ids: Vec<String>,
    /// Every dead letter matching the filters below, except those marked "possibly sent".
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
    /// With --all: only this queue.
    #[arg(long, requires = "all")]
    pub queue: Option<String>,
    /// With --all: only jobs whose last error has this class (e.g. provider_rejected).
    #[arg(long, requires = "all")]
    pub class: Option<String>,
    /// With --all: only jobs whose id, payload or an error message contains this text.
    #[arg(long, requires = "all")]
    pub grep: Option<String>,
    /// With --all: only jobs that died at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, requires = "all", value_parser = dead::parse_time)]
    pub since: Option<i64>,
    /// With --all: only jobs that died before this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, requires = "all", value_parser = dead::parse_time)]
    pub until: Option<i64>,
    /// `retry` of one id marked "possibly sent": send it again (check EngageLab first).
    #[arg(long, conflicts_with = "all")]
    pub resend: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

impl Bulk {
    /// Runs `action` on the selected dead letters.
    pub async fn run(
        self,
        backend: &Backend,
        action: BulkAction,
        out: &mut Out,
    ) -> anyhow::Result<()> {
        let dead = backend.client.dead_letters();
        if self.resend {
            return self.resend(backend, action, out).await;
        }
        if !self.all {
            let flagged = dead.possibly_sent(&self.ids).await?;
            let held: Vec<&String> = self
                .ids
                .iter()
                .zip(&flagged)
                .filter(|(_, f)| **f && action == BulkAction::Retry)
                .map(|(id, _)| id)
                .collect();
            let result = match action {
                BulkAction::Retry => dead.replay(&self.ids).await,
                BulkAction::Delete => dead.delete(&self.ids).await,
            };
            let record = audit::cli(action.verb(), audit::ids_target(&self.ids))
                .outcome_of(&result, |n| u64::try_from(*n).ok());
            audit::record(&audit::of_backend(backend), record).await;
            let n = result?;
            let skipped = self.ids.len().saturating_sub(n + held.len());
            write!(
                out,
                "{} {n} of {} dead letters",
                action.done(),
                self.ids.len()
            )?;
            if skipped > 0 {
                write!(
                    out,
                    " ({skipped} not dead: already replayed or deleted, or unknown)"
                )?;
            }
            writeln!(out)?;
            for id in held {
                writeln!(
                    out,
                    "not replayed: {id} is marked possibly sent; check EngageLab, then \
                     `meetflow-admin dlq retry {id} --resend` sends it again"
                )?;
            }
            return Ok(());
        }
        let filter = Filter {
            queue: self.queue.clone(),
            class: self.class.clone(),
            text: self.grep.clone(),
            since_ms: self.since,
            until_ms: self.until,
        };
        let described = filter.describe();
        let scope = if described.is_empty() {
            "of all queues".to_owned()
        } else {
            format!("matching {described}")
        };
        let selection = dead::select(&backend.client, &filter).await?;
        let total = selection.ids.len();
        let left_out = if selection.possibly_sent > 0 {
            format!(
                " ({} marked possibly sent left out: replay those one at a time with --resend)",
                selection.possibly_sent
            )
        } else {
            String::new()
        };
        if total == 0 {
            writeln!(
                out,
                "no dead letters {scope}; nothing to {}{left_out}",
                action.verb()
            )?;
            return Ok(());
        }
        if !self.yes {
            confirm(&format!(
                "{} {total} dead letters {scope}{left_out}",
                action.verb()
            ))?;
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(action.done());
        let mut n = 0;
        let mut failed = None;
        for chunk in selection.ids.chunks(500) {
            let step = match action {
                BulkAction::Retry => dead.replay(chunk).await,
                BulkAction::Delete => dead.delete(chunk).await,
            };
            match step {
                Ok(k) => n += k,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
            bar.set_position(n as u64);
        }
        bar.finish_and_clear();
        let mut record =
            audit::cli(action.verb(), audit::filter_target(&described)).count(n as u64);
        if let Some(e) = &failed {
            record = record.failed(&format!("{e} (after {n} of {total})"));
        }
        audit::record(&audit::of_backend(backend), record).await;
        if let Some(e) = failed {
            return Err(e.into());
        }
        writeln!(out, "{} {n} dead letters {scope}{left_out}", action.done())?;
        Ok(())
    }

    /// `retry ID --resend`: one dead letter, sent again even when marked possibly sent.
    async fn resend(
        &self,
        backend: &Backend,
        action: BulkAction,
        out: &mut Out,
    ) -> anyhow::Result<()> {
        if action != BulkAction::Retry {
            bail!("--resend is for `dlq retry` only");
        }
        let [id] = self.ids.as_slice() else {
            bail!(
                "--resend takes exactly one id: an SMS that may have been sent is sent again one at a time"
            );
        };
        let dead = backend.client.dead_letters();
        let flagged = dead.possibly_sent(std::slice::from_ref(id)).await?;
        if !self.yes {
            let what = if flagged.first().copied().unwrap_or(false) {
                "possibly sent"
            } else {
                "not marked possibly sent"
            };
            confirm(&format!(
                "send {id} again ({what}; an SMS already marked sent is never sent again)"
            ))?;
        }
        let result = dead.resend(id).await;
        let record = audit::cli("resend", format!("id: {id}"))
            .outcome_of(&result, |sent| Some(u64::from(*sent)));
        audit::record(&audit::of_backend(backend), record).await;
        if result? {
            writeln!(
                out,
                "replayed {id} with resend: it may send its SMS again (unless marked sent)"
            )?;
        } else {
            writeln!(
                out,
                "{id} is not dead (already replayed or deleted, or unknown): nothing replayed"
            )?;
        }
        Ok(())
    }
}

/// Asks on stderr and reads stdin; refuses without a terminal.
fn confirm(question: &str) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("refusing to {question} without confirmation: stdin is not a terminal (pass --yes)");
    }
    let mut err = std::io::stderr();
    write!(err, "{question}? [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        bail!("aborted: nothing changed");
    }
}
