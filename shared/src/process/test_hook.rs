//! Debug builds only: `MEETFLOW_TEST_LOOP_FAILURE=panic|error|end` adds a loop that panics,
//! fails or returns 200 ms after start-up, so process tests can show that any binary exits
//! non-zero when one of its loops dies. Release builds do not contain this module.

use std::time::Duration;

use super::supervise::Supervisor;

/// The variable read by [`inject`].
pub(crate) const VAR: &str = "MEETFLOW_TEST_LOOP_FAILURE";

/// Adds the failing loop named by [`VAR`], if set.
pub(crate) fn inject(supervisor: &mut Supervisor) {
    let Ok(how) = std::env::var(VAR) else {
        return;
    };
    tracing::warn!(%how, "{VAR} is set: a loop will fail on purpose");
    supervisor.spawn("test loop", async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        match how.as_str() {
            "panic" => std::panic::panic_any(format!("{VAR}=panic")),
            "error" => Err(format!("{VAR}=error")),
            _ => Ok(()),
        }
    });
}
