//! EngageLab `POST /v1/messages`, answered as EngageLab answers an accepted send: HTTP 200 with
//! `plan_id` and `message_id` as numeric strings (`docs/providers.md` 4.1). A send the real API
//! refuses (no `to`, no `template.id`, no `template.params`) gets its 400 and code.

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
        let numbers = body["to"].as_array().map(Vec::as_slice).unwrap_or_default();
        let to = numbers.len();
        let refused = if !body.is_object() {
            Some((3001, "request body is not valid JSON"))
        } else if to == 0 || !numbers.iter().all(Value::is_string) {
            Some((
                3002,
                "invalid params: to must be a non-empty array of numbers",
            ))
        } else if body["template"]["id"].as_str().is_none_or(str::is_empty) {
            Some((3002, "invalid params: template.id is required"))
        } else if !body["template"]["params"].is_object() {
            Some((3002, "invalid params: template.params is required"))
        } else {
            None
        };
        if let Some((code, message)) = refused {
            return (
                StatusCode::BAD_REQUEST,
                Some(json!({"code": code, "message": message})),
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
