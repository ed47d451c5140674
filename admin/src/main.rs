//! meetflow-admin: the operator CLI. Parsing and dispatch live in the library (`lib.rs`);
//! this file only maps the outcome to the exit code: 0 success, 1 failure (one line on
//! stderr), 2 bad usage (clap).

use std::process::ExitCode;

use clap::Parser;
use meetflow_admin::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = meetflow_shared::telemetry::init("meetflow-admin") {
        eprintln!("meetflow-admin: {e}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("meetflow-admin: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    match runtime.block_on(meetflow_admin::run(cli, &mut stdout)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("meetflow-admin: {}", meetflow_admin::one_line(&e));
            ExitCode::FAILURE
        }
    }
}
