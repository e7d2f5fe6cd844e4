//! AC power flow by Newton–Raphson in polar coordinates, as MATPOWER's `newtonpf`: unknowns are
//! the angles of PV and PQ buses and the magnitudes of PQ buses; convergence is on the largest
//! power mismatch in per unit. The Jacobian's sparsity pattern, its fill-reducing order and its
//! LU pivots and patterns are found once per solve (`lu.rs`: faer's AMD and simplicial LU); every
//! later iteration refills the values and refactorises numerically along them. Reactive limits of
//! generators (PV→PQ switching, MATPOWER's `enforce_q_lims = 1`) repeat the solve as MATPOWER does.

use std::collections::BTreeMap;

use faer::sparse::{Pair, SparseColMat, SparseColMatRef, SymbolicSparseColMat};

use crate::case::{BusType, Case};
use crate::index::BusIndex;
use crate::lu::SparseLu;

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
    pub(crate) fn polar(m: f64, a: f64) -> Self {
        Self::new(m * a.cos(), m * a.sin())
    }
    pub(crate) fn conj(self) -> Self {
        Self::new(self.re, -self.im)
    }
    pub(crate) fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }
    pub(crate) fn scale(self, k: f64) -> Self {
        Self::new(self.re * k, self.im * k)
    }
    pub(crate) fn inv(self) -> Self {
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
    /// Enforce generators' reactive limits: a PV bus whose generators leave their limits becomes
    /// a PQ bus with them at the limit, and the power flow is solved again (MATPOWER's
    /// `enforce_q_lims = 1`: every violating generator at once, until none violates).
    pub q_limits: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            tol_pu: 1e-8,
            max_iter: 10,
            flat_start: false,
            q_limits: false,
        }
    }
}

/// Result of one bus.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BusResult {
    /// Bus number in the case.
    pub id: u32,
    /// Voltage magnitude, p.u.
    pub vm_pu: f64,
    /// Voltage angle, degrees.
    pub va_deg: f64,
    /// Net active injection into the network, MW (generation − demand + converters).
    pub p_mw: f64,
    /// Net reactive injection into the network, MVAr.
    pub q_mvar: f64,
}

/// Result of one branch, both ends, MW and MVAr (zeros when out of service).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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

/// Which reactive limit a generator ended at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QLimit {
    /// At `qmax_mvar`.
    Max,
    /// At `qmin_mvar`.
    Min,
}

/// Result of one generator (case order; zeros when out of service).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GenResult {
    /// Bus number.
    pub bus: u32,
    /// Active output, MW (the slack's balances the system).
    pub pg_mw: f64,
    /// Reactive output, MVAr.
    pub qg_mvar: f64,
    /// The limit it was held at, when reactive limits are enforced.
    pub at_limit: Option<QLimit>,
}

/// A power-flow outcome: converged or not, it is a value.
#[derive(Debug, Clone, PartialEq)]
pub struct PfResult {
    /// True when the mismatch fell below the tolerance.
    pub converged: bool,
    /// Newton iterations made (summed over the repeats of reactive-limit enforcement).
    pub iterations: usize,
    /// Largest power mismatch at the end, p.u.
    pub max_mismatch_pu: f64,
    /// Buses in case order (isolated buses keep their case voltage).
    pub buses: Vec<BusResult>,
    /// Branches in case order.
    pub branches: Vec<BranchResult>,
    /// Generators in case order.
    pub gens: Vec<GenResult>,
    /// Active losses, MW: AC branches, and for AC/DC cases DC branches and converter stations.
    pub losses_mw: f64,
    /// DC buses in case order (AC/DC cases).
    pub dc_buses: Vec<crate::acdc::DcBusResult>,
    /// Converters in case order, in service only (AC/DC cases).
    pub converters: Vec<crate::acdc::ConverterResult>,
    /// DC/DC converters in service (cases lowered from a park).
    pub dcdc: Vec<crate::acdc::DcDcResult>,
    /// Outer AC/DC iterations (0 for an AC case).
    pub outer_iterations: usize,
    /// The case's islands and how each was solved ([`crate::topology`]); the buses of a
    /// de-energised island have voltage 0.
    pub islands: Vec<crate::topology::Island>,
}

/// Admittance matrix rows: `(column, Y)` sorted by column; and the branch end admittances.
pub(crate) struct Network {
    pub(crate) rows: Vec<Vec<(usize, C)>>,
    /// Per in-service branch: (index in case, f, t, yff, yft, ytf, ytt).
    pub(crate) branches: Vec<(usize, usize, usize, C, C, C, C)>,
}

fn network(case: &Case, index: &BusIndex) -> Network {
    let n = index.len();
    // Each row's entries as they come (the diagonal first), sorted and merged below.
    let mut rows: Vec<Vec<(usize, C)>> = (0..n).map(|i| vec![(i, C::default())]).collect();
    let base = case.base_mva;
    for b in &case.buses {
        if let Some(i) = index.get(b.id) {
            rows[i][0].1 = rows[i][0].1 + C::new(b.gs_mw / base, b.bs_mvar / base);
        }
    }
    let mut branches = Vec::with_capacity(case.branches.len());
    for (k, br) in case.branches.iter().enumerate() {
        let (Some(f), Some(t)) = (index.get(br.from), index.get(br.to)) else {
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
        rows[f][0].1 = rows[f][0].1 + yff;
        rows[t][0].1 = rows[t][0].1 + ytt;
        rows[f].push((t, yft));
        rows[t].push((f, ytf));
        branches.push((k, f, t, yff, yft, ytf, ytt));
    }
    // Columns ascending, parallel branches' entries summed (a branch from a bus to itself lands
    // on the diagonal).
    for row in &mut rows {
        row.sort_unstable_by_key(|&(j, _)| j);
        row.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                kept.1 = kept.1 + later.1;
                true
            } else {
                false
            }
        });
    }
    Network { rows, branches }
}

/// A case ready for Newton: live buses indexed, admittances built, injections and kinds set.
pub(crate) struct Prepared {
    /// Case bus number → index among live buses.
    pub(crate) index: BusIndex,
    pub(crate) net: Network,
    /// Specified injections, p.u. (generation − demand).
    pub(crate) sbus: Vec<C>,
    /// Bus kinds as solved (PV buses without a generator in service are PQ).
    pub(crate) kind: Vec<BusType>,
    pub(crate) vm: Vec<f64>,
    pub(crate) va: Vec<f64>,
    /// Injections that are not generators' (converters), p.u., for telling generators' share.
    pub(crate) extra: Vec<C>,
}

pub(crate) fn prepare(case: &Case, opts: &Options) -> Prepared {
    let live: Vec<&crate::case::CaseBus> = case
        .buses
        .iter()
        .filter(|b| b.kind != BusType::Isolated)
        .collect();
    let index = BusIndex::new(live.iter().map(|b| b.id));
    let n = live.len();
    let net = network(case, &index);
    let base = case.base_mva;
    let mut sbus = vec![C::default(); n];
    let mut vg: Vec<Option<f64>> = vec![None; n];
    for g in case.gens.iter().filter(|g| g.in_service) {
        if let Some(i) = index.get(g.bus) {
            sbus[i] = sbus[i] + C::new(g.pg_mw / base, g.qg_mvar / base);
            // The last in-service generator's set-point holds where there are several (MATPOWER's
            // `V0(gbus) = gen(on, VG)`, an assignment in which a repeated bus takes the last).
            vg[i] = Some(g.vg_pu);
        }
    }
    for (i, b) in live.iter().enumerate() {
        sbus[i] = sbus[i] - C::new(b.pd_mw / base, b.qd_mvar / base);
    }
    // MATPOWER's `bustypes`: a PV or reference bus without an in-service generator is PQ. Every
    // island already has a reference bus with a generator (`topology::energised`).
    let kind: Vec<BusType> = live
        .iter()
        .enumerate()
        .map(|(i, b)| match b.kind {
            BusType::Pv | BusType::Ref if vg[i].is_none() => BusType::Pq,
            k => k,
        })
        .collect();
    // A start at zero (or at no number) has no Jacobian: 1 p.u. there.
    let usable = |v: f64| v > 0.0 && v.is_finite();
    let mut vm: Vec<f64> = live
        .iter()
        .map(|b| {
            if opts.flat_start || !usable(b.vm_pu) {
                1.0
            } else {
                b.vm_pu
            }
        })
        .collect();
    let mut va: Vec<f64> = live
        .iter()
        .zip(&kind)
        .map(|(b, k)| {
            if opts.flat_start && *k != BusType::Ref {
                0.0
            } else {
                b.va_deg.to_radians()
            }
        })
        .collect();
    // Phase-shifting transformers (a Dyn5 distribution transformer shifts 150°): a start that
    // ignores them is far from the solution and Newton diverges. Start each bus at the sum of the
    // shifts on its way from the reference — when starting flat, or when the case's own angles
    // carry no shift (all zero, as a lowered park's do).
    let shifted = case
        .branches
        .iter()
        .any(|b| b.in_service && b.shift_deg != 0.0);
    let case_angles_flat = live
        .iter()
        .zip(&kind)
        .all(|(b, k)| *k == BusType::Ref || b.va_deg == 0.0);
    if shifted && (opts.flat_start || case_angles_flat) {
        if let Some(start) = shift_angles(case, &index, &kind, &va) {
            va = start;
        }
    }
    // A voltage-controlled bus holds its generator's set-point; a set-point that is not a
    // positive number (a generator's Vg of 0, which MATPOWER ignores at PQ buses, on a bus made
    // an island's reference) leaves the start's magnitude (`Case::notes` says so).
    for i in 0..n {
        if kind[i] != BusType::Pq {
            if let Some(v) = vg[i].filter(|v| usable(*v)) {
                vm[i] = v;
            }
        }
    }
    Prepared {
        index,
        net,
        sbus,
        kind,
        vm,
        va,
        extra: vec![C::default(); n],
    }
}

/// Each bus's angle as the reference's minus the phase shifts on the in-service branches between
/// them (breadth first; MATPOWER's branch shift θ makes the to-bus lag the from-bus by θ); buses
/// not reached keep `va`. None when there is no reference bus.
fn shift_angles(case: &Case, index: &BusIndex, kind: &[BusType], va: &[f64]) -> Option<Vec<f64>> {
    let n = kind.len();
    let mut adj: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for b in case.branches.iter().filter(|b| b.in_service) {
        if let (Some(f), Some(t)) = (index.get(b.from), index.get(b.to)) {
            let s = b.shift_deg.to_radians();
            adj[f].push((t, -s));
            adj[t].push((f, s));
        }
    }
    let mut out = va.to_vec();
    let mut seen = vec![false; n];
    let mut queue = std::collections::VecDeque::new();
    for (i, k) in kind.iter().enumerate() {
        if *k == BusType::Ref {
            seen[i] = true;
            queue.push_back(i);
        }
    }
    if queue.is_empty() {
        return None;
    }
    while let Some(i) = queue.pop_front() {
        for &(j, d) in &adj[i] {
            if !seen[j] {
                seen[j] = true;
                out[j] = out[i] + d;
                queue.push_back(j);
            }
        }
    }
    Some(out)
}

/// `V·conj(Y·V)` at every bus: the power the network takes from each bus, p.u.
pub(crate) fn injections(net: &Network, v: &[C]) -> Vec<C> {
    net.rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let ibus = r.iter().fold(C::default(), |acc, &(j, y)| acc + y * v[j]);
            v[i] * ibus.conj()
        })
        .collect()
}

/// What repeated power flows of one topology share: the Jacobian's pattern and its sorted
/// structure, and the LU's column order, row pivots and fill patterns (the symbolic work). A solve
/// whose Jacobian has the same pattern only refactors numerically along them, as KLU's
/// `klu_refactor` does; any other pattern starts afresh. One workspace per topology (an N-1 scan
/// keeps one per outage).
#[derive(Default)]
pub struct Workspace {
    pattern: Vec<Pair<usize, usize>>,
    /// The Jacobian's column-compressed pattern, and where each entry of `pattern` sits in it.
    structure: Option<(SymbolicSparseColMat<usize>, Vec<usize>)>,
    lu: Option<SparseLu>,
    /// Symbolic analyses made (orderings and fresh pivoting factorisations).
    pub analyses: usize,
    /// Numeric refactorisations along a kept analysis.
    pub refactorisations: usize,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("pattern_nnz", &self.pattern.len())
            .field("analyses", &self.analyses)
            .field("refactorisations", &self.refactorisations)
            .finish()
    }
}

/// The column-compressed pattern of a matrix with entries at `pairs` (no repeats), and the
/// position of each pair in it; None if a pair is out of range or repeated.
fn csc_structure(
    dim: usize,
    pairs: &[Pair<usize, usize>],
) -> Option<(SymbolicSparseColMat<usize>, Vec<usize>)> {
    let (sym, order) = SymbolicSparseColMat::<usize>::try_new_from_indices(dim, dim, pairs).ok()?;
    if sym.compute_nnz() != pairs.len() {
        return None;
    }
    // Each pair's index, carried through the sort as a value (exact below 2^53).
    let ids: Vec<f64> = (0..pairs.len()).map(|k| k as f64).collect();
    let sorted = SparseColMat::<usize, f64>::new_from_argsort(sym.clone(), &order, &ids).ok()?;
    let mut position = vec![0; pairs.len()];
    for (p, &id) in sorted.val().iter().enumerate() {
        position[id as usize] = p;
    }
    Some((sym, position))
}

/// What one Newton run ended with.
pub(crate) struct NrOutcome {
    pub(crate) converged: bool,
    pub(crate) iterations: usize,
    pub(crate) norm: f64,
}

/// Newton–Raphson on `sbus` with bus kinds `kind`, from and into `vm`, `va`.
pub(crate) fn newton(
    net: &Network,
    sbus: &[C],
    kind: &[BusType],
    vm: &mut [f64],
    va: &mut [f64],
    opts: &Options,
    ws: &mut Workspace,
) -> NrOutcome {
    let n = kind.len();
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

    // Jacobian pattern: P rows of pvpq buses, Q rows of pq buses; θ columns of pvpq, |V| of pq.
    let dim = npvpq + npq;
    // Each row of the network gives at most two entries to a bus's P row and two to its Q row.
    let mut pairs = Vec::with_capacity(
        pvpq.iter().map(|&i| 2 * net.rows[i].len()).sum::<usize>()
            + pq.iter().map(|&i| 2 * net.rows[i].len()).sum::<usize>(),
    );
    // Where each bus's P row and Q row start in `pairs` (the Jacobian's values in fill order).
    let mut start = vec![(usize::MAX, usize::MAX); n];
    for (&i, rows_p) in pvpq
        .iter()
        .map(|i| (i, true))
        .chain(pq.iter().map(|i| (i, false)))
    {
        let row = if rows_p { pos_a[i] } else { pos_m[i] };
        if rows_p {
            start[i].0 = pairs.len();
        } else {
            start[i].1 = pairs.len();
        }
        for &(j, _) in &net.rows[i] {
            if pos_a[j] != usize::MAX {
                pairs.push(Pair { row, col: pos_a[j] });
            }
            if pos_m[j] != usize::MAX {
                pairs.push(Pair { row, col: pos_m[j] });
            }
        }
    }
    if ws.pattern != pairs || ws.structure.is_none() {
        ws.structure = csc_structure(dim, &pairs);
        ws.lu = None;
        ws.pattern = pairs;
    }
    let mut csc_values = vec![0.0; ws.pattern.len()];

    // The state and the mismatch live in buffers made once per solve (each is ~100-300 kB on a
    // 10,000-bus case; allocating them every iteration cost as much as a refactorisation in
    // fresh pages from the kernel).
    let mut v: Vec<C> = (0..n).map(|i| C::polar(vm[i], va[i])).collect();
    let mut ibus = vec![C::default(); n];
    let mut f = vec![0.0; dim];
    let mut dx = vec![0.0; dim];
    let mismatch = |v: &[C], ibus: &mut [C], f: &mut [f64]| -> f64 {
        for (out, r) in ibus.iter_mut().zip(&net.rows) {
            *out = r.iter().fold(C::default(), |acc, &(j, y)| acc + y * v[j]);
        }
        for &i in &pvpq {
            f[pos_a[i]] = (v[i] * ibus[i].conj() - sbus[i]).re;
        }
        for &i in &pq {
            f[pos_m[i]] = (v[i] * ibus[i].conj() - sbus[i]).im;
        }
        max_abs(f)
    };
    let mut norm = mismatch(&v, &mut ibus, &mut f);
    let mut iterations = 0;
    let mut converged = norm < opts.tol_pu;
    while !converged && iterations < opts.max_iter {
        iterations += 1;
        // Fill the Jacobian: each entry's dS_i/dθ_j and dS_i/d|V|_j once, the real part into
        // bus i's P row and, for a PQ bus, the imaginary part into its Q row, each straight to
        // its place in the column-compressed values.
        let Some((sym, position)) = &ws.structure else {
            break;
        };
        for &i in &pvpq {
            let (mut kp, mut kq) = start[i];
            let has_q = kq != usize::MAX;
            let vn_i = v[i].scale(1.0 / vm[i]);
            for &(j, y) in &net.rows[i] {
                let (ds_da, ds_dm) = if i == j {
                    let da = C::new(0.0, 1.0) * v[i] * (ibus[i] - y * v[i]).conj();
                    let dm = v[i] * (y * vn_i).conj() + ibus[i].conj() * vn_i;
                    (da, dm)
                } else {
                    let vn_j = v[j].scale(1.0 / vm[j]);
                    let da = C::new(0.0, -1.0) * v[i] * (y * v[j]).conj();
                    let dm = v[i] * (y * vn_j).conj();
                    (da, dm)
                };
                if pos_a[j] != usize::MAX {
                    csc_values[position[kp]] = ds_da.re;
                    kp += 1;
                    if has_q {
                        csc_values[position[kq]] = ds_da.im;
                        kq += 1;
                    }
                }
                if pos_m[j] != usize::MAX {
                    csc_values[position[kp]] = ds_dm.re;
                    kp += 1;
                    if has_q {
                        csc_values[position[kq]] = ds_dm.im;
                        kq += 1;
                    }
                }
            }
        }
        let jac = SparseColMatRef::new(sym.as_ref(), &csc_values);
        // Ordered and factorised once per pattern; refactorised on the same pivots after that.
        let refactored = ws.lu.as_mut().is_some_and(|lu| lu.refactor(jac.as_ref()));
        if refactored {
            ws.refactorisations += 1;
        } else {
            ws.lu = SparseLu::new(jac.as_ref());
            ws.analyses += 1;
        }
        let Some(lu) = ws.lu.as_mut() else { break };
        for (d, x) in dx.iter_mut().zip(&f) {
            *d = -x;
        }
        lu.solve(&mut dx);
        for &i in &pvpq {
            va[i] += dx[pos_a[i]];
        }
        for &i in &pq {
            vm[i] += dx[pos_m[i]];
        }
        for (i, vi) in v.iter_mut().enumerate() {
            *vi = C::polar(vm[i], va[i]);
        }
        norm = mismatch(&v, &mut ibus, &mut f);
        if !norm.is_finite() {
            break;
        }
        converged = norm < opts.tol_pu && vm.iter().chain(va.iter()).all(|x| x.is_finite());
    }
    NrOutcome {
        converged,
        iterations,
        norm,
    }
}

/// Reactive output of each in-service generator given the bus injections `s` (p.u.): the bus's
/// reactive need shared in proportion to the generators' reactive ranges (equal shares when the
/// ranges are equal), as MATPOWER's `pfsoln`. Generators held at a limit keep it.
fn gen_q(case: &Case, prep: &Prepared, s: &[C], held: &[Option<QLimit>]) -> Vec<f64> {
    let base = case.base_mva;
    let mut q = vec![0.0; case.gens.len()];
    let mut at_bus: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, g) in case.gens.iter().enumerate() {
        if let (true, Some(i)) = (g.in_service, prep.index.get(g.bus)) {
            at_bus.entry(i).or_default().push(k);
        }
    }
    let qd: BTreeMap<usize, f64> = case
        .buses
        .iter()
        .filter_map(|b| prep.index.get(b.id).map(|i| (i, b.qd_mvar)))
        .collect();
    for (i, gens) in at_bus {
        let mut need = (s[i].im - prep.extra[i].im) * base + qd.get(&i).copied().unwrap_or(0.0);
        let mut free = Vec::new();
        for &k in &gens {
            match held[k] {
                Some(QLimit::Max) => {
                    q[k] = case.gens[k].qmax_mvar;
                    need -= q[k];
                }
                Some(QLimit::Min) => {
                    q[k] = case.gens[k].qmin_mvar;
                    need -= q[k];
                }
                None => free.push(k),
            }
        }
        let range = |k: usize| {
            let g = &case.gens[k];
            let r = g.qmax_mvar - g.qmin_mvar;
            if r.is_finite() && r > 0.0 { r } else { 1.0 }
        };
        let total: f64 = free.iter().map(|&k| range(k)).sum();
        for &k in &free {
            q[k] = need * range(k) / total;
        }
    }
    q
}

/// Runs the power flow of `case`: AC Newton–Raphson, or the sequential AC/DC scheme when the
/// case has converters (reactive limits are then not enforced). Each island is solved by the
/// conventions of [`crate::topology`]: with its reference, with its own, or left out.
pub fn solve(case: &Case, opts: &Options) -> PfResult {
    solve_in(case, opts, &mut Workspace::default())
}

/// [`solve`] reusing `ws`'s symbolic analysis when the Jacobian's pattern is the one it holds
/// (the same topology and bus kinds): for many power flows of one network.
pub fn solve_in(case: &Case, opts: &Options, ws: &mut Workspace) -> PfResult {
    let (solved, islands) = crate::topology::energised(case);
    let mut res = if !solved.converters.is_empty() || !solved.dcdc.is_empty() {
        crate::acdc::solve(&solved, opts, ws)
    } else {
        solve_ac(&solved, opts, ws)
    };
    let dead = crate::topology::dead_buses(&islands);
    for b in res.buses.iter_mut().filter(|b| dead.ac.contains(&b.id)) {
        b.vm_pu = 0.0;
        b.va_deg = 0.0;
    }
    for b in res.dc_buses.iter_mut().filter(|b| dead.dc.contains(&b.id)) {
        b.vdc_pu = 0.0;
    }
    res.islands = islands;
    res
}

/// The AC Newton–Raphson power flow of a case whose every island has a reference.
fn solve_ac(case: &Case, opts: &Options, ws: &mut Workspace) -> PfResult {
    let mut prep = prepare(case, opts);
    let base = case.base_mva;
    let mut held: Vec<Option<QLimit>> = vec![None; case.gens.len()];
    let mut iterations = 0;
    let (vm0, va0) = (prep.vm.clone(), prep.va.clone());
    let first_ref = prep.kind.iter().position(|k| *k == BusType::Ref);
    let qd: Vec<f64> = case
        .buses
        .iter()
        .filter(|b| prep.index.contains(b.id))
        .map(|b| b.qd_mvar)
        .collect();
    let mut converged;
    let mut norm;
    loop {
        let out = newton(
            &prep.net,
            &prep.sbus,
            &prep.kind,
            &mut prep.vm,
            &mut prep.va,
            opts,
            ws,
        );
        iterations += out.iterations;
        (converged, norm) = (out.converged, out.norm);
        if !converged || !opts.q_limits {
            break;
        }
        let v: Vec<C> = (0..prep.vm.len())
            .map(|i| C::polar(prep.vm[i], prep.va[i]))
            .collect();
        let s = injections(&prep.net, &v);
        let q = gen_q(case, &prep, &s, &held);
        // Generators of voltage-controlled buses (the slack's too) beyond a limit by more than
        // MATPOWER's 5e-6 MVAr are held there, all at once.
        let mut switched = Vec::new();
        for (k, g) in case.gens.iter().enumerate() {
            let Some(i) = prep.index.get(g.bus) else {
                continue;
            };
            if !g.in_service || held[k].is_some() || prep.kind[i] == BusType::Pq {
                continue;
            }
            let limit = if q[k] > g.qmax_mvar + 5e-6 {
                QLimit::Max
            } else if q[k] < g.qmin_mvar - 5e-6 {
                QLimit::Min
            } else {
                continue;
            };
            held[k] = Some(limit);
            if !switched.contains(&i) {
                switched.push(i);
            }
        }
        if switched.is_empty() {
            break;
        }
        // Their buses turn PQ: every generator there gives a fixed reactive power, the held ones
        // their limit and the others what they gave; a slack bus keeps the active power it gave.
        for &i in &switched {
            let mut q_bus = 0.0;
            for (m, gm) in case.gens.iter().enumerate() {
                if gm.in_service && prep.index.get(gm.bus) == Some(i) {
                    q_bus += match held[m] {
                        Some(QLimit::Max) => gm.qmax_mvar,
                        Some(QLimit::Min) => gm.qmin_mvar,
                        None => q[m],
                    };
                }
            }
            let p = if prep.kind[i] == BusType::Ref {
                s[i].re
            } else {
                prep.sbus[i].re
            };
            prep.sbus[i] = C::new(p, (q_bus - qd[i]) / base);
            prep.kind[i] = BusType::Pq;
        }
        if !prep.kind.contains(&BusType::Ref) {
            // The first remaining voltage-controlled bus takes the slack.
            match prep.kind.iter().position(|k| *k == BusType::Pv) {
                Some(i) => prep.kind[i] = BusType::Ref,
                None => {
                    converged = false;
                    break;
                }
            }
        }
        // Start again from the initial voltages, as MATPOWER does.
        prep.vm.clone_from(&vm0);
        prep.va.clone_from(&va0);
    }
    // Angles back on the original slack's reference.
    if let Some(r) = first_ref {
        let shift = prep.va[r] - va0[r];
        if shift != 0.0 {
            prep.va.iter_mut().for_each(|a| *a -= shift);
        }
    }
    results(case, &prep, &held, converged, iterations, norm)
}

/// The results of a solved `prep`, in case order.
pub(crate) fn results(
    case: &Case,
    prep: &Prepared,
    held: &[Option<QLimit>],
    converged: bool,
    iterations: usize,
    norm: f64,
) -> PfResult {
    let base = case.base_mva;
    let n = prep.vm.len();
    let v: Vec<C> = (0..n).map(|i| C::polar(prep.vm[i], prep.va[i])).collect();
    let s = injections(&prep.net, &v);
    let buses = case
        .buses
        .iter()
        .map(|b| match prep.index.get(b.id) {
            Some(i) => BusResult {
                id: b.id,
                vm_pu: prep.vm[i],
                va_deg: prep.va[i].to_degrees(),
                p_mw: s[i].re * base,
                q_mvar: s[i].im * base,
            },
            None => BusResult {
                id: b.id,
                vm_pu: b.vm_pu,
                va_deg: b.va_deg,
                p_mw: 0.0,
                q_mvar: 0.0,
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
    for &(k, fb, tb, yff, yft, ytf, ytt) in &prep.net.branches {
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
    // Generators: reactive output from the bus balance; the reference bus's active output too.
    let q = gen_q(case, prep, &s, held);
    let pd: BTreeMap<u32, f64> = case.buses.iter().map(|b| (b.id, b.pd_mw)).collect();
    let gens = case
        .gens
        .iter()
        .enumerate()
        .map(|(k, g)| {
            let i = prep.index.get(g.bus);
            if !g.in_service || i.is_none() {
                return GenResult {
                    bus: g.bus,
                    pg_mw: 0.0,
                    qg_mvar: 0.0,
                    at_limit: None,
                };
            }
            let i = i.unwrap_or(0);
            let first_at_bus = case
                .gens
                .iter()
                .position(|gm| gm.in_service && gm.bus == g.bus)
                == Some(k);
            let case_p = case
                .gens
                .iter()
                .filter(|gm| gm.in_service && gm.bus == g.bus)
                .map(|gm| gm.pg_mw)
                .sum::<f64>()
                - pd.get(&g.bus).copied().unwrap_or(0.0);
            let balance_set =
                prep.kind[i] == BusType::Ref || (prep.sbus[i].re * base - case_p).abs() > 1e-9;
            let pg = if balance_set && first_at_bus {
                // The slack's first generator gives what the bus must beyond the others' output.
                let others: f64 = case
                    .gens
                    .iter()
                    .enumerate()
                    .filter(|(m, gm)| *m != k && gm.in_service && gm.bus == g.bus)
                    .map(|(_, gm)| gm.pg_mw)
                    .sum();
                (s[i].re - prep.extra[i].re) * base + pd.get(&g.bus).copied().unwrap_or(0.0)
                    - others
            } else {
                g.pg_mw
            };
            GenResult {
                bus: g.bus,
                pg_mw: pg,
                qg_mvar: q[k],
                at_limit: held[k],
            }
        })
        .collect();
    PfResult {
        converged,
        iterations,
        max_mismatch_pu: norm,
        buses,
        branches,
        gens,
        losses_mw,
        dc_buses: Vec::new(),
        converters: Vec::new(),
        dcdc: Vec::new(),
        outer_iterations: 0,
        islands: Vec::new(),
    }
}

/// The largest magnitude of `f`, infinite when an entry is not a number (`f64::max` would pass
/// over a NaN, and a mismatch of NaN would read as converged).
pub(crate) fn max_abs(f: &[f64]) -> f64 {
    f.iter().fold(0.0f64, |m, x| {
        if x.is_nan() {
            f64::INFINITY
        } else {
            m.max(x.abs())
        }
    })
}
