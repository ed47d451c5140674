//! A Zoom API (docs/providers.md §2.6, §2.8), served by the sandbox and by the test fakes
//! (`tests/src/fakes/zoom.rs` wraps [`Meetings`] with its own strict credentials, faults and
//! limits): past meeting and past webinar participants and webinar registrants, paged with
//! opaque tokens and the double-encoding rule ([`participants`], [`webinars`]); the account's
//! users, ended-meeting reports and cloud recordings the catch-up sweep lists ([`history`]).
//!
//! The sandbox adds Server-to-Server OAuth at `POST /oauth/token` (any client credentials with
//! `grant_type=account_credentials` and an `account_id`) and `GET /v2/users/me`; any bearer
//! token it issued, or any other non-empty one, is accepted (a token cached in Redis from an
//! earlier run keeps working).

pub mod history;
pub mod participants;
pub mod webinars;

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

pub use participants::{Meetings, decode_uuid, fixture_rows, row};
pub use webinars::registrant;

use super::http::{RecordedRequest, json as json_resp};

/// The account id of the sandbox's user (also the samples' `account_id`).
pub const ACCOUNT_ID: &str = "Xq7bL2mRTy6nW0pK4sUe9A";
/// The Zoom user id of the sandbox's host (the samples' `host_id`).
pub const HOST_ID: &str = "z8yBXHd5TQ2bX9ZmN4kR7w";

fn oauth_error(reason: &str, error: &str) -> Response {
    json_resp(
        StatusCode::BAD_REQUEST,
        &json!({ "reason": reason, "error": error }),
    )
}

impl Meetings {
    /// The sandbox's Zoom: `POST /oauth/token`, `GET /v2/users/me` and the list endpoints.
    pub fn handle(&mut self, rec: &RecordedRequest) -> Response {
        if rec.method == "POST" && rec.path == "/oauth/token" {
            return token(rec);
        }
        let bearer = rec
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|t| !t.trim().is_empty());
        if !bearer {
            return participants::error(StatusCode::UNAUTHORIZED, 124, "Invalid access token.");
        }
        if rec.method == "GET" && rec.path == "/v2/users/me" {
            return json_resp(
                StatusCode::OK,
                &json!({
                    "id": HOST_ID, "first_name": "Maya", "last_name": "Chen",
                    "display_name": "Maya Chen", "email": "maya.chen@example.com", "type": 2,
                    "role_name": "Owner", "account_id": ACCOUNT_ID, "status": "active",
                    "timezone": "America/Los_Angeles"
                }),
            );
        }
        webinars::route(self, rec)
            .or_else(|| history::route(self, rec))
            .unwrap_or_else(|| participants::error(StatusCode::NOT_FOUND, 404, "Not Found"))
    }
}

/// `POST /oauth/token`: Basic client credentials, `grant_type=account_credentials` and an
/// `account_id` (query string or form body), as Zoom requires.
fn token(rec: &RecordedRequest) -> Response {
    use base64::Engine as _;
    let basic = rec
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|c| {
            base64::engine::general_purpose::STANDARD
                .decode(c.trim())
                .ok()
        })
        .is_some_and(|d| d.contains(&b':'));
    if !basic {
        return json_resp(
            StatusCode::BAD_REQUEST,
            &json!({"error": "invalid_client", "reason": "Invalid client_id or client_secret"}),
        );
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&rec.body)
        .into_owned()
        .collect();
    let field = |k: &str| rec.query_param(k).or_else(|| form.get(k).cloned());
    if field("grant_type").as_deref() != Some("account_credentials") {
        return oauth_error("Unsupported grant type", "unsupported_grant_type");
    }
    if field("account_id").is_none_or(|a| a.trim().is_empty()) {
        return oauth_error("Account does not exist", "invalid_request");
    }
    json_resp(
        StatusCode::OK,
        &json!({
            "access_token": format!("sandbox-zoom-{}", uuid::Uuid::new_v4().simple()),
            "token_type": "bearer", "expires_in": 3599,
            "scope": "meeting:read:list_past_participants:admin webinar:read:list_registrants:admin",
            "api_url": "https://api.zoom.us"
        }),
    )
}
