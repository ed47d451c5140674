//! `meetflow-admin audit [--json] [--limit N]`: the audit trail, newest first — who did what,
//! when, to how many, and how it ended ([`meetflow_shared::audit`]).

use clap::Args;

use crate::backend::Backend;
use crate::commands::dlq::time;
use crate::table::Table;
use crate::{Ctx, Out};

/// `audit`.
#[derive(Debug, Args)]
pub struct AuditCommand {
    /// Print JSON (an array of entries, newest first) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// At most this many entries.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: u32,
}

impl AuditCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let backend = Backend::connect(ctx).await?;
        let audit = crate::audit::of_backend(&backend);
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let entries = audit.list(limit).await?;
        if self.json {
            writeln!(out, "{}", serde_json::to_string_pretty(&entries)?)?;
            return Ok(());
        }
        if entries.is_empty() {
            writeln!(out, "no admin action recorded yet")?;
            return Ok(());
        }
        let mut t = Table::new(&["WHEN", "WHO", "VIA", "ACTION", "COUNT", "OUTCOME", "TARGET"]);
        for e in &entries {
            let outcome = match &e.error {
                Some(err) => format!("{}: {err}", e.outcome.as_str()),
                None => e.outcome.as_str().to_owned(),
            };
            t.row(vec![
                time(e.at_ms),
                e.who.clone(),
                e.via.clone(),
                e.action.clone(),
                e.count.map(|n| n.to_string()).unwrap_or_default(),
                outcome,
                e.target.clone(),
            ]);
        }
        write!(out, "{}", t.render())?;
        let total = audit.count().await?;
        writeln!(out, "# {} shown of {total} recorded", entries.len())?;
        Ok(())
    }
}
