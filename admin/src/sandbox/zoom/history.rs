//! The account's history for the sandbox's and the test fakes' Zoom, as the catch-up sweep lists it: `GET /v2/users`
//! (active users), `GET /v2/report/users/{userId}/meetings` (ended meetings and webinars, a
//! report taking whole days `from`..`to`, both required, at most one month apart) and
//! `GET /v2/users/{userId}/recordings` (cloud recordings by start day, at most one month), paged
//! like every Zoom list. Rows are listed for the day their meeting started (UTC). Unknown users
//! get 404 code 1001; bad dates 300, as Zoom answers.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::participants::{Meetings, error, page};
use crate::sandbox::http::RecordedRequest;

/// The one user the fake's account has unless tests add more (the `users/me` user).
pub const USER_ID: &str = "z8yBXHd5TQ2bX9ZmN4kR7w";

/// A user row like Zoom's.
pub fn user(id: &str, email: &str) -> Value {
    json!({ "id": id, "email": email, "type": 2, "status": "active", "timezone": "UTC",
            "first_name": "Maya", "last_name": "Chen", "display_name": "Maya Chen" })
}

/// A row of `report/users/{userId}/meetings` (type 2 a meeting, 5 a webinar).
pub fn report_row(uuid: &str, id: u64, kind: i64, topic: &str, start: &str, end: &str) -> Value {
    json!({ "uuid": uuid, "id": id, "host_id": USER_ID, "type": kind, "topic": topic,
            "user_name": "Maya Chen", "user_email": "maya.chen@example.com",
            "start_time": start, "end_time": end, "duration": 30, "total_minutes": 30,
            "participants_count": 2, "source": "Zoom" })
}

/// A row of `users/{userId}/recordings`.
pub fn recording(
    uuid: &str,
    id: u64,
    kind: i64,
    topic: &str,
    start: &str,
    share_url: &str,
    passcode: Option<&str>,
) -> Value {
    let mut r = json!({ "uuid": uuid, "id": id, "account_id": "Xq7bL2mRTy6nW0pK4sUe9A",
        "host_id": USER_ID, "topic": topic, "type": kind, "start_time": start, "duration": 30,
        "total_size": 1024, "recording_count": 1, "share_url": share_url,
        "recording_files": [{ "id": "f1", "meeting_id": uuid, "file_type": "MP4",
            "file_size": 1024, "status": "completed", "recording_type": "shared_screen_with_speaker_view" }] });
    if let Some(p) = passcode {
        r["recording_play_passcode"] = json!(p);
    }
    r
}

/// A `YYYY-MM-DD` query parameter; `Err` holds Zoom's message (code 300).
fn day(rec: &RecordedRequest, name: &str) -> Result<Option<NaiveDate>, String> {
    match rec.query_param(name) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("Invalid {name}: {v}")),
    }
}

/// `from`..`to` (both required when `required`), at most one month apart; `Err` holds Zoom's
/// message (code 300).
fn range(rec: &RecordedRequest, required: bool) -> Result<(NaiveDate, NaiveDate), String> {
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (day(rec, "from")?, day(rec, "to")?);
    let (from, to) = match (from, to) {
        (Some(f), Some(t)) => (f, t),
        _ if required => return Err("from and to are required.".into()),
        (f, t) => (
            f.unwrap_or(today - chrono::Days::new(1)),
            t.unwrap_or(today),
        ),
    };
    if to < from || (to - from).num_days() > 31 {
        return Err("The date range must be within one month.".into());
    }
    Ok((from, to))
}

fn started_in(row: &Value, (from, to): (NaiveDate, NaiveDate)) -> bool {
    row["start_time"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| {
            let d = t.with_timezone(&chrono::Utc).date_naive();
            d >= from && d <= to
        })
}

fn user_rows(m: &mut Meetings, raw: &str, rec: &RecordedRequest, recordings: bool) -> Response {
    let id = percent_decode_str(raw).decode_utf8_lossy().into_owned();
    let id = if id == "me" { USER_ID.to_owned() } else { id };
    if !m.users.iter().any(|u| u["id"] == json!(id)) {
        return error(
            StatusCode::NOT_FOUND,
            1001,
            &format!("User does not exist: {id}."),
        );
    }
    if !recordings
        && let Some(t) = rec.query_param("type")
        && !matches!(t.as_str(), "past" | "pastOne" | "pastJoined")
    {
        return error(StatusCode::BAD_REQUEST, 300, &format!("Invalid type: {t}"));
    }
    let range = match range(rec, !recordings) {
        Ok(r) => r,
        Err(message) => return error(StatusCode::BAD_REQUEST, 300, &message),
    };
    let store = if recordings { &m.recordings } else { &m.ended };
    let rows: Vec<Value> = store
        .get(&id)
        .into_iter()
        .flatten()
        .filter(|r| started_in(r, range))
        .cloned()
        .collect();
    let what = if recordings { "recordings" } else { "report" };
    page(
        m,
        &format!("{what}:{id}:{}:{}", range.0, range.1),
        &rows,
        "meetings",
        rec,
    )
}

/// Serves the history endpoints; `None` for other paths.
pub fn route(m: &mut Meetings, rec: &RecordedRequest) -> Option<Response> {
    if rec.method != "GET" {
        return None;
    }
    if rec.path == "/v2/users" {
        if let Some(s) = rec.query_param("status")
            && !matches!(s.as_str(), "active" | "inactive" | "pending")
        {
            return Some(error(
                StatusCode::BAD_REQUEST,
                300,
                &format!("Invalid status: {s}"),
            ));
        }
        let rows = m.users.clone();
        return Some(page(m, "users", &rows, "users", rec));
    }
    if let Some(raw) = rec
        .path
        .strip_prefix("/v2/report/users/")
        .and_then(|p| p.strip_suffix("/meetings"))
    {
        return Some(user_rows(m, raw, rec, false));
    }
    let raw = rec
        .path
        .strip_prefix("/v2/users/")
        .and_then(|p| p.strip_suffix("/recordings"))?;
    Some(user_rows(m, raw, rec, true))
}
