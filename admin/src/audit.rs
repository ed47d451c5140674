//! Recording admin actions in the audit trail ([`meetflow_shared::audit`]) from the CLI, the
//! JSON API and the page. Every action calls [`record`] once, after the attempt, with its
//! outcome (a failed attempt is recorded as `failed` with its error), so no action goes
//! unrecorded because it failed. A verb added later (sync, backfill, jobs run-now, ...) does the
//! same:
//!
//! ```ignore
//! let result = do_it().await;
//! audit::record(&audit, Record::new(&who, "cli", "sync", "calendly since 2026-12-01")
//!     .outcome_of(&result, |n| Some(*n as u64))).await;
//! ```

use axum::http::Method;
use meetflow_shared::audit::{Audit, Record};
use meetflow_shared::domain::redact;
use meetflow_shared::queue::{ActOutcome, JobAction, QueueError};
use meetflow_shared::sms_suppression::Target;

use crate::backend::Backend;

/// How many ids a target lists before summarising the rest.
const IDS_SHOWN: usize = 20;

/// Stores `record`; a storage failure is logged (with the whole entry, on the `meetflow::audit`
/// target) and never turns the action's answer into an error: the action already happened.
pub async fn record(audit: &Audit, record: Record) {
    let _ = audit.record(record).await;
}

/// The audit trail of a CLI run's settings.
pub fn of_backend(backend: &Backend) -> Audit {
    Audit::new(
        backend.client.handle().clone(),
        backend.settings.admin.audit_cap,
    )
}

/// Who runs the CLI: `cli:<user>` from `USER` (or `LOGNAME`, else `unknown`).
pub fn cli_who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    format!("cli:{}", user.trim())
}

/// The record of a job action (`job_run_now`, `job_cancel`, `job_dead` on `job: ID`) by
/// `who` via `via`: done counts 1; refused (in flight, changed, unknown) or failed is `failed`
/// with the reason.
pub fn job_action(
    who: &str,
    via: &str,
    action: JobAction,
    id: &str,
    result: &Result<ActOutcome, QueueError>,
) -> Record {
    let record = Record::new(
        who,
        via,
        &format!("job_{}", action.as_arg()),
        format!("job: {id}"),
    );
    match result {
        Ok(o) if o.is_done() => record.count(1),
        Ok(o) => record.failed(&o.explain(action, id)),
        Err(e) => record.failed(&e.to_string()),
    }
}

/// A CLI action's record (who = [`cli_who`], via = `cli`).
pub fn cli(action: &str, target: impl Into<String>) -> Record {
    Record::new(&cli_who(), "cli", action, target)
}

/// `ids: a, b, c` (the first [`IDS_SHOWN`], then `… and N more`).
pub fn ids_target(ids: &[String]) -> String {
    let shown: Vec<&str> = ids.iter().take(IDS_SHOWN).map(String::as_str).collect();
    let mut s = format!("ids: {}", shown.join(", "));
    if ids.len() > IDS_SHOWN {
        s.push_str(&format!(" … and {} more", ids.len() - IDS_SHOWN));
    }
    s
}

/// A suppression target with its value masked: `phone +1415***32`, `email j***@example.com`.
pub fn person_target(target: &Target) -> String {
    let masked = match target {
        Target::Phone(p) => redact::phone(p),
        Target::Email(e) => redact::email(e),
    };
    format!("{} {masked}", target.kind())
}

/// `all dead letters` or `all matching <filter>`.
pub fn filter_target(described: &str) -> String {
    if described.is_empty() {
        "all dead letters".to_owned()
    } else {
        format!("all matching {described}")
    }
}

/// The action a request names, for a denied entry: `replay`, `delete`, `pause`, `resume`,
/// `suppress`, `unsuppress`, `reveal`, or `METHOD /path` for anything else.
pub fn action_of(method: &Method, path: &str, query: Option<&str>) -> String {
    if crate::web::auth::reveals(query) {
        return "reveal".to_owned();
    }
    let known = match (method.as_str(), path) {
        ("POST", "/api/dlq/retry") => Some("replay"),
        ("POST", "/api/deliveries/replay") => Some("replay_delivery"),
        ("POST", "/api/dlq/delete") => Some("delete"),
        ("POST", "/api/sms/suppressed") => Some("suppress"),
        ("DELETE", "/api/sms/suppressed") => Some("unsuppress"),
        ("POST", p) if p.ends_with("/pause") => Some("pause"),
        ("POST", p) if p.ends_with("/resume") => Some("resume"),
        _ => None,
    };
    known.map_or_else(|| format!("{method} {path}"), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_actions_read_well() {
        let ids: Vec<String> = (0..25).map(|i| format!("j{i}")).collect();
        let t = ids_target(&ids);
        assert!(
            t.starts_with("ids: j0, j1,") && t.ends_with("… and 5 more"),
            "{t}"
        );
        assert_eq!(filter_target(""), "all dead letters");
        assert_eq!(
            action_of(&Method::POST, "/api/queues/sms/pause", None),
            "pause"
        );
        assert_eq!(
            action_of(&Method::GET, "/jobs/x", Some("reveal=true")),
            "reveal"
        );
        assert_eq!(
            action_of(&Method::POST, "/api/jobs/x/cancel", None),
            "POST /api/jobs/x/cancel"
        );
    }
}
