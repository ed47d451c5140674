//! `meetflow-admin serve`: the operator web page and JSON API on `admin.listen` (see
//! [`crate::web`]), plus the ops endpoints on `ops.listen`. Runs until SIGINT/SIGTERM.

use clap::Args;
use meetflow_shared::config::Role;
use meetflow_shared::shutdown::Shutdown;

use crate::{Ctx, Out};

/// `meetflow-admin serve`.
#[derive(Debug, Args)]
pub struct ServeCommand {}

impl ServeCommand {
    /// Serves until a stop signal.
    pub async fn run(self, ctx: &Ctx, _out: &mut Out) -> anyhow::Result<()> {
        let settings = ctx.settings()?;
        // No token and not loopback: refuse (config validation names admin.token).
        settings.validate_for(Role::Admin)?;
        crate::web::run(settings, Shutdown::on_signal()).await
    }
}
