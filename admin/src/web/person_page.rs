//! One page per person: `GET /api/person?q=&reveal=` (JSON, [`crate::person::PersonView`]) and
//! `GET /person?q=&reveal=` (the page). `q` is an e-mail, a phone number in any format (national
//! numbers read with `sms.default_region`) or a Calendly invitee URI / booking key.
//!
//! The page shows each booking with its status history and Calendly deliveries, Brevo jobs,
//! every SMS with its state, and the person's dead letters, each linked to its job page; tokens
//! of the `operate` role get the existing actions beside each job (Replay / Delete a dead letter
//! through `/api/dlq/*`, Run now / Cancel a waiting job through `/api/jobs/*`), and a possibly
//! sent SMS links to its job page, where only the `admin` role may send it again.
//!
//! `reveal=true` needs the `operate` role (the guard refuses and records the read role), and
//! each reveal is recorded in the audit trail as `reveal` of `person: <masked query>`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use meetflow_shared::audit::Record;
use meetflow_shared::config::AdminRole;
use serde::Deserialize;

use super::App;
use super::api::ApiError;
use super::auth::Caller;
use super::html::{Nav, enc, esc, layout, time};
use crate::audit;
use crate::person::{self, BookingView, JobView, Lookup, PersonView, Sources};

/// `?q=&reveal=&done=`.
#[derive(Debug, Default, Deserialize)]
pub struct PersonQuery {
    /// What to look up.
    #[serde(default)]
    q: Option<String>,
    /// Show personal data unmasked (operate role; audited).
    #[serde(default)]
    reveal: bool,
    /// A message to show (after an action).
    #[serde(default)]
    done: Option<String>,
}

/// Looks `lookup` up, recording a reveal in the audit trail.
async fn look_up(
    app: &App,
    caller: &Caller,
    lookup: &Lookup,
    reveal: bool,
) -> Result<PersonView, ApiError> {
    let src = Sources {
        client: &app.client,
        bookings: &app.bookings,
        settings: &app.settings,
    };
    let found = person::view(src, lookup, reveal).await;
    if reveal {
        let who = caller.who();
        let record = Record::new(
            &who.name,
            who.via,
            "reveal",
            format!("person: {}", lookup.masked()),
        )
        .outcome_of(&found, |v| Some(v.bookings.len() as u64));
        audit::record(&app.audit, record).await;
    }
    Ok(found?)
}

/// `GET /api/person?q=&reveal=`.
pub async fn api(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<PersonQuery>,
) -> Result<Response, ApiError> {
    let lookup = Lookup::parse(q.q.as_deref().unwrap_or(""), app.settings.sms.region())
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.to_string()))?;
    let v = look_up(&app, &caller, &lookup, q.reveal).await?;
    Ok(Json(v).into_response())
}

/// `GET /person?q=&reveal=`.
pub async fn page(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<PersonQuery>,
) -> Result<Response, ApiError> {
    let input = q.q.as_deref().unwrap_or("").trim();
    let form = |value: &str| {
        format!(
            "<form method=\"get\" action=\"/person\" class=\"filters\" id=\"person-search\"><label>E-mail, phone or Calendly URI \
             <input type=\"search\" name=\"q\" id=\"person-q\" value=\"{}\" size=\"50\" \
             placeholder=\"jordan@example.com · 415 555 0132 · https://api.calendly.com/…/invitees/…\"></label>\
             <button type=\"submit\">Find</button></form>",
            esc(value)
        )
    };
    let card = |inner: &str| {
        format!(
            "<section class=\"card\" id=\"person-card\"><div class=\"card-head\"><h2>Person</h2></div>{inner}</section>"
        )
    };
    if input.is_empty() {
        let body = card(&format!(
            "{}<p class=\"muted\">Everything meetflow did for one person: bookings and their \
             history, webhook deliveries, Brevo syncs, every SMS with its state, dead letters.</p>",
            form("")
        ));
        return Ok(layout("Person", Nav::Person, &caller, &body));
    }
    let lookup = match Lookup::parse(input, app.settings.sms.region()) {
        Ok(l) => l,
        Err(e) => {
            let body = card(&format!(
                "{}<p class=\"error\" id=\"person-error\" role=\"alert\">{}</p>",
                form(input),
                esc(&e.to_string())
            ));
            let mut resp = layout("Person", Nav::Person, &caller, &body);
            *resp.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(resp);
        }
    };
    let v = look_up(&app, &caller, &lookup, q.reveal).await?;
    // Personal data typed stays out of the page unless revealed: the search box is left empty
    // and links (reveal, after an action) name the person by a booking key instead.
    let plain = q.reveal || !lookup.is_personal();
    let kept = if plain { input } else { "" };
    let here = if plain {
        Some(format!("/person?q={}", enc(input)))
    } else {
        v.bookings
            .first()
            .map(|b| format!("/person?q={}", enc(&b.key)))
    };
    let body = render(&caller, here.as_deref(), kept, &v, q.done.as_deref(), &form);
    Ok(layout(
        &format!("Person {}", v.query),
        Nav::Person,
        &caller,
        &body,
    ))
}

fn render(
    caller: &Caller,
    here: Option<&str>,
    kept: &str,
    v: &PersonView,
    done: Option<&str>,
    form: &dyn Fn(&str) -> String,
) -> String {
    let may_act = caller.may(AdminRole::Operate);
    let reveal = match here {
        _ if !may_act => "personal data masked".to_owned(),
        Some(here) if v.revealed => format!(
            "<a href=\"{}\" id=\"mask\">Mask personal data</a>",
            esc(here)
        ),
        Some(here) => format!(
            "personal data masked · <a id=\"reveal\" href=\"{}&amp;reveal=true\" \
             title=\"recorded in the audit trail\">Reveal</a>",
            esc(here)
        ),
        None => "personal data masked".to_owned(),
    };
    let here = here.unwrap_or("/person");
    let flash = done
        .map(|d| {
            format!(
                "<div class=\"flash\" role=\"status\" id=\"person-flash\">{}</div>",
                esc(d)
            )
        })
        .unwrap_or_default();
    let mut who = String::new();
    if !v.emails.is_empty() {
        who.push_str(&format!(
            "<dt>E-mail</dt><dd id=\"person-emails\">{}</dd>",
            esc(&v.emails.join(", "))
        ));
    }
    if !v.phones.is_empty() {
        who.push_str(&format!(
            "<dt>Phone</dt><dd id=\"person-phones\">{}</dd>",
            esc(&v.phones.join(", "))
        ));
    }
    for s in &v.suppressed {
        who.push_str(&format!(
            "<dt>SMS suppressed</dt><dd class=\"suppressed\"><span class=\"badge s-suppressed\">{} {}</span> scope {} since {}</dd>",
            esc(s.kind),
            esc(&s.value),
            esc(&s.scope),
            s.added_ms.map(time).unwrap_or_else(|| "-".into())
        ));
    }
    let mut out = format!(
        "<section class=\"card\" id=\"person-card\"><div class=\"card-head\"><h2>Person <code id=\"person-query\">{}</code></h2>\
         <span class=\"muted small\" id=\"person-mask\">{reveal}</span></div>{flash}{}<dl class=\"facts\">{who}</dl>",
        esc(&v.query),
        form(kept),
    );
    if v.bookings.is_empty() {
        out.push_str("<p class=\"empty\" id=\"person-empty\">No booking of this person is stored (bookings are kept 7 days after their last use; the phone index and trails 30 days).</p>");
    }
    out.push_str("</section>");
    for b in &v.bookings {
        out.push_str(&booking_card(caller, b, here));
    }
    out.push_str(&dead_card(caller, &v.dead_letters, here));
    out
}

fn booking_card(caller: &Caller, b: &BookingView, here: &str) -> String {
    let status = b.status.as_deref().unwrap_or("expired");
    let fact = |k: &str, v: String| format!("<dt>{k}</dt><dd>{v}</dd>");
    let mut facts = vec![
        fact(
            "Status",
            format!("<span class=\"badge s-{0}\">{0}</span>", esc(status)),
        ),
        fact("Event", esc(b.event_name.as_deref().unwrap_or("-"))),
        fact("Starts", b.start_ms.map(time).unwrap_or_else(|| "-".into())),
        fact("Time zone", esc(b.timezone.as_deref().unwrap_or("-"))),
        fact("Name", esc(b.name.as_deref().unwrap_or("-"))),
        fact("E-mail", esc(b.email.as_deref().unwrap_or("-"))),
        fact("Phone", esc(b.phone.as_deref().unwrap_or("-"))),
    ];
    for (label, other) in [
        ("Rescheduled from", &b.rescheduled_from),
        ("Rescheduled to", &b.rescheduled_to),
    ] {
        if let Some(k) = other {
            facts.push(fact(
                label,
                format!("<a href=\"/person?q={}\">{}</a>", enc(k), esc(k)),
            ));
        }
    }
    let mut history = String::new();
    for d in &b.deliveries {
        let after = d.entry.status.as_deref().unwrap_or("-");
        history.push_str(&format!(
            "<tr data-delivery=\"{id}\"><td>{}</td><td>{}</td><td>{}</td>\
             <td><span class=\"badge s-{after}\">{after}</span></td><td>{}</td></tr>",
            time(d.entry.at_ms),
            esc(&d.entry.event),
            esc(&d.entry.via),
            job_cell(caller, &d.entry.delivery, d.job.as_ref(), here),
            id = esc(&d.entry.delivery),
            after = esc(after),
        ));
    }
    let history = if history.is_empty() {
        "<p class=\"empty\">No Calendly delivery recorded for this booking.</p>".to_owned()
    } else {
        format!(
            "<table class=\"history\"><thead><tr><th>Handled</th><th>Event</th><th>Via</th><th>Status after</th>\
             <th>Delivery (dedupe key)</th></tr></thead><tbody>{history}</tbody></table>"
        )
    };
    let mut sms = String::new();
    for s in &b.sms {
        let delivery = s.delivery.as_ref().map_or_else(
            || "-".to_owned(),
            |d| match &d.error_code {
                Some(c) => format!("{} ({c})", d.status),
                None => d.status.clone(),
            },
        );
        let job_id = s.job.as_ref().map_or("", |j| j.id.as_str());
        sms.push_str(&format!(
            "<tr data-kind=\"{kind}\" data-state=\"{st}\"><td>{kind}</td>\
             <td class=\"state\"><span class=\"badge s-{st}\">{st}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.due_ms.map(time).unwrap_or_else(|| "-".into()),
            esc(&delivery),
            job_cell(caller, job_id, s.job.as_ref(), here),
            kind = esc(&s.kind),
            st = s.state.as_str(),
        ));
    }
    let sms = if sms.is_empty() {
        "<p class=\"empty\">No SMS recorded.</p>".to_owned()
    } else {
        format!(
            "<table class=\"sms\"><thead><tr><th>SMS</th><th>State</th><th>Due</th><th>Delivery</th><th>Job</th></tr></thead>\
             <tbody>{sms}</tbody></table>"
        )
    };
    let mut brevo = String::new();
    for j in &b.brevo {
        brevo.push_str(&format!(
            "<tr data-id=\"{}\"><td>{}</td><td class=\"n\">{}</td><td class=\"msg\">{}</td></tr>",
            esc(&j.id),
            job_cell(caller, &j.id, Some(j), here),
            attempts(j),
            esc(j.last_error.as_deref().unwrap_or("")),
        ));
    }
    let brevo = if brevo.is_empty() {
        "<p class=\"empty\">No Brevo job stored (finished jobs are kept for their retention window).</p>".to_owned()
    } else {
        format!(
            "<table class=\"brevo\"><thead><tr><th>Job</th><th>Attempts</th><th>Last error</th></tr></thead><tbody>{brevo}</tbody></table>"
        )
    };
    format!(
        "<section class=\"card booking\" id=\"booking-{key}\" data-key=\"{key}\"><div class=\"card-head\">\
         <h2>Booking <code>{key}</code></h2><a href=\"/reminders?booking={enc_key}\">Reminders</a></div>\
         <dl class=\"facts\">{facts}</dl><h3>Status history and deliveries</h3>{history}\
         <h3>SMS</h3>{sms}<h3>Brevo</h3>{brevo}</section>",
        key = esc(&b.key),
        enc_key = enc(&b.key),
        facts = facts.concat(),
    )
}

/// `attempts/max` (just `attempts` once the job no longer says its maximum).
fn attempts(j: &JobView) -> String {
    if j.max_attempts == 0 {
        j.attempts.to_string()
    } else {
        format!("{}/{}", j.attempts, j.max_attempts)
    }
}

/// A job's link, state and (for the operate role) its actions.
fn job_cell(caller: &Caller, id: &str, job: Option<&JobView>, here: &str) -> String {
    let Some(j) = job else {
        if id.is_empty() {
            return "-".to_owned();
        }
        return format!(
            "<code>{}</code> <span class=\"muted small\">not stored</span>",
            esc(id)
        );
    };
    format!(
        "<a class=\"job-link\" href=\"/jobs/{}\">{}</a> <span class=\"badge s-{st}\">{st}</span> {}",
        enc(&j.id),
        esc(&j.id),
        buttons(caller, j, here),
        st = esc(&j.state),
    )
}

/// The actions of `j` the caller's role may take (none for the read role).
fn buttons(caller: &Caller, j: &JobView, here: &str) -> String {
    if !caller.may(AdminRole::Operate) {
        return String::new();
    }
    let ids = esc(&serde_json::to_string(&[&j.id]).unwrap_or_default());
    j.actions
        .iter()
        .map(|a| match *a {
            "replay" => format!(
                "<button type=\"button\" data-action=\"retry\" data-ids=\"{ids}\" data-redirect=\"{}\">Replay</button>",
                esc(here)
            ),
            "delete" => format!(
                "<button type=\"button\" class=\"danger\" data-action=\"delete\" data-ids=\"{ids}\" data-redirect=\"{}\">Delete</button>",
                esc(here)
            ),
            "resend" => format!(
                "<a class=\"warn\" href=\"/jobs/{}\">possibly sent: decide on its page</a>",
                enc(&j.id)
            ),
            "run-now" | "cancel" => format!(
                "<button type=\"button\"{} data-job-action=\"{a}\" data-id=\"{}\" data-expect=\"{}\">{}</button>",
                if *a == "cancel" { " class=\"danger\"" } else { "" },
                esc(&j.id),
                esc(&j.state),
                if *a == "cancel" { "Cancel" } else { "Run now" },
            ),
            _ => String::new(),
        })
        .collect()
}

fn dead_card(caller: &Caller, dead: &[JobView], here: &str) -> String {
    let rows: String = dead
        .iter()
        .map(|j| {
            format!(
                "<tr data-id=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"msg\">{}</td></tr>",
                esc(&j.id),
                job_cell(caller, &j.id, Some(j), here),
                esc(&j.queue),
                j.dead_ms.map(time).unwrap_or_else(|| "-".into()),
                esc(j.last_error.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let table = if rows.is_empty() {
        "<p class=\"empty\" id=\"person-dead-empty\">No dead letters.</p>".to_owned()
    } else {
        format!(
            "<table id=\"person-dead\"><thead><tr><th>Job</th><th>Queue</th><th>Died</th><th>Last error</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    format!(
        "<section class=\"card\" id=\"person-dead-card\"><div class=\"card-head\"><h2>Dead letters</h2></div>{table}</section>"
    )
}
