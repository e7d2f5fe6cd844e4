//! The `parkgrid` binary's integration tests in one binary, so that they run side by side
//! and link once. Each module is one subject; run one with a name filter:
//! `cargo test -p parkgrid --test integration MODULE::`.

mod cli;
mod common;
mod dashboard_browser;
mod forecast;
mod live;
mod mutated_files;
mod report_browser;
mod tidy;
