//! `meetflow-admin sandbox [--listen ADDR] [--record PATH]`: fake Brevo and EngageLab endpoints
//! that record each call (see [`crate::sandbox`]). Runs until SIGINT/SIGTERM, then exits 0.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use meetflow_shared::shutdown::Shutdown;

use crate::{Ctx, Out};

/// `meetflow-admin sandbox`.
#[derive(Debug, Args)]
pub struct SandboxCommand {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8099")]
    pub listen: SocketAddr,
    /// File every call is appended to, one JSON line each (also printed on stdout).
    #[arg(long, default_value = ".meetflow/sandbox.jsonl", value_name = "PATH")]
    pub record: PathBuf,
}

impl SandboxCommand {
    /// Runs the sandbox until a stop signal.
    pub async fn run(self, _ctx: &Ctx, _out: &mut Out) -> anyhow::Result<()> {
        let shutdown = Shutdown::on_signal();
        let (addr, task) =
            crate::sandbox::serve(self.listen, self.record.clone(), shutdown.wait()).await?;
        eprintln!(
            "meetflow sandbox on http://{addr}: brevo.base_url http://{addr}/v3, engagelab.base_url http://{addr}/v1; recording every call to {} and stdout",
            self.record.display()
        );
        task.await??;
        Ok(())
    }
}
