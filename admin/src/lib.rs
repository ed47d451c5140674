//! meetflow-admin: the operator's CLI (`admin/README.md`, "CLI").
//!
//! Adding a verb: create `commands/<verb>.rs` with a clap `Args` or `Subcommand` type that has
//! `async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()>`, declare it in
//! `commands/mod.rs`, and add one variant to [`Command`] plus one arm in [`run`].
//! Output goes to `out` (stdout in the binary, a buffer in tests); logs go to stderr.

pub mod audit;
pub mod backend;
pub mod commands;
pub mod dead;
pub mod deliveries;
pub mod mask;
pub mod overview;
pub mod person;
pub mod samples;
pub mod sandbox;
pub mod table;
pub mod web;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use meetflow_shared::config::{ConfigError, Settings};

/// Where commands write their output.
pub type Out = dyn Write + Send;

/// `meetflow-admin [--config PATH] <command>`.
#[derive(Debug, Parser)]
#[command(
    name = "meetflow-admin",
    version,
    about = "Operate meetflow: queues, dead letters, reminders, configuration."
)]
pub struct Cli {
    /// YAML config file (else built-in defaults plus MEETFLOW__ overrides).
    #[arg(long, global = true, env = "MEETFLOW_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs; one file per family under `commands/`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the configuration and print the effective settings (secrets redacted).
    #[command(subcommand)]
    Config(commands::config::ConfigCommand),
    /// Per queue: ready, in flight, scheduled, retrying, dead, oldest age, last minute's throughput.
    Queues(commands::queues::QueuesCommand),
    /// Dead letters: list, show, retry (replay), delete.
    #[command(subcommand)]
    Dlq(commands::dlq::DlqCommand),
    /// Reminders and follow-ups of a booking, or the next ones.
    #[command(subcommand)]
    Reminders(commands::reminders::RemindersCommand),
    /// The SMS suppression list: suppress, unsuppress, suppressed.
    #[command(subcommand)]
    Sms(commands::sms::SmsCommand),
    /// Sign a realistic sample webhook with the configured key and post it to the ingest.
    SendTestWebhook(commands::send_test_webhook::SendTestWebhookCommand),
    /// Serve the web page and JSON API on admin.listen.
    Serve(commands::serve::ServeCommand),
    /// Brevo- and EngageLab-compatible endpoints that record each call (local runs).
    Sandbox(commands::sandbox::SandboxCommand),
    /// Calendly setup: webhook subscription (with its signing key), event types to map.
    #[command(subcommand)]
    Calendly(commands::calendly::CalendlyCommand),
    /// Zoom setup: check the Server-to-Server app; print the webhook URL and events to enable.
    #[command(subcommand)]
    Zoom(commands::zoom::ZoomCommand),
    /// The audit trail: who replayed, deleted, paused, revealed, ... what, when, how many.
    Audit(commands::audit::AuditCommand),
    /// Jobs by state (list), and run-now, cancel or move to the dead letters one waiting job.
    #[command(subcommand)]
    Jobs(commands::jobs::JobsCommand),
    /// One person's bookings, deliveries, Brevo syncs, SMS and dead letters, by e-mail, phone
    /// or Calendly URI.
    Person(commands::person::PersonCommand),
    /// The delivery log: every accepted webhook delivery; list, show (masked), replay.
    #[command(subcommand)]
    Deliveries(commands::deliveries::DeliveriesCommand),
    /// The live worker processes: identity, host, queues, in flight, last heartbeat, version.
    Processes(commands::processes::ProcessesCommand),
    /// No-shows meetflow marked in Calendly from Zoom attendance: list, undo.
    #[command(subcommand)]
    NoShows(commands::no_shows::NoShowsCommand),
    /// Move the keys an earlier meetflow wrote (key layout 1) to this version's layout; run
    /// with every meetflow process stopped.
    Migrate(commands::migrate::MigrateCommand),
    /// Backfill: bring Brevo up to date with Calendly's history, quietly (`sync calendly --since`).
    #[command(subcommand)]
    Sync(commands::sync::SyncCommand),
}

/// What every command gets: how to load the settings.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `--config` / `MEETFLOW_CONFIG`.
    pub config_path: Option<PathBuf>,
}

impl Ctx {
    /// Loads and validates the settings (file, `${VAR}`, `MEETFLOW__` overrides).
    pub fn settings(&self) -> Result<Settings, ConfigError> {
        Settings::load(self.config_path.as_deref())
    }
}

/// Runs one parsed command line, writing its output to `out`.
pub async fn run(cli: Cli, out: &mut Out) -> anyhow::Result<()> {
    let ctx = Ctx {
        config_path: cli.config,
    };
    match cli.command {
        Command::Config(cmd) => cmd.run(&ctx, out).await,
        Command::Queues(cmd) => cmd.run(&ctx, out).await,
        Command::Dlq(cmd) => cmd.run(&ctx, out).await,
        Command::Reminders(cmd) => cmd.run(&ctx, out).await,
        Command::Sms(cmd) => cmd.run(&ctx, out).await,
        Command::SendTestWebhook(cmd) => cmd.run(&ctx, out).await,
        Command::Serve(cmd) => cmd.run(&ctx, out).await,
        Command::Sandbox(cmd) => cmd.run(&ctx, out).await,
        Command::Calendly(cmd) => cmd.run(&ctx, out).await,
        Command::Zoom(cmd) => cmd.run(&ctx, out).await,
        Command::Audit(cmd) => cmd.run(&ctx, out).await,
        Command::Jobs(cmd) => cmd.run(&ctx, out).await,
        Command::Person(cmd) => cmd.run(&ctx, out).await,
        Command::Deliveries(cmd) => cmd.run(&ctx, out).await,
        Command::Processes(cmd) => cmd.run(&ctx, out).await,
        Command::Sync(cmd) => cmd.run(&ctx, out).await,
        Command::NoShows(cmd) => cmd.run(&ctx, out).await,
        Command::Migrate(cmd) => cmd.run(&ctx, out).await,
    }
}

/// An error and its causes on one line (`a: b: c`), as the contract wants for exit 1.
pub fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}").replace('\n', " ")
}
