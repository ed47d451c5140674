//! The fakes' request log: when the environment variable [`REQUEST_LOG_ENV`]
//! (`MEETFLOW_REQUEST_LOG`) names a file, every request any fake receives is appended to it as one
//! JSON line `{time, provider, method, path, query, headers, body}`, the input format of the
//! providers' conformance checker (`../shared/conformance/check_requests.py`). `scripts/test.sh`
//! sets it for the whole suite and runs the checker afterwards.
//!
//! A test that sends a fake a request the real API would refuse, on purpose, marks it with the
//! header [`DELIBERATE_HEADER`]; its line carries `"deliberate": true` and `scripts/test.sh`
//! leaves it out of the check (it is there to prove the fake refuses it).

use serde_json::{Map, Value, json};

use super::common::RecordedRequest;

pub use meetflow_shared::request_log::REQUEST_LOG_ENV;

/// Header a test sets on a request it sends to a fake knowing the real API refuses it.
pub const DELIBERATE_HEADER: &str = "x-meetflow-deliberate";

/// Appends `rec` to the log, if one is configured; a write error only warns.
pub(crate) fn append(provider: &str, rec: &RecordedRequest) {
    if let Err((path, e)) = meetflow_shared::request_log::append(|| line(provider, rec)) {
        tracing::warn!(path = %path.display(), error = %e, "fake: cannot append to the request log");
    }
}

/// The JSON line of one request.
pub(crate) fn line(provider: &str, rec: &RecordedRequest) -> Value {
    let mut headers = Map::new();
    for name in rec.headers.keys() {
        let values: Vec<Value> = rec
            .headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let value = match <[Value; 1]>::try_from(values) {
            Ok([one]) => one,
            Err(many) => Value::Array(many),
        };
        headers.insert(name.as_str().to_owned(), value);
    }
    let body = match (&rec.json, rec.body.is_empty()) {
        (Some(v), _) => v.clone(),
        (None, true) => Value::Null,
        (None, false) => Value::String(String::from_utf8_lossy(&rec.body).into_owned()),
    };
    let mut out = json!({
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "provider": provider,
        "method": rec.method,
        "path": rec.path,
        "query": rec.query,
        "headers": headers,
        "body": body,
    });
    if rec.headers.contains_key(DELIBERATE_HEADER) {
        out["deliberate"] = Value::Bool(true);
    }
    out
}

/// The client of the fakes' own tests (`tests/it/fakes_*.rs`), which probe the fakes with
/// requests the real APIs refuse: every request carries [`DELIBERATE_HEADER`], so the conformance
/// check over the suite's traffic holds meetflow's clients to the specs, not these probes.
pub fn probe_client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        DELIBERATE_HEADER,
        reqwest::header::HeaderValue::from_static("probe"),
    );
    crate::http::install_crypto();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .default_headers(headers)
        .build()
        .expect("a reqwest client with default TLS settings builds")
}
