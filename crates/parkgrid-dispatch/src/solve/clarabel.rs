//! Clarabel called directly (not through `good_lp`, whose backend reports Clarabel's reduced-accuracy
//! and dual-infeasible endings as solutions): the [`Lp`] goes to Clarabel's conic standard form
//! `min qᵀx̃ s.t. Ãx̃ + s = b̃, s ∈ {0}ᵐᵉ × ℝ₊ᵐⁱ` in one pass, with
//! - the [presolve](super::presolve) first: fixed variables, singleton rows, doubletons with a
//!   column singleton and free slacks removed (an interior-point method needs an interior, and
//!   every row and variable costs it about 500 bytes of memory);
//! - simple bounds as single-entry rows of the non-negative cone, infinite ones left out;
//! - the programme scaled before Clarabel sees it: geometric-mean row and column scaling of the
//!   matrix (Fourer's and Curtis–Reid's classic LP scaling; e.g. Elble & Sahinidis, "Scaling linear
//!   optimization problems prior to application of the simplex method", Comput. Optim. Appl. 52,
//!   2012) and the objective divided by its largest coefficient, so that kW, kWh up to 10⁶ and
//!   prices of 10⁻⁵…10² CNY meet the solver near 1. Clarabel's own Ruiz equilibration runs after;
//! - Clarabel's static regularisation at 1e-12 instead of its default 1e-8, and no iterative
//!   refinement: measured on the year programmes (BENCHMARKS.md), 1e-8 stalls for hundreds of
//!   iterations and stops "Solved" up to 4e-4 above the optimum, while 1e-12 converges in 25–45
//!   iterations; refinement then only costs time.
//!
//! The solution is mapped back to the model's variables and rows: `x = D·x̃`, the eliminated
//! variables and dropped rows by the postsolve, and the row duals in the sign convention of
//! [`super::LpSolution::duals`].

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};

use super::presolve::{Presolved, Row, Var};
use crate::lp::{Lp, Sense};

/// Knobs of the Clarabel backend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClarabelSettings {
    /// Interior-point iteration limit.
    pub max_iter: u32,
    /// Clarabel's gap and feasibility tolerances (absolute and relative, in the scaled problem).
    pub tol: f64,
    /// Passes of geometric scaling before the solver (0: none).
    pub scaling_passes: u32,
    /// Clarabel's own Ruiz equilibration passes.
    pub equilibrate_max_iter: u32,
    /// Clarabel prints its iterations to standard output.
    pub verbose: bool,
    /// Clarabel's static regularisation of the KKT system. Its default, 1e-8, stalls on year-long
    /// programmes (hundreds of iterations, "Solved" at a point 1e-4 above the optimum): the
    /// regularised directions are too far from the true ones once the storage chains are long.
    pub static_regularization: f64,
    /// Clarabel's iterative refinement of each KKT solve.
    pub iterative_refinement: bool,
    /// Wall time Clarabel may take, s; infinite by default (see also
    /// `SolveOptions::time_limit_s`, which bounds every solver).
    pub time_limit_s: f64,
}

impl Default for ClarabelSettings {
    fn default() -> Self {
        Self {
            max_iter: 200,
            tol: 1e-9,
            scaling_passes: 8,
            equilibrate_max_iter: 10,
            verbose: false,
            static_regularization: 1e-12,
            iterative_refinement: false,
            time_limit_s: f64::INFINITY,
        }
    }
}

/// What Clarabel returned, in the model's variables and rows.
pub(crate) struct Raw {
    /// Clarabel's own status.
    pub status: SolverStatus,
    /// Interior-point iterations.
    pub iterations: u32,
    /// Variable values (all variables, fixed ones included); empty when Clarabel has no point.
    pub x: Vec<f64>,
    /// Row duals; empty when Clarabel has no point.
    pub duals: Vec<f64>,
    /// Seconds to build the standard form (incl. scaling).
    pub translate_time_s: f64,
}

/// "Not in the standard form" in the `u32` maps from model variables to columns and model rows to
/// rows (a row removed by the presolve, which recovers its dual; a variable eliminated).
const NONE: u32 = u32::MAX;

/// Solves `lp` (no integer variables) with Clarabel.
pub(crate) fn solve(lp: &Lp, settings: ClarabelSettings) -> Raw {
    let start = std::time::Instant::now();
    let form = StandardForm::new(lp, settings.scaling_passes);
    let cones = [
        SupportedConeT::ZeroConeT(form.n_eq),
        SupportedConeT::NonnegativeConeT(form.b.len() - form.n_eq),
    ];
    let clarabel_settings = DefaultSettingsBuilder::default()
        .verbose(settings.verbose)
        .max_iter(settings.max_iter)
        .tol_gap_abs(settings.tol)
        .tol_gap_rel(settings.tol)
        .tol_feas(settings.tol)
        .equilibrate_max_iter(settings.equilibrate_max_iter)
        .static_regularization_constant(settings.static_regularization)
        .iterative_refinement_enable(settings.iterative_refinement)
        .time_limit(settings.time_limit_s)
        .presolve_enable(false)
        .max_threads(1)
        .build();
    let empty = |status, translate_time_s| Raw {
        status,
        iterations: 0,
        x: Vec::new(),
        duals: Vec::new(),
        translate_time_s,
    };
    let Ok(clarabel_settings) = clarabel_settings else {
        return empty(SolverStatus::NumericalError, start.elapsed().as_secs_f64());
    };
    if form.presolved.infeasible.is_some() {
        return empty(
            SolverStatus::PrimalInfeasible,
            start.elapsed().as_secs_f64(),
        );
    }
    if form.a.n == 0 {
        // Nothing left to decide: the presolve fixed every variable.
        let mut x = vec![0.0; lp.n_vars()];
        let mut duals = vec![0.0; lp.rows.len()];
        form.presolved.postsolve(lp, &mut x, &mut duals);
        return Raw {
            status: SolverStatus::Solved,
            iterations: 0,
            x,
            duals,
            translate_time_s: start.elapsed().as_secs_f64(),
        };
    }
    let StandardForm {
        mut a,
        b,
        q,
        map,
        col,
        col_scale,
        row_scale,
        obj_scale,
        presolved,
        ..
    } = form;
    // A variable listed twice in a row leaves two entries in one place; Clarabel's factorisation
    // would keep only one of them.
    let duplicated = (0..a.n).any(|c| {
        a.rowval[a.colptr[c]..a.colptr[c + 1]]
            .windows(2)
            .any(|w| w[0] == w[1])
    });
    if duplicated && a.canonicalize().is_err() {
        return empty(SolverStatus::NumericalError, start.elapsed().as_secs_f64());
    }
    let p_mat = CscMatrix::<f64>::zeros((a.n, a.n));
    let solver = DefaultSolver::new(&p_mat, &q, &a, &b, &cones, clarabel_settings);
    // Clarabel holds its own copy: free ours before the iterations.
    drop((a, b, q));
    let translate_time_s = start.elapsed().as_secs_f64();
    let Ok(mut solver) = solver else {
        return empty(SolverStatus::NumericalError, translate_time_s);
    };
    solver.solve();
    let sol = &solver.solution;
    let has_point = matches!(
        sol.status,
        SolverStatus::Solved
            | SolverStatus::AlmostSolved
            | SolverStatus::MaxIterations
            | SolverStatus::MaxTime
            | SolverStatus::InsufficientProgress
    );
    if !has_point {
        let mut raw = empty(sol.status, translate_time_s);
        raw.iterations = sol.iterations;
        return raw;
    }
    let iterations = sol.iterations;
    let status = sol.status;
    // Clarabel's memory goes before ours is needed: keep its x and z, drop the rest.
    let zx = std::mem::take(&mut solver.solution.x);
    let zz = std::mem::take(&mut solver.solution.z);
    drop(solver);
    let mut x: Vec<f64> = (0..lp.n_vars())
        .map(|j| match col[j] {
            NONE => 0.0,
            c => zx[c as usize] * f64::from(col_scale[c as usize]),
        })
        .collect();
    drop(zx);
    let mut duals: Vec<f64> = (0..lp.rows.len())
        .map(|i| match map[i] {
            NONE => 0.0,
            k => {
                let sign = if presolved.row[i] == Row::Kept(Sense::Ge) {
                    -1.0
                } else {
                    1.0
                };
                -sign * f64::from(row_scale[i]) * zz[k as usize] / obj_scale
            }
        })
        .collect();
    drop(zz);
    presolved.postsolve(lp, &mut x, &mut duals);
    Raw {
        status,
        iterations,
        x,
        duals,
        translate_time_s,
    }
}

/// The programme in Clarabel's standard form, with the maps back to the model.
struct StandardForm {
    a: CscMatrix<f64>,
    b: Vec<f64>,
    q: Vec<f64>,
    n_eq: usize,
    /// Row of Ã of each model row, or [`NONE`]. Ã's row is `σ·r·a` with `σ = −1` for `≥` rows:
    /// the model's dual is `−σ·r·z / σ_obj`.
    map: Vec<u32>,
    /// Column of each model variable, or [`NONE`].
    col: Vec<u32>,
    /// Column and row factors: powers of two between 2⁻¹⁰⁰ and 2¹⁰⁰, exact in `f32` (kept in
    /// `f32` for memory: the 15-minute year has 1.5 million columns).
    col_scale: Vec<f32>,
    row_scale: Vec<f32>,
    obj_scale: f64,
    presolved: Presolved,
}

impl StandardForm {
    fn new(lp: &Lp, scaling_passes: u32) -> Self {
        let n = lp.n_vars();
        let mut pre = Presolved::new(lp);
        let rhs = std::mem::take(&mut pre.rhs);
        let mut col = vec![NONE; n];
        let mut n_cols = 0;
        for (c, v) in col.iter_mut().zip(&pre.var) {
            if *v == Var::Kept {
                *c = n_cols as u32;
                n_cols += 1;
            }
        }
        let kept = |v: usize| (col[v] != NONE).then(|| col[v] as usize);
        let sense = |i: usize| match pre.row[i] {
            Row::Kept(s) => Some(s),
            _ => None,
        };
        let eq: Vec<usize> = (0..lp.rows.len())
            .filter(|&i| sense(i) == Some(Sense::Eq))
            .collect();
        let ineq: Vec<usize> = (0..lp.rows.len())
            .filter(|&i| matches!(sense(i), Some(Sense::Le | Sense::Ge)))
            .collect();
        let (row_scale, col_scale) = geometric_scaling(lp, &kept, n_cols, scaling_passes);
        let obj_scale = {
            let cmax = (0..n)
                .filter_map(|j| kept(j).map(|c| (pre.bounds_cost(lp, j).2 * col_scale[c]).abs()))
                .fold(0.0f64, f64::max);
            if cmax > 0.0 { 1.0 / cmax } else { 1.0 }
        };
        let mut map = vec![NONE; lp.rows.len()];
        let mut b = Vec::with_capacity(eq.len() + 2 * ineq.len());
        let mut counts = vec![0usize; n_cols + 1];
        for &i in eq.iter().chain(&ineq) {
            let sign = if sense(i) == Some(Sense::Ge) {
                -1.0
            } else {
                1.0
            };
            map[i] = b.len() as u32;
            b.push(sign * row_scale[i] * rhs[i]);
            for &(v, a) in &lp.rows[i].terms {
                if let (Some(c), true) = (kept(v), a != 0.0) {
                    counts[c + 1] += 1;
                }
            }
        }
        let n_model_rows = b.len();
        // Bounds: x̃ ≤ u/d, −x̃ ≤ −l/d.
        let mut bound_rows: Vec<(usize, f64)> = Vec::new();
        for j in 0..n {
            let Some(c) = kept(j) else {
                continue;
            };
            let d = col_scale[c];
            let (lb, ub, _) = pre.bounds_cost(lp, j);
            if ub.is_finite() {
                bound_rows.push((c, 1.0));
                b.push(ub / d);
                counts[c + 1] += 1;
            }
            if lb.is_finite() {
                bound_rows.push((c, -1.0));
                b.push(-lb / d);
                counts[c + 1] += 1;
            }
        }
        let m = b.len();
        // CSC by counting: row indices ascend within each column because rows are visited in
        // order.
        for c in 0..n_cols {
            counts[c + 1] += counts[c];
        }
        let colptr = counts.clone();
        let nnz = colptr[n_cols];
        let mut next = counts;
        let mut rowval = vec![0usize; nnz];
        let mut nzval = vec![0.0f64; nnz];
        for &i in eq.iter().chain(&ineq) {
            let k = map[i] as usize;
            let sign = if sense(i) == Some(Sense::Ge) {
                -1.0
            } else {
                1.0
            };
            for &(v, a) in &lp.rows[i].terms {
                if let (Some(c), true) = (kept(v), a != 0.0) {
                    rowval[next[c]] = k;
                    nzval[next[c]] = sign * row_scale[i] * a * col_scale[c];
                    next[c] += 1;
                }
            }
        }
        for (r, &(c, a)) in bound_rows.iter().enumerate() {
            rowval[next[c]] = n_model_rows + r;
            nzval[next[c]] = a;
            next[c] += 1;
        }
        let mut q = vec![0.0; n_cols];
        for j in 0..n {
            if let Some(c) = kept(j) {
                q[c] = obj_scale * pre.bounds_cost(lp, j).2 * col_scale[c];
            }
        }
        Self {
            a: CscMatrix::new(m, n_cols, colptr, rowval, nzval),
            b,
            q,
            n_eq: eq.len(),
            map,
            col,
            col_scale: col_scale.iter().map(|&d| d as f32).collect(),
            row_scale: row_scale.iter().map(|&r| r as f32).collect(),
            obj_scale,
            presolved: pre,
        }
    }
}

/// Row and column factors `r`, `d` that bring the entries `rᵢ·aᵢⱼ·dⱼ` of the matrix near 1:
/// each pass divides every row, then every column, by the geometric mean of its largest and
/// smallest absolute entry. Factors are powers of two within 2^±100 (no rounding is added by
/// scaling).
fn geometric_scaling(
    lp: &Lp,
    kept: &dyn Fn(usize) -> Option<usize>,
    n_cols: usize,
    passes: u32,
) -> (Vec<f64>, Vec<f64>) {
    let mut r = vec![1.0; lp.rows.len()];
    let mut d = vec![1.0; n_cols];
    let pow2 = |x: f64| {
        if x.is_finite() && x > 0.0 {
            x.log2().round().clamp(-100.0, 100.0).exp2()
        } else {
            1.0
        }
    };
    for _ in 0..passes {
        for (i, row) in lp.rows.iter().enumerate() {
            let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
            for &(v, a) in &row.terms {
                if let (Some(c), true) = (kept(v), a != 0.0) {
                    let e = (a * d[c]).abs();
                    lo = lo.min(e);
                    hi = hi.max(e);
                }
            }
            r[i] = pow2(1.0 / (lo * hi).sqrt());
        }
        let mut lo = vec![f64::INFINITY; n_cols];
        let mut hi = vec![0.0f64; n_cols];
        for (i, row) in lp.rows.iter().enumerate() {
            for &(v, a) in &row.terms {
                if let (Some(c), true) = (kept(v), a != 0.0) {
                    let e = (r[i] * a).abs();
                    lo[c] = lo[c].min(e);
                    hi[c] = hi[c].max(e);
                }
            }
        }
        for c in 0..n_cols {
            d[c] = pow2(1.0 / (lo[c] * hi[c]).sqrt());
        }
    }
    (r, d)
}
