//! The HTML of a job's page, the reminders page and the login form.

use axum::response::{Html, IntoResponse, Response};

use meetflow_shared::config::AdminRole;

use super::auth::Caller;
use super::html::{Nav, enc, esc, layout, secure, time};
use crate::commands::reminders::RemindersView;
use crate::dead::Detail;

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
    let role = caller.who().role;
    let actions = if state == "dead" && !caller.may(AdminRole::Operate) {
        format!(
            "<p class=\"muted\" id=\"read-only\">Your token has the {} role: it can look, not act.</p>",
            role.as_str()
        )
    } else if state == "dead" && d.possibly_sent && !caller.may(AdminRole::Admin) {
        "<div class=\"actions\"><p class=\"warn\" id=\"possibly-sent\">Possibly sent: the provider may have it. \
         Sending it again needs a token with the admin role.</p></div>"
            .to_owned()
    } else if state == "dead" && d.possibly_sent {
        format!(
            "<div class=\"actions\"><p class=\"warn\" id=\"possibly-sent\">Possibly sent: the provider may have it. \
             Check EngageLab before sending again; an SMS marked sent is never sent again.</p>\
             <button type=\"button\" id=\"resend\" data-action=\"retry\" data-resend=\"1\" data-ids=\"{ids}\" data-redirect=\"/\">Send again…</button>\
             <button type=\"button\" id=\"delete\" class=\"danger\" data-action=\"delete\" data-ids=\"{ids}\" data-redirect=\"/\">Delete</button></div>"
        )
    } else if state == "dead" {
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
    let reveal = if !caller.may(AdminRole::Operate) {
        "phone numbers and e-mails masked".to_owned()
    } else if d.revealed {
        format!("<a href=\"/jobs/{}\">Mask personal data</a>", enc(&r.id))
    } else {
        format!(
            "phone numbers and e-mails masked · <a id=\"reveal\" href=\"/jobs/{}?reveal=true\" \
             title=\"recorded in the audit trail\">Reveal</a>",
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
                "<p>Booking <code>{}</code> <span class=\"badge s-{s}\">{s}</span> {} {} \
                 <a href=\"/person?q={}\" id=\"person-link\">Person page</a></p>",
                esc(&b.key),
                esc(b.event_name.as_deref().unwrap_or("")),
                b.start
                    .map(|t| format!("at {}", time(t.timestamp_millis())))
                    .unwrap_or_default(),
                enc(&b.key),
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
    for row in &v.reminders {
        let r = &row.reminder;
        let delivery = row.delivery.as_ref().map_or("none", |d| d.status.as_str());
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td><span class=\"badge s-{st}\">{st}</span></td>\
             <td><span class=\"badge s-{}\">{}</span></td>\
             <td><a href=\"/reminders?booking={}\">{}</a></td><td><code>{}</code></td></tr>",
            time(r.due_at.timestamp_millis()),
            esc(&r.kind.label()),
            esc(delivery),
            esc(&row.delivery_text()),
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
            "<table id=\"reminders\"><thead><tr><th>Due</th><th>Kind</th><th>State</th><th>Delivery</th><th>Booking</th><th>Id</th></tr></thead><tbody>{rows}</tbody></table>"
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
         <form method=\"post\" action=\"/login\"><label>Token <input type=\"password\" name=\"token\" id=\"token\" \
         autocomplete=\"current-password\" required autofocus></label><button type=\"submit\" id=\"login\">Log in</button></form>\
         <p class=\"muted small\">The token is <code>admin.token</code> (MEETFLOW_ADMIN_TOKEN) or one of <code>admin.tokens</code>.</p></section></main></body></html>"
    );
    secure(Html(html).into_response())
}
