//! Wiring: listener, applier, simulator and UI under one cancellation token.

use std::process::ExitCode;

use crate::cli::Cli;

/// Run the wallboard until quit.
pub fn run(cli: Cli) -> ExitCode {
    let _ = cli;
    ExitCode::SUCCESS
}
