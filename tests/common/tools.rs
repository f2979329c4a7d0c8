//! Programs a test needs from the machine, found in one place.
//!
//! A test that needs one that is not installed passes and says on stderr that it skipped (on
//! the process's stderr, past the harness's capture, so a plain `cargo test` shows the line);
//! under `CI=true` it fails instead, because `.ci/run` installs every one of them and a skip
//! there would hide a broken install. Include it as the mock is:
//! `#[path = "common/tools.rs"] mod tools;`.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use std::fmt::Display;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The official XSI schema's root, copied into the repository (`tests/fixtures/SOURCES.md`).
pub fn xsi_schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xsd/XSISchema.xsd")
}

/// `xmllint` (libxml2), with which documents are validated against [`xsi_schema`]; `None`
/// when it is not installed, after saying the calling test skipped. Panics under `CI=true`.
pub fn xmllint() -> Option<Xmllint> {
    let installed = Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if installed {
        Some(Xmllint {
            schema: xsi_schema(),
        })
    } else {
        missing("xmllint", "Debian: apt-get install libxml2-utils");
        None
    }
}

/// A tool is missing: a failure under `CI=true`, elsewhere a skip said where it shows.
fn missing(tool: &str, install: &str) {
    let current = std::thread::current();
    let test = current.name().unwrap_or("this test");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: {tool} is not installed ({install}) and CI=true: the check may not be skipped"
    );
    // Not `eprintln!`: the harness shows captured output only for failing tests.
    let _ = writeln!(
        std::io::stderr().lock(),
        "skipped: {test}: {tool} is not installed ({install}); its check did not run \
         (under CI=true this fails)"
    );
}

/// `xmllint` found; see [`xmllint`].
#[derive(Debug)]
pub struct Xmllint {
    schema: PathBuf,
}

impl Xmllint {
    /// Validate documents, each with a name for the report, against the XSI schema; panics
    /// with what `xmllint` says and the documents it was given if any is refused.
    pub fn assert_valid<N: Display, D: AsRef<[u8]>>(
        &self,
        documents: impl IntoIterator<Item = (N, D)>,
    ) {
        let documents: Vec<(String, Vec<u8>)> = documents
            .into_iter()
            .map(|(name, document)| (name.to_string(), document.as_ref().to_vec()))
            .collect();
        assert!(!documents.is_empty(), "nothing to validate");
        let scratch = Scratch::new();
        let files: Vec<PathBuf> = documents
            .iter()
            .enumerate()
            .map(|(i, (name, document))| scratch.write(i, name, document))
            .collect();
        if let Err(refused) = self.validate_files(&files) {
            let shown: Vec<(&str, std::borrow::Cow<'_, str>)> = documents
                .iter()
                .map(|(name, document)| (name.as_str(), String::from_utf8_lossy(document)))
                .collect();
            panic!("xmllint refused:\n{refused}\n{shown:#?}");
        }
    }

    /// Validate files against the XSI schema: `Err` with what `xmllint` said if any is refused.
    pub fn validate_files<P: AsRef<Path>>(&self, files: &[P]) -> Result<(), String> {
        assert!(!files.is_empty(), "nothing to validate");
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&self.schema)
            .args(files.iter().map(AsRef::as_ref))
            .output()
            .expect("xmllint runs");
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

/// A directory of its own under the system's temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        // Tests of one binary share a process id and run at once: a counter tells them apart.
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "xsi-wallboard-xmllint-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        Scratch(dir)
    }

    fn write(&self, index: usize, name: &str, document: &[u8]) -> PathBuf {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = self.0.join(format!("{index:03}-{safe}.xml"));
        std::fs::write(&path, document).expect("write a document to validate");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Headless Chromium driven through chromedriver (Debian: `chromium`, `chromium-driver`); `None`
/// when either is missing, after saying the calling test skipped. Panics under `CI=true`.
pub fn chromium() -> Option<Chromium> {
    let browser = ["chromium", "chromium-browser"]
        .into_iter()
        .find_map(on_path);
    if let (Some(browser), Some(driver)) = (browser, on_path("chromedriver")) {
        Some(Chromium { browser, driver })
    } else {
        missing(
            "chromium or chromedriver",
            "Debian: apt-get install chromium chromium-driver",
        );
        None
    }
}

/// Where `program` is on `PATH`, if it is.
fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Chromium and chromedriver found; see [`chromium`].
#[derive(Debug)]
pub struct Chromium {
    /// The browser, for chromedriver's `binary` option.
    pub browser: PathBuf,
    pub driver: PathBuf,
}
