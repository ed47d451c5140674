//! How Calendly's error answers are read: `{title, message, details[{parameter, message}]}`,
//! classified by the HTTP table (429 waits for `X-RateLimit-Reset`). `title` stands in for a
//! code. A 403 asking to "upgrade" is reworded so an operator knows webhooks need a paid plan.

use serde::Deserialize;

use super::super::error::{Provider, ProviderError};
use super::super::http::{self, Response};

/// Headers carrying the wait on a 429.
const WAIT_HEADERS: &[&str] = &["x-ratelimit-reset", "retry-after"];

#[derive(Deserialize, Default)]
struct ApiError {
    title: Option<String>,
    message: Option<String>,
    #[serde(default)]
    details: Vec<serde_json::Value>,
}

/// Classifies an error answer by the HTTP table; "Please upgrade" says what to do.
pub(super) fn api_error(op: &'static str, resp: &Response) -> ProviderError {
    let body: ApiError = serde_json::from_slice(&resp.body).unwrap_or_default();
    // `title` ("Permission Denied", "Resource Not Found") is the closest thing to a code.
    let mut message = body.message.clone().unwrap_or_default();
    let details: Vec<String> = body
        .details
        .iter()
        .map(|d| {
            match (
                d.get("parameter").and_then(|v| v.as_str()),
                d.get("message").and_then(|v| v.as_str()),
            ) {
                (Some(p), Some(m)) => format!("{p}: {m}"),
                (None, Some(m)) => m.to_owned(),
                _ => d.to_string(),
            }
        })
        .collect();
    if !details.is_empty() {
        message = format!("{message} ({})", details.join("; "));
    }
    if resp.status == 403 && message.to_ascii_lowercase().contains("upgrade") {
        message = format!("this needs a paid Calendly plan (Standard or higher): {message}");
    }
    http::status_error(
        Provider::Calendly,
        op,
        resp,
        body.title,
        &message,
        WAIT_HEADERS,
    )
}
