//! Helpers the command-line tests share: the repository, the binary and its output.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the `parkgrid` binary with `args` from the repository's root.
pub fn parkgrid(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parkgrid"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the parkgrid binary runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
