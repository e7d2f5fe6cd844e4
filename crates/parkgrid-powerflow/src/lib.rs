//! Power flow of a park's networks. Today: MATPOWER case files and the AC Newton–Raphson power
//! flow, checked against MATPOWER's own results on its standard cases. The sparse Jacobian is
//! factorised with faer: the symbolic LU once per topology, the numeric LU every iteration.
//!
//! This crate does no IO and has no async runtime: it parses text and computes.

pub mod case;
pub mod newton;

pub use case::{Case, CaseError, parse_matpower};
pub use newton::{BranchResult, BusResult, GenResult, Options, PfResult, QLimit, solve};
