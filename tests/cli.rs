//! The command line: help text, defaults, and the usage errors that must stop the binary with
//! exit code 2 before anything starts.

#[path = "common/binary.rs"]
mod binary;

use std::process::Output;

use clap::Parser;
use xsi_wallboard::cli::{Cli, DEFAULT_EVENT_PATH};

/// The binary run to its end with `env` set.
fn wallboard(args: &[&str], env: &[(&str, &str)]) -> Output {
    binary::wallboard(args)
        .envs(env.iter().copied())
        .output()
        .expect("run xsi-wallboard")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn help_lists_every_flag() {
    let output = wallboard(&["--help"], &[]);
    assert!(output.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

#[test]
fn defaults_are_the_documented_ones() {
    let cli = Cli::try_parse_from(["xsi-wallboard"]).expect("no flags parse");
    assert_eq!(cli.listen_addr().to_string(), "127.0.0.1:8765");
    assert_eq!(cli.event_path(), DEFAULT_EVENT_PATH);
    assert_eq!(DEFAULT_EVENT_PATH, "/xsi-events");
    let thresholds = cli.thresholds().expect("default thresholds are ordered");
    assert_eq!((thresholds.warn_secs, thresholds.crit_secs), (60, 180));
    assert!(!cli.demo && !cli.headless && cli.seed.is_none() && cli.log_file.is_none());
}

#[test]
fn critical_must_come_after_warning() {
    let output = wallboard(
        &["--headless", "--warn-secs", "90", "--crit-secs", "90"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--crit-secs (90) must be greater than --warn-secs (90)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn flags_are_read_from_the_environment_too() {
    let output = wallboard(&["--headless"], &[("XSI_WALLBOARD_CRIT_SECS", "30")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--crit-secs (30) must be greater than --warn-secs (60)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn seed_needs_demo() {
    let output = wallboard(&["--headless", "--seed", "7"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--demo"), "{}", stderr(&output));
}

#[test]
fn event_path_may_not_shadow_the_listeners_own_routes() {
    for (path, reason) in [
        ("/healthz", "taken by the listener"),
        ("events", "must start with '/'"),
        ("/{id}", "may not contain"),
    ] {
        let output = wallboard(&["--headless", "--path", path], &[]);
        assert_eq!(output.status.code(), Some(2), "{path}");
        assert!(
            stderr(&output).contains(reason),
            "{path}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn an_address_in_use_is_a_clear_error_not_a_panic() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let addr = taken.local_addr().expect("address").to_string();
    let output = wallboard(&["--headless", "--listen", &addr], &[("RUST_LOG", "off")]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains(&format!("cannot listen on {addr}")),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn gen_token_prints_a_fresh_token_and_nothing_else() {
    let first = wallboard(&["gen-token"], &[]);
    let second = wallboard(&["gen-token"], &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let token = String::from_utf8_lossy(&first.stdout).into_owned();
    let line = token.strip_suffix('\n').expect("one line");
    assert!(!line.contains('\n'), "{token:?}");
    assert!(line.len() >= 22, "at least 128 bits: {line}");
    assert!(
        line.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "base64url: {line}"
    );
    assert_ne!(first.stdout, second.stdout);
    assert!(first.stderr.is_empty(), "{}", stderr(&first));
}

/// `--listen` takes a name (resolved) as well as an address; without a port it says the form.
#[test]
fn listen_takes_a_name_and_says_the_form_when_the_port_is_missing() {
    let cli = Cli::try_parse_from(["xsi-wallboard", "--listen", "localhost:8765"])
        .expect("a name with a port parses");
    let addr = cli.listen_addr();
    assert!(addr.ip().is_loopback() && addr.port() == 8765, "{addr}");

    let output = wallboard(&["--headless", "--listen", "localhost"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("HOST:PORT"), "{message}");
}

/// The demo takes any free port unless told; everything else keeps the documented default.
#[test]
fn the_demo_listens_on_a_free_port_unless_told() {
    let demo = Cli::try_parse_from(["xsi-wallboard", "--demo"]).expect("parses");
    assert_eq!(demo.listen_addr().to_string(), "127.0.0.1:0");
    let told = Cli::try_parse_from(["xsi-wallboard", "--demo", "--listen", "127.0.0.1:9000"])
        .expect("parses");
    assert_eq!(told.listen_addr().to_string(), "127.0.0.1:9000");
}

/// A negative or non-numeric number of seconds says what it must be.
#[test]
fn a_negative_number_says_it_must_be_positive() {
    let output = wallboard(&["--headless", "--warn-secs", "-5"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("must be a positive number"),
        "{}",
        stderr(&output)
    );
}
