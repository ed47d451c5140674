//! The process boundary: a Tokio runtime around the binary's work and the exit code.
//!
//! Exit codes (the same for every binary): 0 after a clean stop, 1 for any error, printed as
//! one line `<binary>: <reason>` on stderr (and logged). Clap exits 2 on bad usage before this.

use std::fmt::Display;
use std::future::Future;
use std::process::ExitCode;

/// Runs `work` on a multi-thread runtime; `Ok` exits 0, `Err` prints `name: error` on one line
/// and exits 1.
pub fn main<F, Fut, E>(name: &str, work: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(work()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let line = one_line(&e);
            tracing::error!(error = %line, "{name} stopped with an error");
            eprintln!("{name}: {line}");
            ExitCode::FAILURE
        }
    }
}

/// An error on one line (`{:#}` shows an `anyhow` chain as `a: b: c`).
pub fn one_line(e: &impl Display) -> String {
    format!("{e:#}").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_exit_1_and_success_exit_0() {
        let ok = main("t", || async { Ok::<(), String>(()) });
        assert_eq!(ok, ExitCode::SUCCESS);
        let failed = main("t", || async {
            Err::<(), _>("boom\nsecond line".to_owned())
        });
        assert_eq!(failed, ExitCode::FAILURE);
        assert_eq!(one_line(&"a\nb"), "a b");
    }
}
