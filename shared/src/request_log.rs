//! The conformance request log: when `MEETFLOW_REQUEST_LOG` names a file, the provider sandbox
//! (`meetflow-admin sandbox`) and the test fakes append every request they receive to it as one
//! JSON line `{time, provider, method, path, query, headers, body}`, the input of the providers'
//! conformance checker (`../shared/conformance/check_requests.py`, run by `scripts/test.sh`).
//! Each writer builds its own line; this is the one place that names the variable and appends.

use std::io::Write as _;
use std::path::PathBuf;

use serde_json::Value;

/// The variable naming the log file (unset or empty: no log).
pub const REQUEST_LOG_ENV: &str = "MEETFLOW_REQUEST_LOG";

/// Appends the line `line()` builds to the configured log (`line` runs only when one is); `Ok(None)`
/// when no log is configured, else the file's path (also on error, so the caller can say which
/// file it could not write).
///
/// # Errors
/// The file cannot be opened or written (with its path).
pub fn append(line: impl FnOnce() -> Value) -> Result<Option<PathBuf>, (PathBuf, std::io::Error)> {
    let Some(path) = std::env::var_os(REQUEST_LOG_ENV).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let path = PathBuf::from(path);
    let mut text = line().to_string();
    text.push('\n');
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map(|()| Some(path.clone()))
        .map_err(|e| (path, e))
}
