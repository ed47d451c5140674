//! The sandbox's EngageLab delivery callbacks: for every SMS it accepted, it posts what EngageLab
//! posts to the configured callback URL (`docs/providers.md` 4.3): a `sent` row, then `delivered`
//! or, for a configurable share of messages, `delivered_failed` with an error code, each signed
//! with `X-CALLBACK-ID` by the callback secret, `custom_args` echoed. So a local run shows
//! delivered and failed SMS end to end (`meetflow-admin reminders list`, the metrics).

use std::time::Duration;

use meetflow_shared::providers::engagelab::callback::{CALLBACK_HEADER, callback_header};
use serde_json::{Value, json};

use super::Sandbox;
use super::recorder::RecordedCall;

/// The error code of a failed delivery the sandbox reports (EngageLab's "unreachable").
pub(super) const FAILED_CODE: i64 = 5012;

/// Where and how the sandbox posts delivery callbacks.
#[derive(Debug, Clone)]
pub struct Callbacks {
    /// ingest's `POST /webhooks/engagelab` URL.
    pub url: String,
    /// `engagelab.callback_secret`.
    pub secret: String,
    /// `engagelab.callback_username` (may be empty).
    pub username: String,
    /// Share of messages reported `delivered_failed` (0.0 to 1.0).
    pub fail_share: f64,
    /// Pause before each callback.
    pub delay: Duration,
}

/// One accepted message to report.
#[derive(Debug, Clone)]
pub(super) struct Accepted {
    pub(super) message_id: String,
    pub(super) to: String,
    pub(super) custom_args: Value,
}

/// The rows EngageLab would post for `m`: `sent`, then `delivered` or `delivered_failed`.
fn rows(m: &Accepted, failed: bool, now: i64) -> [Value; 2] {
    let row = |status: &str, code: i64| {
        json!({"message_id": m.message_id, "to": m.to, "server": "sms", "channel": "sms",
            "itime": now, "custom_args": m.custom_args,
            "status": {"message_status": status, "error_code": code,
                "status_data": {"msg_time": now, "message_id": m.message_id}}})
    };
    let last = if failed {
        row("delivered_failed", FAILED_CODE)
    } else {
        row("delivered", 0)
    };
    [row("sent", 0), last]
}

impl Callbacks {
    /// Posts the callbacks of `messages` in the background (each row its own request, as
    /// EngageLab reports each status when it happens), recording each post.
    pub(super) fn spawn(&self, sandbox: std::sync::Arc<Sandbox>, messages: Vec<Accepted>) {
        let this = self.clone();
        tokio::spawn(async move {
            meetflow_shared::tls::install_crypto_provider();
            let client = match reqwest::Client::builder().build() {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "sandbox: no HTTP client for delivery callbacks");
                    return;
                }
            };
            for m in messages {
                let failed = rand::random::<f64>() < this.fail_share;
                for row in rows(&m, failed, chrono::Utc::now().timestamp()) {
                    tokio::time::sleep(this.delay).await;
                    this.post(&client, &sandbox, json!({"total": 1, "rows": [row]}))
                        .await;
                }
            }
        });
    }

    async fn post(&self, client: &reqwest::Client, sandbox: &Sandbox, body: Value) {
        let nonce = format!("{:016x}", rand::random::<u64>());
        let header = callback_header(
            &self.secret,
            chrono::Utc::now().timestamp(),
            &nonce,
            &self.username,
        );
        let answer = client
            .post(&self.url)
            .header(CALLBACK_HEADER, header)
            .json(&body)
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        let status = match answer {
            Ok(r) => r.status().as_u16(),
            Err(e) => {
                tracing::warn!(url = %self.url, error = %e, "sandbox: delivery callback not delivered");
                0
            }
        };
        sandbox
            .recorder
            .record(RecordedCall::now(
                "engagelab-callback",
                "POST",
                &self.url,
                status,
                body,
            ))
            .await;
    }
}

/// The messages of an accepted send: one per number in `to`, with the answer's `message_id`.
pub(super) fn accepted(request: &Value, answer: &Value) -> Vec<Accepted> {
    let Some(id) = answer["message_id"].as_str() else {
        return Vec::new();
    };
    request["to"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .map(|to| Accepted {
            message_id: id.to_owned(),
            to: to.to_owned(),
            custom_args: request
                .get("custom_args")
                .cloned()
                .unwrap_or_else(|| json!({})),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_messages_report_sent_then_their_outcome_with_custom_args() {
        let request =
            json!({"to": ["+14155550132"], "custom_args": {"booking": "b", "kind": "rem-1h"}});
        let answer = json!({"plan_id": "1", "message_id": "2"});
        let m = accepted(&request, &answer);
        assert_eq!(m.len(), 1);
        let [sent, last] = rows(&m[0], true, 7);
        assert_eq!(sent["status"]["message_status"], "sent");
        assert_eq!(last["status"]["message_status"], "delivered_failed");
        assert_eq!(last["status"]["error_code"], FAILED_CODE);
        assert_eq!(last["custom_args"]["kind"], "rem-1h");
        let [_, ok] = rows(&m[0], false, 7);
        assert_eq!(ok["status"]["message_status"], "delivered");
        assert!(accepted(&request, &json!({"code": 3002})).is_empty());
    }
}
