//! Fake EngageLab SMS send API (docs/providers.md §4.4 points 1-6): `POST /v1/messages`
//! with Basic auth, the documented error codes (2001/2002/2004, 3001-3004, 4001, 5001,
//! 1000) with their HTTP statuses, success bodies with numeric-string ids and an i64
//! `task_id` for scheduled sends, the "HTTP 200 with non-zero code" switch, latency, and a
//! timeout mode that records the message and then answers too late (ambiguous failure).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};

use super::common::{Faults, RecordedRequest, Server, json as json_resp, lock, long_id, record};

/// The fake's dev key.
const DEV_KEY: &str = "fake-dev-key-7d3e";
/// The fake's dev secret.
const DEV_SECRET: &str = "fake-dev-secret-4c8b9f21";
/// EngageLab's 500 body (fixtures/engagelab/error_1000_internal.json).
const INTERNAL: &str = include_str!("../../fixtures/engagelab/error_1000_internal.json");

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
}

#[derive(Debug, Default)]
struct Inner {
    log: Vec<RecordedRequest>,
    faults: Faults,
    key_disabled: bool,
    deny_permission: bool,
    templates: HashMap<String, bool>,
    strict_templates: bool,
    frequency_window: Option<Duration>,
    last_sent: HashMap<(String, String), Instant>,
    undeliverable: HashSet<String>,
    errors_as_200: bool,
    timeout_after_send: Option<Duration>,
    sent: Vec<SentSms>,
}

type Shared = Arc<Mutex<Inner>>;

/// A fake EngageLab SMS server.
#[derive(Debug)]
pub struct FakeEngageLab {
    shared: Shared,
    server: Server,
}

impl FakeEngageLab {
    /// Start on 127.0.0.1 with a free port. By default any template id is accepted.
    pub async fn start() -> anyhow::Result<Self> {
        let shared: Shared = Arc::default();
        let router = Router::new().fallback(handle).with_state(shared.clone());
        let server = Server::start(router).await?;
        Ok(Self { shared, server })
    }

    /// Base URL to configure as `engagelab.base_url`: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.origin())
    }

    /// The accepted dev key (Basic auth user).
    pub fn dev_key(&self) -> String {
        DEV_KEY.to_owned()
    }

    /// The accepted dev secret (Basic auth password).
    pub fn dev_secret(&self) -> String {
        DEV_SECRET.to_owned()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).log.clone()
    }

    /// Every accepted SMS, in order (one per recipient).
    pub fn sent(&self) -> Vec<SentSms> {
        lock(&self.shared).sent.clone()
    }

    /// Accepted SMS to `number`.
    pub fn sent_to(&self, number: &str) -> Vec<SentSms> {
        lock(&self.shared)
            .sent
            .iter()
            .filter(|s| s.to == number)
            .cloned()
            .collect()
    }

    /// How many SMS were accepted.
    pub fn sent_count(&self) -> usize {
        lock(&self.shared).sent.len()
    }

    /// Register an approved template.
    pub fn add_template(&self, id: &str) {
        lock(&self.shared).templates.insert(id.to_owned(), true);
    }

    /// Register a known but unapproved template: sends get 400/3003.
    pub fn add_unapproved_template(&self, id: &str) {
        lock(&self.shared).templates.insert(id.to_owned(), false);
    }

    /// Only registered templates exist; others get 400/4001 "template not found".
    pub fn require_known_templates(&self) {
        lock(&self.shared).strict_templates = true;
    }

    /// Disable the key: correct credentials get 401/2002.
    pub fn disable_key(&self) {
        lock(&self.shared).key_disabled = true;
    }

    /// Deny the API to this key: 403/2004.
    pub fn deny_permission(&self) {
        lock(&self.shared).deny_permission = true;
    }

    /// Same template to the same number within `window` gets 400/3004 (off by default).
    pub fn set_frequency_window(&self, window: Duration) {
        lock(&self.shared).frequency_window = Some(window);
    }

    /// Sends to `number` get 400/5001 "sending failed".
    pub fn set_undeliverable(&self, number: &str) {
        lock(&self.shared).undeliverable.insert(number.to_owned());
    }

    /// Answer errors with HTTP 200 (the body still carries the non-zero `code`).
    pub fn errors_as_http_200(&self, on: bool) {
        lock(&self.shared).errors_as_200 = on;
    }

    /// Answer the next `n` requests with `status` and JSON `body` (after recording them).
    pub fn fail_next(&self, n: usize, status: u16, body: Value) {
        lock(&self.shared).faults.fail_next(n, status, body);
    }

    /// Answer the next `n` requests with 500 `{"code":1000,"message":"internal error"}`.
    pub fn fail_next_internal(&self, n: usize) {
        let body = serde_json::from_str(INTERNAL).unwrap_or(Value::Null);
        self.fail_next(n, 500, body);
    }

    /// Delay every response by `d` before processing (nothing is sent if the client gives up).
    pub fn set_latency(&self, d: Duration) {
        lock(&self.shared).faults.set_latency(d);
    }

    /// Accept and record each message, then wait `d` before answering: with `d` above
    /// the client timeout the SMS is sent but the client sees a timeout. `None` turns it off.
    pub fn set_timeout_after_send(&self, d: Option<Duration>) {
        lock(&self.shared).timeout_after_send = d;
    }
}

/// An EngageLab error: `(http status, code, message, with plan_id)`.
type Failure = (StatusCode, i64, String, bool);

fn fail(status: StatusCode, code: i64, message: &str, plan: bool) -> Failure {
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
fn send(g: &mut Inner, rec: &RecordedRequest) -> Result<Value, Failure> {
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

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let rec = record(req).await;
    let latency = {
        let mut g = lock(&shared);
        g.log.push(rec.clone());
        g.faults.latency()
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (result, errors_as_200, delay) = {
        let mut g = lock(&shared);
        if let Some(r) = g.faults.take() {
            return r;
        }
        let result = if rec.method == "POST" && rec.path == "/v1/messages" {
            send(&mut g, &rec)
        } else {
            Err(fail(
                StatusCode::NOT_FOUND,
                4001,
                "resource not found",
                false,
            ))
        };
        (result, g.errors_as_200, g.timeout_after_send)
    };
    match result {
        Ok(body) => {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            json_resp(StatusCode::OK, &body)
        }
        Err((status, code, message, plan)) => {
            let mut body = json!({ "code": code, "message": message });
            if plan {
                body["plan_id"] = json!(long_id().to_string());
            }
            let status = if errors_as_200 {
                StatusCode::OK
            } else {
                status
            };
            json_resp(status, &body)
        }
    }
}
