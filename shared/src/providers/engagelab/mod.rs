//! EngageLab SMS client: sends one templated SMS (`POST /messages`, Basic auth).
//!
//! Success needs HTTP 2xx *and* a body `code` that is absent or 0; every documented code is
//! classified in `codes.rs`. 3004 (same template to the same number within its window) is not an
//! error: [`SendOutcome::Suppressed`]. The send is not idempotent (EngageLab has no idempotency
//! key), so a failure that may have reached EngageLab (a timeout after sending, a 502/504, an
//! unreadable 2xx) is flagged `ambiguous` and the caller decides whether re-sending is safe.

pub mod callback;
mod codes;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use url::Url;

use self::codes::CodeAction;
pub use self::codes::SEND_FAILED_RETRY_DELAY;
use super::error::{Provider, ProviderError, sanitize_message};
use super::http::{self, Response};
use crate::domain::ErrorClass;
use crate::domain::redact;

const OP: &str = "send sms";

/// An EngageLab SMS client. Cheap to clone; `Debug` shows no credentials.
#[derive(Clone)]
pub struct EngageLabClient {
    http: reqwest::Client,
    base_url: Url,
    authorization: HeaderValue,
}

impl fmt::Debug for EngageLabClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngageLabClient")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

/// One SMS to send. `Debug` masks the number.
#[derive(Clone, Default, PartialEq)]
pub struct SmsRequest {
    /// The recipient, E.164 (`+14155550132`).
    pub to: String,
    /// The approved template's id.
    pub template_id: String,
    /// Values for the template's `{var}` placeholders.
    pub params: Map<String, Value>,
    /// Echoed back in delivery callbacks (booking, kind, ...).
    pub custom_args: Map<String, Value>,
    /// A label for EngageLab's console (`plan_name`); EngageLab uses "-" when absent.
    pub plan_name: Option<String>,
}

impl fmt::Debug for SmsRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsRequest")
            .field("to", &redact::phone(&self.to))
            .field("template_id", &self.template_id)
            .field("params", &self.params.keys().collect::<Vec<_>>())
            .field("custom_args", &self.custom_args)
            .field("plan_name", &self.plan_name)
            .finish()
    }
}

/// What EngageLab did with an SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted for delivery.
    Accepted(Accepted),
    /// Not sent because the same template went to this number recently (code 3004): done.
    Suppressed {
        /// EngageLab's message (sanitized).
        message: String,
    },
}

/// EngageLab's ids for an accepted SMS (all 19-digit ids kept exact).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Accepted {
    /// The send plan's id.
    #[serde(default, deserialize_with = "lenient_id")]
    pub plan_id: Option<String>,
    /// The message's id (single recipient).
    #[serde(default, deserialize_with = "lenient_id")]
    pub message_id: Option<String>,
    /// How many recipients EngageLab accepted.
    #[serde(default)]
    pub accepted_count: Option<u64>,
    /// The task id of a scheduled send (a JSON number above 2^53).
    #[serde(default, rename = "schedule_info", deserialize_with = "task_id")]
    pub task_id: Option<i64>,
}

impl EngageLabClient {
    /// A client for `base_url` (e.g. `https://smsapi.engagelab.com/v1`); every call is bounded by `timeout`.
    pub fn new(
        base_url: Url,
        dev_key: SecretString,
        dev_secret: SecretString,
        timeout: Duration,
    ) -> Result<Self, ProviderError> {
        let pair = format!("{}:{}", dev_key.expose_secret(), dev_secret.expose_secret());
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
        let mut authorization =
            HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|_| {
                ProviderError::new(
                    Provider::EngageLab,
                    "configure",
                    ErrorClass::Config,
                    "invalid credentials",
                )
            })?;
        authorization.set_sensitive(true);
        Ok(Self {
            http: http::build_client(Provider::EngageLab, timeout)?,
            base_url,
            authorization,
        })
    }

    /// Sends one SMS. `Ok(Suppressed)` for code 3004; every other non-success is an error.
    pub async fn send(&self, sms: &SmsRequest) -> Result<SendOutcome, ProviderError> {
        #[derive(Serialize)]
        struct Template<'a> {
            id: &'a str,
            params: &'a Map<String, Value>,
        }
        #[derive(Serialize)]
        struct Body<'a> {
            to: [&'a str; 1],
            template: Template<'a>,
            #[serde(skip_serializing_if = "Map::is_empty")]
            custom_args: &'a Map<String, Value>,
            #[serde(skip_serializing_if = "Option::is_none")]
            plan_name: Option<&'a str>,
        }
        let body = Body {
            to: [&sms.to],
            template: Template {
                id: &sms.template_id,
                params: &sms.params,
            },
            custom_args: &sms.custom_args,
            plan_name: sms.plan_name.as_deref(),
        };
        let url = http::endpoint(&self.base_url, &["messages"]);
        let request = self
            .http
            .post(url)
            .header("authorization", self.authorization.clone())
            .json(&body);
        let resp = http::execute(Provider::EngageLab, OP, request).await?;
        interpret(&resp)
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default, deserialize_with = "lenient_code")]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

/// Reads an answer: status and body code together.
fn interpret(resp: &Response) -> Result<SendOutcome, ProviderError> {
    let parsed: Option<ErrorBody> = serde_json::from_slice(&resp.body).ok();
    let code = parsed.as_ref().and_then(|b| b.code).filter(|c| *c != 0);
    let message = parsed
        .as_ref()
        .and_then(|b| b.message.clone())
        .unwrap_or_default();
    let Some(code) = code else {
        if resp.is_success() {
            // A 2xx we cannot read: EngageLab most likely sent it. Ambiguous, not success.
            return resp
                .json::<Accepted>(Provider::EngageLab, OP)
                .map(SendOutcome::Accepted);
        }
        return Err(http::status_error(
            Provider::EngageLab,
            OP,
            resp,
            None,
            &message,
            &["retry-after"],
        ));
    };
    let base = || {
        http::status_error(
            Provider::EngageLab,
            OP,
            resp,
            Some(code.to_string()),
            &message,
            &["retry-after"],
        )
    };
    let e = match codes::action(code) {
        Some(CodeAction::Suppressed) => {
            return Ok(SendOutcome::Suppressed {
                message: sanitize_message(&message),
            });
        }
        Some(CodeAction::Retry(class)) => ProviderError {
            class,
            consume_attempt: true,
            ..base()
        },
        Some(CodeAction::Permanent(class)) => ProviderError {
            class,
            retry_after: None,
            ambiguous: false,
            ..base()
        },
        Some(CodeAction::RetryOnceLater) => ProviderError {
            class: ErrorClass::ProviderServer,
            retry_after: Some(codes::SEND_FAILED_RETRY_DELAY),
            consume_attempt: true,
            ambiguous: false,
            max_retries: Some(1),
            ..base()
        },
        None if resp.is_success() => ProviderError {
            class: ErrorClass::ProviderRejected,
            retry_after: None,
            ambiguous: false,
            ..base()
        },
        None => base(),
    };
    Err(e)
}

/// An id sent as a string or as a number, kept as exact text.
fn lenient_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// A code sent as a number or a numeric string.
fn lenient_code<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// `schedule_info.task_id`, an integer above 2^53 read without going through a float.
fn task_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct ScheduleInfo {
        #[serde(default)]
        task_id: Option<Value>,
    }
    Ok(
        Option::<ScheduleInfo>::deserialize(d)?.and_then(|s| match s.task_id? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }),
    )
}
