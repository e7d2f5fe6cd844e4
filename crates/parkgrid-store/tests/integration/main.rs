//! parkgrid-store's integration tests in one binary, so that they run side by side and
//! link once. Each module is one subject; run one with a name filter:
//! `cargo test -p parkgrid-store --test integration MODULE::`.

mod meters;
mod stores;
