//! parkgrid-ingest's integration tests in one binary, so that they run side by side and
//! link once. Each module is one subject; run one with a name filter:
//! `cargo test -p parkgrid-ingest --test integration MODULE::`.

mod modbus_poller;
mod modbus_server;
mod mqtt;
mod senml;
