//! Past-meeting participants for the fake Zoom: stored rows, opaque page tokens, the
//! `page_size` cap and the double-encoding rule for UUIDs that start with `/` or contain
//! `//` (docs/providers.md §2.6). [`page`] serves every list endpoint (webinars too, see
//! `zoom_webinars.rs`).

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::sandbox::http::{RecordedRequest, json as json_resp};

/// Stored meetings and webinars, and issued page tokens.
#[derive(Debug)]
pub struct Meetings {
    rows: HashMap<String, Vec<Value>>,
    /// Past webinar instance uuid -> participant rows.
    pub webinar_rows: HashMap<String, Vec<Value>>,
    /// Webinar id -> registrants.
    pub registrants: HashMap<String, Vec<Value>>,
    /// token -> (list the token belongs to, offset of the next page)
    pages: HashMap<String, (String, usize)>,
    /// Answer 400 to `page_size` > 300 (else clamp it).
    pub reject_oversized: bool,
    /// The account's users (`GET /users`).
    pub users: Vec<Value>,
    /// User id -> ended meeting and webinar instances (`GET /report/users/{id}/meetings`).
    pub ended: HashMap<String, Vec<Value>>,
    /// User id -> cloud recordings (`GET /users/{id}/recordings`).
    pub recordings: HashMap<String, Vec<Value>>,
}

impl Default for Meetings {
    fn default() -> Self {
        Self {
            rows: HashMap::new(),
            webinar_rows: HashMap::new(),
            registrants: HashMap::new(),
            pages: HashMap::new(),
            reject_oversized: true,
            users: vec![super::history::user(
                super::history::USER_ID,
                "maya.chen@example.com",
            )],
            ended: HashMap::new(),
            recordings: HashMap::new(),
        }
    }
}

impl Meetings {
    /// Seed past meeting instance `uuid` with participant rows.
    pub fn add(&mut self, uuid: &str, rows: Vec<Value>) {
        self.rows.insert(uuid.to_owned(), rows);
    }
}

/// A participant row like Zoom's; `duration` is leave - join in seconds.
pub fn row(name: &str, email: &str, join: &str, leave: &str) -> Value {
    let secs = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|d| d.timestamp())
            .ok()
    };
    let duration = match (secs(join), secs(leave)) {
        (Some(j), Some(l)) => (l - j).max(0),
        _ => 0,
    };
    json!({
        "id": "", "name": name, "user_id": "16778240", "registrant_id": "", "user_email": email,
        "join_time": join, "leave_time": leave, "duration": duration, "failover": false,
        "status": "in_meeting", "internal_user": false
    })
}

/// The attendance of the sample meeting (the `zoom_meeting_ended.json` sample): the host for the
/// whole meeting, and Jordan in two sessions (a drop-out and a rejoin), as Zoom lists them.
pub fn fixture_rows() -> Vec<Value> {
    let mut host = row(
        "Maya Chen",
        "maya.chen@example.com",
        "2026-04-21T17:01:12Z",
        "2026-04-21T17:33:48Z",
    );
    host["id"] = json!("wGm5rK8sTzqYb1XcVnPq3A");
    host["user_id"] = json!("16777216");
    host["internal_user"] = json!(true);
    let jordan =
        |join: &str, leave: &str| row("Jordan Rivera", "jordan.rivera@example.com", join, leave);
    vec![
        host,
        jordan("2026-04-21T17:02:47Z", "2026-04-21T17:14:02Z"),
        jordan("2026-04-21T17:15:20Z", "2026-04-21T17:31:05Z"),
    ]
}

/// Zoom's error body `{code, message}`.
pub fn error(status: StatusCode, code: i64, message: &str) -> Response {
    json_resp(status, &json!({ "code": code, "message": message }))
}

/// Decode the `{meetingUUID}` path segment as Zoom does. `None` when a UUID that needs
/// double encoding (leading `/` or `//` inside) arrived encoded once or not at all.
pub fn decode_uuid(raw: &str) -> Option<String> {
    if raw.contains('/') {
        return None; // a raw slash splits the path: Zoom routes it elsewhere
    }
    let once = percent_decode_str(raw).decode_utf8_lossy().into_owned();
    let (uuid, double) = if once.contains('%') {
        (
            percent_decode_str(&once).decode_utf8_lossy().into_owned(),
            true,
        )
    } else {
        (once, false)
    };
    let needs_double = uuid.starts_with('/') || uuid.contains("//");
    (double || !needs_double).then_some(uuid)
}

/// `GET /v2/past_meetings/{raw}/participants`.
pub fn participants(m: &mut Meetings, raw: &str, rec: &RecordedRequest) -> Response {
    let not_found = |id: &str| {
        error(
            StatusCode::NOT_FOUND,
            3001,
            &format!("Meeting does not exist: {id}."),
        )
    };
    let Some(uuid) = decode_uuid(raw) else {
        return not_found(&percent_decode_str(raw).decode_utf8_lossy());
    };
    let Some(rows) = m.rows.get(&uuid) else {
        return not_found(&uuid);
    };
    let rows = rows.clone();
    page(m, &format!("meeting:{uuid}"), &rows, "participants", rec)
}

/// One page of `rows` (the list named `list`, e.g. `meeting:<uuid>`) under `field`: `page_size`
/// (default 30, at most 300) and an opaque `next_page_token` bound to that list, `""` on the last
/// page.
pub fn page(
    m: &mut Meetings,
    list: &str,
    rows: &[Value],
    field: &str,
    rec: &RecordedRequest,
) -> Response {
    let page_size = match rec.query_param("page_size").map(|s| s.parse::<usize>()) {
        None => 30,
        Some(Ok(n)) if (1..=300).contains(&n) => n,
        Some(Ok(n)) if n > 300 && !m.reject_oversized => 300,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                300,
                "The page_size must be between 1 and 300.",
            );
        }
    };
    let offset = match rec.query_param("next_page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match m.pages.get(&t) {
            Some((l, off)) if l == list => *off,
            _ => return error(StatusCode::BAD_REQUEST, 300, "Invalid next_page_token."),
        },
    };
    let total = rows.len();
    let items: Vec<Value> = rows.iter().skip(offset).take(page_size).cloned().collect();
    let next = offset + items.len();
    let token = if next < total {
        let t = uuid::Uuid::new_v4().simple().to_string();
        m.pages.insert(t.clone(), (list.to_owned(), next));
        t
    } else {
        String::new()
    };
    let mut body = json!({
        "page_count": total.div_ceil(page_size),
        "page_size": page_size,
        "total_records": total,
        "next_page_token": token,
    });
    body[field] = Value::Array(items);
    json_resp(StatusCode::OK, &body)
}
