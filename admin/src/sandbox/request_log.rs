//! The sandbox's conformance log: when `MEETFLOW_REQUEST_LOG` names a file, every request the
//! sandbox receives is also appended there as one JSON line
//! `{time, provider, method, path, query, headers, body}`, the input of the providers'
//! conformance checker (`../shared/conformance/check_requests.py`), as the test fakes do.
//!
//! Unlike the record file, this line keeps the headers, so the checker can see the auth scheme;
//! the credentials themselves are replaced (`api-key: ***`, `Bearer ***`, and Basic credentials
//! by `redacted:redacted` when they were well-formed, so a malformed value still shows).

use axum::http::HeaderMap;
use base64::Engine as _;
use serde_json::{Map, Value, json};

pub use meetflow_shared::request_log::REQUEST_LOG_ENV;

/// One request as received.
pub(super) struct Received<'a> {
    pub(super) provider: &'a str,
    pub(super) method: &'a str,
    pub(super) path: &'a str,
    pub(super) query: Option<&'a str>,
    pub(super) headers: &'a HeaderMap,
    pub(super) body: &'a Value,
}

/// Appends the request to the log, if one is configured; a write error only warns.
pub(super) fn append(r: &Received<'_>) {
    if let Err((path, e)) = meetflow_shared::request_log::append(|| line(r)) {
        tracing::warn!(path = %path.display(), error = %e, "sandbox: cannot append to the request log");
    }
}

fn line(r: &Received<'_>) -> Value {
    let mut headers = Map::new();
    for (name, value) in r.headers {
        let text = String::from_utf8_lossy(value.as_bytes());
        headers.insert(
            name.as_str().to_owned(),
            Value::String(redact(name.as_str(), &text)),
        );
    }
    json!({
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "provider": r.provider,
        "method": r.method,
        "path": r.path,
        "query": r.query,
        "headers": headers,
        "body": r.body,
    })
}

/// A header value with its secret replaced, its scheme and well-formedness kept.
fn redact(name: &str, value: &str) -> String {
    match name {
        "api-key" | "partner-key" if !value.is_empty() => "***".to_owned(),
        "authorization" => {
            let (scheme, cred) = value.split_once(' ').unwrap_or((value, ""));
            if scheme.eq_ignore_ascii_case("basic") {
                let engine = base64::engine::general_purpose::STANDARD;
                let well_formed = engine
                    .decode(cred.trim())
                    .ok()
                    .is_some_and(|d| d.contains(&b':'));
                if well_formed {
                    format!("{scheme} {}", engine.encode("redacted:redacted"))
                } else {
                    format!("{scheme} (malformed)")
                }
            } else if cred.is_empty() {
                scheme.to_owned()
            } else {
                format!("{scheme} ***")
            }
        }
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_replaced_and_their_shape_kept() {
        assert_eq!(redact("api-key", "xkeysib-secret"), "***");
        assert_eq!(redact("authorization", "Bearer tok"), "Bearer ***");
        let good = base64::engine::general_purpose::STANDARD.encode("key:secret");
        assert_eq!(
            redact("authorization", &format!("Basic {good}")),
            "Basic cmVkYWN0ZWQ6cmVkYWN0ZWQ="
        );
        assert_eq!(redact("authorization", "Basic !!"), "Basic (malformed)");
        assert_eq!(
            redact("content-type", "application/json"),
            "application/json"
        );
    }
}
