//! Small helpers for the server-rendered page: escaping, URL encoding, the common layout, and
//! the security headers every HTML answer carries.

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::auth::Caller;

/// Text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A path segment or query value: everything but unreserved characters percent-encoded.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// JSON safe to embed in a `<script type="application/json">` element.
pub fn script_json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "null".to_owned())
        .replace("</", "<\\/")
        .replace("<!--", "<\\!--")
}

/// Unix ms as `YYYY-MM-DD HH:MM:SS` UTC (with a `time` element browsers can localise).
pub fn time(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => format!(
            "<time datetime=\"{}\">{}</time>",
            t.to_rfc3339(),
            t.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        None => "-".to_owned(),
    }
}

/// Which navigation entry is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Queues and dead letters.
    Overview,
    /// Reminders by booking.
    Reminders,
    /// Jobs by state and the worker processes.
    Jobs,
    /// A job's page.
    Job,
    /// The audit trail.
    Audit,
    /// One person's page.
    Person,
    /// The delivery log.
    Deliveries,
}

/// The whole document around `body`.
pub fn layout(title: &str, nav: Nav, caller: &Caller, body: &str) -> Response {
    let link = |href: &str, label: &str, me: Nav| {
        let class = if nav == me { " class=\"active\"" } else { "" };
        format!("<a href=\"{href}\"{class}>{label}</a>")
    };
    let session = match caller {
        Caller::Session { csrf, .. } => format!(
            "<form method=\"post\" action=\"/logout\" class=\"logout\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Log out</button></form>",
            esc(csrf)
        ),
        Caller::Open { .. } => "<span class=\"warn\" title=\"admin.token is not set\">no admin.token: open to this machine</span>".to_owned(),
        Caller::Bearer { .. } => String::new(),
    };
    let who = caller.who();
    let role = format!(
        "<span class=\"who\" id=\"who\" data-role=\"{r}\">{n} · {r}</span>",
        n = esc(&who.name),
        r = who.role.as_str()
    );
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"csrf-token\" content=\"{csrf}\">\
<title>{title} · meetflow admin</title><link rel=\"stylesheet\" href=\"/assets/app.css\">\
<link rel=\"icon\" href=\"data:,\"></head><body class=\"role-{role_class}\">\
<header><span class=\"brand\">meetflow admin</span><nav>{overview}{jobs}{reminders}{person}{deliveries}{audit}</nav>{role}{session}</header>\
<main>{body}</main><script src=\"/assets/app.js\"></script></body></html>",
        csrf = esc(caller.csrf()),
        title = esc(title),
        overview = link("/", "Queues &amp; dead letters", Nav::Overview),
        reminders = link("/reminders", "Reminders", Nav::Reminders),
        person = link("/person", "Person", Nav::Person),
        audit = link("/audit", "Audit", Nav::Audit),
        deliveries = link("/deliveries", "Deliveries", Nav::Deliveries),
        role_class = who.role.as_str(),
        jobs = link("/jobs", "Jobs", Nav::Jobs),
    );
    secure(Html(html).into_response())
}

/// Adds the headers every page carries: a strict CSP (our own script and style only), no
/// framing, no sniffing, no caching, no referrer.
pub fn secure(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(enc("wh:calendly/ab c"), "wh%3Acalendly%2Fab%20c");
        assert_eq!(script_json(&"</script>"), "\"<\\/script>\"");
    }
}
