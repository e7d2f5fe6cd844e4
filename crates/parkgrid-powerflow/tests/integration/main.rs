//! parkgrid-powerflow's integration tests in one binary, so that they run side by side
//! and link once. Each module is one subject; run one with a name filter:
//! `cargo test -p parkgrid-powerflow --test integration MODULE::`.

mod acdc;
mod cases;
mod contingency;
mod lower;
mod matpower;
mod mutations;
mod qlimits;
