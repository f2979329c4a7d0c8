//! HTTPS on the listener: rustls with a certificate that can be replaced while serving.
//!
//! The certificate and key are read at start and again on SIGHUP (the usual signal after a
//! renewal); a reload that fails keeps the certificate in use and says why in the log.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use anyhow::{Context, Result};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_util::sync::CancellationToken;

/// `tls_cert` (PEM chain, leaf first) and `tls_key` (PEM private key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// Reads and checks both files: the key must sign for the certificate.
    fn load(&self) -> Result<CertifiedKey> {
        let chain = CertificateDer::pem_file_iter(&self.cert)
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .with_context(|| format!("cannot read tls_cert {}", self.cert.display()))?;
        if chain.is_empty() {
            anyhow::bail!("tls_cert {} holds no certificate", self.cert.display());
        }
        let key = PrivateKeyDer::from_pem_file(&self.key)
            .with_context(|| format!("cannot read tls_key {}", self.key.display()))?;
        let provider = ring::default_provider();
        let certified = CertifiedKey::from_der(chain, key, &provider).with_context(|| {
            format!(
                "tls_key {} does not match tls_cert {}",
                self.key.display(),
                self.cert.display()
            )
        })?;
        Ok(certified)
    }
}

/// Hands every handshake the current certificate; [`CertReloader::reload`] swaps it.
#[derive(Debug)]
pub struct CertReloader {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
}

impl CertReloader {
    /// Loads the files; an error here stops the start (no HTTPS without a certificate).
    pub fn new(files: TlsFiles) -> Result<Arc<Self>> {
        let current = RwLock::new(Arc::new(files.load()?));
        Ok(Arc::new(CertReloader { files, current }))
    }

    /// Reads the files again; on error the certificate in use stays.
    pub fn reload(&self) -> Result<()> {
        let fresh = Arc::new(self.files.load()?);
        // A poisoned lock only means a panic elsewhere mid-swap; the Arc inside is whole.
        let mut current = self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *current = fresh;
        Ok(())
    }

    /// The rustls configuration for the listener: this resolver, HTTP/1.1 only.
    pub fn server_config(self: &Arc<Self>) -> Result<Arc<ServerConfig>> {
        let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .context("no TLS protocol version in common with the crypto provider")?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(self) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// Reload on every SIGHUP until `cancel` fires (Unix only; elsewhere restart to reload).
    pub fn reload_on_sighup(self: Arc<Self>, cancel: CancellationToken) {
        #[cfg(unix)]
        tokio::spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let mut hangups = match signal(SignalKind::hangup()) {
                Ok(hangups) => hangups,
                Err(error) => {
                    tracing::warn!(%error, "cannot watch SIGHUP: TLS files reload on restart only");
                    return;
                }
            };
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    got = hangups.recv() => {
                        if got.is_none() {
                            return;
                        }
                        match self.reload() {
                            Ok(()) => tracing::info!("SIGHUP: TLS certificate reloaded"),
                            Err(error) => tracing::error!(
                                error = format!("{error:#}"),
                                "SIGHUP: TLS reload failed; the old certificate stays"
                            ),
                        }
                    }
                }
            }
        });
        #[cfg(not(unix))]
        let _ = cancel;
    }
}

impl ResolvesServerCert for CertReloader {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let current = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Some(Arc::clone(&current))
    }
}
