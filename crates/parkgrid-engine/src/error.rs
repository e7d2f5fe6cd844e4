//! What can stop an engine call, typed so that a caller maps each kind to its answer (the command
//! line: exit code 2 for the user's input, 1 for the rest) without guessing from the text.

use std::path::PathBuf;

/// Why an engine call stopped without its outcome. A schedule that is feasible but not proven
/// optimal, a power flow that did not converge or an island that lost its load are outcomes, not
/// errors.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// An argument or a file the user gave cannot be used as it is.
    #[error("{0}")]
    Input(String),
    /// The park file cannot be read or parsed.
    #[error(transparent)]
    Model(#[from] parkgrid_model::ModelError),
    /// The park file has errors: every finding, with its position in the file.
    #[error("{}", invalid_verdict(.0))]
    Invalid(Box<parkgrid_model::Report>),
    /// The weather or a profile cannot be computed from the park's files.
    #[error(transparent)]
    Resource(#[from] parkgrid_resource::ResourceError),
    /// The dispatch cannot be set up (a solver not in the build, integers without a MILP
    /// solver, a programme too large).
    #[error(transparent)]
    Solve(#[from] parkgrid_dispatch::SolveError),
    /// A MATPOWER / MATACDC case is malformed.
    #[error(transparent)]
    Case(#[from] parkgrid_powerflow::CaseError),
    /// The programme has no solution: the limits that had to give, each with its shortfall.
    #[error(
        "the park cannot be operated within its hard limits; the limits that had to give:\n{0}"
    )]
    Infeasible(String),
    /// The solver stopped without a schedule.
    #[error("the solver stopped without a schedule: {0}")]
    SolverFailed(String),
    /// The live park's broker or store failed (they are the machine's, not the user's input).
    #[error("{0}")]
    Live(String),
    /// A run file cannot be written (or removed).
    #[error("cannot write '{}': {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

impl EngineError {
    /// True when the user's input is at fault (a park, a case, an argument, a saved run), false
    /// for the machine's or the solver's failures.
    pub fn is_input(&self) -> bool {
        match self {
            Self::Input(_)
            | Self::Model(_)
            | Self::Invalid(_)
            | Self::Solve(_)
            | Self::Case(_)
            | Self::Infeasible(_) => true,
            Self::Resource(e) => matches!(
                e,
                parkgrid_resource::ResourceError::Data(_)
                    | parkgrid_resource::ResourceError::Park(_)
            ),
            Self::SolverFailed(_) | Self::Live(_) | Self::Write { .. } => false,
        }
    }

    pub(crate) fn write(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Write {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// `park.toml: invalid (2 errors, 1 warning)`.
fn invalid_verdict(report: &parkgrid_model::Report) -> String {
    format!(
        "{}: invalid ({}, {})",
        report.source.name,
        plural(report.n_errors(), "error"),
        plural(report.n_warnings(), "warning")
    )
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}
