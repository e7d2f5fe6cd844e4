//! parkgrid-model's integration tests in one binary, so that they run side by side
//! and link once. Each module is one subject; run one with a name filter:
//! `cargo test -p parkgrid-model --test integration MODULE::`.

mod docs;
mod files;
mod validate;
