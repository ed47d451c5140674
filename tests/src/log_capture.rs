//! The log lines of this test process, captured as JSON objects (the production format) so a
//! test can count what was logged at which level. Install it before anything else logs: it is
//! the process's global subscriber (nextest runs each test in its own process).

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tracing_subscriber::fmt::MakeWriter;

/// The captured lines.
#[derive(Debug, Clone, Default)]
pub struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl LogCapture {
    /// Installs the capturing subscriber (everything from `debug` up); `None` when another
    /// subscriber was installed first.
    pub fn install() -> Option<LogCapture> {
        let capture = LogCapture::default();
        tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(capture.clone())
            .try_init()
            .ok()?;
        Some(capture)
    }

    fn held(&self) -> MutexGuard<'_, Vec<u8>> {
        self.buffer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every line so far, parsed (lines that are not JSON are left out).
    pub fn lines(&self) -> Vec<Value> {
        String::from_utf8_lossy(&self.held())
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The lines whose message is `message`.
    pub fn with_message(&self, message: &str) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|l| l["message"] == message)
            .collect()
    }
}

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.held().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
