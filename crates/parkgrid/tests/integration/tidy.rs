//! House rules, checked by `cargo test` so CI stays one command:
//! - every source file starts with a module doc comment (`//!`);
//! - compute crates (model and, as they come, resource, dispatch, powerflow, forecast, market,
//!   health) depend on no async runtime, network or database crate;
//! - every crate in `crates/` has its entry in ARCHITECTURE.md;
//! - tests are never switched off (no ignore or should_panic attributes);
//! - every dependency has a permissive licence.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn crates() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo().join("crates"))
        .expect("crates/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file of every crate's `src/` and `tests/`, with its text.
fn sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for krate in crates() {
        rust_files(&krate.join("src"), &mut files);
        rust_files(&krate.join("tests"), &mut files);
    }
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            (f, text)
        })
        .collect()
}

#[test]
fn every_source_file_has_module_docs() {
    let missing: Vec<String> = sources()
        .into_iter()
        .filter(|(_, text)| !text.trim_start().starts_with("//!"))
        .map(|(file, _)| file.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! module doc:\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_switched_off_tests() {
    let mut found = Vec::new();
    for (file, text) in sources() {
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            let attr = code.strip_prefix("#[").unwrap_or("");
            if ["ignore", "should_panic"]
                .iter()
                .any(|a| attr.starts_with(a))
            {
                found.push(format!("{}:{}", file.display(), i + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "switched-off tests:\n{}",
        found.join("\n")
    );
}

#[test]
fn compute_crates_do_no_io_or_async() {
    const COMPUTE: &[&str] = &[
        "parkgrid-model",
        "parkgrid-resource",
        "parkgrid-dispatch",
        "parkgrid-powerflow",
        "parkgrid-forecast",
        "parkgrid-market",
        "parkgrid-health",
    ];
    const FORBIDDEN: &[&str] = &[
        "tokio",
        "async-std",
        "smol",
        "futures",
        "reqwest",
        "hyper",
        "axum",
        "sqlx",
        "rusqlite",
        "tokio-postgres",
        "rumqttc",
        "tokio-modbus",
    ];
    for krate in crates() {
        let name = krate.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !COMPUTE.contains(&name) {
            continue;
        }
        let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).expect("manifest");
        for dep in FORBIDDEN {
            let listed = manifest.lines().any(|l| {
                let l = l.trim();
                l.starts_with(&format!("{dep} "))
                    || l.starts_with(&format!("{dep}="))
                    || l.starts_with(&format!("{dep}."))
            });
            assert!(
                !listed,
                "{name} is a compute crate and must not depend on {dep}"
            );
        }
    }
}

#[test]
fn architecture_names_every_crate() {
    let arch = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    for krate in crates() {
        let name = krate.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(
            arch.contains(&format!("`{name}`")),
            "ARCHITECTURE.md has no entry for `{name}`"
        );
    }
}

/// Licences every dependency may carry (SPDX ids).
const ALLOWED: &[&str] = &[
    "MIT",
    "Apache-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "0BSD",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "CC0-1.0",
    "BSL-1.0",
    "MIT-0",
    "LLVM-exception",
];

/// True when an SPDX expression is satisfiable with allowed licences: every `AND` term needs one
/// allowed alternative among its `OR`s.
fn licence_ok(expr: &str) -> bool {
    let cleaned = expr.replace(['(', ')'], " ").replace('/', " OR ");
    cleaned.split(" AND ").all(|term| {
        term.split(" OR ").any(|alt| {
            let alt = alt.trim();
            let (id, exception) = alt.split_once(" WITH ").unwrap_or((alt, ""));
            ALLOWED.contains(&id.trim())
                && (exception.is_empty() || ALLOWED.contains(&exception.trim()))
        })
    })
}

#[test]
fn licence_expressions_are_read_right() {
    assert!(licence_ok("MIT OR Apache-2.0"));
    assert!(licence_ok("(MIT OR Apache-2.0) AND Unicode-3.0"));
    assert!(licence_ok("Apache-2.0 WITH LLVM-exception OR MIT"));
    assert!(licence_ok("MIT/Apache-2.0"));
    assert!(!licence_ok("GPL-3.0"));
    assert!(!licence_ok("MIT AND LGPL-2.1"));
}

#[test]
fn dependencies_have_permissive_licences() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| String::from("cargo"));
    // Only the packages built for this machine: others (Windows-only crates) need not be fetched.
    let host = Command::new("rustc")
        .arg("-vV")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| {
            v.lines()
                .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        })
        .unwrap_or_else(|| String::from("x86_64-unknown-linux-gnu"));
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &host,
        ])
        .current_dir(repo())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let mut bad = Vec::new();
    for pkg in meta["packages"].as_array().into_iter().flatten() {
        let name = pkg["name"].as_str().unwrap_or("?");
        match pkg["license"].as_str() {
            Some(expr) if licence_ok(expr) => {}
            Some(expr) => bad.push(format!("{name}: {expr}")),
            None => bad.push(format!("{name}: no SPDX licence")),
        }
    }
    assert!(
        bad.is_empty(),
        "dependencies with licences outside the allowed list:\n{}",
        bad.join("\n")
    );
}
