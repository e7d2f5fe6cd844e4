//! N-1: every line, transformer and converter out in turn. For each outage: the buses left
//! without any generator (islanded) and the load lost with them, the islands that keep generation
//! (solved with their own reference, shedding what it cannot carry — [`crate::topology`]), whether
//! the rest still solves, the voltages out of band, the elements over their rating; and a ranking,
//! worst first.

use std::collections::{BTreeMap, BTreeSet};

use crate::case::Case;
use crate::check::{StepCheck, evaluate};
use crate::lower::{Element, Lowered};
use crate::newton::{Options, Workspace, solve_in};
use crate::topology::IslandState;

/// The outcome of one outage.
#[derive(Debug, Clone, PartialEq)]
pub struct Contingency {
    /// The element taken out (park id, or `branch N`, `dc branch N`, `converter N` for a case).
    pub element: String,
    /// `line`, `transformer`, `dc line`, `converter`, `dc/dc`.
    pub kind: &'static str,
    /// Buses the outage leaves de-energised (beyond those the intact network already has).
    pub islanded: Vec<String>,
    /// Load the outage loses, MW: on the islanded buses, and shed by islands whose own
    /// generation cannot carry them (beyond the intact network's loss).
    pub lost_load_mw: f64,
    /// The check of what remains.
    pub check: StepCheck,
}

impl Contingency {
    /// Ranking key: not solved, load lost, violations, highest loading — larger is worse.
    fn severity(&self) -> (bool, f64, usize, f64) {
        let c = &self.check;
        (
            !c.converged,
            self.lost_load_mw,
            c.voltage_violations.len() + c.overloads().count(),
            c.max_loading().map_or(0.0, |l| l.fraction),
        )
    }
}

/// A MATPOWER / MATACDC case seen as a network to check: elements named by their rows, bands from
/// the case, ratings from `rateA` (0: unlimited).
pub fn lowered_from_case(case: &Case) -> Lowered {
    let mut elements = BTreeMap::new();
    let mut rating = BTreeMap::new();
    for (k, b) in case.branches.iter().enumerate() {
        let id = format!("branch {} ({}–{})", k + 1, b.from, b.to);
        rating.insert(
            id.clone(),
            if b.rate_a_mva > 0.0 {
                b.rate_a_mva * 1000.0
            } else {
                f64::INFINITY
            },
        );
        elements.insert(id, Element::Branch(k));
    }
    let kv_dc: BTreeMap<u32, f64> = case.dc_buses.iter().map(|b| (b.id, b.base_kv)).collect();
    for (k, b) in case.dc_branches.iter().enumerate() {
        let id = format!("dc branch {} ({}–{})", k + 1, b.from, b.to);
        let kv = kv_dc.get(&b.from).copied().unwrap_or(1.0);
        // Rating in A per pole.
        rating.insert(
            id.clone(),
            if b.rate_a_mw > 0.0 {
                b.rate_a_mw * 1000.0 / (f64::from(case.dcpol) * kv)
            } else {
                f64::INFINITY
            },
        );
        elements.insert(id, Element::DcBranch(k));
    }
    for (k, c) in case.converters.iter().enumerate() {
        let id = format!("converter {} ({}–{})", k + 1, c.busac, c.busdc);
        rating.insert(id.clone(), c.i_max_pu * case.base_mva * 1000.0);
        elements.insert(id, Element::Converter(k));
    }
    Lowered {
        ac_bus: case
            .buses
            .iter()
            .map(|b| (b.id.to_string(), b.id))
            .collect(),
        dc_bus: case
            .dc_buses
            .iter()
            .map(|b| (format!("dc {}", b.id), b.id))
            .collect(),
        elements,
        rating,
        lines: BTreeSet::new(),
        magnetising: BTreeMap::new(),
        from_case: true,
        case: case.clone(),
    }
}

/// Runs every single outage of `base` (a lowered case with its injections applied) and ranks
/// them, worst first. The first entry of the returned pair is the intact network's check.
pub fn n_minus_1(base: &Lowered, opts: &Options) -> (StepCheck, Vec<Contingency>) {
    Scan::default().step(base, opts)
}

/// N-1 over many operating points of one network (every step of a year): one power-flow
/// [`Workspace`] per topology — the intact network and each outage — so that the symbolic
/// analysis of each Jacobian is made once and every later step only refactors numerically.
#[derive(Debug, Default)]
pub struct Scan {
    intact: Workspace,
    outage: BTreeMap<String, Workspace>,
    scratch: Option<Lowered>,
}

impl Scan {
    /// Symbolic analyses and numeric refactorisations made so far, over all topologies.
    pub fn factorisations(&self) -> (usize, usize) {
        self.outage
            .values()
            .chain(std::iter::once(&self.intact))
            .fold((0, 0), |(a, r), w| (a + w.analyses, r + w.refactorisations))
    }

    /// [`n_minus_1`] of one operating point, `base` being the network with its injections (the
    /// same network, elements and ratings, at every call of one scan).
    pub fn step(&mut self, base: &Lowered, opts: &Options) -> (StepCheck, Vec<Contingency>) {
        let intact = evaluate(base, &solve_in(&base.case, opts, &mut self.intact));
        let intact_dead: BTreeSet<&String> = intact
            .islands
            .iter()
            .filter(|i| i.state == IslandState::DeEnergised)
            .flat_map(|i| i.buses.iter())
            .collect();
        let intact_lost_mw: f64 = intact.islands.iter().map(|i| i.lost_load_kw / 1000.0).sum();
        let names_dc: BTreeMap<u32, &str> =
            base.dc_bus.iter().map(|(k, &v)| (v, k.as_str())).collect();
        let mut out = Vec::new();
        let lowered = self.scratch.get_or_insert_with(|| base.clone());
        for (id, element) in &base.elements {
            lowered.case.clone_from(&base.case);
            let case = &mut lowered.case;
            let kind = match *element {
                Element::Branch(k) => {
                    if !case.branches[k].in_service {
                        continue;
                    }
                    case.branches[k].in_service = false;
                    let b = &case.branches[k];
                    if base.lines.contains(id) {
                        "line"
                    } else if !base.from_case || b.ratio != 1.0 || b.shift_deg != 0.0 {
                        "transformer"
                    } else {
                        "line"
                    }
                }
                Element::DcBranch(k) => {
                    if !case.dc_branches[k].in_service {
                        continue;
                    }
                    case.dc_branches[k].in_service = false;
                    "dc line"
                }
                Element::Converter(k) => {
                    if !case.converters[k].in_service {
                        continue;
                    }
                    case.converters[k].in_service = false;
                    "converter"
                }
                Element::DcDc(k) => {
                    if !case.dcdc[k].in_service {
                        continue;
                    }
                    case.dcdc[k].in_service = false;
                    "dc/dc"
                }
            };
            // DC networks that lose their voltage holder trip, their load lost; AC islands are
            // the power flow's (`topology`): de-energised, or solved with their own reference.
            let (ac, dc) = crate::topology::reached(case);
            let mut islanded = Vec::new();
            let mut lost = 0.0;
            for b in case.dc_buses.iter_mut() {
                if !dc.contains(&b.id) {
                    islanded.push(names_dc.get(&b.id).copied().unwrap_or("?").to_string());
                    lost += b.p_load_mw.max(0.0);
                    b.p_load_mw = 0.0;
                }
            }
            let dc_tripped: BTreeSet<String> = islanded.iter().cloned().collect();
            for c in case.converters.iter_mut() {
                if !dc.contains(&c.busdc) || !ac.contains(&c.busac) {
                    c.in_service = false;
                }
            }
            for c in case.dcdc.iter_mut() {
                if !dc.contains(&c.to) {
                    c.in_service = false;
                }
            }
            let ws = self.outage.entry(id.clone()).or_default();
            let res = solve_in(&lowered.case, opts, ws);
            let mut check = evaluate(lowered, &res);
            // What this outage loses beyond what the intact network already has cut off.
            for island in check
                .islands
                .iter()
                .filter(|i| i.state == IslandState::DeEnergised)
            {
                for bus in &island.buses {
                    if !intact_dead.contains(bus) && !islanded.contains(bus) {
                        islanded.push(bus.clone());
                    }
                }
            }
            let lost_now: f64 = check.islands.iter().map(|i| i.lost_load_kw / 1000.0).sum();
            lost += (lost_now - intact_lost_mw).max(0.0);
            // Islands already cut off in the intact network, and DC networks tripped above (named in
            // `islanded` with their load), are not reported again.
            check.islands.retain(|i| {
                !i.buses
                    .iter()
                    .all(|b| intact_dead.contains(b) || dc_tripped.contains(b))
            });
            // Islanded buses are not violations of the network that remains.
            check
                .voltage_violations
                .retain(|v| !islanded.contains(&v.bus));
            out.push(Contingency {
                element: id.clone(),
                kind,
                islanded,
                lost_load_mw: lost,
                check,
            });
        }
        out.sort_by(|a, b| {
            let (x, y) = (a.severity(), b.severity());
            y.0.cmp(&x.0)
                .then(y.1.total_cmp(&x.1))
                .then(y.2.cmp(&x.2))
                .then(y.3.total_cmp(&x.3))
        });
        (intact, out)
    }
}
