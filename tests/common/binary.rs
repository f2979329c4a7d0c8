//! The wallboard binary, started by a test the way an operator would start it.

use std::process::Command;

/// The binary with `args` and none of the caller's `XSI_WALLBOARD_*` settings leaking in.
pub fn wallboard(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xsi-wallboard"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("XSI_WALLBOARD_") {
            command.env_remove(key);
        }
    }
    command.args(args);
    command
}
