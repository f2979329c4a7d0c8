//! The viewer socket: the receiver's read and control routes on a Unix socket, so that
//! supervisors on the same host attach with no secret: the file's permissions decide who may.
//!
//! ```text
//! default:  $XDG_RUNTIME_DIR/xsi-wallboard/{instance}.sock   dir 0700, socket 0600 (the user's own)
//! shared:   --viewer-socket PATH / viewer_socket             socket 0660, group viewer_group
//! accept --peer's uid (SO_PEERCRED)--> HTTP/1.1 --SocketPeer in the request--> read + control
//!   routes (never the event path): reads always, control unless viewer_socket_read_only
//! ```
//!
//! A socket file left by a dead receiver is replaced; one a live receiver answers on is never
//! taken over. The file is bound under a temporary name, given its mode and group, then renamed
//! into place, so it never exists at its path with looser permissions. It is removed at
//! shutdown (if it is still ours).

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::config::FileConfig;
use crate::guard::ConnectionLimits;

/// The directory under `$XDG_RUNTIME_DIR` that holds the default sockets.
const DIR_NAME: &str = "xsi-wallboard";

/// How long shutdown lets the socket's requests in flight finish.
const DRAIN_BOUND: Duration = Duration::from_secs(5);

/// Pause after an accept error (out of file descriptors) before the next accept.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The default viewer socket of `instance`: `$XDG_RUNTIME_DIR/xsi-wallboard/{instance}.sock`;
/// `None` without `XDG_RUNTIME_DIR` (no per-user runtime directory: a cron job, `su`).
/// Receiver and `attach` both call this, so they meet without configuration.
pub fn viewer_socket_default(instance: &str) -> Option<PathBuf> {
    default_in(
        std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from),
        instance,
    )
}

/// [`viewer_socket_default`] under a given runtime directory (tests set no variables).
pub fn default_in(runtime_dir: Option<PathBuf>, instance: &str) -> Option<PathBuf> {
    // A relative or empty value is not a runtime directory (the XDG spec says to ignore it).
    let dir = runtime_dir.filter(|dir| dir.is_absolute())?;
    // The instance names a file: nothing in it may climb out of the directory.
    let name: String = instance
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = if name.is_empty() || name.starts_with('.') {
        format!("_{name}")
    } else {
        name
    };
    Some(dir.join(DIR_NAME).join(format!("{name}.sock")))
}

/// Why a receiver has no viewer socket when it was not the demo, for the log.
pub const NO_RUNTIME_DIR: &str =
    "no viewer socket: XDG_RUNTIME_DIR is not set (give --viewer-socket PATH)";

/// The viewer socket as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewerSocket {
    pub path: PathBuf,
    /// A path the operator chose (`--viewer-socket`): mode 0660 and `group`, for a shared host.
    /// Otherwise the default: the user's own (a 0700 directory, socket 0600).
    pub shared: bool,
    /// `viewer_group`: the group given the socket (shared only).
    pub group: Option<String>,
    /// `viewer_socket_read_only`: viewers on the socket read, never control.
    pub read_only: bool,
}

impl ViewerSocket {
    /// `--viewer-socket` (or `viewer_socket`, already merged into `path`), else the default of
    /// `instance`, except for the demo, which opens a socket only when asked. `None`: no
    /// socket (the demo, or no `XDG_RUNTIME_DIR`: [`NO_RUNTIME_DIR`]).
    pub fn resolve(
        path: Option<PathBuf>,
        file: Option<&FileConfig>,
        instance: &str,
        demo: bool,
    ) -> Result<Option<Self>> {
        let group = file.and_then(|f| f.viewer_group.clone());
        let read_only = file.and_then(|f| f.viewer_socket_read_only) == Some(true);
        if let Some(path) = path {
            if path.as_os_str().is_empty() {
                bail!("viewer_socket is empty");
            }
            return Ok(Some(ViewerSocket {
                path,
                shared: true,
                group,
                read_only,
            }));
        }
        if group.is_some() {
            bail!("viewer_group needs viewer_socket (the default socket is the user's own)");
        }
        if demo {
            return Ok(None);
        }
        // Without a runtime directory there is no private place for it: the caller says so.
        let Some(path) = viewer_socket_default(instance) else {
            return Ok(None);
        };
        Ok(Some(ViewerSocket {
            path,
            shared: false,
            group: None,
            read_only,
        }))
    }

    /// The socket in words, for the startup log.
    pub fn describe(&self) -> String {
        let who = if self.shared {
            match &self.group {
                Some(group) => format!("mode 0660, group {group}"),
                None => "mode 0660, the receiver's group".to_owned(),
            }
        } else {
            "this user only (0700 directory)".to_owned()
        };
        let scope = if self.read_only {
            "read only"
        } else {
            "read and control"
        };
        format!("{} ({who}; {scope})", self.path.display())
    }

    /// Bind the socket: the directory made (the default's 0700), a stale file replaced, a live
    /// one refused, the file given its mode and group before it appears at its path.
    pub fn bind(&self) -> Result<BoundSocket> {
        let gid = self.group.as_deref().map(group_id).transpose()?;
        let dir = self
            .path
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        self.prepare_dir(dir, gid)?;
        clear_stale(&self.path)?;
        let file_name = self
            .path
            .file_name()
            .context("viewer_socket names no file")?;
        let temporary = dir.join(format!(
            ".{}.{}.tmp",
            file_name.to_string_lossy(),
            std::process::id()
        ));
        let _ = std::fs::remove_file(&temporary);
        let listener = std::os::unix::net::UnixListener::bind(&temporary)
            .with_context(|| format!("cannot bind the viewer socket {}", self.path.display()))?;
        let placed = self.place(&temporary, gid);
        if placed.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        placed?;
        let inode = std::fs::metadata(&self.path)
            .with_context(|| format!("viewer socket {}", self.path.display()))?
            .ino();
        listener
            .set_nonblocking(true)
            .context("viewer socket: non-blocking")?;
        let listener = UnixListener::from_std(listener).context("viewer socket")?;
        Ok(BoundSocket {
            listener,
            path: self.path.clone(),
            inode,
        })
    }

    fn prepare_dir(&self, dir: &Path, gid: Option<u32>) -> Result<()> {
        let existed = dir.exists();
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "cannot create the viewer socket's directory {}",
                dir.display()
            )
        })?;
        if !self.shared {
            // Ours alone, as XDG_RUNTIME_DIR is: brought back to 0700 if something widened it.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot make {} private (0700)", dir.display()))?;
        } else if !existed {
            // Made here: the group must be able to reach the socket, nobody else.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o750))
                .with_context(|| format!("cannot set the mode of {}", dir.display()))?;
            if gid.is_some() {
                std::os::unix::fs::chown(dir, None, gid)
                    .with_context(|| format!("cannot give {} to viewer_group", dir.display()))?;
            }
        }
        Ok(())
    }

    /// Mode, group, then the rename that makes the socket appear at its path.
    fn place(&self, temporary: &Path, gid: Option<u32>) -> Result<()> {
        let mode = if self.shared { 0o660 } else { 0o600 };
        std::fs::set_permissions(temporary, std::fs::Permissions::from_mode(mode))
            .context("cannot set the viewer socket's mode")?;
        if gid.is_some() {
            std::os::unix::fs::chown(temporary, None, gid).with_context(|| {
                "cannot give the viewer socket to viewer_group (the receiver's user must be in it)"
            })?;
        }
        std::fs::rename(temporary, &self.path)
            .with_context(|| format!("cannot place the viewer socket at {}", self.path.display()))
    }
}

/// A group by name (or number), for `viewer_group`.
fn group_id(name: &str) -> Result<u32> {
    if let Ok(gid) = name.parse::<u32>() {
        return Ok(gid);
    }
    match nix::unistd::Group::from_name(name) {
        Ok(Some(group)) => Ok(group.gid.as_raw()),
        Ok(None) => bail!("viewer_group: no group named {name:?} on this host"),
        Err(error) => bail!("viewer_group: cannot look up {name:?}: {error}"),
    }
}

/// A file at the socket's path: a socket nobody answers on (its receiver died) is removed; a
/// live one, or anything that is not a socket, is refused.
fn clear_stale(path: &Path) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        bail!(
            "{} exists and is not a socket: not replaced (choose another viewer_socket)",
            path.display()
        );
    }
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        bail!(
            "another receiver serves viewers on {} (it answered): stop it, or give this one \
             another --instance or --viewer-socket",
            path.display()
        );
    }
    tracing::info!(path = %path.display(), "replacing a stale viewer socket (nobody answers on it)");
    std::fs::remove_file(path)
        .with_context(|| format!("cannot remove the stale viewer socket {}", path.display()))
}

/// Who is on the other end of a viewer socket connection; the guards read it from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketPeer {
    /// The peer process's user id (`SO_PEERCRED`), for the control log.
    pub uid: Option<u32>,
    /// Control scope (`viewer_socket_read_only = false`).
    pub control: bool,
}

/// A bound viewer socket, served by [`BoundSocket::serve`].
#[derive(Debug)]
pub struct BoundSocket {
    listener: UnixListener,
    path: PathBuf,
    /// The file's inode when bound: at shutdown it is removed only if it is still this one.
    inode: u64,
}

impl BoundSocket {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Serve `router` until `cancel` fires, then let requests in flight finish (bounded) and
    /// remove the socket file.
    pub async fn serve(
        self,
        router: Router,
        limits: ConnectionLimits,
        read_only: bool,
        cancel: CancellationToken,
    ) -> std::io::Result<()> {
        let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
        let mut connections = JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            let permit = tokio::select! {
                () = cancel.cancelled() => break,
                permit = Arc::clone(&slots).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_closed) => break,
                },
            };
            let stream = tokio::select! {
                () = cancel.cancelled() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        tracing::warn!(%error, "viewer socket: accept failed");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                        continue;
                    }
                },
            };
            let peer = SocketPeer {
                uid: stream.peer_cred().ok().map(|cred| cred.uid()),
                control: !read_only,
            };
            let (router, cancel) = (router.clone(), cancel.clone());
            connections.spawn(async move {
                let _permit = permit;
                connection(stream, peer, router, limits, cancel).await;
            });
        }
        let drained = tokio::time::timeout(DRAIN_BOUND, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            connections.abort_all();
        }
        self.remove();
        Ok(())
    }

    /// Remove the socket file, unless another process has put its own there since.
    fn remove(&self) {
        let ours = std::fs::symlink_metadata(&self.path).is_ok_and(|m| m.ino() == self.inode);
        if ours && let Err(error) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), %error, "cannot remove the viewer socket");
        }
    }
}

/// One viewer connection, HTTP/1.1, until the client closes, a timeout fires or shutdown.
async fn connection(
    stream: UnixStream,
    peer: SocketPeer,
    router: Router,
    limits: ConnectionLimits,
    cancel: CancellationToken,
) {
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(peer);
        router.clone().oneshot(request)
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        served = conn.as_mut() => {
            if let Err(error) = served {
                tracing::debug!(uid = ?peer.uid, %error, "viewer connection ended");
            }
        }
        () = cancel.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::default_in;

    #[test]
    fn the_default_is_the_instance_under_the_runtime_directory() {
        let dir = Some(PathBuf::from("/run/user/1000"));
        assert_eq!(
            default_in(dir.clone(), "default"),
            Some(PathBuf::from("/run/user/1000/xsi-wallboard/default.sock"))
        );
        assert_eq!(
            default_in(dir.clone(), "../../etc/x"),
            Some(PathBuf::from(
                "/run/user/1000/xsi-wallboard/_.._.._etc_x.sock"
            ))
        );
        assert_eq!(
            default_in(dir, ""),
            Some(PathBuf::from("/run/user/1000/xsi-wallboard/_.sock"))
        );
        assert_eq!(default_in(None, "default"), None);
        assert_eq!(default_in(Some(PathBuf::from("relative")), "default"), None);
    }
}
