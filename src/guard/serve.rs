//! The accept loop: HTTP/1.1 (BroadWorks posts nothing else), optionally over TLS, with the
//! limits that keep one client from holding the listener.
//!
//! axum's own `serve` has no read timeouts and no connection cap, so connections are driven
//! here with hyper directly; each request carries the peer's address as axum's `ConnectInfo`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// How long shutdown lets requests in flight finish before the connections are dropped.
const DRAIN_BOUND: Duration = Duration::from_secs(5);

/// Pause after an accept error (out of file descriptors) before the next accept.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Per-connection limits; the defaults suit an XSP posting over a LAN or the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From connect to the end of a request's headers (the TLS handshake included), and
    /// between requests on a kept-alive connection. Default 10 s.
    pub header_timeout: Duration,
    /// From the end of the headers to the end of the body. Default 30 s.
    pub body_timeout: Duration,
    /// Connections served at once; the next waits in the kernel's backlog. Default 256.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 256,
        }
    }
}

/// Who may open a connection at all, decided on the peer's address alone right after accept:
/// a refused peer is closed before it takes a connection slot or costs a TLS handshake.
#[derive(Clone)]
pub struct Admission(Arc<dyn Fn(IpAddr) -> bool + Send + Sync>);

impl Admission {
    /// Every peer (the routes decide).
    pub fn everyone() -> Self {
        Admission(Arc::new(|_| true))
    }

    /// Peers for which `admits` holds; it may count and log the others.
    pub fn new(admits: impl Fn(IpAddr) -> bool + Send + Sync + 'static) -> Self {
        Admission(Arc::new(admits))
    }

    fn admits(&self, ip: IpAddr) -> bool {
        (self.0)(ip)
    }
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Admission")
    }
}

/// Serve `router` on `listener` (HTTPS with `tls`) until `cancel` fires, then let requests in
/// flight finish (at most [`DRAIN_BOUND`]). The body timeout is the router's (see
/// `listener::router`); this enforces the rest of [`ConnectionLimits`]. Every peer is let in.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<ServerConfig>>,
    limits: ConnectionLimits,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    serve_admitting(listener, router, tls, limits, Admission::everyone(), cancel).await
}

/// [`serve`], letting in only the peers `admission` admits.
pub async fn serve_admitting(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<ServerConfig>>,
    limits: ConnectionLimits,
    admission: Admission,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let acceptor = tls.map(TlsAcceptor::from);
    let mut connections = JoinSet::new();
    loop {
        // Finished connections leave the set here, so it holds only live ones.
        while connections.try_join_next().is_some() {}
        // Accept before taking a slot: the peer is judged first, so a stranger's idle sockets
        // never hold the slots the XSP's POSTs need (BroadWorks does not redeliver). While the
        // slots are full, one admitted connection waits here and the rest in the backlog.
        let (stream, peer) = tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        if !admission.admits(peer.ip()) {
            // Closed at once: no slot, no handshake, no byte read.
            drop(stream);
            continue;
        }
        let permit = tokio::select! {
            () = cancel.cancelled() => break,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_closed) => break,
            },
        };
        // Small POSTs answered at once: do not let Nagle hold the 200 back.
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let acceptor = acceptor.clone();
        let cancel = cancel.clone();
        connections.spawn(async move {
            let _permit = permit;
            match acceptor {
                None => connection(stream, peer, router, limits, cancel).await,
                Some(acceptor) => {
                    match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await
                    {
                        Ok(Ok(stream)) => connection(stream, peer, router, limits, cancel).await,
                        Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                        Err(_elapsed) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN_BOUND, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = connections.len(),
            "connections still open after the drain bound; dropping them"
        );
        connections.abort_all();
    }
    Ok(())
}

/// One connection, HTTP/1.1, until the client closes, a timeout fires or shutdown.
async fn connection<S>(
    stream: S,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    cancel: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
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
                tracing::debug!(%peer, %error, "connection ended");
            }
        }
        () = cancel.cancelled() => {
            conn.as_mut().graceful_shutdown();
            if let Err(error) = conn.await {
                tracing::debug!(%peer, %error, "connection ended in shutdown");
            }
        }
    }
}
