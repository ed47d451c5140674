//! Running a built binary to its exit: status and stderr, with a deadline (a process that does
//! not exit is killed and the test fails).

use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Runs `binary --config <config> [args]` with `envs` (logs at `warn`) until it exits; panics when
/// it is still running after `limit`.
pub(crate) async fn run_until_exit(
    binary: &Path,
    config: &Path,
    envs: &[(&str, &str)],
    limit: Duration,
) -> (ExitStatus, String) {
    run_with_args(binary, config, &[], envs, limit).await
}

/// [`run_until_exit`] with extra arguments.
pub(crate) async fn run_with_args(
    binary: &Path,
    config: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
    limit: Duration,
) -> (ExitStatus, String) {
    let mut child = Command::new(binary)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .env("MEETFLOW_LOG_FORMAT", "json")
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stderr_pipe.read_to_string(&mut out);
        out
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{} still running after {limit:?}: {}",
                binary.display(),
                reader.join().unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    (status, reader.join().unwrap_or_default())
}
