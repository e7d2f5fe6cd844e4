//! The optimality certificate: a check of a solver's answer against the programme's own data, in
//! the model's units (kW, kWh, CNY), that does not trust anything the solver says about itself.
//!
//! For `min cᵀx + k` subject to rows `aᵢᵀx {≤,≥,=} bᵢ` and bounds `l ≤ x ≤ u`, a primal point `x`
//! and row duals `y` (the change of the objective per unit increase of `bᵢ`, the sign convention of
//! [`super::LpSolution::duals`]):
//! - **primal violation**: the largest amount by which a row or a bound is broken by `x`;
//! - **dual violation**: the largest amount by which `y` breaks the sign its row's sense demands
//!   (`≥` rows: `y ≥ 0`; `≤` rows: `y ≤ 0`), or by which a reduced cost `dⱼ = cⱼ − Σᵢ aᵢⱼ yᵢ` has a
//!   sign that no finite bound can carry (`dⱼ < 0` without an upper bound, `dⱼ > 0` without a lower
//!   bound);
//! - **duality gap**: the primal objective minus the dual objective
//!   `k + Σᵢ bᵢ yᵢ + Σⱼ (lⱼ·max(dⱼ, 0) − uⱼ·max(−dⱼ, 0))` (the Lagrangian dual of the LP with the
//!   reduced costs split onto the finite bounds; textbook LP duality, e.g. Vanderbei, *Linear
//!   Programming*, 5th ed., ch. 5 and 9), with each `yᵢ` first clipped to the sign its row allows.
//!   A NaN anywhere makes the figures NaN, which never passes.
//!
//! Weak duality makes this a proof: with no violations, the dual objective is a lower bound on every
//! feasible schedule's cost, so a small gap means `x` is within that gap of the optimum. Each figure
//! is given absolute and relative: violations against the scale of the row or column they occur in
//! (`max(1, |bᵢ|, maxⱼ |aᵢⱼ xⱼ|)` for a row, `max(1, |cⱼ|, maxᵢ |aᵢⱼ yᵢ|)` for a reduced cost) and the
//! gap against `max(1, |objective|)`.

use serde::Serialize;

use crate::lp::{Lp, Sense};

/// What the certificate demands of an answer called optimal: each relative figure at most this.
/// `1e-7` relative on the objective is the agreement asked of Clarabel against HiGHS.
pub const TOLERANCE_REL: f64 = 1e-7;

/// The figures of an optimality check; see the module documentation for the definitions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Certificate {
    /// Largest violation of a row or a bound, in the row's units (kW, kWh, …).
    pub primal_viol: f64,
    /// The same relative to the row's scale.
    pub primal_viol_rel: f64,
    /// Name of the row or variable with the largest relative primal violation.
    pub primal_worst: Option<String>,
    /// Largest violation of a dual sign or reduced-cost sign, in CNY per unit of the row or
    /// variable.
    pub dual_viol: f64,
    /// The same relative to the column's (or row's) scale.
    pub dual_viol_rel: f64,
    /// Name of the row or variable with the largest relative dual violation.
    pub dual_worst: Option<String>,
    /// Primal minus dual objective, CNY.
    pub gap: f64,
    /// `|gap| / max(1, |objective|)`.
    pub gap_rel: f64,
    /// Primal objective `cᵀx + k`, CNY.
    pub objective: f64,
    /// Dual objective, CNY.
    pub dual_objective: f64,
}

impl Certificate {
    /// Checks `x` and `y` against `lp`. `x` has one value per variable and `y` one per row.
    pub fn check(lp: &Lp, x: &[f64], y: &[f64]) -> Self {
        let mut primal = Worst::default();
        let mut dual = Worst::default();
        if x.len() != lp.n_vars() || y.len() != lp.rows.len() {
            return Self::missing(lp, x, y);
        }
        // Rows: primal violation, dual sign; accumulate Aᵀy and the column scales.
        let mut aty = vec![0.0; lp.n_vars()];
        let mut col_scale: Vec<f64> = lp.cost.iter().map(|c| c.abs().max(1.0)).collect();
        let mut dual_obj = lp.constant;
        for (i, row) in lp.rows.iter().enumerate() {
            // The dual as used: clipped to the sign the row allows, so that the dual objective is
            // a true bound; what was clipped is reported as a violation.
            let yi = match row.sense {
                Sense::Le => y[i].min(0.0),
                Sense::Ge => y[i].max(0.0),
                Sense::Eq => y[i],
            };
            let mut lhs = 0.0;
            let mut scale = row.rhs.abs().max(1.0);
            for &(v, a) in &row.terms {
                let ax = a * x[v];
                lhs += ax;
                scale = scale.max(ax.abs());
                let ay = a * yi;
                aty[v] += ay;
                col_scale[v] = col_scale[v].max(ay.abs());
            }
            let viol = nan_or(lhs - row.rhs, |r| match row.sense {
                Sense::Le => r.max(0.0),
                Sense::Ge => (-r).max(0.0),
                Sense::Eq => r.abs(),
            });
            primal.offer(viol, viol / scale, || lp.row_name(i));
            let sign_viol = nan_or(y[i], |v| (v - yi).abs());
            dual.offer(sign_viol, sign_viol / y[i].abs().max(1.0), || {
                lp.row_name(i)
            });
            dual_obj += row.rhs * yi;
        }
        // Columns: bounds, reduced costs and their share of the dual objective.
        for j in 0..lp.n_vars() {
            let (l, u) = (lp.lb[j], lp.ub[j]);
            let bound_viol = nan_or(x[j], |v| (l - v).max(v - u).max(0.0));
            let bound_scale = if bound_viol > 0.0 {
                if x[j] < l { l.abs() } else { u.abs() }.max(1.0)
            } else {
                1.0
            };
            primal.offer(bound_viol, bound_viol / bound_scale, || lp.var_name(j));
            let d = lp.cost[j] - aty[j];
            let mut viol = if d.is_nan() { f64::NAN } else { 0.0 };
            if d > 0.0 {
                if l.is_finite() {
                    dual_obj += l * d;
                } else {
                    viol = d;
                }
            } else if d < 0.0 {
                if u.is_finite() {
                    dual_obj += u * d;
                } else {
                    viol = -d;
                }
            }
            dual.offer(viol, viol / col_scale[j], || lp.var_name(j));
        }
        let objective = lp.objective(x);
        let gap = objective - dual_obj;
        Self {
            primal_viol: primal.abs,
            primal_viol_rel: primal.rel,
            primal_worst: primal.name,
            dual_viol: dual.abs,
            dual_viol_rel: dual.rel,
            dual_worst: dual.name,
            gap,
            gap_rel: gap.abs() / objective.abs().max(1.0),
            objective,
            dual_objective: dual_obj,
        }
    }

    /// A certificate that cannot be checked (no solution, or one of the wrong size): every figure
    /// infinite.
    fn missing(lp: &Lp, x: &[f64], _y: &[f64]) -> Self {
        Self {
            primal_viol: f64::INFINITY,
            primal_viol_rel: f64::INFINITY,
            primal_worst: None,
            dual_viol: f64::INFINITY,
            dual_viol_rel: f64::INFINITY,
            dual_worst: None,
            gap: f64::INFINITY,
            gap_rel: f64::INFINITY,
            objective: if x.len() == lp.n_vars() {
                lp.objective(x)
            } else {
                f64::NAN
            },
            dual_objective: f64::NAN,
        }
    }

    /// True when every relative figure is within `tol` (and none is NaN).
    pub fn passes(&self, tol: f64) -> bool {
        self.primal_viol_rel <= tol && self.dual_viol_rel <= tol && self.gap_rel <= tol
    }

    /// One line with the figures, for messages.
    pub fn summary(&self) -> String {
        format!(
            "duality gap {:.1e} (relative {:.1e}), primal violation {:.1e} (relative {:.1e}{}), dual violation {:.1e} (relative {:.1e}{})",
            self.gap,
            self.gap_rel,
            self.primal_viol,
            self.primal_viol_rel,
            self.primal_worst
                .as_deref()
                .map(|n| format!(" at {n}"))
                .unwrap_or_default(),
            self.dual_viol,
            self.dual_viol_rel,
            self.dual_worst
                .as_deref()
                .map(|n| format!(" at {n}"))
                .unwrap_or_default(),
        )
    }
}

/// `f(v)`, or NaN when `v` is NaN (`f64::max` would hide it).
fn nan_or(v: f64, f: impl FnOnce(f64) -> f64) -> f64 {
    if v.is_nan() { f64::NAN } else { f(v) }
}

/// The worst violation so far, by its relative size.
#[derive(Default)]
struct Worst {
    abs: f64,
    rel: f64,
    name: Option<String>,
}

impl Worst {
    fn offer(&mut self, abs: f64, rel: f64, name: impl FnOnce() -> String) {
        // NaN compares false: make it the worst of all.
        if rel > self.rel || rel.is_nan() && !self.rel.is_nan() {
            self.rel = rel;
            self.abs = abs;
            self.name = Some(name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// min x + 2y  s.t. x + y ≥ 3, 0 ≤ x ≤ 2, y ≥ 0: optimum x = 2, y = 1, objective 4, dual 2.
    fn small() -> Lp {
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
        lp
    }

    #[test]
    fn the_optimum_passes() {
        let c = Certificate::check(&small(), &[2.0, 1.0], &[2.0]);
        assert!(c.passes(1e-12), "{c:?}");
        assert_eq!((c.objective, c.dual_objective), (4.0, 4.0));
    }

    #[test]
    fn a_feasible_but_worse_point_shows_its_gap() {
        // x = 1, y = 2 costs 5; the same duals prove 4.
        let c = Certificate::check(&small(), &[1.0, 2.0], &[2.0]);
        assert_eq!(c.primal_viol, 0.0);
        assert_eq!(c.dual_viol, 0.0);
        assert!((c.gap - 1.0).abs() < 1e-12, "{c:?}");
        assert!(!c.passes(1e-7));
    }

    #[test]
    fn violations_are_found_and_named() {
        // Breaks the row by 0.5 and x's upper bound by 0.5.
        let c = Certificate::check(&small(), &[2.5, 0.0], &[2.0]);
        assert_eq!(c.primal_viol, 0.5);
        assert!(c.primal_worst.is_some());
        // A dual of the wrong sign on a ≥ row.
        let c = Certificate::check(&small(), &[2.0, 1.0], &[-1.0]);
        assert!(c.dual_viol >= 1.0, "{c:?}");
        assert_eq!(c.dual_worst.as_deref(), Some("cover[a,0]"));
        // A dual too large: y's reduced cost 2 − 3 < 0 with no upper bound.
        let c = Certificate::check(&small(), &[2.0, 1.0], &[3.0]);
        assert!((c.dual_viol - 1.0).abs() < 1e-12, "{c:?}");
        assert_eq!(c.dual_worst.as_deref(), Some("y[a,0]"));
    }

    #[test]
    fn a_missing_solution_fails() {
        let c = Certificate::check(&small(), &[], &[]);
        assert!(!c.passes(1.0));
    }
}
