//! `meetflow-scheduler`: durable reminders, follow-ups and periodic jobs. The start-up is the
//! shared one ([`meetflow_shared::process`]); the loops are in the library ([`meetflow_scheduler::app`]).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use meetflow_scheduler::app::{NAME, serve};
use meetflow_shared::config::Role;
use meetflow_shared::process::{self, Process};

/// Enqueues reminders and follow-ups when due; runs the periodic Calendly reconciliation.
#[derive(Debug, Parser)]
#[command(name = "meetflow-scheduler", version)]
struct Cli {
    /// Configuration file (YAML).
    #[arg(long, env = "MEETFLOW_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    process::main(NAME, || async move {
        serve(Process::start(NAME, Role::Scheduler, cli.config.as_deref()).await?).await
    })
}
