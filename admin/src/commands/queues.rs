//! `meetflow-admin queues [--watch] [--json]`: per queue ready, in flight, scheduled, retrying,
//! dead, age of the oldest ready job, jobs processed / failed in the last minute, and whether the
//! queue is paused; `queues pause|resume` is in `queues_pause.rs`.

use std::time::Duration;

use clap::Args;
use meetflow_shared::queue::QueueStats;
use meetflow_shared::shutdown::Shutdown;

use crate::backend::Backend;
use crate::overview;
use crate::table::Table;
use crate::{Ctx, Out};

/// How often `--watch` refreshes.
const WATCH_EVERY: Duration = Duration::from_secs(2);

/// `meetflow-admin queues`.
#[derive(Debug, Args)]
pub struct QueuesCommand {
    /// Pause or resume a queue (the kill switch).
    #[command(subcommand)]
    pub action: Option<super::queues_pause::PauseCommand>,
    /// Refresh every 2 s until Ctrl-C (with --json: one JSON document per line).
    #[arg(long)]
    pub watch: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl QueuesCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        if let Some(action) = self.action {
            return action.run(ctx, out).await;
        }
        // Listened for from the start, not only during the pause: a Ctrl-C that comes while the
        // stats are being read still ends the watch (a listener made per pause missed it).
        let interrupt = self.watch.then(|| Shutdown::on_signal().token());
        let backend = Backend::connect(ctx).await?;
        loop {
            let stats = overview::stats(&backend.client).await?;
            if self.json {
                writeln!(out, "{}", serde_json::to_string(&stats)?)?;
            } else {
                if self.watch {
                    // Clear the screen and go home, like `watch`.
                    write!(out, "\x1b[2J\x1b[H")?;
                    writeln!(
                        out,
                        "meetflow queues at {} (every {}s, Ctrl-C to stop)\n",
                        chrono::Local::now().format("%H:%M:%S"),
                        WATCH_EVERY.as_secs()
                    )?;
                }
                out.write_all(render(&stats).as_bytes())?;
            }
            out.flush()?;
            let Some(interrupt) = &interrupt else {
                return Ok(());
            };
            tokio::select! {
                () = tokio::time::sleep(WATCH_EVERY) => {}
                () = interrupt.cancelled() => return Ok(()),
            }
        }
    }
}

/// The overview table.
pub fn render(stats: &[QueueStats]) -> String {
    let mut t = Table::new(&[
        "QUEUE",
        ">READY",
        ">IN FLIGHT",
        ">SCHEDULED",
        ">RETRYING",
        ">DEAD",
        ">OLDEST READY",
        ">PROCESSED/1m",
        ">FAILED/1m",
        "STATE",
    ]);
    for s in stats {
        t.row(vec![
            s.queue.clone(),
            s.ready.to_string(),
            s.running.to_string(),
            s.delayed.to_string(),
            s.retrying.to_string(),
            s.dead.to_string(),
            overview::age(s.oldest_ready_age_ms),
            s.processed_last_minute.to_string(),
            s.failed_last_minute.to_string(),
            if s.paused { "PAUSED" } else { "running" }.to_owned(),
        ]);
    }
    t.render()
}
