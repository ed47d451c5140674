//! `dlq retry` and `dlq delete`: by id, or `--all [--queue Q]` with confirmation and progress.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Out;
use crate::backend::Backend;

/// Which bulk operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// Replay into the job's queue.
    Retry,
    /// Delete for good.
    Delete,
}

impl BulkAction {
    fn verb(self) -> &'static str {
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
    /// Every dead letter (of --queue, if given).
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
    /// With --all: only this queue.
    #[arg(long, requires = "all")]
    pub queue: Option<String>,
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
        if !self.all {
            let n = match action {
                BulkAction::Retry => dead.replay(&self.ids).await?,
                BulkAction::Delete => dead.delete(&self.ids).await?,
            };
            let skipped = self.ids.len().saturating_sub(n);
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
            return Ok(());
        }
        let queue = self.queue.as_deref();
        let total = dead.count(queue).await?;
        let scope = queue.map_or_else(|| "all queues".to_owned(), |q| format!("queue {q}"));
        if total == 0 {
            writeln!(
                out,
                "no dead letters in {scope}; nothing to {}",
                action.verb()
            )?;
            return Ok(());
        }
        if !self.yes {
            confirm(&format!(
                "{} {total} dead letters of {scope}",
                action.verb()
            ))?;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(action.done());
        let progress = |n: usize| bar.set_position(n as u64);
        let n = match action {
            BulkAction::Retry => dead.replay_all(queue, progress).await?,
            BulkAction::Delete => dead.delete_all(queue, progress).await?,
        };
        bar.finish_and_clear();
        writeln!(out, "{} {n} dead letters of {scope}", action.done())?;
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
