//! parkgrid-dispatch's integration tests in one binary, so that they run side by side
//! and link once. Each module is one subject; run one with a name filter:
//! `cargo test -p parkgrid-dispatch --test integration MODULE::`.

mod cases;
mod components;
mod differential;
mod mutations;
mod properties;
mod pypsa;
