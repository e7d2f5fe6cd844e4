//! `parkgrid powerflow`: the AC power flow of a MATPOWER case.

use std::path::PathBuf;
use std::process::ExitCode;

use parkgrid_engine::powerflow::solve_case;
use parkgrid_powerflow::Options;

use crate::table::render;

/// `parkgrid powerflow`'s arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The MATPOWER case file (.m).
    pub case: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Start from |V| = 1 p.u. and angle 0 instead of the case's voltages.
    #[arg(long)]
    pub flat_start: bool,
    /// Largest power mismatch accepted, p.u. on the system base.
    #[arg(long, default_value_t = 1e-8)]
    pub tol: f64,
    /// Newton iterations at most (per solve).
    #[arg(long, default_value_t = 10)]
    pub max_iter: usize,
    /// Enforce generators' reactive limits (PV buses switch to PQ, the slack's too), as
    /// MATPOWER's enforce_q_lims = 1.
    #[arg(long)]
    pub q_limits: bool,
}

/// Reads, solves and prints; exit 1 when the power flow does not converge.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let opts = Options {
        tol_pu: args.tol,
        max_iter: args.max_iter,
        flat_start: args.flat_start,
        q_limits: args.q_limits,
    };
    let path = &args.case;
    let sol = solve_case(path, &opts)?;
    for note in &sol.notes {
        eprintln!("note: {note}");
    }
    let (case, res) = (&sol.case, &sol.result);
    if args.json {
        crate::out::write_with(|w| sol.write_json(w))?;
    } else {
        let state = if res.converged {
            "converged"
        } else {
            "NOT converged"
        };
        outln!("{}: {case}", path.display())?;
        if res.converged {
            outln!(
                "  {state} after {} iterations, largest mismatch {:.2e} p.u., losses {:.4} MW",
                res.iterations,
                res.max_mismatch_pu,
                res.losses_mw
            )?;
            for t in parkgrid_engine::table::powerflow(res) {
                out!("{}", render(&t))?;
            }
        } else {
            // The last iterate is no result: no voltages, flows or losses are shown.
            outln!(
                "  {state} after {} iterations, largest mismatch {:.2e} p.u.: no results",
                res.iterations,
                res.max_mismatch_pu
            )?;
        }
    }
    if res.converged {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: the power flow did not converge (largest mismatch {:.3e} p.u.)",
            res.max_mismatch_pu
        );
        Ok(ExitCode::from(1))
    }
}
