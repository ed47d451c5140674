//! The audit trail in the JSON API and on the page (every role may look at it):
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/audit?limit=` | `{entries: [Entry], total}`, newest first (limit 1..=1000, default 100) |
//! | `GET /audit?limit=` | the same as a page section (`#audit`) |
//!
//! Entries are [`meetflow_shared::audit::Entry`]: `at_ms`, `who`, `via`, `action`, `target`,
//! `count`, `outcome` (`ok`, `failed`, `denied`) and `error`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use meetflow_shared::audit::Entry;
use serde::Deserialize;
use serde_json::json;

use super::App;
use super::api::ApiError;
use super::auth::Caller;
use super::html::{Nav, esc, layout, time};

/// `?limit=`.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    /// At most this many entries (1..=1000, default 100).
    pub limit: Option<usize>,
}

impl AuditQuery {
    fn limit(&self) -> usize {
        self.limit.unwrap_or(100).clamp(1, 1000)
    }
}

/// `GET /api/audit`.
pub async fn list(
    State(app): State<Arc<App>>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let entries = app.audit.list(q.limit()).await?;
    let total = app.audit.count().await?;
    Ok(Json(json!({ "entries": entries, "total": total })).into_response())
}

/// `GET /audit`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let entries = app.audit.list(q.limit()).await?;
    let total = app.audit.count().await?;
    Ok(layout(
        "Audit",
        Nav::Audit,
        &caller,
        &section(&entries, total),
    ))
}

fn section(entries: &[Entry], total: u64) -> String {
    let mut rows = String::new();
    for e in entries {
        rows.push_str(&format!(
            "<tr><td>{}</td><td class=\"who\">{}</td><td>{}</td><td class=\"action\">{}</td>\
             <td class=\"target\">{}</td><td class=\"n count\">{}</td>\
             <td class=\"outcome outcome-{o}\">{o}{err}</td></tr>",
            time(e.at_ms),
            esc(&e.who),
            esc(&e.via),
            esc(&e.action),
            esc(&e.target),
            e.count.map(|n| n.to_string()).unwrap_or_default(),
            o = e.outcome.as_str(),
            err = e
                .error
                .as_deref()
                .map(|m| format!(": {}", esc(m)))
                .unwrap_or_default(),
        ));
    }
    let table = if rows.is_empty() {
        "<p class=\"empty\" id=\"audit-empty\">No admin action recorded yet.</p>".to_owned()
    } else {
        format!(
            "<table id=\"audit\"><thead><tr><th>When</th><th>Who</th><th>Via</th><th>Action</th>\
             <th>Target</th><th>Count</th><th>Outcome</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    format!(
        "<section class=\"card\" id=\"audit-card\"><div class=\"card-head\"><h2>Audit trail</h2>\
         <span class=\"muted\">{} of {total} recorded, newest first</span></div>{table}\
         <p class=\"muted small\">Every replay, resend, delete, pause, resume, reveal, suppress and \
         unsuppress (CLI, API and this page), with who did it; refused attempts too.</p></section>",
        entries.len()
    )
}
