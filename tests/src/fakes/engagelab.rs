//! Fake EngageLab SMS send API (docs/providers.md §4.4 points 1-6): `POST /v1/messages`
//! with Basic auth, the documented error codes (2001/2002/2004, 3001-3004, 4001, 5001,
//! 1000) with their HTTP statuses, success bodies with numeric-string ids and an i64
//! `task_id` for scheduled sends, the "HTTP 200 with non-zero code" switch, latency, and a
//! timeout mode that records the message and then answers too late (ambiguous failure), for
//! every send or for the next few.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::common::{RecordedRequest, Server, json as json_resp, lock, long_id, record};
pub use super::engagelab_send::SentSms;
use super::engagelab_send::{DEV_KEY, DEV_SECRET, Inner, fail, send};

/// EngageLab's transient-failure body (code 1000).
const INTERNAL: &str = r#"{"code":1000,"message":"internal error"}"#;

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

    /// Accept the key again after [`FakeEngageLab::disable_key`].
    pub fn enable_key(&self) {
        lock(&self.shared).key_disabled = false;
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

    /// Like [`FakeEngageLab::set_timeout_after_send`] for the next `n` accepted sends only: each
    /// is recorded as sent, then answered after `d` (a share of ambiguous timeouts).
    pub fn time_out_next_sends(&self, n: usize, d: Duration) {
        let mut g = lock(&self.shared);
        g.timeouts_next = n;
        g.timeouts_after = d;
    }
}

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let rec = record("engagelab", req).await;
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
        let mut delay = g.timeout_after_send;
        if result.is_ok() && g.timeouts_next > 0 {
            g.timeouts_next -= 1;
            delay = Some(g.timeouts_after);
        }
        (result, g.errors_as_200, delay)
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
