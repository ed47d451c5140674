//! `meetflow-admin migrate [--back] [--dry-run] [--overwrite] [--force] [--json]`: moves the keys
//! an earlier meetflow wrote in key layout 1 to this version's layout (see
//! `meetflow_shared::process::layout`), then records the layout so the binaries start; `--back`
//! moves them back before a rollback to a release of layout 1.
//!
//! Run it with every meetflow process stopped: a process of the other layout would keep writing
//! its names. It refuses while a worker process still sends heartbeats. It can be interrupted and
//! run again.

use anyhow::bail;
use clap::Args;
use meetflow_shared::process::layout::{self, Direction, Layout};
use meetflow_shared::redis::LAYOUT_VERSION;

use crate::backend::Backend;
use crate::{Ctx, Out};

/// `meetflow-admin migrate`.
#[derive(Debug, Args)]
pub struct MigrateCommand {
    /// Move the keys back to key layout 1, before rolling back to a release that knows no other.
    #[arg(long)]
    pub back: bool,
    /// Count what would move; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where a key's name in the target layout is taken too, replace it with the key being
    /// moved (else such keys are left and listed, and the layout is not recorded).
    #[arg(long)]
    pub overwrite: bool,
    /// Move keys even though worker processes send heartbeats (they must be of this version
    /// and refusing to start, or stopped).
    #[arg(long)]
    pub force: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

impl MigrateCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        // Not `Backend::connect`: that refuses a namespace of another layout, which is what
        // this command is for.
        let settings = ctx.settings()?;
        let client = Backend::client(&settings).await?;
        let backend = Backend { settings, client };
        let (client, redis) = (&backend.client, backend.client.handle());
        let before = layout::inspect(redis).await?;
        if let Layout::Newer(v) = &before {
            bail!(
                "the namespace is in key layout {v}, newer than this meetflow's ({LAYOUT_VERSION}): nothing to migrate"
            );
        }
        if !self.dry_run && !self.force {
            let live = client.processes().await?;
            if let Some(p) = live.first() {
                bail!(
                    "{} worker process(es) still send heartbeats (e.g. {} on {}): stop every meetflow process first (a stopped one leaves the list within 30 s), or --force",
                    live.len(),
                    p.identity,
                    p.host
                );
            }
        }
        let (direction, from, to) = if self.back {
            (Direction::Back, LAYOUT_VERSION, 1)
        } else {
            (Direction::Forward, 1, LAYOUT_VERSION)
        };
        let done = layout::migrate(redis, direction, self.dry_run, self.overwrite).await?;
        if self.json {
            writeln!(out, "{}", serde_json::to_string_pretty(&done)?)?;
        } else {
            let verb = if self.dry_run { "would move" } else { "moved" };
            writeln!(
                out,
                "{verb} {} key(s) of key layout {from} to layout {to}",
                done.moved
            )?;
            for key in done.conflicts.iter().take(20) {
                writeln!(out, "left (its new name exists): {key}")?;
            }
            if done.conflicts.len() > 20 {
                writeln!(out, "… and {} more", done.conflicts.len() - 20)?;
            }
            if done.recorded && self.back {
                writeln!(
                    out,
                    "layout record removed: start the earlier release (this one refuses layout 1)"
                )?;
            } else if done.recorded {
                writeln!(
                    out,
                    "layout {LAYOUT_VERSION} recorded: the binaries of this version will start"
                )?;
            }
        }
        if !self.dry_run {
            let record =
                crate::audit::cli("migrate", format!("layout {from} -> {to}")).count(done.moved);
            crate::audit::record(&crate::audit::of_backend(&backend), record).await;
        }
        if !done.conflicts.is_empty() {
            bail!(
                "{} key(s) exist in both layouts and were left: check them, then run again with --overwrite to keep the ones being moved",
                done.conflicts.len()
            );
        }
        Ok(())
    }
}
