//! The fake EngageLab's state and its `POST /v1/messages` logic: Basic-auth check,
//! request validation, template/recipient rules and the success body, each failure
//! mapped to EngageLab's documented `(HTTP status, code)` (docs/providers.md §4.2).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Value, json};

use super::common::{Faults, RecordedRequest, long_id};

/// The fake's dev key.
pub(crate) const DEV_KEY: &str = "fake-dev-key-7d3e";
/// The fake's dev secret.
pub(crate) const DEV_SECRET: &str = "fake-dev-secret-4c8b9f21";

/// One SMS the fake accepted (one entry per number in `to`).
#[derive(Debug, Clone, PartialEq)]
pub struct SentSms {
    /// The recipient, as sent.
    pub to: String,
    /// `template.id`.
    pub template_id: String,
    /// `template.params` (`{}` when absent).
    pub params: Value,
    /// `plan_name`, if sent.
    pub plan_name: Option<String>,
    /// `custom_args`, if sent.
    pub custom_args: Option<Value>,
    /// `schedule_time` (Unix s), if this was a scheduled send.
    pub schedule_time: Option<i64>,
    /// `plan_id` returned for the request.
    pub plan_id: String,
    /// `message_id` returned (single-target immediate sends only).
    pub message_id: Option<String>,
    /// When it was accepted.
    pub at: Instant,
    /// When its request arrived (before any latency the fake added).
    pub received: Instant,
}

/// Everything the fake EngageLab knows and every switch a test can flip.
#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub(crate) log: Vec<RecordedRequest>,
    pub(crate) faults: Faults,
    pub(crate) key_disabled: bool,
    pub(crate) deny_permission: bool,
    pub(crate) templates: HashMap<String, bool>,
    pub(crate) strict_templates: bool,
    pub(crate) frequency_window: Option<Duration>,
    pub(crate) last_sent: HashMap<(String, String), Instant>,
    pub(crate) undeliverable: HashSet<String>,
    pub(crate) errors_as_200: bool,
    pub(crate) timeout_after_send: Option<Duration>,
    /// The next this many accepted sends answer only after `timeouts_after`.
    pub(crate) timeouts_next: usize,
    pub(crate) timeouts_after: Duration,
    pub(crate) sent: Vec<SentSms>,
}

/// An EngageLab error: `(http status, code, message, with plan_id)`.
pub(crate) type Failure = (StatusCode, i64, String, bool);

pub(crate) fn fail(status: StatusCode, code: i64, message: &str, plan: bool) -> Failure {
    (status, code, message.to_owned(), plan)
}

fn check_auth(g: &Inner, rec: &RecordedRequest) -> Result<(), Failure> {
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("{DEV_KEY}:{DEV_SECRET}"));
    let given = rec
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "));
    if given != Some(expected.as_str()) {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            2001,
            "authentication failed",
            false,
        ));
    }
    if g.key_disabled {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            2002,
            "token expired or disabled",
            false,
        ));
    }
    if g.deny_permission {
        return Err(fail(
            StatusCode::FORBIDDEN,
            2004,
            "no permission to access this API",
            false,
        ));
    }
    Ok(())
}

/// `^\+?[1-9]\d{7,14}$`: digits with a country code, optional leading `+`.
fn valid_number(n: &str) -> bool {
    let d = n.strip_prefix('+').unwrap_or(n);
    (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
}

/// Validate and accept a send; returns the success body.
pub(crate) fn send(g: &mut Inner, rec: &RecordedRequest) -> Result<Value, Failure> {
    check_auth(g, rec)?;
    let Some(body) = rec.json.as_ref().filter(|b| b.is_object()) else {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            3001,
            "request body is not valid JSON",
            false,
        ));
    };
    let bad = |m: &str| {
        fail(
            StatusCode::BAD_REQUEST,
            3002,
            &format!("invalid parameter: {m}"),
            true,
        )
    };
    let to: Vec<String> = match body.get("to").and_then(Value::as_array) {
        Some(a) if !a.is_empty() => a
            .iter()
            .map(|v| v.as_str().filter(|s| valid_number(s)).map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("to"))?,
        _ => return Err(bad("to")),
    };
    let template = body.get("template");
    let tid = template
        .and_then(|t| t.get("id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("template.id"))?
        .to_owned();
    // `template.params` is required by the send-message API (`{}` when the template has none).
    if !template
        .and_then(|t| t.get("params"))
        .is_some_and(Value::is_object)
    {
        return Err(bad("template.params"));
    }
    let schedule_time = match body.get("schedule_time") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let t = v.as_i64().ok_or_else(|| bad("schedule_time"))?;
            let now = chrono::Utc::now().timestamp();
            if t < now + 180 || t > now + 30 * 86_400 {
                return Err(bad("schedule_time"));
            }
            Some(t)
        }
    };
    match g.templates.get(&tid) {
        Some(false) => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                3003,
                "template is not approved",
                true,
            ));
        }
        None if g.strict_templates => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                4001,
                "template not found",
                true,
            ));
        }
        _ => {}
    }
    if to.iter().any(|n| g.undeliverable.contains(n)) {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            5001,
            "sending failed: recipient unreachable",
            true,
        ));
    }
    let now = Instant::now();
    if let Some(w) = g.frequency_window {
        let recent = to.iter().any(|n| {
            g.last_sent
                .get(&(tid.clone(), n.clone()))
                .is_some_and(|t| now.duration_since(*t) < w)
        });
        if recent {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                3004,
                "frequency limit: same template to same user",
                true,
            ));
        }
    }
    let plan_id = long_id().to_string();
    let message_id = (to.len() == 1 && schedule_time.is_none()).then(|| long_id().to_string());
    for n in &to {
        g.last_sent.insert((tid.clone(), n.clone()), now);
        g.sent.push(SentSms {
            to: n.clone(),
            template_id: tid.clone(),
            params: template
                .and_then(|t| t.get("params"))
                .cloned()
                .unwrap_or(json!({})),
            plan_name: body
                .get("plan_name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            custom_args: body.get("custom_args").cloned(),
            schedule_time,
            plan_id: plan_id.clone(),
            message_id: message_id.clone(),
            at: now,
            received: rec.at,
        });
    }
    let mut ok = json!({ "plan_id": plan_id, "total_count": to.len(), "accepted_count": to.len() });
    if let Some(t) = schedule_time.map(|_| long_id()) {
        ok["schedule_info"] = json!({ "task_id": t });
    } else if let Some(m) = message_id {
        ok["message_id"] = json!(m);
    }
    Ok(ok)
}
