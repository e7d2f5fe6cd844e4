//! Solver backends through `good_lp`: Clarabel (pure Rust, interior point) always; HiGHS (simplex
//! and branch-and-bound, C++) with the `highs` feature.

use std::time::Instant;

use good_lp::solvers::{ResolutionError, Solution, SolutionWithDual, SolverModel};
use good_lp::{Constraint, DualValues, Expression, ProblemVariables, Variable, variable};

use crate::lp::{Lp, Sense};

/// Which solver to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolverKind {
    /// Clarabel: pure Rust interior point; LP only.
    Clarabel,
    /// HiGHS: simplex and MILP (build with the `highs` feature).
    Highs,
}

impl SolverKind {
    /// The solver's name.
    pub fn name(self) -> &'static str {
        match self {
            SolverKind::Clarabel => "clarabel",
            SolverKind::Highs => "highs",
        }
    }

    /// True when this build includes the solver.
    pub fn available(self) -> bool {
        match self {
            SolverKind::Clarabel => true,
            SolverKind::Highs => cfg!(feature = "highs"),
        }
    }
}

/// How a solve ended.
#[derive(Debug, Clone, PartialEq)]
pub enum LpStatus {
    /// An optimal solution was found.
    Optimal,
    /// The constraints cannot all be met.
    Infeasible,
    /// The solver stopped without a solution (iterations, numerics); the text says why.
    Failed(String),
}

/// A solution of an [`Lp`].
#[derive(Debug, Clone)]
pub struct LpSolution {
    /// How the solve ended; `x` and `duals` are meaningful only when optimal.
    pub status: LpStatus,
    /// Variable values.
    pub x: Vec<f64>,
    /// Dual value of each row: the change of the objective per unit increase of its right-hand
    /// side.
    pub duals: Vec<f64>,
    /// Objective value.
    pub objective: f64,
    /// Wall time of the solver, seconds.
    pub solve_time_s: f64,
    /// Wall time of handing the programme to the solver (through good_lp), seconds.
    pub translate_time_s: f64,
}

/// Why a problem could not be handed to a solver.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// The solver is not in this build.
    #[error("solver '{0}' is not in this build; rebuild with `--features highs` to use it")]
    NotBuilt(&'static str),
    /// The problem needs integers and the solver has none.
    #[error(
        "{n} integer variables (e.g. {example}) need a MILP solver; '{solver}' solves LPs only: use --solver highs (build with --features highs) or set commitment = false"
    )]
    NeedsMilp {
        /// Number of integer variables.
        n: usize,
        /// A variable's name.
        example: String,
        /// The solver asked for.
        solver: &'static str,
    },
}

fn build(lp: &Lp) -> (ProblemVariables, Vec<Variable>, Expression, Vec<Constraint>) {
    let mut vars = ProblemVariables::new();
    let xs: Vec<Variable> = (0..lp.n_vars())
        .map(|i| {
            let mut def = variable();
            if lp.lb[i].is_finite() {
                def = def.min(lp.lb[i]);
            }
            if lp.ub[i].is_finite() {
                def = def.max(lp.ub[i]);
            }
            if lp.integer[i] {
                def = def.integer();
            }
            vars.add(def)
        })
        .collect();
    let mut objective = Expression::with_capacity(lp.n_vars());
    for (i, &c) in lp.cost.iter().enumerate() {
        if c != 0.0 {
            objective.add_mul(c, xs[i]);
        }
    }
    let constraints = lp
        .rows
        .iter()
        .map(|row| {
            let mut e = Expression::with_capacity(row.terms.len());
            for &(v, a) in &row.terms {
                e.add_mul(a, xs[v]);
            }
            match row.sense {
                Sense::Le => e.leq(row.rhs),
                Sense::Ge => e.geq(row.rhs),
                Sense::Eq => e.eq(row.rhs),
            }
        })
        .collect();
    (vars, xs, objective, constraints)
}

/// Solves `lp` with `solver`.
pub fn solve(lp: &Lp, solver: SolverKind) -> Result<LpSolution, SolveError> {
    if !solver.available() {
        return Err(SolveError::NotBuilt(solver.name()));
    }
    let n_int = lp.n_integer();
    if n_int > 0 && solver == SolverKind::Clarabel {
        let example = lp
            .integer
            .iter()
            .position(|&i| i)
            .map(|v| lp.var_name(v))
            .unwrap_or_default();
        return Err(SolveError::NeedsMilp {
            n: n_int,
            example,
            solver: solver.name(),
        });
    }
    let start = Instant::now();
    let (vars, xs, objective, constraints) = build(lp);
    let problem = vars.minimise(objective);
    let outcome = match solver {
        SolverKind::Clarabel => {
            let mut model = problem.using(good_lp::solvers::clarabel::clarabel);
            model
                .settings()
                .tol_gap_abs(1e-7)
                .tol_gap_rel(1e-9)
                .tol_feas(1e-9)
                .max_iter(400);
            finish(model, constraints, &xs, start)
        }
        SolverKind::Highs => highs(problem, constraints, &xs, start),
    };
    let total = start.elapsed().as_secs_f64();
    Ok(match outcome {
        Ok((x, duals, translate_time_s)) => LpSolution {
            status: LpStatus::Optimal,
            objective: lp.objective(&x),
            x,
            duals,
            solve_time_s: total - translate_time_s,
            translate_time_s,
        },
        Err((status, translate_time_s)) => LpSolution {
            status,
            x: Vec::new(),
            duals: Vec::new(),
            objective: f64::NAN,
            solve_time_s: total - translate_time_s,
            translate_time_s,
        },
    })
}

/// Values, duals and the translation time; or the status and the translation time.
type Outcome = Result<(Vec<f64>, Vec<f64>, f64), (LpStatus, f64)>;

fn finish<M>(mut model: M, constraints: Vec<Constraint>, xs: &[Variable], start: Instant) -> Outcome
where
    M: SolverModel<Error = ResolutionError>,
    for<'a> M::Solution: SolutionWithDual<'a>,
{
    let refs: Vec<_> = constraints
        .into_iter()
        .map(|c| model.add_constraint(c))
        .collect();
    let translated = start.elapsed().as_secs_f64();
    match model.solve() {
        Ok(mut solution) => {
            let x: Vec<f64> = xs.iter().map(|&v| solution.value(v)).collect();
            let dual = solution.compute_dual();
            let duals = refs.iter().map(|r| dual.dual(r.clone())).collect();
            Ok((x, duals, translated))
        }
        Err(ResolutionError::Infeasible) => Err((LpStatus::Infeasible, translated)),
        Err(e) => Err((LpStatus::Failed(e.to_string()), translated)),
    }
}

#[cfg(feature = "highs")]
fn highs(
    problem: good_lp::variable::UnsolvedProblem,
    constraints: Vec<Constraint>,
    xs: &[Variable],
    start: Instant,
) -> Outcome {
    let model = problem.using(good_lp::solvers::highs::highs).set_threads(1);
    finish(model, constraints, xs, start)
}

#[cfg(not(feature = "highs"))]
fn highs(
    _: good_lp::variable::UnsolvedProblem,
    _: Vec<Constraint>,
    _: &[Variable],
    _: Instant,
) -> Outcome {
    Err((
        LpStatus::Failed(String::from("HiGHS is not in this build")),
        0.0,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// min x + 2y  s.t. x + y ≥ 3, x ≤ 2  →  x = 2, y = 1, objective 4, dual of the first row 2.
    #[test]
    fn a_small_lp_with_duals() {
        let mut lp = Lp::default();
        let x = lp.add_block("x", "a", 1, |_| (0.0, 2.0), |_| 1.0);
        let y = lp.add_block("y", "a", 1, |_| (0.0, f64::INFINITY), |_| 2.0);
        lp.add_row(
            "cover",
            "a",
            0,
            vec![(x.at(0), 1.0), (y.at(0), 1.0)],
            Sense::Ge,
            3.0,
        );
        let s = solve(&lp, SolverKind::Clarabel).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.status, LpStatus::Optimal);
        assert!((s.objective - 4.0).abs() < 1e-6, "{}", s.objective);
        assert!((s.duals[0] - 2.0).abs() < 1e-6, "{:?}", s.duals);
        lp.add_row("cap", "a", 0, vec![(y.at(0), 1.0)], Sense::Le, 0.5);
        let s = solve(&lp, SolverKind::Clarabel).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.status, LpStatus::Infeasible);
    }
}
