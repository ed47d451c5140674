//! `meetflow-admin serve`: the operator web page and JSON API on `admin.listen` (see
//! [`crate::web`]), plus the ops endpoints on `ops.listen`. Runs until SIGINT/SIGTERM.

use clap::Args;
use meetflow_shared::config::Role;
use meetflow_shared::process::Process;

use crate::{Ctx, Out};

/// `meetflow-admin serve`.
#[derive(Debug, Args)]
pub struct ServeCommand {}

impl ServeCommand {
    /// Serves until a stop signal, through the shared start-up ([`Process::start`]; no token
    /// and not loopback is refused there: config validation names `admin.token`).
    pub async fn run(self, ctx: &Ctx, _out: &mut Out) -> anyhow::Result<()> {
        let process = Process::start(crate::web::NAME, Role::Admin, ctx.config_path.as_deref());
        crate::web::run_in(process.await?).await
    }
}
