//! `meetflow-admin sms suppress (PHONE | EMAIL) [--marketing-only]`, `sms unsuppress (PHONE |
//! EMAIL)` and `sms suppressed [--json]`: the SMS suppression list
//! ([`meetflow_shared::sms_suppression`]), which every SMS is checked against at send time.
//! Phone numbers are normalised to E.164 (one without `+<country code>` is bad usage, exit 2);
//! e-mails are lower-cased.

use chrono::Utc;
use clap::{Args, Subcommand};
use meetflow_shared::sms_suppression::{Entry, Scope, Suppressions, Target};

use crate::audit;
use crate::backend::Backend;
use crate::commands::dlq::time;
use crate::table::Table;
use crate::{Ctx, Out};

/// `meetflow-admin sms ...`.
#[derive(Debug, Subcommand)]
pub enum SmsCommand {
    /// Stop every SMS (or, with --marketing-only, the marketing ones) to a number or e-mail.
    Suppress(SuppressArgs),
    /// Take a number or e-mail off the suppression list.
    Unsuppress(TargetArg),
    /// List the suppression list.
    Suppressed(ListArgs),
}

/// `sms suppress`.
#[derive(Debug, Args)]
pub struct SuppressArgs {
    /// A phone number in international form (e.g. +14155550132) or an e-mail address.
    #[arg(value_name = "PHONE | EMAIL", value_parser = parse_target)]
    pub target: Target,
    /// Stop only win-back, no-show apology and follow-up SMS (confirmations, reminders,
    /// cancellations and host notices still go).
    #[arg(long)]
    pub marketing_only: bool,
}

/// `sms unsuppress`.
#[derive(Debug, Args)]
pub struct TargetArg {
    /// A phone number in international form (e.g. +14155550132) or an e-mail address.
    #[arg(value_name = "PHONE | EMAIL", value_parser = parse_target)]
    pub target: Target,
}

/// `sms suppressed`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn parse_target(raw: &str) -> Result<Target, String> {
    Target::parse(raw).map_err(|e| e.to_string())
}

/// The list, for the CLI and `GET /api/sms/suppressed`.
pub async fn entries(list: &Suppressions) -> redis::RedisResult<Vec<Entry>> {
    list.list().await
}

impl SmsCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let backend = Backend::connect(ctx).await?;
        let list = Suppressions::new(backend.client.handle().clone());
        match self {
            Self::Suppress(a) => {
                let scope = if a.marketing_only {
                    Scope::Marketing
                } else {
                    Scope::All
                };
                let result = list
                    .add(&a.target, scope, Utc::now().timestamp_millis())
                    .await;
                let what = format!(
                    "{} ({} SMS)",
                    audit::person_target(&a.target),
                    scope.as_str()
                );
                let record =
                    audit::cli("suppress", what).outcome_of(&result, |new| Some(u64::from(*new)));
                audit::record(&audit::of_backend(&backend), record).await;
                let new = result?;
                writeln!(
                    out,
                    "{} {} suppressed ({} SMS){}",
                    a.target.kind(),
                    a.target,
                    if scope == Scope::All {
                        "every"
                    } else {
                        "marketing"
                    },
                    if new { "" } else { "; it was already listed" },
                )?;
            }
            Self::Unsuppress(a) => {
                let result = list.remove(&a.target).await;
                let record = audit::cli("unsuppress", audit::person_target(&a.target))
                    .outcome_of(&result, |was| Some(u64::from(*was)));
                audit::record(&audit::of_backend(&backend), record).await;
                let was = result?;
                if was {
                    writeln!(out, "{} {} unsuppressed", a.target.kind(), a.target)?;
                } else {
                    writeln!(out, "{} {} was not suppressed", a.target.kind(), a.target)?;
                }
            }
            Self::Suppressed(a) => {
                let all = entries(&list).await?;
                if a.json {
                    writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
                    return Ok(());
                }
                if all.is_empty() {
                    writeln!(out, "no one is suppressed")?;
                    return Ok(());
                }
                let mut t = Table::new(&["KIND", "VALUE", "SCOPE", "ADDED", "SOURCE"]);
                for e in &all {
                    t.row(vec![
                        e.kind.to_owned(),
                        e.value.clone(),
                        e.scope.as_str().to_owned(),
                        time(e.added_ms),
                        e.source.as_str().to_owned(),
                    ]);
                }
                write!(out, "{}", t.render())?;
            }
        }
        Ok(())
    }
}
