//! The HTML of each page, built from the same views the CLI prints.

use axum::response::{Html, IntoResponse, Response};
use meetflow_shared::queue::{ErrorClass, QueueStats};

use super::auth::Caller;
use super::html::{Nav, enc, esc, layout, script_json, secure, time};
use crate::commands::reminders::RemindersView;
use crate::dead::{Detail, Filter, Page, SCAN_BUDGET, shorten};
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
    url
}

fn queues_card(v: &IndexView<'_>) -> String {
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
             <td data-k=\"oldest\"{stale}>{}</td><td data-k=\"processed\">{}</td><td data-k=\"failed\">{}</td></tr>",
            s.ready, s.running, s.delayed, s.retrying, s.dead, age(s.oldest_ready_age_ms),
            s.processed_last_minute, s.failed_last_minute, q = esc(&s.queue),
        ));
    }
    format!(
        "<section class=\"card\" id=\"queues-card\"><div class=\"card-head\"><h2>Queues</h2>\
         <span id=\"updated\" class=\"muted\">live</span></div>\
         <table id=\"queues\" class=\"num\"><thead><tr><th>Queue</th><th>Ready</th><th>In flight</th><th>Scheduled</th>\
         <th>Retrying</th><th>Dead</th><th>Oldest ready</th><th>Processed /1m</th><th>Failed /1m</th></tr></thead>\
         <tbody>{rows}</tbody></table>\
         <h3>Throughput <span class=\"muted\">jobs per minute, last 60 minutes</span></h3>\
         <div id=\"chart\" class=\"chart\" role=\"img\" aria-label=\"jobs processed and dead letters per minute\"></div>\
         <div class=\"legend\"><span class=\"sw ok\"></span>processed <span class=\"sw retry\"></span>retried \
         <span class=\"sw dead\"></span>dead</div>\
         <script type=\"application/json\" id=\"throughput-data\">{}</script></section>",
        script_json(&v.throughput)
    )
}

fn dlq_rows(page: &Page) -> String {
    let mut rows = String::new();
    for s in &page.items {
        let class = s.class.as_deref().unwrap_or("");
        rows.push_str(&format!(
            "<tr data-id=\"{id}\"><td><input type=\"checkbox\" name=\"id\" value=\"{id}\" aria-label=\"select {id}\"></td>\
             <td><a class=\"job-link\" href=\"/jobs/{href}\">{id}</a></td><td>{queue}</td><td>{died}</td>\
             <td class=\"n\">{}/{}</td><td><span class=\"badge c-{class}\">{class}</span></td><td class=\"msg\">{msg}</td></tr>",
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
    let queue_attr = esc(f.queue.as_deref().unwrap_or(""));
    format!(
        "<section class=\"card\" id=\"dlq-card\"><div class=\"card-head\"><h2>Dead letters</h2>\
         <span class=\"muted\">{total} in {scope}</span></div>{flash}\
         <form method=\"get\" action=\"/\" class=\"filters\">\
         <label>Queue <select name=\"queue\">{qopts}</select></label>\
         <label>Error class <select name=\"class\">{copts}</select></label>\
         <label>Text <input type=\"search\" name=\"q\" value=\"{text}\" placeholder=\"id, payload, error\"></label>\
         <button type=\"submit\">Filter</button> <a href=\"/\">Clear</a></form>\
         {table}<nav class=\"pager\">{pager}</nav>\
         <div class=\"bulk\"><button type=\"button\" data-action=\"retry\" data-scope=\"selected\">Replay selected</button>\
         <button type=\"button\" class=\"danger\" data-action=\"delete\" data-scope=\"selected\">Delete selected</button>\
         <span class=\"sep\"></span>\
         <button type=\"button\" data-action=\"retry\" data-scope=\"all\" data-queue=\"{queue_attr}\" data-count=\"{total}\">Replay all in {scope}</button>\
         <button type=\"button\" class=\"danger\" data-action=\"delete\" data-scope=\"all\" data-queue=\"{queue_attr}\" data-count=\"{total}\">Delete all in {scope}</button></div></section>",
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

/// `/jobs/{id}`.
pub(super) fn job(caller: &Caller, id: &str, detail: Option<&Detail>) -> Response {
    let Some(d) = detail else {
        let body = format!(
            "<p><a href=\"/\">« Dead letters</a></p><section class=\"card\"><h2>No job <code>{}</code></h2>\
             <p>It was deleted, finished longer ago than its retention, or never existed.</p></section>",
            esc(id)
        );
        return layout("Job not found", Nav::Job, caller, &body);
    };
    let r = &d.record;
    let state = serde_json::to_value(r.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let ids = esc(&serde_json::to_string(&[&r.id]).unwrap_or_default());
    let actions = if state == "dead" {
        format!(
            "<div class=\"actions\"><button type=\"button\" id=\"replay\" data-action=\"retry\" data-ids=\"{ids}\" data-redirect=\"/\">Replay</button>\
             <button type=\"button\" id=\"delete\" class=\"danger\" data-action=\"delete\" data-ids=\"{ids}\" data-redirect=\"/\">Delete</button></div>"
        )
    } else {
        "<p class=\"muted\">Not a dead letter: nothing to replay.</p>".to_owned()
    };
    let mut timeline = String::new();
    for e in &r.errors {
        timeline.push_str(&format!(
            "<li><span class=\"when\">{}</span><span class=\"attempt\">attempt {}</span>\
             <span class=\"badge c-{c}\">{c}</span><div class=\"msg\">{}</div></li>",
            time(e.at_ms),
            e.attempt,
            esc(&e.message),
            c = esc(&e.class)
        ));
    }
    if timeline.is_empty() {
        timeline.push_str("<li class=\"muted\">No failed attempt recorded.</li>");
    }
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let mut payload = match &d.payload_json {
        Some(v) => format!("<pre id=\"payload\">{}</pre>", esc(&pretty(v))),
        None => format!(
            "<pre id=\"payload\">{}</pre>",
            esc(r.payload.as_deref().unwrap_or("(none)"))
        ),
    };
    if let Some(body) = d.payload_json.as_ref().and_then(|v| v["body"].as_str())
        && let Ok(inner) = serde_json::from_str::<serde_json::Value>(body)
    {
        payload.push_str(&format!(
            "<h4>Body</h4><pre id=\"body\">{}</pre>",
            esc(&pretty(&inner))
        ));
    }
    let reveal = if d.revealed {
        format!("<a href=\"/jobs/{}\">Mask personal data</a>", enc(&r.id))
    } else {
        format!(
            "phone numbers and e-mails masked · <a href=\"/jobs/{}?reveal=true\">Reveal</a>",
            enc(&r.id)
        )
    };
    let fact = |k: &str, v: String| format!("<dt>{k}</dt><dd>{v}</dd>");
    let facts = [
        fact("Queue", esc(&r.queue)),
        fact(
            "State",
            format!("<span class=\"badge s-{0}\">{0}</span>", esc(&state)),
        ),
        fact("Attempts", format!("{}/{}", r.attempts, r.max_attempts)),
        fact("Created", time(r.created_ms)),
        fact("Due", time(r.run_at_ms)),
        fact("Died", r.dead_ms.map(time).unwrap_or_else(|| "-".into())),
        fact("Group", esc(r.group.as_deref().unwrap_or("-"))),
    ]
    .concat();
    let body = format!(
        "<p><a href=\"/\">« Dead letters</a></p><section class=\"card\" id=\"job\"><div class=\"card-head\">\
         <h2>Job <code id=\"job-id\">{id}</code></h2></div><dl class=\"facts\">{facts}</dl>{actions}\
         <h3>Attempts</h3><ol class=\"timeline\" id=\"attempts\">{timeline}</ol>\
         <h3>Payload <span class=\"muted small\">{reveal}</span></h3>{payload}</section>",
        id = esc(&r.id),
    );
    layout(&format!("Job {}", r.id), Nav::Job, caller, &body)
}

/// `/reminders`.
pub(super) fn reminders(caller: &Caller, input: &str, v: &RemindersView) -> Response {
    let head = match &v.booking {
        Some(b) => match &b.status {
            Some(status) => format!(
                "<p>Booking <code>{}</code> <span class=\"badge s-{s}\">{s}</span> {} {}</p>",
                esc(&b.key),
                esc(b.event_name.as_deref().unwrap_or("")),
                b.start
                    .map(|t| format!("at {}", time(t.timestamp_millis())))
                    .unwrap_or_default(),
                s = esc(status),
            ),
            None => format!(
                "<p class=\"empty\">No booking <code>{}</code> is stored.</p>",
                esc(&b.key)
            ),
        },
        None => {
            "<p class=\"muted\">The next reminders of all bookings, earliest first.</p>".to_owned()
        }
    };
    let mut rows = String::new();
    for r in &v.reminders {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td><span class=\"badge s-{st}\">{st}</span></td>\
             <td><a href=\"/reminders?booking={}\">{}</a></td><td><code>{}</code></td></tr>",
            time(r.due_at.timestamp_millis()),
            esc(&r.kind.label()),
            enc(r.booking.as_str()),
            esc(r.booking.as_str()),
            esc(&r.id),
            st = esc(r.state.as_str()),
        ));
    }
    let table = if rows.is_empty() {
        "<p class=\"empty\">No reminders.</p>".to_owned()
    } else {
        format!(
            "<table id=\"reminders\"><thead><tr><th>Due</th><th>Kind</th><th>State</th><th>Booking</th><th>Id</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    let body = format!(
        "<section class=\"card\"><div class=\"card-head\"><h2>Reminders</h2></div>\
         <form method=\"get\" action=\"/reminders\" class=\"filters\"><label>Booking \
         <input type=\"search\" name=\"booking\" value=\"{}\" size=\"60\" placeholder=\"Calendly invitee URI or booking key\"></label>\
         <button type=\"submit\">Show</button></form>{head}{table}</section>",
        esc(input)
    );
    layout("Reminders", Nav::Reminders, caller, &body)
}

/// `/login`.
pub(super) fn login(failed: bool) -> Response {
    let error = if failed {
        "<p class=\"error\" role=\"alert\">That token is not right.</p>"
    } else {
        ""
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Log in · meetflow admin</title><link rel=\"stylesheet\" href=\"/assets/app.css\"><link rel=\"icon\" href=\"data:,\"></head>\
         <body class=\"login\"><main><section class=\"card\"><h1>meetflow admin</h1>{error}\
         <form method=\"post\" action=\"/login\"><label>Admin token <input type=\"password\" name=\"token\" id=\"token\" \
         autocomplete=\"current-password\" required autofocus></label><button type=\"submit\" id=\"login\">Log in</button></form>\
         <p class=\"muted small\">The token is <code>admin.token</code> (MEETFLOW_ADMIN_TOKEN).</p></section></main></body></html>"
    );
    secure(Html(html).into_response())
}
