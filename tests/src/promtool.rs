//! `promtool check metrics` (from the Debian `prometheus` package, which `.ci/run` installs)
//! over a `/metrics` text: naming conventions (`_total` counters, units in names), HELP text,
//! valid exposition format. Without promtool the check is skipped with a note on stderr.

use std::io::Write as _;
use std::process::{Command, Stdio};

/// `Some(problems)` (empty when clean) from `promtool check metrics`, `None` without promtool.
pub fn check_metrics(text: &str) -> Option<String> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        // A write error shows up as promtool's own failure below.
        let _ = stdin.write_all(text.as_bytes());
    }
    let out = child.wait_with_output().ok()?;
    if out.status.success() {
        return Some(String::new());
    }
    let mut problems = String::from_utf8_lossy(&out.stdout).into_owned();
    problems.push_str(&String::from_utf8_lossy(&out.stderr));
    Some(problems)
}

/// Panics with promtool's findings when `text` (the `/metrics` of `what`) is not clean; prints a
/// SKIP note and returns `false` when promtool is not installed.
///
/// # Panics
/// When promtool reports a problem.
pub fn assert_clean_metrics(what: &str, text: &str) -> bool {
    match check_metrics(text) {
        Some(problems) => {
            assert!(
                problems.is_empty(),
                "{what}: promtool check metrics:\n{problems}\n--- /metrics:\n{text}"
            );
            true
        }
        None => {
            eprintln!(
                "SKIP promtool check metrics ({what}): promtool not installed (apt-get install prometheus)"
            );
            false
        }
    }
}
