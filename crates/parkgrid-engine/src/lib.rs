//! parkgrid's engine: the one API the command line (and the server) call.
//!
//! - [`run_year`]: a park over its time axis — profiles, the dispatch by strategy, horizon and
//!   solver, the rule-based baseline, the network losses fed back ([`losses`]) and the network
//!   check of every step or of the peak steps ([`network`]); a [`YearRun`] as outcome.
//! - [`network::StepInjections`]: the bridge from a step of a dispatch to a power flow, which the
//!   network check and N-1 studies share.
//! - [`files`]: the one owner of the run files (`summary.json`, `meta.json`, `timeseries.csv` or
//!   `.parquet`, `network.csv`): [`write_run`] and [`read_run`] round-trip.
//!
//! - [`twin`]: the park's digital twin — the telemetry its devices would send, made from a
//!   run, with noise, meters and injected faults; [`live`] (feature `live`) plays it to a
//!   broker and runs `serve`'s ingest into a store.
//! - [`table`]: the tables a person reads, as rows of cells for every front end.
//! - [`park`]: a park file loaded and validated, and described for `info`; [`adequacy`]: what
//!   `validate` checks beyond the file (the profiles made, demand against the capacity that can
//!   reach it);
//!   [`contingency`]: N-1 studies of a park's schedule or of a case; [`powerflow`]: a case's
//!   power flow.
//!
//! Errors are typed ([`EngineError`]; [`EngineError::is_input`] tells the user's fault from the
//! machine's). Outcomes that are not errors — a schedule not proven optimal, a power flow that
//! did not converge, an island that lost its load — are values in the outcome.

pub mod adequacy;
#[cfg(feature = "live")]
pub mod alarms;
#[cfg(feature = "live")]
pub mod api;
pub mod contingency;
pub mod error;
pub mod files;
pub mod forecast;
#[cfg(feature = "live")]
pub mod live;
pub mod losses;
pub mod mpc;
pub mod network;
pub mod park;
pub mod parquet;
pub mod powerflow;
pub mod profiles;
#[cfg(feature = "live")]
pub mod runs;
pub mod table;
pub mod twin;
pub mod year;

pub use error::EngineError;
pub use files::{
    Comparison, Format, Written, compare_runs, read_run, read_summary, write_report, write_run,
};
pub use losses::{LOSS_TOLERANCE_REL, LossFeedback};
pub use network::{NetworkCheck, NetworkMode, StepInjections, pf_options};
pub use year::{
    Progress, Request, SERIES_DECIMALS, UNSERVED_TOLERANCE_KWH, Window, YearRun, check_memory,
    run_year, run_year_edited, unserved_text,
};
