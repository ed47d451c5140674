//! `meetflow-admin processes [--json]`: the live worker processes, from their heartbeat records
//! (every 5 s; a process silent for 30 s drops out): identity, host, queues, jobs in flight,
//! last heartbeat, version.

use clap::Args;
use meetflow_shared::queue::ProcessInfo;

use crate::backend::Backend;
use crate::commands::dlq::time;
use crate::table::Table;
use crate::{Ctx, Out};

/// `meetflow-admin processes`.
#[derive(Debug, Args)]
pub struct ProcessesCommand {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl ProcessesCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let backend = Backend::connect(ctx).await?;
        let list = backend.client.processes().await?;
        if self.json {
            writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        } else if list.is_empty() {
            writeln!(
                out,
                "no worker process has sent a heartbeat in the last 30 s"
            )?;
        } else {
            out.write_all(render(&list).as_bytes())?;
        }
        Ok(())
    }
}

/// The process table.
pub fn render(list: &[ProcessInfo]) -> String {
    let mut t = Table::new(&[
        "IDENTITY",
        "HOST",
        "SERVICE",
        "QUEUES",
        ">IN FLIGHT",
        "LAST HEARTBEAT",
        "VERSION",
    ]);
    for p in list {
        t.row(vec![
            p.identity.clone(),
            p.host.clone(),
            p.service.clone(),
            queues(p),
            p.in_flight.to_string(),
            time(p.last_heartbeat_ms),
            p.version.clone(),
        ]);
    }
    t.render()
}

/// `sms(3),brevo(0)`: each queue with its jobs in flight.
pub fn queues(p: &ProcessInfo) -> String {
    p.queues
        .iter()
        .map(|(q, n)| format!("{q}({n})"))
        .collect::<Vec<_>>()
        .join(",")
}
