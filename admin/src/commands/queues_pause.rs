//! `meetflow-admin queues pause (QUEUE | all)` and `queues resume (QUEUE | all)`: the kill switch.
//! A paused queue's workers lease nothing within a second (jobs in flight finish, new and due
//! jobs wait); the pause is kept in Redis, so it survives restarts, until resumed.

use clap::{Args, Subcommand};
use meetflow_shared::queue::{PauseError, PauseScope};

use crate::audit;
use crate::backend::Backend;
use crate::{Ctx, Out};

/// `queues pause` / `queues resume`.
#[derive(Debug, Subcommand)]
pub enum PauseCommand {
    /// Stop workers leasing jobs of QUEUE, or of every queue (`all`); jobs wait, none is lost.
    Pause(Target),
    /// Let workers lease jobs of QUEUE again, or of every queue (`all`).
    Resume(Target),
}

/// The queue to act on.
#[derive(Debug, Args)]
pub struct Target {
    /// A queue name, or `all`.
    #[arg(value_name = "QUEUE | all")]
    pub queue: String,
}

impl PauseCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let backend = Backend::connect(ctx).await?;
        match self {
            Self::Pause(t) => {
                let scope = PauseScope::parse(&t.queue);
                let result = backend.client.pause(&scope).await;
                audited(&backend, "pause", &t.queue, &result).await;
                let new = result?;
                let what = describe(&scope);
                if new {
                    writeln!(out, "paused {what}: workers lease nothing until resumed")?;
                } else {
                    writeln!(out, "{what} already paused")?;
                }
            }
            Self::Resume(t) => {
                let scope = PauseScope::parse(&t.queue);
                let result = backend.client.resume(&scope).await;
                audited(&backend, "resume", &t.queue, &result).await;
                let was = result?;
                let what = describe(&scope);
                if was {
                    writeln!(out, "resumed {what}")?;
                } else {
                    writeln!(out, "{what} was not paused")?;
                }
            }
        }
        Ok(())
    }
}

/// Records a pause or resume (count 1 when it changed the state), also when it failed.
async fn audited(backend: &Backend, action: &str, queue: &str, result: &Result<bool, PauseError>) {
    let record = audit::cli(action, format!("queue: {queue}"))
        .outcome_of(result, |changed| Some(u64::from(*changed)));
    audit::record(&audit::of_backend(backend), record).await;
}

/// `queue "sms"` or `every queue`.
pub fn describe(scope: &PauseScope) -> String {
    match scope {
        PauseScope::Queue(q) => format!("queue {q:?}"),
        PauseScope::All => "every queue".to_owned(),
    }
}
