//! The listener's defences as configured: flag, environment and file, checked.
//!
//! The tokens never come from a flag (flags show in `ps` and shell history): the listen token
//! comes from `XSI_WALLBOARD_TOKEN`, else `listen_token`, else `listen_token_file`; the read
//! token from `XSI_WALLBOARD_READ_TOKEN`, else `read_token_file`; the control token from
//! `XSI_WALLBOARD_CONTROL_TOKEN`, else `control_token_file`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::{
    AllowList, CONTROL_TOKEN_ENV, ConnectionLimits, ControlToken, Guard, ListenToken,
    READ_TOKEN_ENV, ReadAccess, ReadToken, TlsFiles,
};
use crate::config::{FileConfig, XspArgs};

/// The environment variable that may hold the listen token.
pub const TOKEN_ENV: &str = "XSI_WALLBOARD_TOKEN";

/// Everything the listener needs to defend itself.
#[derive(Debug, Clone, Default)]
pub struct GuardSettings {
    pub guard: Guard,
    /// Certificate and key files: serve HTTPS.
    pub tls: Option<TlsFiles>,
    pub limits: ConnectionLimits,
}

/// The secret environment variables' values ([`TOKEN_ENV`], [`READ_TOKEN_ENV`],
/// [`CONTROL_TOKEN_ENV`]).
#[derive(Default, Clone, PartialEq, Eq)]
pub struct SecretEnv {
    pub listen_token: Option<String>,
    pub read_token: Option<String>,
    pub control_token: Option<String>,
}

impl std::fmt::Debug for SecretEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |value: &Option<String>| value.as_ref().map(|_| "***");
        f.debug_struct("SecretEnv")
            .field("listen_token", &shown(&self.listen_token))
            .field("read_token", &shown(&self.read_token))
            .field("control_token", &shown(&self.control_token))
            .finish()
    }
}

impl SecretEnv {
    /// This process's environment.
    pub fn from_process() -> Self {
        SecretEnv {
            listen_token: std::env::var(TOKEN_ENV).ok(),
            read_token: std::env::var(READ_TOKEN_ENV).ok(),
            control_token: std::env::var(CONTROL_TOKEN_ENV).ok(),
        }
    }
}

impl GuardSettings {
    /// Flags over the file, the tokens from [`TOKEN_ENV`] and [`READ_TOKEN_ENV`] first.
    pub fn resolve(args: &XspArgs, file: Option<&FileConfig>) -> Result<Self> {
        Self::resolve_from(args, file, SecretEnv::from_process())
    }

    /// [`Self::resolve`] with the listen token variable's value passed in and no read token
    /// variable (tests cannot set variables safely).
    pub fn resolve_with_env(
        args: &XspArgs,
        file: Option<&FileConfig>,
        token_env: Option<String>,
    ) -> Result<Self> {
        Self::resolve_from(
            args,
            file,
            SecretEnv {
                listen_token: token_env,
                ..SecretEnv::default()
            },
        )
    }

    /// [`Self::resolve`] with the secret variables' values passed in.
    pub fn resolve_from(args: &XspArgs, file: Option<&FileConfig>, env: SecretEnv) -> Result<Self> {
        let empty = FileConfig::default();
        let file = file.unwrap_or(&empty);
        let token = token(env.listen_token, file)?;
        let allow_from = if args.allow_from.is_empty() {
            AllowList::parse(file.allow_from.as_deref().unwrap_or_default())
        } else {
            AllowList::parse(&args.allow_from)
        }
        .map_err(|why| anyhow::anyhow!("allow_from: {why}"))?;
        let read = ReadAccess {
            loopback: file.read_loopback.unwrap_or(true),
            from: AllowList::parse(file.read_from.as_deref().unwrap_or_default())
                .map_err(|why| anyhow::anyhow!("read_from: {why}"))?,
            token: read_token(env.read_token, file)?,
        };
        let tls = match (&file.tls_cert, &file.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (None, None) => None,
            _ => bail!("TLS needs both tls_cert and tls_key"),
        };
        let defaults = ConnectionLimits::default();
        let secs = |value: Option<u64>, default: Duration, key: &str| match value {
            Some(0) => bail!("{key} must be at least 1"),
            Some(secs) => Ok(Duration::from_secs(secs)),
            None => Ok(default),
        };
        let limits = ConnectionLimits {
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
        let control = control_token(env.control_token, file)?;
        Ok(GuardSettings {
            guard: Guard::new(token, allow_from)
                .with_read(read)
                .with_control(control),
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
        value.expose().to_owned()
    } else if let Some(path) = &file.listen_token_file {
        secret_file(path, "listen_token_file")?
    } else {
        return Ok(None);
    };
    ListenToken::new(value.trim_end_matches(['\r', '\n']))
        .map(Some)
        .map_err(anyhow::Error::msg)
}

/// The read token from the environment, else the file `read_token_file` names. There is no
/// `read_token` key: a secret in the configuration file is one more copy to leak.
fn read_token(env: Option<String>, file: &FileConfig) -> Result<Option<ReadToken>> {
    let value = if let Some(value) = env.filter(|v| !v.is_empty()) {
        value
    } else if let Some(path) = &file.read_token_file {
        secret_file(path, "read_token_file")?
    } else {
        return Ok(None);
    };
    ReadToken::new(value.trim_end_matches(['\r', '\n']))
        .map(Some)
        .map_err(anyhow::Error::msg)
}

/// The control token from the environment, else the file `control_token_file` names (no
/// `control_token` key, as for the read token).
fn control_token(env: Option<String>, file: &FileConfig) -> Result<Option<ControlToken>> {
    let value = if let Some(value) = env.filter(|v| !v.is_empty()) {
        value
    } else if let Some(path) = &file.control_token_file {
        secret_file(path, "control_token_file")?
    } else {
        return Ok(None);
    };
    ControlToken::new(value.trim_end_matches(['\r', '\n']))
        .map(Some)
        .map_err(anyhow::Error::msg)
}

fn secret_file(path: &PathBuf, key: &str) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {key} {}", path.display()))
}
