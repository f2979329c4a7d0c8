//! The listener's defences as configured: flag, environment and file, checked.
//!
//! The token never comes from a flag (flags show in `ps` and shell history): it comes from
//! `XSI_WALLBOARD_TOKEN`, else `listen_token`, else `listen_token_file`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::{AllowList, Guard, Limits, ListenToken, TlsFiles};
use crate::config::{FileConfig, XspArgs};

/// The environment variable that may hold the listen token.
pub const TOKEN_ENV: &str = "XSI_WALLBOARD_TOKEN";

/// Everything the listener needs to defend itself.
#[derive(Debug, Clone, Default)]
pub struct GuardSettings {
    pub guard: Guard,
    /// Certificate and key files: serve HTTPS.
    pub tls: Option<TlsFiles>,
    pub limits: Limits,
}

impl GuardSettings {
    /// Flags over the file, the token from [`TOKEN_ENV`] first.
    pub fn resolve(args: &XspArgs, file: Option<&FileConfig>) -> Result<Self> {
        Self::resolve_with_env(args, file, std::env::var(TOKEN_ENV).ok())
    }

    /// [`Self::resolve`] with the token variable's value passed in (tests cannot set variables
    /// safely).
    pub fn resolve_with_env(
        args: &XspArgs,
        file: Option<&FileConfig>,
        token_env: Option<String>,
    ) -> Result<Self> {
        let empty = FileConfig::default();
        let file = file.unwrap_or(&empty);
        let token = token(token_env, file)?;
        let allow_from = if args.allow_from.is_empty() {
            AllowList::parse(file.allow_from.as_deref().unwrap_or_default())
        } else {
            AllowList::parse(&args.allow_from)
        }
        .map_err(anyhow::Error::msg)?;
        let tls = match (&file.tls_cert, &file.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (None, None) => None,
            _ => bail!("TLS needs both tls_cert and tls_key"),
        };
        let defaults = Limits::default();
        let secs = |value: Option<u64>, default: Duration, key: &str| match value {
            Some(0) => bail!("{key} must be at least 1"),
            Some(secs) => Ok(Duration::from_secs(secs)),
            None => Ok(default),
        };
        let limits = Limits {
            header_timeout: secs(
                file.header_timeout_secs,
                defaults.header_timeout,
                "header_timeout_secs",
            )?,
            body_timeout: secs(
                file.body_timeout_secs,
                defaults.body_timeout,
                "body_timeout_secs",
            )?,
            max_connections: match file.max_connections {
                Some(0) => bail!("max_connections must be at least 1"),
                Some(max) => max,
                None => defaults.max_connections,
            },
        };
        Ok(GuardSettings {
            guard: Guard::new(token, allow_from),
            tls,
            limits,
        })
    }
}

/// The token from the environment, else the file's value, else the file it names.
fn token(env: Option<String>, file: &FileConfig) -> Result<Option<ListenToken>> {
    if file.listen_token.is_some() && file.listen_token_file.is_some() {
        bail!("set listen_token or listen_token_file, not both");
    }
    let value = if let Some(value) = env.filter(|v| !v.is_empty()) {
        value
    } else if let Some(value) = &file.listen_token {
        value.clone()
    } else if let Some(path) = &file.listen_token_file {
        read_token_file(path)?
    } else {
        return Ok(None);
    };
    ListenToken::new(value.trim_end_matches(['\r', '\n']))
        .map(Some)
        .map_err(anyhow::Error::msg)
}

fn read_token_file(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read listen_token_file {}", path.display()))
}
