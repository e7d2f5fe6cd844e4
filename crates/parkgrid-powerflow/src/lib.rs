//! Power flow of a park's networks: MATPOWER and MATACDC case files, the AC Newton–Raphson power
//! flow (checked against MATPOWER's own results on its standard cases, reactive limits included)
//! and the sequential AC/DC power flow with VSC converter stations (checked against a
//! MATACDC-style solver). The sparse Jacobian is
//! factorised with faer: the symbolic LU once per topology, the numeric LU every iteration.
//!
//! This crate does no IO and has no async runtime: it parses text and computes.

pub mod acdc;
pub mod case;
pub mod check;
pub mod contingency;
mod index;
pub mod lower;
mod lu;
pub mod newton;
pub mod topology;

pub use acdc::{ConverterResult, DcBusResult, DcDcResult};
pub use case::{
    AcControl, Case, CaseError, Converter, DcBranch, DcBus, DcControl, DcDcConverter,
    parse_matpower,
};
pub use check::{IslandCheck, Loading, StepCheck, VoltageViolation, check_step, evaluate};
pub use contingency::{Contingency, Scan, lowered_from_case, n_minus_1};
pub use lower::{Element, Injections, LowerError, Lowered, lower};
pub use newton::{
    BranchResult, BusResult, GenResult, Options, PfResult, QLimit, Workspace, solve, solve_in,
};
pub use topology::{Island, IslandState, energised, islands};
