//! The HTML of the main page (queues, throughput chart, dead letters), built from the same
//! views the CLI prints; the other pages are in `views`.

use axum::response::Response;
use meetflow_shared::queue::{ErrorClass, QueueStats};

use super::auth::Caller;
use super::html::{Nav, enc, esc, layout, script_json, time};
use crate::dead::{Filter, Page, SCAN_BUDGET, shorten};
use crate::overview::{Minute, age};

/// Every error class, for the filter.
const CLASSES: [ErrorClass; 10] = [
    ErrorClass::Transport,
    ErrorClass::Timeout,
    ErrorClass::RateLimited,
    ErrorClass::ProviderServer,
    ErrorClass::ProviderRejected,
    ErrorClass::Config,
    ErrorClass::BadPayload,
    ErrorClass::Stale,
    ErrorClass::LeaseExpired,
    ErrorClass::Internal,
];

/// What the index page shows.
#[derive(Debug)]
pub(super) struct IndexView<'a> {
    pub(super) stats: &'a [QueueStats],
    pub(super) throughput: &'a [Minute],
    pub(super) page: &'a Page,
    pub(super) filter: &'a Filter,
    pub(super) limit: usize,
    pub(super) done: Option<&'a str>,
    /// Whether the caller's role may act (`operate` or more): else no action button is drawn.
    pub(super) may_act: bool,
}

fn options(values: &[String], selected: Option<&str>, any: &str) -> String {
    let mut out = format!("<option value=\"\">{any}</option>");
    for v in values {
        let sel = if selected == Some(v.as_str()) {
            " selected"
        } else {
            ""
        };
        out.push_str(&format!("<option value=\"{0}\"{sel}>{0}</option>", esc(v)));
    }
    out
}

fn list_url(f: &Filter, offset: usize, limit: usize) -> String {
    let mut url = format!("/?offset={offset}&limit={limit}");
    for (k, v) in [("queue", &f.queue), ("class", &f.class), ("q", &f.text)] {
        if let Some(v) = v {
            url.push_str(&format!("&{k}={}", enc(v)));
        }
    }
    for (k, v) in [("since", f.since_ms), ("until", f.until_ms)] {
        if let Some(v) = v {
            url.push_str(&format!("&{k}={}", enc(&iso(v))));
        }
    }
    url
}

/// Unix ms as the RFC 3339 text the filters take back.
fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn queues_card(v: &IndexView<'_>) -> String {
    let act = v.may_act;
    let mut rows = String::new();
    for s in v.stats {
        let stale = if s.oldest_ready_age_ms > 300_000 {
            " class=\"alert\""
        } else {
            ""
        };
        rows.push_str(&format!(
            "<tr data-queue=\"{q}\"><th scope=\"row\">{q}</th><td data-k=\"ready\">{}</td><td data-k=\"running\">{}</td>\
             <td data-k=\"delayed\">{}</td><td data-k=\"retrying\">{}</td><td data-k=\"dead\">{}</td>\
             <td data-k=\"oldest\"{stale}>{}</td><td data-k=\"processed\">{}</td><td data-k=\"failed\">{}</td>\
             <td data-k=\"state\">{state}</td><td>{button}</td></tr>",
            s.ready, s.running, s.delayed, s.retrying, s.dead, age(s.oldest_ready_age_ms),
            s.processed_last_minute, s.failed_last_minute, q = esc(&s.queue),
            state = if s.paused { "paused" } else { "running" },
            button = if act { pause_button(&s.queue, s.paused) } else { String::new() },
        ));
    }
    format!(
        "<section class=\"card\" id=\"queues-card\"><div class=\"card-head\"><h2>Queues</h2>\
         <span id=\"updated\" class=\"muted\">live</span></div>\
         <table id=\"queues\" class=\"num\"><thead><tr><th>Queue</th><th>Ready</th><th>In flight</th><th>Scheduled</th>\
         <th>Retrying</th><th>Dead</th><th>Oldest ready</th><th>Processed /1m</th><th>Failed /1m</th><th>State</th><th></th></tr></thead>\
         <tbody>{rows}</tbody></table>\
         <div class=\"bulk\">{pause_all}{resume_all}</div>\
         <h3>Throughput <span class=\"muted\">jobs per minute, last 60 minutes</span></h3>\
         <div id=\"chart\" class=\"chart\" role=\"img\" aria-label=\"jobs processed and dead letters per minute\"></div>\
         <div class=\"legend\"><span class=\"sw ok\"></span>processed <span class=\"sw retry\"></span>retried \
         <span class=\"sw dead\"></span>dead</div>\
         <script type=\"application/json\" id=\"throughput-data\">{}</script></section>",
        script_json(&v.throughput),
        pause_all = if act {
            "<button type=\"button\" class=\"danger\" id=\"pause-all\" data-pause=\"pause\" data-target=\"all\">Pause all queues</button> "
        } else {
            ""
        },
        resume_all = if act {
            "<button type=\"button\" id=\"resume-all\" data-pause=\"resume\" data-target=\"all\">Resume all queues</button>"
        } else {
            ""
        },
    )
}

/// The kill switch of one queue row: Pause, or Resume when paused (the page confirms first).
fn pause_button(queue: &str, paused: bool) -> String {
    let (action, label) = if paused {
        ("resume", "Resume")
    } else {
        ("pause", "Pause")
    };
    format!(
        "<button type=\"button\" data-pause=\"{action}\" data-target=\"{q}\">{label}</button>",
        q = esc(queue)
    )
}

fn dlq_rows(page: &Page) -> String {
    let mut rows = String::new();
    for s in &page.items {
        let class = s.class.as_deref().unwrap_or("");
        let flag = if s.possibly_sent {
            "<span class=\"badge possibly-sent\" title=\"may have reached the provider: replayed only one at a time, from its page\">possibly sent</span> "
        } else {
            ""
        };
        rows.push_str(&format!(
            "<tr data-id=\"{id}\"><td><input type=\"checkbox\" name=\"id\" value=\"{id}\" aria-label=\"select {id}\"></td>\
             <td><a class=\"job-link\" href=\"/jobs/{href}\">{id}</a></td><td>{queue}</td><td>{died}</td>\
             <td class=\"n\">{}/{}</td><td><span class=\"badge c-{class}\">{class}</span></td><td class=\"msg\">{flag}{msg}</td></tr>",
            s.attempts,
            s.max_attempts,
            id = esc(&s.id),
            href = enc(&s.id),
            queue = esc(&s.queue),
            died = s.dead_ms.map(time).unwrap_or_default(),
            class = esc(class),
            msg = esc(s.message.as_deref().unwrap_or("")),
        ));
    }
    rows
}

fn dlq_card(v: &IndexView<'_>) -> String {
    let (page, f) = (v.page, v.filter);
    let queues: Vec<String> = v.stats.iter().map(|s| s.queue.clone()).collect();
    let classes: Vec<String> = CLASSES.iter().map(|c| c.as_str().to_owned()).collect();
    let flash = v
        .done
        .map(|d| {
            format!(
                "<div class=\"flash\" role=\"status\">{}</div>",
                esc(&shorten(d, 200))
            )
        })
        .unwrap_or_default();
    let table = if page.items.is_empty() {
        "<p class=\"empty\" id=\"dlq-empty\">No dead letters match.</p>".to_owned()
    } else {
        format!(
            "<table id=\"dlq\"><thead><tr><th><input type=\"checkbox\" id=\"select-all\" aria-label=\"select all\"></th>\
             <th>Job</th><th>Queue</th><th>Died</th><th>Attempts</th><th>Class</th><th>Last error</th></tr></thead>\
             <tbody>{}</tbody></table>",
            dlq_rows(page)
        )
    };
    let mut pager = Vec::new();
    if page.offset > 0 {
        let back = if page.filtered {
            0
        } else {
            page.offset.saturating_sub(v.limit)
        };
        let label = if page.filtered {
            "« From the newest"
        } else {
            "« Newer"
        };
        pager.push(format!(
            "<a href=\"{}\">{label}</a>",
            esc(&list_url(f, back, v.limit))
        ));
    }
    let status = if page.filtered {
        let budget = if page.exhausted {
            String::new()
        } else {
            format!(" (each request looks at most at {SCAN_BUDGET})")
        };
        format!(
            "{} shown; scanned {} of {} from position {}{budget}",
            page.items.len(),
            page.scanned,
            page.total,
            page.offset
        )
    } else {
        let end = page.offset + page.items.len();
        format!(
            "{}–{} of {}",
            if end == 0 { 0 } else { page.offset + 1 },
            end,
            page.total
        )
    };
    pager.push(format!("<span class=\"muted\">{status}</span>"));
    if let Some(next) = page.next_offset {
        let label = if page.filtered {
            "Continue scanning »"
        } else {
            "Older »"
        };
        pager.push(format!(
            "<a href=\"{}\" rel=\"next\">{label}</a>",
            esc(&list_url(f, next, v.limit))
        ));
    }
    let scope = f
        .queue
        .as_deref()
        .map_or_else(|| "all queues".to_owned(), |q| format!("queue {}", esc(q)));
    let described = f.describe();
    let matching = if described.is_empty() {
        "all dead letters".to_owned()
    } else {
        format!("all matching {described}")
    };
    // The bulk buttons carry the filter on screen; the page asks the server for the count of
    // exactly that set (possibly sent excluded) when one is clicked.
    let filter_attrs = format!(
        "data-queue=\"{}\" data-class=\"{}\" data-q=\"{}\" data-since=\"{}\" data-until=\"{}\"",
        esc(f.queue.as_deref().unwrap_or("")),
        esc(f.class.as_deref().unwrap_or("")),
        esc(f.text.as_deref().unwrap_or("")),
        f.since_ms.map(iso).unwrap_or_default(),
        f.until_ms.map(iso).unwrap_or_default(),
    );
    let bulk = if v.may_act {
        format!(
            "<div class=\"bulk\"><button type=\"button\" data-action=\"retry\" data-scope=\"selected\">Replay selected</button>\
         <button type=\"button\" class=\"danger\" data-action=\"delete\" data-scope=\"selected\">Delete selected</button>\
         <span class=\"sep\"></span>\
         <button type=\"button\" id=\"replay-all\" data-action=\"retry\" data-scope=\"all\" {filter_attrs}>Replay {matching}</button>\
         <button type=\"button\" id=\"delete-all\" class=\"danger\" data-action=\"delete\" data-scope=\"all\" {filter_attrs}>Delete {matching}</button>\
         <p class=\"muted small\">Bulk actions never take a dead letter marked possibly sent: open it and use Send again.</p></div>",
            matching = esc(&matching),
        )
    } else {
        "<p class=\"muted small\" id=\"read-only\">Your token has the read role: it can look, not act.</p>".to_owned()
    };
    format!(
        "<section class=\"card\" id=\"dlq-card\"><div class=\"card-head\"><h2>Dead letters</h2>\
         <span class=\"muted\">{total} in {scope}</span></div>{flash}\
         <form method=\"get\" action=\"/\" class=\"filters\">\
         <label>Queue <select name=\"queue\">{qopts}</select></label>\
         <label>Error class <select name=\"class\">{copts}</select></label>\
         <label>Text <input type=\"search\" name=\"q\" value=\"{text}\" placeholder=\"id, payload, error\"></label>\
         <label>Died since <input type=\"text\" name=\"since\" value=\"{since}\" placeholder=\"2026-12-05T14:00:00Z\"></label>\
         <label>until <input type=\"text\" name=\"until\" value=\"{until}\" placeholder=\"2026-12-06\"></label>\
         <button type=\"submit\">Filter</button> <a href=\"/\">Clear</a></form>\
         {table}<nav class=\"pager\">{pager}</nav>{bulk}</section>",
        since = f.since_ms.map(iso).unwrap_or_default(),
        until = f.until_ms.map(iso).unwrap_or_default(),
        total = page.total,
        qopts = options(&queues, f.queue.as_deref(), "any"),
        copts = options(&classes, f.class.as_deref(), "any"),
        text = esc(f.text.as_deref().unwrap_or("")),
        pager = pager.join(" "),
    )
}

/// `/`.
pub(super) fn index(caller: &Caller, v: &IndexView<'_>) -> Response {
    let body = format!("{}{}", queues_card(v), dlq_card(v));
    layout("Queues", Nav::Overview, caller, &body)
}
