//! `GET /deliveries`: the delivery log on the page: a filter form (provider, event, person,
//! since, until), a page of deliveries newest first (next page by cursor, stable while new
//! deliveries arrive), a Replay button per row and one for everything the filter matches; and
//! `GET /deliveries/{id}`: one delivery with its raw body, personal data masked unless
//! revealed (operate role; recorded in the audit trail).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetflow_shared::config::AdminRole;
use meetflow_shared::delivery_log::{DeliveryPage, DeliveryRow};
use serde::Deserialize;

use super::App;
use super::api::ApiError;
use super::api_deliveries::{self, DeliveriesQuery, ShowQuery};
use super::auth::Caller;
use super::html::{Nav, enc, esc, layout, time};

/// Rows per page on the page.
const PAGE_ROWS: usize = 25;

/// The page's query: the list's, plus a message after an action.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    provider: Option<String>,
    event: Option<String>,
    person: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

const FIELDS: [&str; 5] = ["provider", "event", "person", "since", "until"];

impl PageQuery {
    fn values(&self) -> [Option<&str>; 5] {
        [
            self.provider.as_deref(),
            self.event.as_deref(),
            self.person.as_deref(),
            self.since.as_deref(),
            self.until.as_deref(),
        ]
        .map(|v| v.map(str::trim).filter(|v| !v.is_empty()))
    }

    fn url(&self, cursor: Option<&str>) -> String {
        let mut parts: Vec<String> = FIELDS
            .iter()
            .zip(self.values())
            .filter_map(|(k, v)| v.map(|v| format!("{k}={}", enc(v))))
            .collect();
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", enc(c)));
        }
        format!("/deliveries?{}", parts.join("&"))
    }
}

/// `GET /deliveries`.
pub async fn deliveries(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let query = DeliveriesQuery {
        provider: q.provider.clone(),
        event: q.event.clone(),
        person: q.person.clone(),
        since: q.since.clone(),
        until: q.until.clone(),
        cursor: q.cursor.clone(),
        limit: Some(PAGE_ROWS),
    };
    let (page, error) = match api_deliveries::page(&app, &query, PAGE_ROWS).await {
        Ok(p) => (p, None),
        Err(ApiError(StatusCode::BAD_REQUEST, e)) => (
            DeliveryPage {
                items: Vec::new(),
                next_cursor: None,
            },
            Some(e),
        ),
        Err(e) => return Err(e),
    };
    let (total, bytes) = api_deliveries::log(&app).totals().await?;
    let body = card(&q, &page, total, bytes, error.as_deref());
    Ok(layout("Deliveries", Nav::Deliveries, &caller, &body))
}

fn card(q: &PageQuery, page: &DeliveryPage, total: u64, bytes: u64, error: Option<&str>) -> String {
    let values = q.values();
    let input = |i: usize, label: &str, placeholder: &str| {
        format!(
            "<label>{label} <input name=\"{name}\" id=\"f-{name}\" value=\"{v}\" placeholder=\"{placeholder}\"></label>",
            name = FIELDS[i],
            v = esc(values[i].unwrap_or("")),
        )
    };
    let providers: String = ["", "calendly", "zoom", "engagelab"]
        .iter()
        .map(|p| {
            let sel = if values[0].unwrap_or("") == *p {
                " selected"
            } else {
                ""
            };
            let label = if p.is_empty() { "all" } else { p };
            format!("<option value=\"{p}\"{sel}>{label}</option>")
        })
        .collect();
    let flash = q
        .done
        .as_deref()
        .map(|d| {
            format!(
                "<div class=\"flash\" role=\"status\" id=\"deliveries-flash\">{}</div>",
                esc(d)
            )
        })
        .unwrap_or_default();
    let error = error
        .map(|e| {
            format!(
                "<div class=\"flash warn\" role=\"alert\" id=\"deliveries-error\">{}</div>",
                esc(e)
            )
        })
        .unwrap_or_default();
    let rows: String = page.items.iter().map(row).collect();
    let table = if rows.is_empty() {
        "<p class=\"empty\" id=\"deliveries-empty\">No deliveries match.</p>".to_owned()
    } else {
        format!(
            "<table id=\"deliveries\"><thead><tr><th>Delivery</th><th>Stored</th><th>Provider</th>\
             <th>Event</th><th>Outcome</th><th>Bytes</th><th>Replays</th><th></th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    let mut pager = Vec::new();
    if q.cursor.is_some() {
        pager.push(format!("<a href=\"{}\">« Newest</a>", esc(&q.url(None))));
    }
    if let Some(c) = &page.next_cursor {
        pager.push(format!(
            "<a href=\"{}\" rel=\"next\" id=\"deliveries-next\">Older »</a>",
            esc(&q.url(Some(c)))
        ));
    }
    let data: String = FIELDS
        .iter()
        .zip(values)
        .filter_map(|(k, v)| v.map(|v| format!(" data-{k}=\"{}\"", esc(v))))
        .collect();
    let bulk = if values[3].is_some() {
        format!(
            "<button type=\"button\" id=\"replay-matching\" data-delivery-replay=\"all\"{data}>Replay all matching</button>"
        )
    } else {
        "<span class=\"muted small\">Give a time window (since) to replay everything that matches.</span>".to_owned()
    };
    format!(
        "<section class=\"card\" id=\"deliveries-card\"><div class=\"card-head\"><h2>Deliveries</h2>\
         <span class=\"muted\" id=\"deliveries-total\">{total} kept · {kib} KiB</span></div>{flash}{error}\
         <form method=\"get\" action=\"/deliveries\" class=\"filters\" id=\"deliveries-filter\">\
         <label>Provider <select name=\"provider\" id=\"f-provider\">{providers}</select></label>\
         {event}{person}{since}{until}<button type=\"submit\">Search</button></form>\
         <div class=\"bulk\">{bulk}</div>{table}<nav class=\"pager\">{pager}</nav>\
         <p class=\"muted small\">Every accepted webhook delivery, newest first. A replay re-processes the \
         delivery as a new job: what was already sent (an SMS marked sent) is not sent again.</p></section>",
        kib = bytes / 1024,
        event = input(1, "Event", "invitee.created"),
        person = input(2, "Person", "e-mail or phone"),
        since = input(3, "Since", "10:00 or 2026-12-06 10:00"),
        until = input(4, "Until", "10:40"),
        pager = pager.join(" "),
    )
}

fn row(r: &DeliveryRow) -> String {
    format!(
        "<tr data-id=\"{id}\"><td><a class=\"delivery-link\" href=\"/deliveries/{href}\"><code>{id}</code></a></td>\
         <td class=\"n\">{at}</td><td>{provider}</td><td>{event}</td>\
         <td><span class=\"badge o-{outcome}\">{outcome}</span></td><td class=\"n\">{size}</td>\
         <td class=\"n replays\">{replays}</td><td class=\"actions\">\
         <button type=\"button\" data-delivery-replay=\"one\" data-id=\"{id}\">Replay</button></td></tr>",
        id = esc(&r.id),
        href = enc(&r.id),
        at = time(r.at_ms),
        provider = esc(&r.provider),
        event = esc(&r.event),
        outcome = esc(&r.outcome),
        size = r.size,
        replays = r.replays,
    )
}

/// `GET /deliveries/{id}` (`?reveal=true`: operate role, audited).
pub async fn delivery(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, ApiError> {
    let Some(d) = api_deliveries::show_one(&app, &caller, &id, q.reveal).await? else {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no delivery with id {id} (unknown, or trimmed from the log)"),
        ));
    };
    let r = &d.row;
    let reveal = if !caller.may(AdminRole::Operate) {
        "phone numbers and e-mails masked".to_owned()
    } else if q.reveal {
        format!(
            "<a href=\"/deliveries/{}\">Mask personal data</a>",
            enc(&r.id)
        )
    } else {
        format!(
            "phone numbers and e-mails masked · <a id=\"reveal\" href=\"/deliveries/{}?reveal=true\" \
             title=\"recorded in the audit trail\">Reveal</a>",
            enc(&r.id)
        )
    };
    let body_text = serde_json::from_str::<serde_json::Value>(&d.body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| d.body.clone());
    let fact = |k: &str, v: String| format!("<dt>{k}</dt><dd>{v}</dd>");
    let facts = [
        fact("Stored", time(r.at_ms)),
        fact("Provider", esc(&r.provider)),
        fact("Event", esc(&r.event)),
        fact("Signed", d.signed.to_string()),
        fact(
            "Job",
            format!("<code>{}</code> ({})", esc(&r.job), esc(&r.outcome)),
        ),
        fact(
            "Replays",
            format!(
                "<span id=\"replays\">{}</span>{}",
                r.replays,
                r.replayed_ms
                    .map(|t| format!(", last {}", time(t)))
                    .unwrap_or_default()
            ),
        ),
    ]
    .concat();
    let body = format!(
        "<p><a href=\"/deliveries\">« Deliveries</a></p><section class=\"card\" id=\"delivery\"><div class=\"card-head\">\
         <h2>Delivery <code id=\"delivery-id\">{id}</code></h2></div><dl class=\"facts\">{facts}</dl>\
         <div class=\"actions\"><button type=\"button\" data-delivery-replay=\"one\" data-id=\"{id}\" \
         data-redirect=\"/deliveries/{href}\">Replay</button></div>\
         <h3>Raw body</h3><p class=\"muted small\" id=\"mask-note\">{reveal}</p><pre id=\"body\">{text}</pre></section>",
        id = esc(&r.id),
        href = enc(&r.id),
        text = esc(&body_text),
    );
    Ok(layout("Delivery", Nav::Deliveries, &caller, &body))
}
