//! Configuration: TOML file beneath the flags, secrets never echoed.
//!
//! Precedence, highest first: flag, `XSI_WALLBOARD_*` environment variable (both through clap),
//! the file, the built-in default. Defaults are applied here, not in clap, so that a file value
//! is not hidden by a default the user never typed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use reqwest::Url;
use serde::Deserialize;

use crate::board::{BoardConfig, CallCenterConfig, Limits, ResetSchedule, StatsConfig, Thresholds};
use crate::xsi::Package;
use crate::xsi::request::Delivery;

/// Event packages subscribed to when neither flag nor file names any: the queue, the XSP's
/// statistics, and the configuration so that NIGHT / HOLIDAY / FORWARDED show out of the box.
pub const DEFAULT_EVENTS: [Package; 3] =
    [Package::Queue, Package::Monitoring, Package::Configuration];
/// Requested subscription lifetime (seconds); the XSP may grant another.
pub const DEFAULT_EXPIRES: u32 = 3600;
/// Heartbeat interval of the event channel (issue 7).
pub const DEFAULT_HEARTBEAT_SECS: u64 = 15;
/// The environment variable that may hold the XSP password.
pub const PASSWORD_ENV: &str = "XSI_PASSWORD";

/// The XSP flags; the lead flattens them into the CLI.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct XspArgs {
    /// Configuration file (default: config.toml in the platform's config directory).
    #[arg(long, env = "XSI_WALLBOARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// XSP base URL, e.g. <https://xsp.example.com>; without it the wallboard only listens.
    #[arg(long, env = "XSI_WALLBOARD_XSP_URL")]
    pub xsp_url: Option<String>,
    /// XSP account (a call-center supervisor or group administrator); the password comes from
    /// `XSI_PASSWORD`, `password_file` or `password_command`, never from a flag.
    #[arg(long, env = "XSI_WALLBOARD_XSP_USER")]
    pub xsp_user: Option<String>,
    /// URL the XSP must POST events to (differs from --listen behind NAT or a proxy).
    #[arg(long, env = "XSI_WALLBOARD_CONTACT_URL")]
    pub contact_url: Option<String>,
    /// Call center user id to subscribe to (repeatable).
    #[arg(
        long = "callcenter",
        env = "XSI_WALLBOARD_CALLCENTER",
        value_delimiter = ','
    )]
    pub callcenter: Vec<String>,
    /// Collection target instead: enterprise/ENT[/group/GRP], serviceprovider/SP[/group/GRP].
    #[arg(long, env = "XSI_WALLBOARD_TARGET")]
    pub target: Option<String>,
    /// Event packages, comma-separated [default: Call Center Queue,Call Center
    /// Monitoring,Call Center Configuration].
    #[arg(long, env = "XSI_WALLBOARD_EVENTS", value_delimiter = ',')]
    pub events: Vec<String>,
    /// Requested subscription lifetime in seconds [default: 3600].
    #[arg(long, env = "XSI_WALLBOARD_EXPIRES")]
    pub expires: Option<u32>,
    /// applicationId sent to the XSP [default: xsi-wallboard/{hostname}/{instance}].
    #[arg(long, env = "XSI_WALLBOARD_APPLICATION_ID")]
    pub application_id: Option<String>,
    /// Instance name, to tell two wallboards on one account apart [default: default].
    #[arg(long, env = "XSI_WALLBOARD_INSTANCE")]
    pub instance: Option<String>,
    /// Peer addresses the listener takes events from, CIDR (repeatable) [default: any].
    #[arg(
        long = "allow-from",
        env = "XSI_WALLBOARD_ALLOW_FROM",
        value_delimiter = ','
    )]
    pub allow_from: Vec<String>,
    /// How events arrive: contact (the XSP POSTs to --listen) or channel (the wallboard opens
    /// an event channel; no inbound port) [default: contact].
    #[arg(
        long,
        env = "XSI_WALLBOARD_MODE",
        value_enum,
        hide_possible_values = true
    )]
    pub mode: Option<Mode>,
    /// Channel mode: seconds between channel heartbeats [default: 15].
    #[arg(long, env = "XSI_WALLBOARD_HEARTBEAT_SECS")]
    pub heartbeat_secs: Option<u64>,
}

/// How events reach the wallboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The XSP POSTs to our listener (`contact_url`).
    #[default]
    Contact,
    /// We open an event channel to the XSP and the events come down it.
    Channel,
}

/// The configuration file, as written. Every flag has a key: its long name with `-` turned
/// into `_` (`--warn-secs` is `warn_secs`; `--callcenter` is the `[[callcenter]]` table), the
/// one exception being `--config`, which names the file itself. A flag (or its environment
/// variable) wins over the file; a switch is on when either turns it on.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `--listen`: `HOST:PORT`, a name resolved at start.
    pub listen: Option<String>,
    pub path: Option<String>,
    pub warn_secs: Option<u64>,
    pub crit_secs: Option<u64>,
    pub demo: Option<bool>,
    pub seed: Option<u64>,
    pub headless: Option<bool>,
    pub mask_callers: Option<bool>,
    /// `--allow-actions`: act on waiting calls (issue 18).
    pub allow_actions: Option<bool>,
    /// A transfer may go to a typed number, not only to `[[transfer_destinations]]`
    /// [default: false: a typed number on a shared screen is a toll-fraud door].
    pub allow_any_transfer_number: Option<bool>,
    /// Where a call may be transferred: `name` and `number` each.
    #[serde(default)]
    pub transfer_destinations: Vec<crate::actions::Destination>,
    pub ascii: Option<bool>,
    pub no_listen: Option<bool>,
    pub web: Option<bool>,
    pub state_file: Option<PathBuf>,
    pub log_file: Option<PathBuf>,
    /// `--record`: the event journal's directory.
    pub record: Option<PathBuf>,
    /// The event journal's files together stay under this many MiB [default: 1024].
    pub record_max_mb: Option<u64>,
    pub xsp_url: Option<String>,
    pub xsp_user: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_command: Option<String>,
    pub contact_url: Option<String>,
    pub target: Option<String>,
    pub events: Option<Vec<String>>,
    /// With the "Call Center Agent" package: the agents to follow [default: those the
    /// account supervises, found with Xsi-Actions].
    pub agents: Option<Vec<String>>,
    pub expires: Option<u32>,
    pub application_id: Option<String>,
    pub instance: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub mode: Option<Mode>,
    pub channel_set_id: Option<String>,
    pub heartbeat_secs: Option<u64>,
    /// Service-level threshold (seconds) for call centers without their own [default: 20].
    pub sl_threshold_secs: Option<u64>,
    /// Abandons shorter than this (seconds) are counted apart [default: 5].
    pub short_abandon_secs: Option<u64>,
    /// Service-level target (percent) for call centers without their own.
    pub sl_target_percent: Option<u8>,
    /// The history's interval in minutes: 15, 30 or 60 [default: 15].
    pub history_interval_mins: Option<u32>,
    /// Time of day the counters reset, `HH:MM` [default: 00:00].
    pub reset_time: Option<String>,
    /// IANA time zone of `reset_time` [default: the system's].
    pub time_zone: Option<String>,
    /// A call center whose feed has not been proved for this long (seconds) is shown STALE
    /// [default: 360].
    pub liveness_secs: Option<u64>,
    /// A call waiting longer (seconds) is marked suspect, probably one whose ending was lost
    /// [default: 14400].
    pub max_wait_secs: Option<u64>,
    /// Run (through the shell) once each time a call center crosses into warning or critical,
    /// with the details in `XSI_WALLBOARD_ALERT_*` environment variables.
    pub alert_command: Option<String>,
    #[serde(default)]
    pub callcenter: Vec<CallCenterEntry>,
    /// The listener's defences (see `guard::GuardSettings`).
    pub listen_token: Option<Secret>,
    pub listen_token_file: Option<PathBuf>,
    pub allow_from: Option<Vec<String>>,
    /// Who may read the board besides loopback (CIDR blocks; empty: nobody).
    pub read_from: Option<Vec<String>>,
    /// Whether this host's own users may read the board [default: true].
    pub read_loopback: Option<bool>,
    /// A file holding the read token (`Authorization: Bearer`); or `XSI_WALLBOARD_READ_TOKEN`.
    pub read_token_file: Option<PathBuf>,
    /// A file holding the control token (`Authorization: Bearer`); or
    /// `XSI_WALLBOARD_CONTROL_TOKEN`.
    pub control_token_file: Option<PathBuf>,
    /// `--viewer-socket`: the viewers' Unix socket, for a shared host [default:
    /// `$XDG_RUNTIME_DIR/xsi-wallboard/{instance}.sock`].
    pub viewer_socket: Option<PathBuf>,
    /// The group `viewer_socket` is given (mode 0660): the supervisors who may attach.
    pub viewer_group: Option<String>,
    /// Viewers on the socket may read only (no `r` / `R`) [default: false].
    pub viewer_socket_read_only: Option<bool>,
    /// Allow an `http://` XSP URL to a host other than loopback: the password and the listen
    /// token then cross the network in clear [default: false].
    pub allow_insecure_xsp: Option<bool>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub header_timeout_secs: Option<u64>,
    pub body_timeout_secs: Option<u64>,
    pub max_connections: Option<usize>,
}

/// `[[callcenter]]`: one call center, with an optional display name and thresholds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallCenterEntry {
    pub id: String,
    pub name: Option<String>,
    pub warn_secs: Option<u64>,
    pub crit_secs: Option<u64>,
    pub sl_threshold_secs: Option<u64>,
    pub short_abandon_secs: Option<u64>,
    pub sl_target_percent: Option<u8>,
    /// More calls waiting than this is critical.
    pub max_waiting: Option<u32>,
}

/// The XSP password, a token: never printed, never logged (read from the file as a string).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The only way to the value: at the point it goes into an Authorization header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// What to subscribe to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    /// One subscription per call center and package (`user/{id}`); BroadWorks sends the
    /// initial state itself.
    CallCenters(Vec<String>),
    /// One subscription per package on a collection; no initial event, so the listed call
    /// centers' queues (or the discovered ones, when empty) are fetched with Xsi-Actions.
    Collection {
        target: String,
        call_centers: Vec<String>,
    },
    /// Neither: ask the XSP which call centers this account supervises.
    Discover,
}

impl Targets {
    /// The call centers known before subscribing (configured, or a collection's list); empty
    /// when they are to be discovered.
    pub fn call_centers(&self) -> Vec<std::sync::Arc<str>> {
        let ids = match self {
            Targets::CallCenters(ids) => ids.as_slice(),
            Targets::Collection { call_centers, .. } => call_centers.as_slice(),
            Targets::Discover => &[],
        };
        ids.iter()
            .map(|id| std::sync::Arc::from(id.as_str()))
            .collect()
    }
}

/// Delays of the subscription lifecycle; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// First retry delay; doubles per failure.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Never refresh sooner than this after a grant, whatever the XSP granted.
    pub min_refresh: Duration,
    /// Total time allowed for the DELETEs on quit.
    pub shutdown_budget: Duration,
    /// Per HTTP request.
    pub request_timeout: Duration,
    /// After a subscribe or refresh of a call center's own user, its initial event must
    /// arrive within this; else its inbound path is taken as broken (STALE).
    pub initial_event_wait: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_mins(1),
            min_refresh: Duration::from_secs(1),
            shutdown_budget: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            initial_event_wait: Duration::from_secs(10),
        }
    }
}

/// A complete XSP configuration, checked.
#[derive(Debug, Clone)]
pub struct XspSettings {
    pub xsp_url: Url,
    pub user: String,
    pub password: Secret,
    pub delivery: Delivery,
    pub targets: Targets,
    pub events: Vec<Package>,
    pub expires: u32,
    pub application_id: String,
    pub ca_file: Option<PathBuf>,
    pub mode: Mode,
    pub heartbeat_secs: u64,
    /// Agents whose "Call Center Agent" events to subscribe to (one subscription each); empty:
    /// the agents the account supervises in each call center, found with Xsi-Actions.
    pub agents: Vec<String>,
    pub timing: Timing,
}

impl XspSettings {
    /// The listener path the contact URL points at (the lead uses it unless `--path` is given).
    pub fn contact_path(&self) -> Option<String> {
        match &self.delivery {
            Delivery::HttpContact(uri) => Url::parse(uri).ok().map(|u| u.path().to_owned()),
            Delivery::ChannelSet(_) => None,
        }
    }

    /// The contact URL with `/{token}` appended, as the XSP must post to it once the listener
    /// takes events only at `{path}/{token}`. Take [`Self::contact_path`] (the listener's
    /// `--path`) before this: afterwards it would include the token.
    #[must_use]
    pub fn with_listen_token(mut self, token: Option<&crate::guard::ListenToken>) -> Self {
        if let (Some(token), Delivery::HttpContact(uri)) = (token, &mut self.delivery) {
            let base = uri.trim_end_matches('/');
            *uri = format!("{base}/{}", token.expose());
        }
        self
    }
}

/// Most transfer destinations a configuration may name: the screen offers them by digit.
const MAX_DESTINATIONS: usize = 9;

/// What actions on calls the flags and the file allow; a destination that is not a number is
/// refused here, at start, rather than when a supervisor picks it.
pub fn action_settings(
    allow_actions: bool,
    file: Option<&FileConfig>,
) -> Result<crate::actions::ActionSettings, String> {
    let destinations = file
        .map(|f| f.transfer_destinations.clone())
        .unwrap_or_default();
    if destinations.len() > MAX_DESTINATIONS {
        return Err(format!(
            "transfer_destinations: at most {MAX_DESTINATIONS} (each is picked with a digit)"
        ));
    }
    for (i, destination) in destinations.iter().enumerate() {
        let number_ok =
            !destination.number.is_empty()
                && destination.number.len() <= 32
                && destination.number.chars().enumerate().all(|(at, c)| {
                    c.is_ascii_digit() || c == '*' || c == '#' || (c == '+' && at == 0)
                });
        if destination.name.trim().is_empty() || !number_ok {
            return Err(format!(
                "transfer_destinations[{}]: needs a name and a number (digits, a leading +, * or #)",
                i + 1
            ));
        }
    }
    Ok(crate::actions::ActionSettings {
        allowed: allow_actions,
        destinations: destinations.into(),
        allow_any_transfer_number: file.and_then(|f| f.allow_any_transfer_number) == Some(true),
    })
}

/// The default configuration file: `config.toml` in the platform's config directory.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "xsi-wallboard")
        .map(|d| d.config_dir().join("config.toml"))
}

/// Read the file named by `--config`, or the default one if it exists. A missing default file
/// is normal (`None`); a missing file the user named is an error.
pub fn load(args: &XspArgs) -> Result<Option<FileConfig>> {
    load_with_path(args).map(|(file, _)| file)
}

/// [`load`], with the path of the file read.
pub fn load_with_path(args: &XspArgs) -> Result<(Option<FileConfig>, Option<PathBuf>)> {
    match &args.config {
        Some(path) => Ok((Some(load_file(path)?), Some(path.clone()))),
        None => match default_path() {
            Some(path) if path.exists() => Ok((Some(load_file(&path)?), Some(path))),
            _ => Ok((None, None)),
        },
    }
}

/// Read and check one configuration file. A mistake is one line: file, line, column, the key,
/// and what is wrong, never the value (it may be a password or a token).
pub fn load_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).map_err(|error| anyhow::anyhow!(file_error(path, &text, &error)))
}

/// Every key the file takes at its top level.
pub fn file_keys() -> &'static [String] {
    // serde lists them in its error for an unknown key: asking it once keeps one source.
    static KEYS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let error = toml::from_str::<FileConfig>("unknown_key_probe = 0")
            .err()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        backticked(&error).skip(1).map(str::to_owned).collect()
    })
}

/// The `` `quoted` `` words of a message, in order.
fn backticked(message: &str) -> impl Iterator<Item = &str> {
    message.split('`').skip(1).step_by(2)
}

/// `path:line:column: what`, one line, no value from the file in it.
fn file_error(path: &Path, text: &str, error: &toml::de::Error) -> String {
    let (line, column) = error.span().map_or((1, 1), |span| {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
        (line, column)
    });
    let message = error.message().lines().next().unwrap_or("invalid");
    let what = if let Some(rest) = message.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or_default();
        let candidates: Vec<&str> = backticked(message).skip(1).collect();
        match nearest(key, &candidates) {
            Some(near) => format!("unknown key `{key}` (did you mean `{near}`?)"),
            None => format!("unknown key `{key}`"),
        }
    } else {
        // Keep the names of keys; any other quoted word may be the value itself.
        let message = match message.split_once(", expected ") {
            Some((found, expected)) if found.starts_with("invalid ") => {
                format!("expected {}", plain_type(expected))
            }
            _ => redact_double_quoted(message),
        };
        let known = file_keys();
        let mut what = String::new();
        for (i, part) in message.split('`').enumerate() {
            if i % 2 == 0 {
                what.push_str(part);
            } else if known.iter().any(|k| k == part) || CALL_CENTER_KEYS.contains(&part) {
                what.push('`');
                what.push_str(part);
                what.push('`');
            } else {
                what.push_str("a value");
            }
        }
        match key_at(text, line) {
            Some(key) => format!("`{key}`: {what}"),
            None => what,
        }
    };
    format!("{}:{line}:{column}: {what}", path.display())
}

/// A Rust type as a person names it.
fn plain_type(expected: &str) -> &str {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number",
        "i8" | "i16" | "i32" | "i64" => "a number",
        "a boolean" | "bool" => "true or false",
        other => other,
    }
}

/// `message` with each `"..."` said as `a value`: toml quotes the value it could not take.
fn redact_double_quoted(message: &str) -> String {
    message
        .split('"')
        .enumerate()
        .map(|(i, part)| if i % 2 == 0 { part } else { "a value" })
        .collect()
}

/// The keys of a `[[callcenter]]` table.
const CALL_CENTER_KEYS: [&str; 8] = [
    "id",
    "name",
    "warn_secs",
    "crit_secs",
    "sl_threshold_secs",
    "short_abandon_secs",
    "sl_target_percent",
    "max_waiting",
];

/// The key a line sets, if it is a `key = value` line.
fn key_at(text: &str, line: usize) -> Option<&str> {
    let (key, _) = text.lines().nth(line.checked_sub(1)?)?.split_once('=')?;
    let key = key.trim();
    (!key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)))
    .then_some(key)
}

/// The valid key nearest to a mistyped one, when one is near enough to be meant.
fn nearest<'a>(key: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(key, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The history's interval (`history_interval_mins`): 15, 30 or 60 minutes.
pub fn history_interval(file: Option<&FileConfig>) -> Result<u32> {
    use crate::board::history::{DEFAULT_INTERVAL_MINS, INTERVAL_CHOICES};
    let minutes = file
        .and_then(|f| f.history_interval_mins)
        .unwrap_or(DEFAULT_INTERVAL_MINS);
    if !INTERVAL_CHOICES.contains(&minutes) {
        bail!("history_interval_mins must be 15, 30 or 60, not {minutes}");
    }
    Ok(minutes)
}

/// Each `[[callcenter]]`'s own thresholds, checked as the flags are: a warning before critical
/// (a value a table leaves out is the flags' or the defaults').
pub fn check_call_centers(file: Option<&FileConfig>, thresholds: Thresholds) -> Result<()> {
    for entry in file.map(|f| f.callcenter.as_slice()).unwrap_or_default() {
        let warn = entry.warn_secs.unwrap_or(thresholds.warn_secs);
        let crit = entry.crit_secs.unwrap_or(thresholds.crit_secs);
        if Thresholds::ordered(warn, crit).is_none() {
            bail!(
                "[[callcenter]] {:?}: crit_secs {crit} must be greater than warn_secs {warn}",
                entry.id
            );
        }
    }
    Ok(())
}

/// The warning for an `http://` XSP URL to another host (allowed with `allow_insecure_xsp`):
/// the password and the listen token cross the network in clear. `None` for `https://` and
/// for this host.
pub fn insecure_xsp_warning(url: &Url) -> Option<String> {
    (url.scheme() == "http" && !is_loopback_host(url)).then(|| {
        format!(
            "the XSP URL {}://{} is plain HTTP (allow_insecure_xsp = true): the XSP password \
             and the listen token cross the network in clear",
            url.scheme(),
            url.host_str().unwrap_or_default()
        )
    })
}

/// Whether the URL's host is this machine: `localhost` or a loopback address.
fn is_loopback_host(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_canonical().is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// Merge flags over the file; `None` means no XSP is configured (listen-only).
pub fn resolve(args: &XspArgs, file: Option<FileConfig>) -> Result<Option<XspSettings>> {
    resolve_with_env(args, file, std::env::var(PASSWORD_ENV).ok())
}

/// [`resolve`] with the password variable's value passed in (tests cannot set variables safely).
pub fn resolve_with_env(
    args: &XspArgs,
    file: Option<FileConfig>,
    password_env: Option<String>,
) -> Result<Option<XspSettings>> {
    let file = file.unwrap_or_default();
    let pick = |flag: &Option<String>, key: &Option<String>| flag.clone().or_else(|| key.clone());
    let xsp_url = pick(&args.xsp_url, &file.xsp_url);
    let user = pick(&args.xsp_user, &file.xsp_user);
    let contact_url = pick(&args.contact_url, &file.contact_url);
    let Some(xsp_url) = xsp_url else {
        if user.is_some() || contact_url.is_some() || args.target.is_some() || file.target.is_some()
        {
            bail!(
                "an XSP account, contact URL or target is set but no XSP URL (--xsp-url or xsp_url)"
            );
        }
        return Ok(None);
    };
    if !xsp_url.contains("://") {
        bail!("the XSP URL {xsp_url:?} has no scheme: write https://{xsp_url}");
    }
    let xsp_url = Url::parse(&xsp_url).with_context(|| format!("invalid XSP URL {xsp_url:?}"))?;
    if !matches!(xsp_url.scheme(), "https" | "http") {
        bail!(
            "the XSP URL must be http or https, not {}",
            xsp_url.scheme()
        );
    }
    if !xsp_url.username().is_empty() || xsp_url.password().is_some() {
        bail!(
            "the XSP URL may not carry an account or password: give --xsp-user, and the \
             password in {PASSWORD_ENV}, password_file or password_command"
        );
    }
    // Plain HTTP would send the Basic credentials and the listen token (inside the contact
    // URL) in clear: only to this host, or when the file says so in as many words.
    if insecure_xsp_warning(&xsp_url).is_some() && file.allow_insecure_xsp != Some(true) {
        bail!(
            "the XSP URL is http:// to {}: the password and the listen token would cross the \
             network in clear; use https://, or set allow_insecure_xsp = true in the \
             configuration file",
            xsp_url.host_str().unwrap_or_default()
        );
    }
    let Some(user) = user else {
        bail!("--xsp-url is set but no account: give --xsp-user (or xsp_user in the file)");
    };
    let password = password(password_env, &file)?;

    let mode = args.mode.or(file.mode).unwrap_or_default();
    let instance = pick(&args.instance, &file.instance).unwrap_or_else(|| "default".into());
    let application_id = pick(&args.application_id, &file.application_id).unwrap_or_else(|| {
        format!(
            "xsi-wallboard/{}/{instance}",
            gethostname::gethostname().to_string_lossy()
        )
    });
    let delivery = delivery(mode, contact_url, &file, &application_id)?;
    let targets = targets(args, &file)?;
    let events = packages(if args.events.is_empty() {
        file.events.as_deref()
    } else {
        Some(&args.events)
    })?;

    Ok(Some(XspSettings {
        xsp_url,
        user,
        password,
        delivery,
        targets,
        events,
        expires: args.expires.or(file.expires).unwrap_or(DEFAULT_EXPIRES),
        application_id,
        ca_file: file.ca_file.clone(),
        mode,
        heartbeat_secs: heartbeat_secs(args.heartbeat_secs.or(file.heartbeat_secs))?,
        agents: file.agents.clone().unwrap_or_default(),
        timing: Timing::default(),
    }))
}

/// Where the XSP sends events: the contact URL (contact mode), or the channel set (one per
/// running instance, so that two wallboards never share one).
fn delivery(
    mode: Mode,
    contact_url: Option<String>,
    file: &FileConfig,
    application_id: &str,
) -> Result<Delivery> {
    Ok(match mode {
        Mode::Contact => {
            let Some(uri) = contact_url else {
                bail!(
                    "contact mode needs the URL the XSP posts events to: give --contact-url \
                     (or contact_url in the file)"
                );
            };
            if !uri.contains("://") {
                bail!("the contact URL {uri:?} has no scheme: write https://{uri} (or http://)");
            }
            Url::parse(&uri).with_context(|| format!("invalid contact URL {uri:?}"))?;
            Delivery::HttpContact(uri)
        }
        Mode::Channel => Delivery::ChannelSet(
            file.channel_set_id
                .clone()
                .unwrap_or_else(|| application_id.to_owned()),
        ),
    })
}

/// What to subscribe: call centers (flag over file), a collection target, or discovery.
fn targets(args: &XspArgs, file: &FileConfig) -> Result<Targets> {
    let call_centers = if args.callcenter.is_empty() {
        file.callcenter.iter().map(|c| c.id.clone()).collect()
    } else {
        args.callcenter.clone()
    };
    Ok(match args.target.clone().or_else(|| file.target.clone()) {
        Some(target) => {
            check_target(&target)?;
            Targets::Collection {
                target,
                call_centers,
            }
        }
        None if call_centers.is_empty() => Targets::Discover,
        None => Targets::CallCenters(call_centers),
    })
}

/// The event packages named (flag or file), each once, in the order given; the default set
/// when none is named. A name that is not a call-center package is an error that lists them.
fn packages(names: Option<&[String]>) -> Result<Vec<Package>> {
    let Some(names) = names else {
        return Ok(DEFAULT_EVENTS.to_vec());
    };
    let mut packages = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let Some(package) = Package::parse(name) else {
            let known: Vec<&str> = Package::ALL.iter().map(|p| p.name()).collect();
            bail!(
                "unknown event package {name:?}: use one of {}",
                known.join(", ")
            );
        };
        if !packages.contains(&package) {
            packages.push(package);
        }
    }
    if packages.is_empty() {
        bail!("no event package to subscribe to");
    }
    Ok(packages)
}

/// The heartbeat interval: at least a second, and well inside BroadWorks' event timeout.
fn heartbeat_secs(value: Option<u64>) -> Result<u64> {
    match value {
        None => Ok(DEFAULT_HEARTBEAT_SECS),
        Some(secs @ 1..=3600) => Ok(secs),
        Some(secs) => bail!("heartbeat_secs must be 1 to 3600, not {secs}"),
    }
}

/// The password: `XSI_PASSWORD`, else `password_file`, else `password_command`'s output.
fn password(env: Option<String>, file: &FileConfig) -> Result<Secret> {
    if file.password_file.is_some() && file.password_command.is_some() {
        bail!("set password_file or password_command, not both");
    }
    if let Some(value) = env.filter(|v| !v.is_empty()) {
        return Ok(Secret(value));
    }
    if let Some(path) = &file.password_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read password_file {}", path.display()))?;
        return non_empty(&text, "password_file");
    }
    if let Some(command) = &file.password_command {
        // Without the secrets of this environment (the listen token, the read token).
        let output = crate::child::shell(command)
            .stderr(std::process::Stdio::inherit())
            .output()
            .context("cannot run password_command")?;
        if !output.status.success() {
            bail!("password_command failed ({})", output.status);
        }
        let text =
            String::from_utf8(output.stdout).context("password_command printed non-UTF-8")?;
        return non_empty(&text, "password_command");
    }
    bail!(
        "no XSP password: set {PASSWORD_ENV}, or password_file or password_command in the config file"
    )
}

/// A file or command ends its line; the newline is not part of the password.
fn non_empty(text: &str, source: &str) -> Result<Secret> {
    let value = text.trim_end_matches(['\r', '\n']);
    if value.is_empty() {
        bail!("{source} gave an empty password");
    }
    Ok(Secret(value.to_owned()))
}

/// Collection targets the XSI-Events URL space knows.
fn check_target(target: &str) -> Result<()> {
    let parts: Vec<&str> = target.split('/').collect();
    let ok = match parts.as_slice() {
        ["system"] => true,
        ["enterprise" | "serviceprovider", id] => !id.is_empty(),
        ["enterprise" | "serviceprovider", id, "group", group] => {
            !id.is_empty() && !group.is_empty()
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        bail!(
            "invalid target {target:?}: use enterprise/ENT, enterprise/ENT/group/GRP, \
             serviceprovider/SP[/group/GRP] or system"
        )
    }
}

/// Display names and thresholds per call center, for the board.
pub fn board_config(
    args: &XspArgs,
    file: Option<&FileConfig>,
    thresholds: Thresholds,
) -> BoardConfig {
    let defaults = Limits {
        sl_threshold_secs: file
            .and_then(|f| f.sl_threshold_secs)
            .unwrap_or(Limits::default().sl_threshold_secs),
        short_abandon_secs: file
            .and_then(|f| f.short_abandon_secs)
            .unwrap_or(Limits::default().short_abandon_secs),
        sl_target_percent: file.and_then(|f| f.sl_target_percent),
        max_waiting: None,
    };
    let mut stats = StatsConfig {
        limits: defaults,
        ..StatsConfig::default()
    };
    let mut call_centers: HashMap<String, CallCenterConfig> = args
        .callcenter
        .iter()
        .map(|id| (id.clone(), CallCenterConfig::default()))
        .collect();
    for entry in file.map(|f| f.callcenter.as_slice()).unwrap_or_default() {
        let own = (entry.warn_secs.is_some() || entry.crit_secs.is_some()).then(|| Thresholds {
            warn_secs: entry.warn_secs.unwrap_or(thresholds.warn_secs),
            crit_secs: entry.crit_secs.unwrap_or(thresholds.crit_secs),
        });
        stats.call_centers.insert(
            entry.id.clone(),
            Limits {
                sl_threshold_secs: entry
                    .sl_threshold_secs
                    .unwrap_or(defaults.sl_threshold_secs),
                short_abandon_secs: entry
                    .short_abandon_secs
                    .unwrap_or(defaults.short_abandon_secs),
                sl_target_percent: entry.sl_target_percent.or(defaults.sl_target_percent),
                max_waiting: entry.max_waiting,
            },
        );
        call_centers.insert(
            entry.id.clone(),
            CallCenterConfig {
                name: entry.name.clone(),
                thresholds: own,
            },
        );
    }
    BoardConfig {
        thresholds,
        call_centers,
        // The subscriber's targets, once known (see `run`).
        expected: Vec::new(),
        stats,
        liveness_secs: file.and_then(|f| f.liveness_secs),
        max_wait_secs: file.and_then(|f| f.max_wait_secs),
    }
}

/// When the counters reset, from `reset_time` and `time_zone` (default: local midnight). Kept
/// apart from [`board_config`] so that a wrong zone or time is an error, not a silent default:
/// the caller sets `BoardConfig::stats.reset` from it.
pub fn reset_schedule(file: Option<&FileConfig>) -> Result<ResetSchedule> {
    let mut schedule = ResetSchedule::default();
    if let Some(time) = file.and_then(|f| f.reset_time.as_deref()) {
        schedule.time = time
            .parse()
            .with_context(|| format!("reset_time {time:?}: expected HH:MM"))?;
    }
    if let Some(zone) = file.and_then(|f| f.time_zone.as_deref()) {
        schedule.zone = jiff::tz::TimeZone::get(zone)
            .with_context(|| format!("time_zone {zone:?}: not an IANA time zone"))?;
    }
    Ok(schedule)
}
