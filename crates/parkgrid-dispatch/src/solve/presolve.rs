//! Presolve for the interior-point path: removes what an interior-point method pays for in memory
//! and iterations without changing the optimum, and maps the reduced solution back (postsolve).
//! The reductions are the classic ones of Andersen & Andersen, "Presolving in linear
//! programming", Math. Programming 71 (1995), §3:
//! - **fixed variables** (`l = u`) are substituted;
//! - **singleton rows** (an equality with one variable left) fix that variable, repeatedly, so
//!   fixing one can make the next row a singleton (a PV feeder at night);
//! - **doubleton equalities with a column singleton** (`a·x + b·y = c`, `x` in no other row) drop
//!   `x`: its bounds move onto `y`, its cost into `y`'s cost and the constant (a wind farm's
//!   output and its feeder);
//! - **free column singletons** that cost nothing (`x ≥ 0` in one equality row only: heat dumped,
//!   waste heat rejected) turn their row into an inequality.
//!
//! The postsolve recovers every variable and every row dual, so the certificate checks the
//! original programme.

use std::collections::HashMap;

use crate::lp::{Lp, Sense};

/// What became of a variable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Var {
    /// Still a variable of the reduced programme.
    Kept,
    /// Fixed by its bounds (`l = u`).
    Bound,
    /// Fixed by a singleton row, at entry `k` of [`Presolved::fixed`].
    Fixed(u32),
    /// Eliminated by a doubleton row: entry `k` of [`Presolved::doubletons`].
    Doubleton(u32),
    /// The free slack of equality row `row`.
    Slack(u32),
}

/// A doubleton elimination `x = s0 + t·y` by row `row`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Doubleton {
    /// The row.
    pub row: usize,
    /// The eliminated variable.
    pub x: usize,
    /// The variable it now depends on.
    pub y: usize,
    /// Offset.
    pub s0: f64,
    /// Slope.
    pub t: f64,
    /// `y`'s bounds and cost in the reduced programme.
    pub y_lb: f64,
    /// Upper bound.
    pub y_ub: f64,
    /// Cost.
    pub y_cost: f64,
    /// True when `y`'s lower (`.0`) or upper (`.1`) bound came from `x`.
    pub from_x: (bool, bool),
}

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Row {
    /// Kept with this sense (an equality whose slack was eliminated becomes an inequality).
    Kept(Sense),
    /// Dropped: it fixed this variable.
    Singleton(u32),
    /// Dropped: it eliminated a variable, entry `k` of [`Presolved::doubletons`].
    Doubleton(u32),
    /// No variable left (all fixed): a constant row, checked by the certificate.
    Empty,
}

/// The reduced programme, described over the original's indices.
pub(crate) struct Presolved {
    /// A row the presolve proved cannot hold (a singleton row whose variable would leave its
    /// bounds; a row of fixed variables that does not hold): the programme is infeasible.
    pub infeasible: Option<usize>,
    /// Each variable's fate.
    pub var: Vec<Var>,
    /// Each row's fate.
    pub row: Vec<Row>,
    /// Values of the variables fixed by singleton rows.
    fixed: Vec<f64>,
    /// The doubleton eliminations (their `y` take bounds and cost from here).
    pub doubletons: Vec<Doubleton>,
    /// For each `y` of a doubleton, which one (others: `u32::MAX`); empty when there is none.
    y_of: Vec<u32>,
    /// Right-hand sides with the fixed variables moved over (taken by the standard form).
    pub rhs: Vec<f64>,
    /// Singleton rows in the order they fixed their variables.
    order: Vec<usize>,
}

impl Presolved {
    /// Presolves `lp`.
    pub fn new(lp: &Lp) -> Self {
        let n = lp.n_vars();
        let mut var: Vec<Var> = (0..n)
            .map(|j| {
                if lp.lb[j].is_finite() && lp.lb[j] == lp.ub[j] {
                    Var::Bound
                } else {
                    Var::Kept
                }
            })
            .collect();
        let mut row: Vec<Row> = lp.rows.iter().map(|r| Row::Kept(r.sense)).collect();
        let (lb, ub, cost) = (&lp.lb, &lp.ub, &lp.cost);
        let mut doubletons: Vec<Doubleton> = Vec::new();
        // Rows of each variable.
        let mut count = vec![0u32; n];
        for r in &lp.rows {
            for &(v, a) in &r.terms {
                if a != 0.0 {
                    count[v] += 1;
                }
            }
        }
        let live = |var: &[Var], i: usize| {
            lp.rows[i]
                .terms
                .iter()
                .filter(|&&(v, a)| a != 0.0 && var[v] == Var::Kept)
                .count()
        };
        // Singleton rows, until none is left. A value outside the bounds is left to the solver
        // (which will say the programme is infeasible).
        let mut order = Vec::new();
        let mut fixed: Vec<f64> = Vec::new();
        let mut infeasible: Option<usize> = None;
        let mut changed = true;
        let mut passes = 0;
        while changed && passes < 20 {
            changed = false;
            passes += 1;
            for (i, row_i) in row.iter_mut().enumerate() {
                if *row_i != Row::Kept(Sense::Eq) || live(&var, i) != 1 {
                    continue;
                }
                let r = &lp.rows[i];
                let mut rest = r.rhs;
                let mut pick = None;
                for &(v, a) in &r.terms {
                    match var[v] {
                        Var::Bound => rest -= a * lp.lb[v],
                        Var::Fixed(k) => rest -= a * fixed[k as usize],
                        Var::Kept if a != 0.0 => pick = Some((v, a)),
                        _ => {}
                    }
                }
                let Some((v, a)) = pick else {
                    continue;
                };
                let x = rest / a;
                let slack = 1e-9 * x.abs().max(1.0);
                if !(x >= lb[v] - slack && x <= ub[v] + slack && lb[v] <= ub[v]) {
                    // The row's one variable would have to leave its bounds.
                    infeasible.get_or_insert(i);
                    continue;
                }
                var[v] = Var::Fixed(fixed.len() as u32);
                fixed.push(x.clamp(lb[v], ub[v]));
                *row_i = Row::Singleton(v as u32);
                order.push(i);
                changed = true;
            }
        }
        // Doubletons with a column singleton.
        let mut used = vec![false; n];
        for (i, row_i) in row.iter_mut().enumerate() {
            if *row_i != Row::Kept(Sense::Eq) || live(&var, i) != 2 {
                continue;
            }
            let r = &lp.rows[i];
            let mut c = r.rhs;
            let mut pair = Vec::with_capacity(2);
            for &(v, a) in &r.terms {
                match var[v] {
                    Var::Bound => c -= a * lp.lb[v],
                    Var::Fixed(k) => c -= a * fixed[k as usize],
                    Var::Kept if a != 0.0 => pair.push((v, a)),
                    _ => {}
                }
            }
            let [(p, ap), (q, aq)] = pair[..] else {
                continue;
            };
            let ((x, a), (y, b)) = if count[p] == 1 && !used[q] && !used[p] {
                ((p, ap), (q, aq))
            } else if count[q] == 1 && !used[p] && !used[q] {
                ((q, aq), (p, ap))
            } else {
                continue;
            };
            // x = s0 + t·y.
            let (s0, t) = (c / a, -b / a);
            let (from_l, from_u) = ((lb[x] - s0) / t, (ub[x] - s0) / t);
            let (ylo, yhi) = if t > 0.0 {
                (from_l, from_u)
            } else {
                (from_u, from_l)
            };
            // ±∞ bounds of x give ±∞ (or NaN for ∞ − ∞, never here: s0 is finite).
            let (ylo, yhi) = (ylo_nan(ylo), yhi_nan(yhi));
            let new_lb = lb[y].max(ylo);
            let new_ub = ub[y].min(yhi);
            if new_lb >= new_ub || new_lb.is_nan() || new_ub.is_nan() {
                continue; // would fix or empty y: leave it to the solver
            }
            let k = doubletons.len() as u32;
            doubletons.push(Doubleton {
                row: i,
                x,
                y,
                s0,
                t,
                y_lb: new_lb,
                y_ub: new_ub,
                y_cost: cost[y] + cost[x] * t,
                from_x: (ylo > lb[y], yhi < ub[y]),
            });
            var[x] = Var::Doubleton(k);
            *row_i = Row::Doubleton(k);
            used[x] = true;
            used[y] = true;
        }
        // Free column singletons.
        for (i, row_i) in row.iter_mut().enumerate() {
            if *row_i != Row::Kept(Sense::Eq) {
                continue;
            }
            let slack = lp.rows[i].terms.iter().find(|&&(v, a)| {
                a != 0.0
                    && !used[v]
                    && count[v] == 1
                    && var[v] == Var::Kept
                    && cost[v] == 0.0
                    && lb[v] == 0.0
                    && ub[v] == f64::INFINITY
            });
            // Only with another variable left in the row: alone, the slack is fixed by it.
            if let (Some(&(v, a)), true) = (slack, live(&var, i) >= 2) {
                var[v] = Var::Slack(i as u32);
                *row_i = Row::Kept(if a > 0.0 { Sense::Le } else { Sense::Ge });
            }
        }
        // Rows left with no variable.
        for (i, row_i) in row.iter_mut().enumerate() {
            if matches!(row_i, Row::Kept(_)) && live(&var, i) == 0 {
                *row_i = Row::Empty;
            }
        }
        let rhs: Vec<f64> = lp
            .rows
            .iter()
            .map(|r| {
                r.rhs
                    - r.terms
                        .iter()
                        .map(|&(v, a)| match var[v] {
                            Var::Bound => a * lp.lb[v],
                            Var::Fixed(k) => a * fixed[k as usize],
                            _ => 0.0,
                        })
                        .sum::<f64>()
            })
            .collect();
        // A row left with no variable holds or does not: `0 (sense) rhs`.
        for (i, r) in row.iter().enumerate() {
            if *r != Row::Empty {
                continue;
            }
            let scale = lp.rows[i]
                .terms
                .iter()
                .map(|&(v, a)| match var[v] {
                    Var::Bound => (a * lp.lb[v]).abs(),
                    Var::Fixed(k) => (a * fixed[k as usize]).abs(),
                    _ => 0.0,
                })
                .fold(lp.rows[i].rhs.abs().max(1.0), f64::max);
            let tol = 1e-9 * scale;
            let rest: f64 = rhs[i];
            let holds = match lp.rows[i].sense {
                Sense::Eq => rest.abs() <= tol,
                Sense::Le => rest >= -tol,
                Sense::Ge => rest <= tol,
            };
            if !holds {
                infeasible.get_or_insert(i);
            }
        }
        let mut y_of = Vec::new();
        if !doubletons.is_empty() {
            y_of = vec![u32::MAX; n];
            for (k, d) in doubletons.iter().enumerate() {
                y_of[d.y] = k as u32;
            }
        }
        Self {
            infeasible,
            var,
            row,
            fixed,
            doubletons,
            y_of,
            rhs,
            order,
        }
    }

    /// Bounds and cost of kept variable `j` in the reduced programme.
    pub fn bounds_cost(&self, lp: &Lp, j: usize) -> (f64, f64, f64) {
        match self.y_of.get(j) {
            Some(&k) if k != u32::MAX => {
                let d = &self.doubletons[k as usize];
                (d.y_lb, d.y_ub, d.y_cost)
            }
            _ => (lp.lb[j], lp.ub[j], lp.cost[j]),
        }
    }

    /// Completes `x` (kept variables set, others anything) and `y` (duals of kept rows set,
    /// others anything) into a solution of the original programme.
    pub fn postsolve(&self, lp: &Lp, x: &mut [f64], y: &mut [f64]) {
        for (j, xj) in x.iter_mut().enumerate() {
            match self.var[j] {
                Var::Bound => *xj = lp.lb[j],
                Var::Fixed(k) => *xj = self.fixed[k as usize],
                _ => {}
            }
        }
        for d in &self.doubletons {
            x[d.x] = d.s0 + d.t * x[d.y];
        }
        for j in 0..x.len() {
            if let Var::Slack(row) = self.var[j] {
                let row = row as usize;
                let a = coef(lp, row, j);
                let others: f64 = lp.rows[row]
                    .terms
                    .iter()
                    .filter(|&&(v, _)| v != j)
                    .map(|&(v, c)| c * x[v])
                    .sum();
                x[j] = ((lp.rows[row].rhs - others) / a).max(0.0);
            }
        }
        for (i, r) in self.row.iter().enumerate() {
            if !matches!(r, Row::Kept(_)) {
                y[i] = 0.0;
            }
        }
        // Columns of the variables whose reduced costs the dropped rows' duals need.
        let mut cols: HashMap<usize, Vec<(usize, f64)>> = HashMap::new();
        for r in &self.row {
            match *r {
                Row::Singleton(v) => {
                    cols.insert(v as usize, Vec::new());
                }
                Row::Doubleton(k) => {
                    cols.insert(self.doubletons[k as usize].y, Vec::new());
                }
                _ => {}
            }
        }
        for (i, r) in lp.rows.iter().enumerate() {
            if matches!(self.row[i], Row::Empty) {
                continue;
            }
            for &(v, a) in &r.terms {
                if let Some(c) = cols.get_mut(&v) {
                    c.push((i, a));
                }
            }
        }
        let reduced = |y: &[f64], v: usize, skip: usize| {
            lp.cost[v]
                - cols.get(&v).map_or(0.0, |c| {
                    c.iter()
                        .filter(|&&(i, _)| i != skip)
                        .map(|&(i, a)| a * y[i])
                        .sum()
                })
        };
        // Doubletons: λ = c_x/a, plus μ_y'/b when y sits on a bound that came from x; μ_y' is y's
        // reduced cost in the reduced programme (whose cost of y includes c_x·t).
        for d in &self.doubletons {
            let a = coef(lp, d.row, d.x);
            let b = -d.t * a;
            let mu = reduced(y, d.y, d.row) + lp.cost[d.x] * d.t;
            let on_x_bound = mu > 0.0 && d.from_x.0 || mu < 0.0 && d.from_x.1;
            y[d.row] = lp.cost[d.x] / a + if on_x_bound { mu / b } else { 0.0 };
        }
        // Singletons in reverse order of fixing: λ_i = (c_v − Σ_{k≠i} a_kv·λ_k) / a_iv.
        for &i in self.order.iter().rev() {
            let Row::Singleton(v) = self.row[i] else {
                continue;
            };
            let v = v as usize;
            y[i] = reduced(y, v, i) / coef(lp, i, v);
        }
    }
}

/// The coefficient of `v` in row `i`.
fn coef(lp: &Lp, i: usize, v: usize) -> f64 {
    lp.rows[i]
        .terms
        .iter()
        .filter(|&&(w, _)| w == v)
        .map(|&(_, a)| a)
        .sum()
}

fn ylo_nan(v: f64) -> f64 {
    if v.is_nan() { f64::NEG_INFINITY } else { v }
}

fn yhi_nan(v: f64) -> f64 {
    if v.is_nan() { f64::INFINITY } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::{LpStatus, SolverKind, solve};

    /// Solves with Clarabel (through the presolve) and checks the answer and its certificate.
    fn check(lp: &Lp, objective: f64) {
        let s = solve(lp, SolverKind::Clarabel).unwrap_or_else(|e| panic!("{e}"));
        let c = s.certificate.unwrap_or_else(|| panic!("no certificate"));
        assert_eq!(s.status, LpStatus::Optimal, "{}", c.summary());
        assert!(
            (s.objective - objective).abs() < 1e-6,
            "{} vs {objective}",
            s.objective
        );
    }

    /// x₁ = 2 fixes x₁; then x₁ + x₂ = 5 fixes x₂ = 3; x₃ ≥ 0 takes x₂ + x₃ ≥ 4 at cost 2.
    #[test]
    fn singleton_rows_cascade() {
        let mut lp = Lp::default();
        let x1 = lp.add_block("x1", "a", 1, |_| (0.0, 10.0), |_| 1.0).at(0);
        let x2 = lp.add_block("x2", "a", 1, |_| (0.0, 10.0), |_| 1.0).at(0);
        let x3 = lp.add_block("x3", "a", 1, |_| (0.0, 10.0), |_| 2.0).at(0);
        lp.add_row("r", "1", 0, vec![(x1, 2.0)], Sense::Eq, 4.0);
        lp.add_row("r", "2", 0, vec![(x1, 1.0), (x2, 1.0)], Sense::Eq, 5.0);
        lp.add_row("r", "3", 0, vec![(x2, 1.0), (x3, 1.0)], Sense::Ge, 4.0);
        let p = Presolved::new(&lp);
        assert_eq!(p.row[0], Row::Singleton(x1 as u32));
        assert_eq!(p.row[1], Row::Singleton(x2 as u32));
        check(&lp, 2.0 + 3.0 + 2.0);
    }

    /// A wind farm `w ∈ [0, 4]` on its own bus, its feeder `f ∈ [−10, 10]`, the grid `g ≥ 0` at
    /// 1 per unit on the load bus of 6: `w − f = 0` eliminates `w` (a column singleton) and the
    /// farm's limit becomes the feeder's; the optimum takes all 4 of wind, the bound from `w` is
    /// active and the farm bus's dual must come back as the grid price.
    #[test]
    fn doubleton_with_an_active_bound_from_the_eliminated_variable() {
        let mut lp = Lp::default();
        let w = lp.add_block("wind", "w", 1, |_| (0.0, 4.0), |_| 0.0).at(0);
        let f = lp
            .add_block("line", "f", 1, |_| (-10.0, 10.0), |_| 0.0)
            .at(0);
        let g = lp
            .add_block("grid", "g", 1, |_| (0.0, f64::INFINITY), |_| 1.0)
            .at(0);
        lp.add_row("bus", "farm", 0, vec![(w, 1.0), (f, -1.0)], Sense::Eq, 0.0);
        lp.add_row("bus", "load", 0, vec![(f, 1.0), (g, 1.0)], Sense::Eq, 6.0);
        let p = Presolved::new(&lp);
        assert!(matches!(p.row[0], Row::Doubleton(_)), "{:?}", p.row);
        check(&lp, 2.0);
        // With a cost on the wind's output above the grid's, the bound is no longer active.
        lp.cost[w] = 1.5;
        check(&lp, 6.0);
    }

    /// Heat dumped for free is a free column singleton: `h + b + e − d = 3` with boilers `b`, `e`
    /// and a must-run `h = 5` (fixed by bounds) dumps 2.
    #[test]
    fn a_free_slack_turns_its_row_into_an_inequality() {
        let mut lp = Lp::default();
        let h = lp
            .add_block("must_run", "h", 1, |_| (5.0, 5.0), |_| 0.5)
            .at(0);
        let b = lp
            .add_block("boiler", "b", 1, |_| (0.0, 10.0), |_| 1.0)
            .at(0);
        let d = lp
            .add_block("dump", "d", 1, |_| (0.0, f64::INFINITY), |_| 0.0)
            .at(0);
        let e = lp
            .add_block("e_boiler", "e", 1, |_| (0.0, 1.0), |_| 0.8)
            .at(0);
        let x = lp
            .add_block("other", "x", 1, |_| (0.0, 10.0), |_| -1.0)
            .at(0);
        lp.add_row(
            "heat",
            "bus",
            0,
            vec![(h, 1.0), (b, 1.0), (e, 1.0), (d, -1.0)],
            Sense::Eq,
            3.0,
        );
        lp.add_row("other", "row", 0, vec![(x, 1.0), (b, 1.0)], Sense::Le, 4.0);
        let p = Presolved::new(&lp);
        assert_eq!(p.var[d], Var::Slack(0));
        assert_eq!(p.row[0], Row::Kept(Sense::Ge));
        check(&lp, 2.5 - 4.0);
    }

    fn status(lp: &Lp) -> LpStatus {
        solve(lp, SolverKind::Clarabel)
            .unwrap_or_else(|e| panic!("{e}"))
            .status
    }

    /// Rows the presolve settles alone must still be checked: a fixed variable against its row,
    /// two singleton rows that disagree, a free slack that would have to be negative.
    #[test]
    fn rows_the_presolve_settles_can_prove_infeasibility() {
        let mut lp = Lp::default();
        let x = lp.add_block("x", "a", 1, |_| (5.0, 5.0), |_| 1.0).at(0);
        lp.add_row("r", "1", 0, vec![(x, 1.0)], Sense::Eq, 3.0);
        assert_eq!(status(&lp), LpStatus::Infeasible);

        let mut lp = Lp::default();
        let x = lp.add_block("x", "a", 1, |_| (0.0, 10.0), |_| 1.0).at(0);
        lp.add_row("r", "1", 0, vec![(x, 1.0)], Sense::Eq, 2.0);
        lp.add_row("r", "2", 0, vec![(x, 1.0)], Sense::Eq, 3.0);
        assert_eq!(status(&lp), LpStatus::Infeasible);

        let mut lp = Lp::default();
        let y = lp.add_block("y", "a", 1, |_| (0.0, 10.0), |_| 1.0).at(0);
        let s = lp
            .add_block("s", "a", 1, |_| (0.0, f64::INFINITY), |_| 0.0)
            .at(0);
        lp.add_row("r", "1", 0, vec![(y, 1.0)], Sense::Ge, 1.0);
        lp.add_row("r", "2", 0, vec![(s, -1.0)], Sense::Eq, 3.0);
        assert_eq!(status(&lp), LpStatus::Infeasible);
    }

    /// A variable listed twice in one row (a one-step cyclic store: `level − keep·level`) counts
    /// once with the sum of its coefficients; and a programme the presolve empties is solved.
    #[test]
    fn repeated_terms_add_up_and_an_emptied_programme_is_solved() {
        let mut lp = Lp::default();
        let level = lp
            .add_block("level", "s", 1, |_| (0.0, 10.0), |_| 0.0)
            .at(0);
        let x = lp.add_block("x", "a", 1, |_| (0.0, 10.0), |_| 1.0).at(0);
        let z = lp.add_block("z", "a", 1, |_| (0.0, 10.0), |_| 2.0).at(0);
        lp.add_row(
            "store",
            "s",
            0,
            vec![(level, 1.0), (level, -0.5), (x, -1.0), (z, -1.0)],
            Sense::Eq,
            -3.0,
        );
        lp.add_row("cap", "s", 0, vec![(level, 1.0)], Sense::Ge, 4.0);
        // 0.5·level = x + z − 3 with level ≥ 4: x + z ≥ 5 at least cost, x = 5.
        check(&lp, 5.0);

        let mut lp = Lp::default();
        let x = lp.add_block("x", "a", 1, |_| (0.0, 10.0), |_| 2.0).at(0);
        lp.add_row("r", "1", 0, vec![(x, 1.0)], Sense::Eq, 3.0);
        check(&lp, 6.0);
    }
}
