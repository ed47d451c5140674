//! EngageLab `POST /v1/messages`, answered as EngageLab answers an accepted send: HTTP 200 with
//! `plan_id` and `message_id` as numeric strings (`docs/providers.md` 4.1).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::StatusCode;
use serde_json::{Value, json};

/// Id source: 19-digit ids like EngageLab's, increasing.
#[derive(Debug)]
pub(super) struct Ids {
    next: AtomicU64,
}

impl Default for Ids {
    fn default() -> Self {
        let base = 1_972_000_000_000_000_000u64
            + u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0) * 1000;
        Self {
            next: AtomicU64::new(base),
        }
    }
}

impl Ids {
    /// Answers one send.
    pub(super) fn send(&self, body: &Value) -> (StatusCode, Option<Value>) {
        let to = body["to"].as_array().map_or(0, Vec::len);
        if to == 0 || body["template"]["id"].as_str().is_none_or(str::is_empty) {
            return (
                StatusCode::BAD_REQUEST,
                Some(
                    json!({"code": 3002, "message": "invalid params: to and template.id are required"}),
                ),
            );
        }
        let plan = self.next.fetch_add(2, Ordering::Relaxed);
        (
            StatusCode::OK,
            Some(
                json!({"plan_id": plan.to_string(), "total_count": to, "accepted_count": to,
                "message_id": (plan + 1).to_string()}),
            ),
        )
    }
}
