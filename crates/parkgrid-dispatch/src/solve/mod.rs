//! Solver backends: Clarabel (pure Rust, interior point) always, called directly; HiGHS (simplex
//! and branch-and-bound, C++) through `good_lp` with the `highs` feature. Every answer is checked
//! by an optimality [`Certificate`] computed from the programme's own data before it is called
//! optimal.

use std::time::Instant;

use ::clarabel::solver::SolverStatus as ClarabelStatus;

use crate::lp::Lp;
#[cfg(feature = "highs")]
use crate::lp::Sense;

mod certificate;
mod clarabel;
mod presolve;

pub use certificate::{Certificate, TOLERANCE_REL};
pub use clarabel::ClarabelSettings;

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

    /// The best solver in this build: HiGHS when built in (faster, MILP), Clarabel otherwise.
    pub fn best_available() -> Self {
        if SolverKind::Highs.available() {
            SolverKind::Highs
        } else {
            SolverKind::Clarabel
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

/// How a solve ended. Only [`LpStatus::Optimal`] may be called optimal: the solver said so *and*
/// the [`Certificate`] computed from the programme's own data agrees.
#[derive(Debug, Clone, PartialEq)]
pub enum LpStatus {
    /// The solver ended with a solution and its certificate passes.
    Optimal,
    /// The solver ended with a point, but the certificate fails (or the solver itself said the
    /// point is of reduced accuracy or it ran out of iterations): `x` and `duals` are that point,
    /// [`LpSolution::certificate`] says how far from optimal it is proven to be. The text is the
    /// solver's own ending.
    Inexact(String),
    /// The constraints cannot all be met.
    Infeasible,
    /// The solver stopped without a point (numerics, unboundedness); the text says why.
    Failed(String),
}

/// A solution of an [`Lp`].
#[derive(Debug, Clone)]
pub struct LpSolution {
    /// How the solve ended; `x` and `duals` are meaningful when optimal or inexact.
    pub status: LpStatus,
    /// Variable values.
    pub x: Vec<f64>,
    /// Dual value of each row: the change of the objective per unit increase of its right-hand
    /// side (so `≥` rows have duals ≥ 0 and `≤` rows ≤ 0 in a minimisation).
    pub duals: Vec<f64>,
    /// Objective value `cᵀx + k`.
    pub objective: f64,
    /// The independent check of `x` and `duals` (for a MILP: of the LP with the integers fixed;
    /// none without a point).
    pub certificate: Option<Certificate>,
    /// Interior-point or simplex iterations, where the solver reports them.
    pub iterations: Option<u32>,
    /// The solver whose answer this is, with the attempts before it when it was a fall-back
    /// (e.g. `"highs (after clarabel: inexact)"`).
    pub solver: String,
    /// Wall time of the solver, seconds.
    pub solve_time_s: f64,
    /// Wall time of handing the programme to the solver, seconds.
    pub translate_time_s: f64,
}

/// How to solve: the solver's knobs and the certificate's tolerance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolveOptions {
    /// Clarabel's knobs.
    pub clarabel: ClarabelSettings,
    /// The largest relative gap and violations the certificate accepts.
    pub tolerance_rel: f64,
    /// When a Clarabel answer fails its certificate: solve again with tighter tolerances, then
    /// with HiGHS when it is in the build.
    pub recover: bool,
    /// When the programme is infeasible: solve it again with every row priced to name the
    /// limits that cannot be met (a controller that goes on to its own elastic tier skips it).
    pub diagnose: bool,
    /// Wall time each solver call may take, s (a controller's budget per tick); infinite by
    /// default. A solver stopped by it gives no schedule ([`LpStatus::Failed`]).
    pub time_limit_s: f64,
}

impl Default for SolveOptions {
    fn default() -> Self {
        Self {
            clarabel: ClarabelSettings::default(),
            tolerance_rel: TOLERANCE_REL,
            recover: true,
            diagnose: true,
            time_limit_s: f64::INFINITY,
        }
    }
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

/// Solves `lp` with `solver` and the default [`SolveOptions`].
pub fn solve(lp: &Lp, solver: SolverKind) -> Result<LpSolution, SolveError> {
    solve_with(lp, solver, &SolveOptions::default())
}

/// Solves `lp` with `solver`, checks the answer with a [`Certificate`] and, when Clarabel's answer
/// fails it and `options.recover` is set, tries again: with ten times tighter tolerances, twice
/// the iterations and iterative refinement, then with HiGHS if the build has it. An `lp` with
/// integer variables is solved by HiGHS, then again as an LP with the integers fixed at their
/// values: the duals and the certificate are that LP's (optimal for the commitment found; the
/// commitment itself is as optimal as HiGHS's MIP gap says).
pub fn solve_with(
    lp: &Lp,
    solver: SolverKind,
    options: &SolveOptions,
) -> Result<LpSolution, SolveError> {
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
    let first = once(lp, solver, options, options.clarabel);
    let retry = |s: &LpSolution| matches!(s.status, LpStatus::Inexact(_) | LpStatus::Failed(_));
    if solver != SolverKind::Clarabel || !options.recover || !retry(&first) {
        return Ok(first);
    }
    // Another path through the same programme: tighter tolerances, more iterations, the
    // regularisation of a more cautious KKT solve with iterative refinement.
    let tighter = ClarabelSettings {
        tol: options.clarabel.tol * 0.1,
        max_iter: options.clarabel.max_iter.saturating_mul(2),
        static_regularization: options.clarabel.static_regularization.max(1e-10),
        iterative_refinement: true,
        ..options.clarabel
    };
    let second = after(
        &first,
        once(lp, solver, options, tighter),
        "clarabel again, tighter",
    );
    if !retry(&second) || !SolverKind::Highs.available() {
        return Ok(second);
    }
    let highs = once(lp, SolverKind::Highs, options, options.clarabel);
    Ok(after(&second, highs, "highs"))
}

/// `next`, an attempt made after `prev` failed: its times include `prev`'s, and its solver says
/// what came before (e.g. `"highs (after clarabel: Inexact…, gap 3e-5)"`).
fn after(prev: &LpSolution, mut next: LpSolution, label: &str) -> LpSolution {
    next.solve_time_s += prev.solve_time_s;
    next.translate_time_s += prev.translate_time_s;
    next.solver = format!("{label} (after {}: {})", prev.solver, describe(prev));
    next
}

/// The ending of an attempt, for the record of fall-backs.
fn describe(s: &LpSolution) -> String {
    match (&s.status, &s.certificate) {
        (LpStatus::Inexact(why), Some(c)) => format!("{why}, gap {:.1e}", c.gap_rel),
        (status, _) => format!("{status:?}"),
    }
}

/// One attempt with one solver, certificate included.
fn once(
    lp: &Lp,
    solver: SolverKind,
    options: &SolveOptions,
    clarabel: ClarabelSettings,
) -> LpSolution {
    let start = Instant::now();
    let (status, x, duals, iterations, translate_time_s) = match solver {
        SolverKind::Clarabel => {
            let clarabel = ClarabelSettings {
                time_limit_s: clarabel.time_limit_s.min(options.time_limit_s),
                ..clarabel
            };
            let raw = clarabel::solve(lp, clarabel);
            let status = match raw.status {
                ClarabelStatus::Solved => LpStatus::Optimal,
                ClarabelStatus::PrimalInfeasible => LpStatus::Infeasible,
                // A point where the clock stopped it is no answer.
                ClarabelStatus::MaxTime => LpStatus::Failed("Clarabel: time limit".into()),
                s if !raw.x.is_empty() => LpStatus::Inexact(format!("Clarabel: {s:?}")),
                s => LpStatus::Failed(format!("Clarabel: {s:?}")),
            };
            (
                status,
                raw.x,
                raw.duals,
                Some(raw.iterations),
                raw.translate_time_s,
            )
        }
        SolverKind::Highs => {
            let (status, x, duals, t) = highs(lp, start, options.time_limit_s);
            (status, x, duals, None, t)
        }
    };
    // A MILP's duals prove nothing: as PyPSA does for marginal prices, fix the integer variables
    // at their values and solve the LP that is left; its duals are the prices of that commitment,
    // and its certificate proves the dispatch optimal for it.
    let fixed = (lp.n_integer() > 0 && !x.is_empty()).then(|| {
        let mut f = lp.clone();
        for (j, &xj) in x.iter().enumerate() {
            if f.integer[j] {
                let v = xj.round();
                (f.lb[j], f.ub[j], f.integer[j]) = (v, v, false);
            }
        }
        f
    });
    let (status, x, duals) = match &fixed {
        Some(f) => {
            let (fixed_status, fx, fd, _) = highs(f, Instant::now(), options.time_limit_s);
            match (status, fixed_status) {
                (s @ (LpStatus::Optimal | LpStatus::Inexact(_)), LpStatus::Optimal) => (s, fx, fd),
                (_, other) => (
                    LpStatus::Inexact(format!(
                        "HiGHS: the LP with the commitment fixed: {other:?}"
                    )),
                    x,
                    vec![0.0; lp.rows.len()],
                ),
            }
        }
        None => (status, x, duals),
    };
    let certified = fixed.as_ref().unwrap_or(lp);
    let total = start.elapsed().as_secs_f64();
    let (status, certificate) = match status {
        LpStatus::Optimal | LpStatus::Inexact(_) if duals.len() == lp.rows.len() => {
            let c = Certificate::check(certified, &x, &duals);
            let status = match status {
                LpStatus::Optimal if !c.passes(options.tolerance_rel) => {
                    LpStatus::Inexact(format!(
                        "{} said solved; the certificate does not agree",
                        solver.name()
                    ))
                }
                s => s,
            };
            (status, Some(c))
        }
        s => (s, None),
    };
    LpSolution {
        objective: if x.is_empty() {
            f64::NAN
        } else {
            lp.objective(&x)
        },
        status,
        x,
        duals,
        certificate,
        iterations,
        solver: solver.name().to_string(),
        solve_time_s: total - translate_time_s,
        translate_time_s,
    }
}

/// Status, values, duals and the translation time of a HiGHS solve.
type HighsOutcome = (LpStatus, Vec<f64>, Vec<f64>, f64);

#[cfg(feature = "highs")]
fn build(
    lp: &Lp,
) -> (
    good_lp::ProblemVariables,
    Vec<good_lp::Variable>,
    good_lp::Expression,
    Vec<good_lp::Constraint>,
) {
    use good_lp::{Expression, ProblemVariables, Variable, variable};
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

#[cfg(feature = "highs")]
fn highs(lp: &Lp, start: Instant, time_limit_s: f64) -> HighsOutcome {
    use good_lp::DualValues;
    use good_lp::solvers::{
        ResolutionError, Solution, SolutionStatus, SolutionWithDual, SolverModel,
    };
    let (vars, xs, objective, constraints) = build(lp);
    let mut model = vars
        .minimise(objective)
        .using(good_lp::solvers::highs::highs)
        .set_threads(1)
        // HiGHS's defaults (1e-7 absolute) sit at the certificate's own tolerance; ask for 100
        // times less, so that an optimal HiGHS answer is never flagged by the check.
        .set_option("primal_feasibility_tolerance", 1e-9)
        .set_option("dual_feasibility_tolerance", 1e-9);
    if time_limit_s.is_finite() {
        model = model.set_option("time_limit", time_limit_s.max(0.0));
    }
    let refs: Vec<_> = constraints
        .into_iter()
        .map(|c| model.add_constraint(c))
        .collect();
    let translated = start.elapsed().as_secs_f64();
    match model.solve() {
        Ok(mut solution) => {
            let x: Vec<f64> = xs.iter().map(|&v| solution.value(v)).collect();
            // good_lp says `GapLimit` for a MILP that HiGHS solved to its own MIP gap (relative
            // 1e-4 by default, not changed here): HiGHS's "optimal".
            let status = match solution.status() {
                SolutionStatus::Optimal => LpStatus::Optimal,
                SolutionStatus::GapLimit if lp.n_integer() > 0 => LpStatus::Optimal,
                other => LpStatus::Inexact(format!("HiGHS: {other:?}")),
            };
            let duals = if lp.n_integer() == 0 {
                let dual = solution.compute_dual();
                refs.iter().map(|r| dual.dual(r.clone())).collect()
            } else {
                Vec::new()
            };
            (status, x, duals, translated)
        }
        Err(ResolutionError::Infeasible) => {
            (LpStatus::Infeasible, Vec::new(), Vec::new(), translated)
        }
        Err(e) => (
            LpStatus::Failed(format!("HiGHS: {e}")),
            Vec::new(),
            Vec::new(),
            translated,
        ),
    }
}

#[cfg(not(feature = "highs"))]
fn highs(_: &Lp, _: Instant, _: f64) -> HighsOutcome {
    (
        LpStatus::Failed(String::from("HiGHS is not in this build")),
        Vec::new(),
        Vec::new(),
        0.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lp::Sense;

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
