//! `meetflow-worker`: runs meetflow's jobs. The start-up is the shared one
//! ([`meetflow_shared::process`]); what each queue does is in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use meetflow_shared::config::Role;
use meetflow_shared::process::{self, Process};
use meetflow_worker::{NAME, QueueSelection, serve};

/// Runs the jobs of the selected queues (webhook events, Brevo syncs, SMS, Zoom attendance).
#[derive(Debug, Parser)]
#[command(name = "meetflow-worker", version)]
struct Cli {
    /// Configuration file (YAML).
    #[arg(long, env = "MEETFLOW_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// Queues this process serves, comma-separated [default: all].
    #[arg(long, value_delimiter = ',', value_parser = ["events", "brevo", "sms", "zoom", "sync"])]
    queues: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    process::main(NAME, || async move {
        let queues = QueueSelection::parse(&cli.queues)?;
        let process: Process = Process::start(NAME, Role::Worker, cli.config.as_deref()).await?;
        serve(process, queues).await
    })
}
