//! AC power flow by Newton–Raphson in polar coordinates, as MATPOWER's `newtonpf`: unknowns are
//! the angles of PV and PQ buses and the magnitudes of PQ buses; convergence is on the largest
//! power mismatch in per unit. The Jacobian's sparsity pattern and its symbolic LU are computed
//! once; each iteration refills the values and refactors numerically (faer).

use std::collections::BTreeMap;

use faer::linalg::solvers::Solve;
use faer::sparse::linalg::solvers::{Lu, SymbolicLu};
use faer::sparse::{Pair, SparseColMat, SymbolicSparseColMat};

use crate::case::{BusType, Case};

/// A complex number.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct C {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl C {
    /// `re + j·im`.
    pub const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }
    fn polar(m: f64, a: f64) -> Self {
        Self::new(m * a.cos(), m * a.sin())
    }
    fn conj(self) -> Self {
        Self::new(self.re, -self.im)
    }
    fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }
    fn scale(self, k: f64) -> Self {
        Self::new(self.re * k, self.im * k)
    }
    fn inv(self) -> Self {
        let d = self.re * self.re + self.im * self.im;
        Self::new(self.re / d, -self.im / d)
    }
}

impl std::ops::Add for C {
    type Output = C;
    fn add(self, o: C) -> C {
        C::new(self.re + o.re, self.im + o.im)
    }
}
impl std::ops::Sub for C {
    type Output = C;
    fn sub(self, o: C) -> C {
        C::new(self.re - o.re, self.im - o.im)
    }
}
impl std::ops::Mul for C {
    type Output = C;
    fn mul(self, o: C) -> C {
        C::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
}

/// Settings of a power flow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Largest power mismatch accepted, p.u. on the system base.
    pub tol_pu: f64,
    /// Newton iterations at most.
    pub max_iter: usize,
    /// Start from |V| = 1, angle 0 (generator set-points kept) instead of the case's voltages.
    pub flat_start: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            tol_pu: 1e-8,
            max_iter: 10,
            flat_start: false,
        }
    }
}

/// Result of one bus.
#[derive(Debug, Clone, PartialEq)]
pub struct BusResult {
    /// Bus number in the case.
    pub id: u32,
    /// Voltage magnitude, p.u.
    pub vm_pu: f64,
    /// Voltage angle, degrees.
    pub va_deg: f64,
}

/// Result of one branch, both ends, MW and MVAr (zeros when out of service).
#[derive(Debug, Clone, PartialEq)]
pub struct BranchResult {
    /// From bus number.
    pub from: u32,
    /// To bus number.
    pub to: u32,
    /// Power into the branch at the from end, MW.
    pub pf_mw: f64,
    /// Reactive power into the branch at the from end, MVAr.
    pub qf_mvar: f64,
    /// Power into the branch at the to end, MW.
    pub pt_mw: f64,
    /// Reactive power into the branch at the to end, MVAr.
    pub qt_mvar: f64,
}

/// A power-flow outcome: converged or not, it is a value.
#[derive(Debug, Clone, PartialEq)]
pub struct PfResult {
    /// True when the mismatch fell below the tolerance.
    pub converged: bool,
    /// Newton iterations made.
    pub iterations: usize,
    /// Largest power mismatch at the end, p.u.
    pub max_mismatch_pu: f64,
    /// Buses in case order (isolated buses keep their case voltage).
    pub buses: Vec<BusResult>,
    /// Branches in case order.
    pub branches: Vec<BranchResult>,
    /// Active losses, MW.
    pub losses_mw: f64,
}

/// Admittance matrix rows: `(column, Y)` sorted by column; and the branch end admittances.
struct Network {
    rows: Vec<Vec<(usize, C)>>,
    /// Per in-service branch: (index in case, f, t, yff, yft, ytf, ytt).
    branches: Vec<(usize, usize, usize, C, C, C, C)>,
}

fn network(case: &Case, index: &BTreeMap<u32, usize>) -> Network {
    let n = index.len();
    let mut rows: Vec<BTreeMap<usize, C>> = vec![BTreeMap::new(); n];
    let base = case.base_mva;
    for b in &case.buses {
        if let Some(&i) = index.get(&b.id) {
            let e = rows[i].entry(i).or_default();
            *e = *e + C::new(b.gs_mw / base, b.bs_mvar / base);
        }
    }
    let mut branches = Vec::new();
    for (k, br) in case.branches.iter().enumerate() {
        let (Some(&f), Some(&t)) = (index.get(&br.from), index.get(&br.to)) else {
            continue;
        };
        if !br.in_service {
            continue;
        }
        let ys = C::new(br.r_pu, br.x_pu).inv();
        let ytt = ys + C::new(0.0, br.b_pu / 2.0);
        let tap = C::polar(br.ratio, br.shift_deg.to_radians());
        let tap2 = br.ratio * br.ratio;
        let yff = ytt.scale(1.0 / tap2);
        let yft = (ys * tap.conj().inv()).scale(-1.0);
        let ytf = (ys * tap.inv()).scale(-1.0);
        for (i, j, y) in [(f, f, yff), (f, t, yft), (t, f, ytf), (t, t, ytt)] {
            let e = rows[i].entry(j).or_default();
            *e = *e + y;
        }
        branches.push((k, f, t, yff, yft, ytf, ytt));
    }
    Network {
        rows: rows.into_iter().map(|r| r.into_iter().collect()).collect(),
        branches,
    }
}

/// Runs the power flow of `case`.
pub fn solve(case: &Case, opts: &Options) -> PfResult {
    let index: BTreeMap<u32, usize> = case
        .buses
        .iter()
        .filter(|b| b.kind != BusType::Isolated)
        .enumerate()
        .map(|(i, b)| (b.id, i))
        .collect();
    let live: Vec<&crate::case::CaseBus> = case
        .buses
        .iter()
        .filter(|b| b.kind != BusType::Isolated)
        .collect();
    let n = live.len();
    let net = network(case, &index);
    let base = case.base_mva;

    // Injections and voltage set-points.
    let mut sbus = vec![C::default(); n];
    let mut vg: Vec<Option<f64>> = vec![None; n];
    for g in case.gens.iter().filter(|g| g.in_service) {
        if let Some(&i) = index.get(&g.bus) {
            sbus[i] = sbus[i] + C::new(g.pg_mw / base, g.qg_mvar / base);
            if vg[i].is_none() {
                vg[i] = Some(g.vg_pu);
            }
        }
    }
    for (i, b) in live.iter().enumerate() {
        sbus[i] = sbus[i] - C::new(b.pd_mw / base, b.qd_mvar / base);
    }
    let kind: Vec<BusType> = live
        .iter()
        .enumerate()
        .map(|(i, b)| match b.kind {
            BusType::Pv if vg[i].is_none() => BusType::Pq,
            k => k,
        })
        .collect();
    let pv: Vec<usize> = (0..n).filter(|&i| kind[i] == BusType::Pv).collect();
    let pq: Vec<usize> = (0..n).filter(|&i| kind[i] == BusType::Pq).collect();
    let pvpq: Vec<usize> = pv.iter().chain(&pq).copied().collect();
    let (npvpq, npq) = (pvpq.len(), pq.len());
    let mut pos_a = vec![usize::MAX; n];
    for (k, &i) in pvpq.iter().enumerate() {
        pos_a[i] = k;
    }
    let mut pos_m = vec![usize::MAX; n];
    for (k, &i) in pq.iter().enumerate() {
        pos_m[i] = npvpq + k;
    }

    let mut vm: Vec<f64> = live
        .iter()
        .map(|b| if opts.flat_start { 1.0 } else { b.vm_pu })
        .collect();
    let mut va: Vec<f64> = live
        .iter()
        .map(|b| {
            if opts.flat_start && b.kind != BusType::Ref {
                0.0
            } else {
                b.va_deg.to_radians()
            }
        })
        .collect();
    for i in 0..n {
        if kind[i] != BusType::Pq {
            if let Some(v) = vg[i] {
                vm[i] = v;
            }
        }
    }

    // Jacobian pattern: P rows of pvpq buses, Q rows of pq buses; θ columns of pvpq, |V| of pq.
    let dim = npvpq + npq;
    let mut pairs = Vec::new();
    for &i in &pvpq {
        for &(j, _) in &net.rows[i] {
            if pos_a[j] != usize::MAX {
                pairs.push(Pair {
                    row: pos_a[i],
                    col: pos_a[j],
                });
            }
            if pos_m[j] != usize::MAX {
                pairs.push(Pair {
                    row: pos_a[i],
                    col: pos_m[j],
                });
            }
        }
    }
    for &i in &pq {
        for &(j, _) in &net.rows[i] {
            if pos_a[j] != usize::MAX {
                pairs.push(Pair {
                    row: pos_m[i],
                    col: pos_a[j],
                });
            }
            if pos_m[j] != usize::MAX {
                pairs.push(Pair {
                    row: pos_m[i],
                    col: pos_m[j],
                });
            }
        }
    }
    let structure = SymbolicSparseColMat::<usize>::try_new_from_indices(dim, dim, &pairs);
    let mut values = vec![0.0; pairs.len()];
    let mut symbolic_lu: Option<SymbolicLu<usize>> = None;

    let mut v: Vec<C> = (0..n).map(|i| C::polar(vm[i], va[i])).collect();
    let mismatch = |v: &[C]| -> (Vec<C>, Vec<f64>, f64) {
        let ibus: Vec<C> = net
            .rows
            .iter()
            .map(|r| r.iter().fold(C::default(), |acc, &(j, y)| acc + y * v[j]))
            .collect();
        let mis: Vec<C> = (0..n).map(|i| v[i] * ibus[i].conj() - sbus[i]).collect();
        let mut f = vec![0.0; dim];
        for &i in &pvpq {
            f[pos_a[i]] = mis[i].re;
        }
        for &i in &pq {
            f[pos_m[i]] = mis[i].im;
        }
        let norm = f.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        (ibus, f, norm)
    };
    let (mut ibus, mut f, mut norm) = mismatch(&v);
    let mut iterations = 0;
    let mut converged = norm < opts.tol_pu;
    while !converged && iterations < opts.max_iter {
        iterations += 1;
        // Fill the Jacobian values in the order of `pairs`.
        let mut k = 0;
        let mut fill = |i: usize, rows_p: bool| {
            for &(j, y) in &net.rows[i] {
                let vn_j = v[j].scale(1.0 / v[j].abs());
                // dS_i/dθ_j and dS_i/d|V|_j
                let (ds_da, ds_dm) = if i == j {
                    let vn_i = v[i].scale(1.0 / v[i].abs());
                    let da = C::new(0.0, 1.0) * v[i] * (ibus[i] - y * v[i]).conj();
                    let dm = v[i] * (y * vn_i).conj() + ibus[i].conj() * vn_i;
                    (da, dm)
                } else {
                    let da = C::new(0.0, -1.0) * v[i] * (y * v[j]).conj();
                    let dm = v[i] * (y * vn_j).conj();
                    (da, dm)
                };
                let pick = |z: C| if rows_p { z.re } else { z.im };
                if pos_a[j] != usize::MAX {
                    values[k] = pick(ds_da);
                    k += 1;
                }
                if pos_m[j] != usize::MAX {
                    values[k] = pick(ds_dm);
                    k += 1;
                }
            }
        };
        for &i in &pvpq {
            fill(i, true);
        }
        for &i in &pq {
            fill(i, false);
        }
        let Ok((sym, order)) = &structure else { break };
        let Ok(jac) = SparseColMat::<usize, f64>::new_from_argsort(sym.clone(), order, &values)
        else {
            break;
        };
        if symbolic_lu.is_none() {
            symbolic_lu = SymbolicLu::try_new(jac.symbolic()).ok();
        }
        let Some(slu) = &symbolic_lu else { break };
        let Ok(lu) = Lu::try_new_with_symbolic(slu.clone(), jac.as_ref()) else {
            break;
        };
        let mut rhs = faer::Mat::<f64>::from_fn(dim, 1, |r, _| -f[r]);
        lu.solve_in_place(rhs.as_mut());
        for &i in &pvpq {
            va[i] += rhs[(pos_a[i], 0)];
        }
        for &i in &pq {
            vm[i] += rhs[(pos_m[i], 0)];
        }
        v = (0..n).map(|i| C::polar(vm[i], va[i])).collect();
        (ibus, f, norm) = mismatch(&v);
        if !norm.is_finite() {
            break;
        }
        converged = norm < opts.tol_pu;
    }

    // Results in case order.
    let buses = case
        .buses
        .iter()
        .map(|b| match index.get(&b.id) {
            Some(&i) => BusResult {
                id: b.id,
                vm_pu: vm[i],
                va_deg: va[i].to_degrees(),
            },
            None => BusResult {
                id: b.id,
                vm_pu: b.vm_pu,
                va_deg: b.va_deg,
            },
        })
        .collect();
    let mut branches: Vec<BranchResult> = case
        .branches
        .iter()
        .map(|b| BranchResult {
            from: b.from,
            to: b.to,
            pf_mw: 0.0,
            qf_mvar: 0.0,
            pt_mw: 0.0,
            qt_mvar: 0.0,
        })
        .collect();
    let mut losses_mw = 0.0;
    for &(k, fb, tb, yff, yft, ytf, ytt) in &net.branches {
        let i_f = yff * v[fb] + yft * v[tb];
        let i_t = ytf * v[fb] + ytt * v[tb];
        let sf = (v[fb] * i_f.conj()).scale(base);
        let st = (v[tb] * i_t.conj()).scale(base);
        branches[k].pf_mw = sf.re;
        branches[k].qf_mvar = sf.im;
        branches[k].pt_mw = st.re;
        branches[k].qt_mvar = st.im;
        losses_mw += sf.re + st.re;
    }
    PfResult {
        converged,
        iterations,
        max_mismatch_pu: norm,
        buses,
        branches,
        losses_mw,
    }
}
