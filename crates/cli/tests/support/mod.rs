//! What the command-line tests that work on a demo database share: the binary run with its
//! output, a fresh demo database per test, and files written beside it.

#![allow(clippy::expect_used)] // a test that cannot start the binary or write its files should fail loudly

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A fresh directory `group/test` for one test's files, with the demo store's database in it.
pub fn demo_database(group: &str, test: &str) -> (PathBuf, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let url = format!("sqlite://{}", dir.join("remise.db").display());
    let demo = remise(&["demo", "--database", &url]);
    assert_eq!(demo.code, Some(0), "{}", demo.stderr);
    (dir, url)
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub fn remise(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_remise"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run remise");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// Writes `text` to `dir/name`; returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the file");
    path.to_str().expect("a UTF-8 path").to_owned()
}
