//! The shell lines this process runs for its user (`alert_command`, `password_command`): they
//! get none of the secrets this process was given in its environment. A pager script has no use
//! for the XSP's password or the listen token, and a child's environment is readable by
//! anything running as the same user for as long as the child lives.

use std::process::Command;

use crate::config::PASSWORD_ENV;
use crate::guard::{CONTROL_TOKEN_ENV, READ_TOKEN_ENV, TOKEN_ENV};

/// Every environment variable the configuration reads a secret from.
pub const SECRET_VARIABLES: [&str; 4] =
    [PASSWORD_ENV, TOKEN_ENV, READ_TOKEN_ENV, CONTROL_TOKEN_ENV];

/// `sh -c command`, with stdin closed and every [`SECRET_VARIABLES`] removed from its
/// environment.
pub fn shell(command: &str) -> Command {
    let mut child = Command::new("sh");
    child
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null());
    for variable in SECRET_VARIABLES {
        child.env_remove(variable);
    }
    child
}
