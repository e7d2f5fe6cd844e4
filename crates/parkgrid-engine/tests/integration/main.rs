//! parkgrid-engine's integration tests in one binary, so that they run side by side
//! and link once. Each module is one subject; run one with a name filter:
//! `cargo test -p parkgrid-engine --test integration MODULE::`.

mod agreement;
mod common;
mod engine;
mod mpc;
mod sinks;
mod twin;
mod yanqing;
