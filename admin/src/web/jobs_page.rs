//! `GET /jobs?state=&queue=&cursor=&limit=`: every job in view on the page: a tab per state with
//! its count, a page of the jobs in one state (next page by cursor), the actions a waiting job
//! takes (Run now, Cancel, To dead letters; the page confirms and POSTs to `/api/jobs/...` with
//! the state shown, so a job that changed meanwhile is refused), and the live worker processes.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use meetflow_shared::queue::{JobAction, JobPage, JobRow, ListState, ProcessInfo, QueueStats};
use serde::Deserialize;

use super::App;
use super::api::ApiError;
use super::api_jobs::{self, JobsQuery};
use super::auth::Caller;
use super::html::{Nav, enc, esc, layout, time};
use crate::commands::processes;
use crate::overview;

/// Rows per page on the page.
const PAGE_ROWS: usize = 25;

/// The page's query: the list's, plus a message after an action.
#[derive(Debug, Default, Deserialize)]
pub struct JobsPageQuery {
    state: Option<String>,
    queue: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
    done: Option<String>,
}

/// `GET /jobs`.
pub async fn jobs(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<JobsPageQuery>,
) -> Result<Response, ApiError> {
    let query = JobsQuery {
        state: Some(q.state.clone().unwrap_or_else(|| "ready".to_owned())),
        queue: q.queue.clone(),
        cursor: q.cursor.clone(),
        limit: Some(q.limit.unwrap_or(PAGE_ROWS).clamp(1, 200)),
    };
    let page = api_jobs::page(&app, &query, PAGE_ROWS).await?;
    let stats = overview::stats(&app.client).await?;
    let procs = app.client.processes().await?;
    let body = format!(
        "{}{}",
        jobs_card(&page, &stats, q.cursor.is_some(), q.done.as_deref()),
        processes_card(&procs)
    );
    Ok(layout("Jobs", Nav::Jobs, &caller, &body))
}

fn count(stats: &[QueueStats], queue: Option<&str>, state: ListState) -> u64 {
    stats
        .iter()
        .filter(|s| queue.is_none_or(|q| q == s.queue))
        .map(|s| match state {
            ListState::Ready => s.ready,
            ListState::Inflight => s.running,
            ListState::Scheduled => s.delayed,
            ListState::Retrying => s.retrying,
            ListState::Dead => s.dead,
        })
        .sum()
}

fn url(state: ListState, queue: Option<&str>, cursor: Option<&str>) -> String {
    let mut u = format!("/jobs?state={state}");
    if let Some(q) = queue {
        u.push_str(&format!("&queue={}", enc(q)));
    }
    if let Some(c) = cursor {
        u.push_str(&format!("&cursor={}", enc(c)));
    }
    u
}

fn jobs_card(page: &JobPage, stats: &[QueueStats], paged: bool, done: Option<&str>) -> String {
    let queue = page.queue.as_deref();
    let tabs: String = ListState::ALL
        .iter()
        .map(|s| {
            let class = if *s == page.state {
                " class=\"active\""
            } else {
                ""
            };
            format!(
                "<a href=\"{}\" data-state=\"{s}\"{class}>{s} <span class=\"badge\">{}</span></a>",
                esc(&url(*s, queue, None)),
                count(stats, queue, *s)
            )
        })
        .collect();
    let mut qopts = String::from("<option value=\"\">all</option>");
    for s in stats {
        let sel = if queue == Some(s.queue.as_str()) {
            " selected"
        } else {
            ""
        };
        qopts.push_str(&format!(
            "<option value=\"{0}\"{sel}>{0}</option>",
            esc(&s.queue)
        ));
    }
    let flash = done
        .map(|d| {
            format!(
                "<div class=\"flash\" role=\"status\" id=\"jobs-flash\">{}</div>",
                esc(d)
            )
        })
        .unwrap_or_default();
    let when = match page.state {
        ListState::Inflight => "Lease until",
        ListState::Scheduled | ListState::Retrying => "Next run",
        ListState::Dead => "Died",
        ListState::Ready => "Enqueued",
    };
    let rows: String = page.items.iter().map(|r| row(page.state, r)).collect();
    let table = if rows.is_empty() {
        format!(
            "<p class=\"empty\" id=\"jobs-empty\">No {} jobs.</p>",
            page.state
        )
    } else {
        format!(
            "<table id=\"jobs\"><thead><tr><th>Job</th><th>Queue</th><th>Kind</th><th>Attempt</th>\
             <th>{when}</th><th>Held by</th><th>Last error</th><th></th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    let mut pager = Vec::new();
    if paged {
        pager.push(format!(
            "<a href=\"{}\">« First page</a>",
            esc(&url(page.state, queue, None))
        ));
    }
    if let Some(c) = &page.next_cursor {
        pager.push(format!(
            "<a href=\"{}\" rel=\"next\" id=\"jobs-next\">Next page »</a>",
            esc(&url(page.state, queue, Some(c)))
        ));
    }
    format!(
        "<section class=\"card\" id=\"jobs-card\"><div class=\"card-head\"><h2>Jobs</h2>\
         <span class=\"muted\">{scope}</span></div>{flash}<nav class=\"tabs\" id=\"job-states\">{tabs}</nav>\
         <form method=\"get\" action=\"/jobs\" class=\"filters\"><input type=\"hidden\" name=\"state\" value=\"{state}\">\
         <label>Queue <select name=\"queue\">{qopts}</select></label><button type=\"submit\">Show</button></form>\
         {table}<nav class=\"pager\">{pager}</nav>\
         <p class=\"muted small\">Only waiting jobs take an action; a job in flight finishes first. \
         Each action is refused if the job changed since this page was drawn.</p></section>",
        scope = esc(&queue.map_or_else(|| "all queues".to_owned(), |q| format!("queue {q}"))),
        state = page.state,
        pager = pager.join(" "),
    )
}

fn row(state: ListState, r: &JobRow) -> String {
    let when = match state {
        ListState::Inflight => r.lease_expires_ms,
        ListState::Scheduled | ListState::Retrying => r.next_run_ms,
        ListState::Dead => r.dead_ms,
        ListState::Ready => Some(r.enqueued_ms),
    };
    let error = r
        .last_error
        .as_ref()
        .map(|e| {
            format!(
                "<span class=\"badge c-{c}\">{c}</span> {}",
                esc(&e.message),
                c = esc(&e.class)
            )
        })
        .unwrap_or_default();
    let buttons: String = [JobAction::RunNow, JobAction::Cancel, JobAction::Dead]
        .iter()
        .filter(|a| a.takes().contains(&r.state))
        .map(|a| {
            let (verb, label, class) = match a {
                JobAction::RunNow => ("run-now", "Run now", ""),
                JobAction::Cancel => ("cancel", "Cancel", " class=\"danger\""),
                JobAction::Dead => ("dead", "To dead letters", " class=\"danger\""),
            };
            format!(
                "<button type=\"button\"{class} data-job-action=\"{verb}\" data-id=\"{id}\" data-expect=\"{st}\">{label}</button>",
                id = esc(&r.id),
                st = r.state
            )
        })
        .collect();
    format!(
        "<tr data-id=\"{id}\" data-state=\"{st}\"><td><a class=\"job-link\" href=\"/jobs/{href}\">{id}</a></td>\
         <td>{queue}</td><td>{kind}</td><td class=\"n\">{}/{}</td><td class=\"n\">{when}</td>\
         <td class=\"holder\">{holder}</td><td class=\"msg\">{error}</td><td class=\"actions\">{buttons}</td></tr>",
        r.attempt,
        r.max_attempts.unwrap_or_default(),
        id = esc(&r.id),
        href = enc(&r.id),
        st = r.state,
        queue = esc(&r.queue),
        kind = esc(r.kind.as_deref().unwrap_or("")),
        when = when.map(time).unwrap_or_default(),
        holder = esc(r.holder.as_deref().unwrap_or("")),
    )
}

fn processes_card(list: &[ProcessInfo]) -> String {
    let rows: String = list
        .iter()
        .map(|p| {
            format!(
                "<tr data-identity=\"{id}\"><td><code>{id}</code></td><td>{host}</td><td>{svc}</td>\
                 <td class=\"queues\">{queues}</td><td class=\"n\">{}</td><td>{}</td><td>{ver}</td></tr>",
                p.in_flight,
                time(p.last_heartbeat_ms),
                id = esc(&p.identity),
                host = esc(&p.host),
                svc = esc(&p.service),
                queues = esc(&processes::queues(p)),
                ver = esc(&p.version),
            )
        })
        .collect();
    let table = if rows.is_empty() {
        "<p class=\"empty\" id=\"processes-empty\">No worker process has sent a heartbeat in the last 30 s.</p>".to_owned()
    } else {
        format!(
            "<table id=\"processes\"><thead><tr><th>Identity</th><th>Host</th><th>Service</th><th>Queues (in flight)</th>\
             <th>In flight</th><th>Last heartbeat</th><th>Version</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    format!(
        "<section class=\"card\" id=\"processes-card\"><div class=\"card-head\"><h2>Worker processes</h2>\
         <span class=\"muted\">heartbeat every 5 s</span></div>{table}</section>"
    )
}
