//! Where local viewers find a receiver: the viewer socket's default path, shared by the
//! receiver that serves it and by `attach`, which connects to it when given no URL.

use std::path::PathBuf;

/// `$XDG_RUNTIME_DIR/xsi-wallboard/{instance}.sock`: the user's own runtime directory (0700,
/// so file permissions alone decide who may watch). Without `XDG_RUNTIME_DIR` (a bare `su`,
/// cron), a directory of the user's own in the temp directory.
pub fn viewer_socket_default(instance: &str) -> PathBuf {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(
            || {
                let user = std::env::var("USER").unwrap_or_else(|_| "user".to_owned());
                std::env::temp_dir().join(format!("xsi-wallboard-{user}"))
            },
            |dir| PathBuf::from(dir).join("xsi-wallboard"),
        );
    runtime.join(format!("{instance}.sock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_is_named_after_the_instance() {
        let path = viewer_socket_default("night-shift");
        assert_eq!(
            path.file_name().and_then(|n| n.to_str()),
            Some("night-shift.sock")
        );
        assert!(path.parent().is_some_and(|dir| {
            dir.ends_with("xsi-wallboard")
                || dir
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("xsi-wallboard-"))
        }));
    }
}
