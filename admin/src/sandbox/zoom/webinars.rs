//! Webinars for the fake Zoom: `GET /v2/webinars/{webinarId}/registrants` (approved registrants
//! unless `status=` says otherwise) and `GET /v2/past_webinars/{webinarUUID}/participants` (one
//! row per join session, the same double-encoding rule as past meetings), both paged like the
//! real API; 404 code 3001 for an unknown webinar.

use axum::http::StatusCode;
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::sandbox::http::RecordedRequest;

use super::participants::{Meetings, decode_uuid, error, page, participants};

fn not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        3001,
        &format!("Webinar does not exist: {id}."),
    )
}

/// A registrant like Zoom's (`status` approved).
pub fn registrant(first_name: &str, last_name: &str, email: &str) -> Value {
    json!({
        "id": uuid::Uuid::new_v4().simple().to_string(), "email": email,
        "first_name": first_name, "last_name": last_name, "status": "approved",
        "create_time": "2026-05-01T09:12:40Z",
        "join_url": "https://us06web.zoom.us/w/91234567890?tk=fake"
    })
}

/// `GET /v2/webinars/{id}/registrants`.
fn registrants(m: &mut Meetings, id: &str, rec: &RecordedRequest) -> Response {
    let id = percent_decode_str(id).decode_utf8_lossy().into_owned();
    let Some(all) = m.registrants.get(&id) else {
        return not_found(&id);
    };
    let status = rec
        .query_param("status")
        .unwrap_or_else(|| "approved".into());
    let rows: Vec<Value> = all
        .iter()
        .filter(|r| r["status"].as_str() == Some(status.as_str()))
        .cloned()
        .collect();
    page(
        m,
        &format!("registrants:{id}:{status}"),
        &rows,
        "registrants",
        rec,
    )
}

/// `GET /v2/past_webinars/{raw}/participants`.
fn webinar_participants(m: &mut Meetings, raw: &str, rec: &RecordedRequest) -> Response {
    let Some(uuid) = decode_uuid(raw) else {
        return not_found(&percent_decode_str(raw).decode_utf8_lossy());
    };
    let Some(rows) = m.webinar_rows.get(&uuid).cloned() else {
        return not_found(&uuid);
    };
    page(m, &format!("webinar:{uuid}"), &rows, "participants", rec)
}

/// Serves the list endpoints (past meetings, past webinars, registrants); `None` for other paths.
pub fn route(m: &mut Meetings, rec: &RecordedRequest) -> Option<Response> {
    if rec.method != "GET" {
        return None;
    }
    let under = |prefix: &str, suffix: &str| {
        rec.path
            .strip_prefix(prefix)
            .and_then(|p| p.strip_suffix(suffix))
            .map(str::to_owned)
    };
    if let Some(raw) = under("/v2/past_meetings/", "/participants") {
        Some(participants(m, &raw, rec))
    } else if let Some(raw) = under("/v2/past_webinars/", "/participants") {
        Some(webinar_participants(m, &raw, rec))
    } else {
        under("/v2/webinars/", "/registrants").map(|id| registrants(m, &id, rec))
    }
}
