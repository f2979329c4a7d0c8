//! Configuration: the example file, precedence, password sources, half configurations.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Parser;
use xsi_wallboard::board::Thresholds;
use xsi_wallboard::config::{
    self, FileConfig, Mode, Secret, Targets, XspArgs, XspSettings, load_file, resolve_with_env,
};
use xsi_wallboard::xsi::Package;
use xsi_wallboard::xsi::request::Delivery;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/config.example.toml");

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    xsp: XspArgs,
}

fn args(flags: &[&str]) -> XspArgs {
    let argv = std::iter::once("xsi-wallboard").chain(flags.iter().copied());
    Cli::try_parse_from(argv).expect("flags parse").xsp
}

fn file(toml_text: &str) -> FileConfig {
    toml::from_str(toml_text).expect("config parses")
}

/// What `XSI_PASSWORD` holds in most tests.
#[expect(clippy::unnecessary_wraps, reason = "stands for an environment lookup")]
fn password() -> Option<String> {
    Some("s3cret".into())
}

fn resolved(flags: &[&str], toml_text: &str) -> XspSettings {
    resolve_with_env(&args(flags), Some(file(toml_text)), password())
        .expect("resolves")
        .expect("XSP configured")
}

fn error(flags: &[&str], toml_text: &str, env_password: Option<String>) -> String {
    match resolve_with_env(&args(flags), Some(file(toml_text)), env_password) {
        Ok(settings) => panic!("expected an error, got {settings:?}"),
        Err(e) => format!("{e:#}"),
    }
}

/// The example with every commented-out `key = value` line switched on.
fn example_uncommented() -> String {
    let text = std::fs::read_to_string(EXAMPLE).expect("example readable");
    text.lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest)
                if rest.split_once(" = ").is_some_and(|(k, _)| {
                    k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                }) =>
            {
                rest
            }
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_example_parses_as_shipped() {
    let config = load_file(EXAMPLE.as_ref()).expect("example loads");
    assert_eq!(config.xsp_url.as_deref(), Some("https://xsp.example.com"));
    assert_eq!(config.mode, Some(Mode::Contact));
    assert_eq!(config.callcenter.len(), 2);
    assert_eq!(config.callcenter[0].name.as_deref(), Some("Sales"));
    assert_eq!(config.callcenter[0].warn_secs, Some(30));
}

#[test]
fn the_example_documents_every_key() {
    // deny_unknown_fields makes this fail on a misspelt key; the checks below on a key that is
    // missing from the example.
    let config = file(&example_uncommented());
    let c = &config;
    let present = [
        ("xsp_url", c.xsp_url.is_some()),
        ("xsp_user", c.xsp_user.is_some()),
        ("password_file", c.password_file.is_some()),
        ("password_command", c.password_command.is_some()),
        ("contact_url", c.contact_url.is_some()),
        ("target", c.target.is_some()),
        ("events", c.events.is_some()),
        ("expires", c.expires.is_some()),
        ("application_id", c.application_id.is_some()),
        ("instance", c.instance.is_some()),
        ("ca_file", c.ca_file.is_some()),
        ("mode", c.mode.is_some()),
        ("channel_set_id", c.channel_set_id.is_some()),
        ("heartbeat_secs", c.heartbeat_secs.is_some()),
        ("allow_insecure_xsp", c.allow_insecure_xsp.is_some()),
        ("allow_from", c.allow_from.is_some()),
        ("read_loopback", c.read_loopback.is_some()),
        ("read_from", c.read_from.is_some()),
        ("read_token_file", c.read_token_file.is_some()),
        (
            "callcenter.name",
            c.callcenter.iter().any(|cc| cc.name.is_some()),
        ),
        (
            "callcenter.warn_secs",
            c.callcenter.iter().any(|cc| cc.warn_secs.is_some()),
        ),
        (
            "callcenter.crit_secs",
            c.callcenter.iter().any(|cc| cc.crit_secs.is_some()),
        ),
    ];
    let missing: Vec<_> = present
        .iter()
        .filter(|(_, p)| !p)
        .map(|(k, _)| *k)
        .collect();
    assert!(missing.is_empty(), "keys not in the example: {missing:?}");
}

#[test]
fn unknown_keys_are_rejected() {
    let result: Result<FileConfig, _> = toml::from_str("xsp_uri = \"https://x\"\n");
    assert!(result.is_err());
}

#[test]
fn a_missing_explicit_config_file_is_an_error() {
    let a = args(&["--config", "/nonexistent/xsi-wallboard.toml"]);
    let e = config::load(&a).expect_err("missing file named by --config");
    assert!(format!("{e:#}").contains("/nonexistent/xsi-wallboard.toml"));
}

#[test]
fn no_xsp_url_means_listen_only() {
    let none = resolve_with_env(&args(&[]), None, password()).expect("resolves");
    assert!(none.is_none());
    // Display names alone need no XSP.
    let names = resolve_with_env(
        &args(&[]),
        Some(file("[[callcenter]]\nid = \"a@x\"\n")),
        None,
    )
    .expect("resolves");
    assert!(names.is_none());
}

#[test]
fn flags_override_the_file_and_the_file_overrides_defaults() {
    let toml_text = r#"
        xsp_url = "https://file.example.com"
        xsp_user = "file-user"
        contact_url = "https://file.example.com/from-file"
        expires = 7200
        events = ["Call Center Queue"]
        instance = "wall2"
        [[callcenter]]
        id = "file-cc@example.com"
    "#;
    let from_file = resolved(&[], toml_text);
    assert_eq!(from_file.xsp_url.as_str(), "https://file.example.com/");
    assert_eq!(from_file.user, "file-user");
    assert_eq!(from_file.expires, 7200);
    assert_eq!(from_file.events, [Package::Queue]);
    assert_eq!(
        from_file.targets,
        Targets::CallCenters(vec!["file-cc@example.com".into()])
    );
    assert!(
        from_file.application_id.ends_with("/wall2"),
        "{}",
        from_file.application_id
    );

    let flagged = resolved(
        &[
            "--xsp-url",
            "https://flag.example.com",
            "--xsp-user",
            "flag-user",
            "--contact-url",
            "https://flag.example.com/hook",
            "--expires",
            "1800",
            "--events",
            "Call Center Agent,Call Center Queue",
            "--callcenter",
            "a@example.com",
            "--callcenter",
            "b@example.com",
            "--application-id",
            "my-board",
        ],
        toml_text,
    );
    assert_eq!(flagged.xsp_url.as_str(), "https://flag.example.com/");
    assert_eq!(flagged.user, "flag-user");
    assert_eq!(
        flagged.delivery,
        Delivery::HttpContact("https://flag.example.com/hook".into())
    );
    assert_eq!(flagged.expires, 1800);
    assert_eq!(flagged.events, [Package::Agent, Package::Queue]);
    assert_eq!(
        flagged.targets,
        Targets::CallCenters(vec!["a@example.com".into(), "b@example.com".into()])
    );
    assert_eq!(flagged.application_id, "my-board");
}

const MINIMAL: &str = r#"
    xsp_url = "https://xsp.example.com"
    xsp_user = "supervisor@example.com"
    contact_url = "https://wallboard.example.com:8443/events/in"
"#;

#[test]
fn defaults_fill_the_rest() {
    let s = resolved(&[], MINIMAL);
    // The configuration package too, so that NIGHT / HOLIDAY / FORWARDED work out of the box.
    assert_eq!(
        s.events,
        [Package::Queue, Package::Monitoring, Package::Configuration]
    );
    assert_eq!(s.expires, 3600);
    assert_eq!(s.targets, Targets::Discover);
    assert_eq!(s.mode, Mode::Contact);
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    assert_eq!(s.application_id, format!("xsi-wallboard/{host}/default"));
    assert_eq!(s.contact_path().as_deref(), Some("/events/in"));
}

#[test]
fn two_instances_get_distinct_application_ids() {
    let a = resolved(&["--instance", "left"], MINIMAL);
    let b = resolved(&["--instance", "right"], MINIMAL);
    assert_ne!(a.application_id, b.application_id);
}

#[test]
fn a_collection_target_keeps_the_listed_call_centers_for_the_initial_fetch() {
    let s = resolved(
        &[
            "--target",
            "enterprise/ent1/group/grp1",
            "--callcenter",
            "a@x",
        ],
        MINIMAL,
    );
    assert_eq!(
        s.targets,
        Targets::Collection {
            target: "enterprise/ent1/group/grp1".into(),
            call_centers: vec!["a@x".into()],
        }
    );
    for bad in [
        "group/grp1",
        "enterprise/",
        "enterprise/e/groups/g",
        "user/a@x",
    ] {
        let e = error(&["--target", bad], MINIMAL, password());
        assert!(e.contains("invalid target"), "{bad}: {e}");
    }
}

#[test]
fn channel_mode_needs_no_contact_url_and_sends_a_channel_set_id() {
    let s = resolved(
        &["--application-id", "board-1"],
        "xsp_url = \"https://x.example\"\nxsp_user = \"u\"\nmode = \"channel\"\n",
    );
    assert_eq!(s.delivery, Delivery::ChannelSet("board-1".into()));
    assert_eq!(s.contact_path(), None);
    let named = resolved(
        &[],
        "xsp_url = \"https://x.example\"\nxsp_user = \"u\"\nmode = \"channel\"\nchannel_set_id = \"set-9\"\n",
    );
    assert_eq!(named.delivery, Delivery::ChannelSet("set-9".into()));
}

#[test]
fn mode_and_heartbeat_come_from_flags_over_the_file() {
    let toml_text = "xsp_url = \"https://x.example\"\nxsp_user = \"u\"\n\
                     contact_url = \"https://w.example/in\"\nheartbeat_secs = 20\n";
    let from_file = resolved(&[], toml_text);
    assert_eq!(from_file.mode, Mode::Contact);
    assert_eq!(from_file.heartbeat_secs, 20);
    let flagged = resolved(
        &[
            "--mode",
            "channel",
            "--heartbeat-secs",
            "5",
            "--application-id",
            "b",
        ],
        toml_text,
    );
    assert_eq!(flagged.mode, Mode::Channel);
    assert_eq!(flagged.heartbeat_secs, 5);
    assert_eq!(flagged.delivery, Delivery::ChannelSet("b".into()));
    assert_eq!(resolved(&[], MINIMAL).heartbeat_secs, 15);
    let e = error(&["--heartbeat-secs", "0"], MINIMAL, password());
    assert!(e.contains("heartbeat_secs must be 1 to 3600"), "{e}");
    assert!(
        Cli::try_parse_from(["xsi-wallboard", "--mode", "carrier-pigeon"]).is_err(),
        "an unknown mode is refused"
    );
}

#[test]
fn half_configurations_are_refused_in_words() {
    let e = error(&["--xsp-url", "https://xsp.example.com"], "", password());
    assert!(e.contains("--xsp-user"), "{e}");

    let e = error(
        &["--xsp-url", "https://xsp.example.com", "--xsp-user", "u"],
        "",
        None,
    );
    assert!(e.contains("XSI_PASSWORD"), "{e}");

    let e = error(
        &["--xsp-url", "https://xsp.example.com", "--xsp-user", "u"],
        "",
        password(),
    );
    assert!(e.contains("--contact-url"), "{e}");

    let e = error(&["--xsp-user", "u"], "", password());
    assert!(e.contains("no XSP URL"), "{e}");

    let e = error(
        &["--xsp-url", "ftp://xsp.example.com", "--xsp-user", "u"],
        "",
        password(),
    );
    assert!(e.contains("http or https"), "{e}");
}

fn temp_file(contents: &str) -> (PathBuf, impl Drop) {
    struct Remove(PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let path = std::env::temp_dir().join(format!(
        "xsi-wallboard-test-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    let mut f = std::fs::File::create(&path).expect("temp file");
    f.write_all(contents.as_bytes()).expect("write");
    (path.clone(), Remove(path))
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[test]
fn password_sources_in_order_env_file_command() {
    let (path, _guard) = temp_file("from-file\n");
    let with_file = format!(
        "{MINIMAL}\npassword_file = {:?}\n",
        path.display().to_string()
    );
    let s = resolve_with_env(&args(&[]), Some(file(&with_file)), Some("from-env".into()))
        .expect("resolves")
        .expect("configured");
    assert_eq!(s.password.expose(), "from-env");
    let s = resolve_with_env(&args(&[]), Some(file(&with_file)), None)
        .expect("resolves")
        .expect("configured");
    assert_eq!(s.password.expose(), "from-file", "trailing newline dropped");

    let with_command = format!("{MINIMAL}\npassword_command = \"printf 'from-command\\\\n'\"\n");
    let s = resolve_with_env(&args(&[]), Some(file(&with_command)), None)
        .expect("resolves")
        .expect("configured");
    assert_eq!(s.password.expose(), "from-command");

    let failing = format!("{MINIMAL}\npassword_command = \"exit 3\"\n");
    assert!(error(&[], &failing, None).contains("password_command failed"));

    let both = format!("{with_file}\npassword_command = \"echo x\"\n");
    assert!(error(&[], &both, None).contains("not both"));

    let (empty, _guard2) = temp_file("\n");
    let empty_file = format!(
        "{MINIMAL}\npassword_file = {:?}\n",
        empty.display().to_string()
    );
    assert!(error(&[], &empty_file, None).contains("empty password"));
}

#[test]
fn the_password_is_never_printed() {
    let secret = Secret::new("hunter2");
    assert_eq!(format!("{secret}"), "***");
    assert_eq!(format!("{secret:?}"), "***");
    let s = resolved(&[], MINIMAL);
    assert!(!format!("{s:?}").contains("s3cret"));
}

#[test]
fn board_config_carries_names_and_per_call_center_thresholds() {
    let defaults = Thresholds {
        warn_secs: 60,
        crit_secs: 180,
    };
    let f = file(
        r#"
        [[callcenter]]
        id = "sales@example.com"
        name = "Sales"
        warn_secs = 30
        [[callcenter]]
        id = "support@example.com"
    "#,
    );
    let board = config::board_config(
        &args(&["--callcenter", "extra@example.com"]),
        Some(&f),
        defaults,
    );
    assert_eq!(board.thresholds, defaults);
    let sales = &board.call_centers["sales@example.com"];
    assert_eq!(sales.name.as_deref(), Some("Sales"));
    assert_eq!(
        sales.thresholds,
        Some(Thresholds {
            warn_secs: 30,
            crit_secs: 180
        })
    );
    assert_eq!(board.call_centers["support@example.com"].thresholds, None);
    assert!(board.call_centers.contains_key("extra@example.com"));
}

#[test]
fn every_flag_is_also_an_environment_variable() {
    use clap::CommandFactory;
    let command = Cli::command();
    for arg in command.get_arguments().filter(|a| a.get_long().is_some()) {
        let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
        let expected = format!(
            "XSI_WALLBOARD_{}",
            arg.get_id().as_str().to_ascii_uppercase()
        );
        assert_eq!(
            env.as_deref(),
            Some(expected.as_str()),
            "--{:?}",
            arg.get_long()
        );
    }
    assert!(
        command
            .get_arguments()
            .all(|a| !a.get_id().as_str().contains("password")),
        "the password is never a flag"
    );
}

/// Every flag has a key in the file: its long name with `-` turned into `_` (`--callcenter` is
/// the `[[callcenter]]` table; `--config` names the file itself).
#[test]
fn every_flag_has_a_key() {
    use clap::CommandFactory;
    let keys = config::file_keys();
    assert!(keys.iter().any(|k| k == "warn_secs"), "{keys:?}");
    let command = xsi_wallboard::cli::Cli::command();
    let mut missing = Vec::new();
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        let key = long.replace('-', "_");
        if ["help", "version", "config", "callcenter"].contains(&key.as_str()) {
            continue;
        }
        if !keys.contains(&key) {
            missing.push(key);
        }
    }
    assert!(missing.is_empty(), "flags without a key: {missing:?}");
    assert!(file("[[callcenter]]\nid = \"sales\"\n").callcenter[0].id == "sales");
}

/// The file's keys take effect where no flag says otherwise; a flag wins; a switch is on when
/// either turns it on.
#[test]
fn file_keys_work_and_flags_win() {
    let text = r#"
listen = "localhost:9100"
path = "/bw/events"
warn_secs = 20
crit_secs = 40
headless = true
mask_callers = true
no_listen = false
log_file = "/var/log/wb.log"
state_file = "/var/lib/wb/state.json"
"#;
    let parse = |flags: &[&str]| {
        let argv = std::iter::once("xsi-wallboard").chain(flags.iter().copied());
        xsi_wallboard::cli::Cli::try_parse_from(argv)
            .expect("flags parse")
            .with_file(&file(text))
            .expect("file applies")
    };
    let cli = parse(&[]);
    assert!(cli.listen_addr().ip().is_loopback() && cli.listen_addr().port() == 9100);
    assert_eq!(cli.event_path(), "/bw/events");
    let t = cli.thresholds().expect("ordered");
    assert_eq!((t.warn_secs, t.crit_secs), (20, 40));
    assert!(cli.headless && cli.mask_callers && !cli.no_listen);
    assert_eq!(cli.log_file, Some(PathBuf::from("/var/log/wb.log")));
    assert_eq!(
        cli.state_file,
        Some(PathBuf::from("/var/lib/wb/state.json"))
    );

    let cli = parse(&["--warn-secs", "5", "--listen", "127.0.0.1:9200"]);
    assert_eq!(cli.thresholds().expect("ordered").warn_secs, 5);
    assert_eq!(cli.listen_addr().port(), 9200);
}

/// A mistyped key names the key, where it is, and the key that was probably meant.
#[test]
fn an_unknown_key_suggests_the_nearest() {
    let (path, _guard) = temp_file("xsp_url = \"https://x\"\nwarn_sec = 30\n");
    let e = format!("{:#}", load_file(&path).expect_err("unknown key"));
    assert_eq!(
        e,
        format!(
            "{}:2:1: unknown key `warn_sec` (did you mean `warn_secs`?)",
            path.display()
        )
    );
}

/// A configuration mistake is one line with file, line and column, and never the value: it
/// may be a password or a token.
#[test]
fn a_config_error_never_prints_the_value() {
    for (text, line) in [
        ("password = \"hunter2-secret\"\n", 1),
        (
            "xsp_url = \"https://x\"\nlisten_token = hunter2-secret\n",
            2,
        ),
        ("listen_token = \"hunter2-secret\n", 1),
        ("\nlisten_token = 12345678\n", 2),
        (
            "[[callcenter]]\nid = \"a\"\nwarn_secs = \"hunter2-secret\"\n",
            3,
        ),
    ] {
        let (path, _guard) = temp_file(text);
        let e = format!("{:#}", load_file(&path).expect_err("a mistake"));
        assert!(!e.contains("hunter2") && !e.contains("12345678"), "{e}");
        assert!(!e.contains('\n'), "one line: {e}");
        assert!(
            e.starts_with(&format!("{}:{line}:", path.display())),
            "{text:?}: {e}"
        );
    }
}

/// `[[callcenter]]` thresholds are checked as the flags are.
#[test]
fn call_center_thresholds_are_checked_like_the_flags() {
    let thresholds = Thresholds {
        warn_secs: 60,
        crit_secs: 180,
    };
    let ok = file("[[callcenter]]\nid = \"a\"\nwarn_secs = 30\n");
    config::check_call_centers(Some(&ok), thresholds).expect("30 < 180");
    let bad = file("[[callcenter]]\nid = \"sales\"\ncrit_secs = 45\n");
    let e = config::check_call_centers(Some(&bad), thresholds).expect_err("45 <= 60");
    assert!(
        e.to_string().contains("\"sales\"") && e.to_string().contains("crit_secs 45"),
        "{e}"
    );
}

/// An XSP URL without its scheme says what to write.
#[test]
fn an_xsp_url_without_a_scheme_says_add_https() {
    let a = args(&["--xsp-url", "xsp.example.com", "--xsp-user", "u"]);
    let e = resolve_with_env(&a, None, Some("pw".into())).expect_err("no scheme");
    assert!(
        format!("{e:#}").contains("write https://xsp.example.com"),
        "{e:#}"
    );
}

/// The XSP connection is never plain text by accident: `http://` only to this host, or with
/// `allow_insecure_xsp = true` (and then a warning each start); no credentials in the URL.
#[test]
fn a_plain_http_xsp_is_refused_unless_local_or_allowed_in_so_many_words() {
    let at = |url: &str, extra: &str| {
        format!(
            "xsp_url = \"{url}\"\nxsp_user = \"u@example.com\"\n\
             contact_url = \"https://wb.example.com/xsi-events\"\n{extra}"
        )
    };
    for remote in [
        "http://xsp.example.com",
        "http://192.0.2.7:8080",
        "http://[2001:db8::1]/",
    ] {
        let e = error(&[], &at(remote, ""), password());
        assert!(
            e.contains("allow_insecure_xsp") && e.contains("https"),
            "{remote}: {e}"
        );
        let e = error(&[], &at(remote, "allow_insecure_xsp = false"), password());
        assert!(e.contains("allow_insecure_xsp"), "{remote}: {e}");
        let allowed = resolved(&[], &at(remote, "allow_insecure_xsp = true"));
        assert!(
            config::insecure_xsp_warning(&allowed.xsp_url).is_some_and(|w| w.contains("clear")),
            "{remote}: warned each start"
        );
    }
    for local in [
        "http://127.0.0.1:8080",
        "http://localhost:8080",
        "http://[::1]:8080",
        "https://xsp.example.com",
    ] {
        let settings = resolved(&[], &at(local, ""));
        assert!(
            config::insecure_xsp_warning(&settings.xsp_url).is_none(),
            "{local}"
        );
    }
    let e = error(
        &[],
        &at("https://u:hunter2@xsp.example.com", ""),
        password(),
    );
    assert!(e.contains("may not carry") && !e.contains("hunter2"), "{e}");
}

/// A configuration error says where (file, line, column, key) and what kind, never what the
/// file says there: it may be a password or a token.
#[test]
fn configuration_errors_never_print_the_secret() {
    let cases = [
        (
            "password = \"hunter2-correct-horse\"\n",
            "hunter2",
            1,
            "password",
        ),
        (
            "xsp_url = \"https://xsp.example.com\"\nlisten_token = Zq3v9l0cT2w8Yx1bN4m7K5j6H0g2F3d4\"\n",
            "Zq3v9l0cT2w8",
            2,
            "listen_token",
        ),
        (
            "listen_token = \"Zq3v9l0cT2w8Yx1bN4m7K5j6H0g2F3d4\n",
            "Zq3v9l0cT2w8",
            1,
            "listen_token",
        ),
        (
            "listen_token = 123456789012345678901234\n",
            "1234567890",
            1,
            "listen_token",
        ),
        (
            "[[callcenter]]\nid = \"a\"\nmax_waiting = \"s3cret-in-a-number\"\n",
            "s3cret",
            3,
            "max_waiting",
        ),
    ];
    for (text, secret, line, key) in cases {
        let (path, _remove) = temp_file(text);
        let e = format!(
            "{:#}",
            load_file(&path).expect_err("an invalid configuration")
        );
        assert!(!e.contains(secret), "the secret is printed: {e}");
        // `FILE:LINE:COLUMN: ...`, the key named.
        assert!(e.starts_with(&format!("{}:{line}:", path.display())), "{e}");
        assert!(e.contains(key), "{e}");
        assert_eq!(e.lines().count(), 1, "no snippet: {e}");
    }
}

/// No type that holds a secret shows it in `Debug`: the file as read, the checked settings
/// (whose contact URL ends in the listen token), the listener's guard.
#[test]
fn no_secret_shows_in_debug() {
    let token = "Zq3v9l0cT2w8Yx1bN4m7K5j6H0g2F3d4";
    let read_token = "r3adT0ken-abcdefghijklmnopqrstuv";
    let text = format!("{MINIMAL}\nlisten_token = \"{token}\"\n");
    let parsed = file(&text);
    let settings = resolved(&[], &text);
    let guard = xsi_wallboard::guard::GuardSettings::resolve_from(
        &args(&[]),
        Some(&parsed),
        xsi_wallboard::guard::SecretEnv {
            listen_token: None,
            read_token: Some(read_token.to_owned()),
            control_token: None,
        },
    )
    .expect("resolves");
    let with_token = settings.with_listen_token(guard.guard.token.as_ref());
    let request = xsi_wallboard::xsi::request::SubscriptionRequest {
        event: Package::Queue,
        expires: 3600,
        delivery: with_token.delivery.clone(),
        application_id: "a".into(),
    };
    assert!(
        request.to_xml().contains(token),
        "the XSP is told the token"
    );
    let shown = format!("{parsed:?} {with_token:?} {guard:?} {request:?}");
    assert!(!shown.contains(token), "{shown}");
    assert!(!shown.contains(read_token), "{shown}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("wallboard.example.com:8443"), "{shown}");
}
