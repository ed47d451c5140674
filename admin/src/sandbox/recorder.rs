//! The sandbox's record: one JSON line per call, appended to a file and printed on stdout.

use std::io::Write as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedCall {
    /// When it arrived (RFC 3339, UTC).
    pub time: String,
    /// `brevo`, `engagelab`, or `unknown` for a path no provider has.
    pub provider: String,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The status the sandbox answered.
    pub status: u16,
    /// The request body (JSON when it parses, else text, `null` when empty).
    pub body: Value,
}

impl RecordedCall {
    /// A call received now.
    pub fn now(provider: &str, method: &str, path: &str, status: u16, body: Value) -> Self {
        Self {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            provider: provider.to_owned(),
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            body,
        }
    }
}

/// Appends calls to the record file and stdout, one line each, in arrival order.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl Recorder {
    /// Opens (creating folders and file) `path` for appending.
    pub fn open(path: PathBuf) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        Ok(Self {
            path,
            file: Mutex::new(file),
        })
    }

    /// Writes one call; a write error is logged, never fatal to the caller's request.
    pub async fn record(&self, call: RecordedCall) {
        let Ok(mut line) = serde_json::to_string(&call) else {
            return;
        };
        line.push('\n');
        let mut file = self.file.lock().await;
        if let Err(e) = file.write_all(line.as_bytes()).and_then(|()| file.flush()) {
            tracing::warn!(path = %self.path.display(), error = %e, "sandbox: cannot append to the record file");
        }
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(line.as_bytes());
        let _ = stdout.flush();
    }
}
