//! The delivery callbacks EngageLab posts (docs/providers.md §4.3, §4.4 point 7): a
//! `{"total", "rows"}` body per message status, `custom_args` echoed from the send, the
//! `message_id` the send returned, and account notification rows (`insufficient_balance`).
//! Tests post these to ingest (signed with [`crate::signing::engagelab_callback_id`]) or store
//! them as ingest would.

use serde_json::{Value, json};

use super::engagelab_send::SentSms;

/// The callback body reporting `status` (`sent`, `delivered`, `sent_failed`,
/// `delivered_failed`, ...) with `error_code` (0 = ok) for an SMS the fake accepted.
pub fn status_callback(sms: &SentSms, status: &str, error_code: i64) -> String {
    json!({"total": 1, "rows": [status_row(sms, status, error_code, true)]}).to_string()
}

/// The same row without `custom_args`: the SMS is found by its `message_id` alone.
pub fn status_callback_by_id(sms: &SentSms, status: &str, error_code: i64) -> String {
    json!({"total": 1, "rows": [status_row(sms, status, error_code, false)]}).to_string()
}

fn status_row(sms: &SentSms, status: &str, error_code: i64, with_args: bool) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut row = json!({
        "message_id": sms.message_id, "to": sms.to, "server": "sms", "channel": "sms",
        "itime": now,
        "status": {
            "message_status": status,
            "status_data": {"msg_time": now, "message_id": sms.message_id,
                "current_send_channel": "sms", "template_key": sms.template_id, "business_id": "1"},
            "error_code": error_code,
        }
    });
    if with_args && let Some(args) = &sms.custom_args {
        row["custom_args"] = args.clone();
    }
    if error_code != 0 {
        row["status"]["error_detail"] = json!({"message": "delivery failed"});
    }
    row
}

/// A notification callback (`insufficient_balance`, ...).
pub fn notification_callback(event: &str) -> String {
    json!({"total": 1, "rows": [{"server": "sms", "itime": chrono::Utc::now().timestamp(),
        "notification": {"event": event, "notification_data": {"balance": 0}}}]})
    .to_string()
}
