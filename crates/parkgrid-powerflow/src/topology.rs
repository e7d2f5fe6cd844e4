//! Islands: the parts of a case that in-service branches, DC lines and converters hold together,
//! and what each can do on its own.
//!
//! The conventions, applied by [`crate::solve`] before any Newton iteration:
//! - a part that holds a reference bus is solved as the case gives it (MATPOWER's `bustypes`
//!   inside it);
//! - a part with an in-service generator but no reference bus is solved with its own reference:
//!   the first PV bus with a generator (MATPOWER's choice), else the bus of its largest generator.
//!   When that reference would have to give more than its generators' `Pmax` (before losses),
//!   the part's load is cut in proportion until it can (load shedding), and the cut is reported;
//! - a part without any generator in service is de-energised: its AC buses are left out
//!   (isolated), its DC loads dropped, its converters out, and its load is reported as lost.
//!
//! This is the pandapower behaviour for buses not reached from an external grid, extended with
//! MATPOWER 7's treatment of several islands, each solved with its own reference.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::case::{BusType, Case};
use crate::index::BusIndex;

/// What an island can do on its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IslandState {
    /// It holds a reference bus of the case: solved as given.
    Reference,
    /// Generation but no reference bus with a generator in service: solved with bus `slack` as
    /// its reference — where the island holds the case's reference bus, its first PV bus with a
    /// generator (MATPOWER's `bustypes`, no limit on the output); elsewhere (an island cut off
    /// by outages) a PV bus with a generator or the largest generator's, within its Pmax.
    OwnSlack {
        /// The bus that takes the reference.
        slack: u32,
    },
    /// Its generation cannot carry its load: solved with its own reference after cutting every
    /// load of the island in proportion by `shed_mw`.
    Shed {
        /// The bus that takes the reference.
        slack: u32,
        /// Load cut, MW.
        shed_mw: f64,
    },
    /// No generator in service: left out, its load lost.
    DeEnergised,
}

impl IslandState {
    /// Its name in JSON: `reference`, `own_reference`, `shedding`, `de_energised`.
    pub fn name(self) -> &'static str {
        match self {
            IslandState::Reference => "reference",
            IslandState::OwnSlack { .. } => "own_reference",
            IslandState::Shed { .. } => "shedding",
            IslandState::DeEnergised => "de_energised",
        }
    }

    /// Its name for people: `holds the reference`, `solved with its own reference`,
    /// `shedding load`, `de-energised`.
    pub fn label(self) -> &'static str {
        match self {
            IslandState::Reference => "holds the reference",
            IslandState::OwnSlack { .. } => "solved with its own reference",
            IslandState::Shed { .. } => "shedding load",
            IslandState::DeEnergised => "de-energised",
        }
    }
}

/// One island of a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Island {
    /// AC bus numbers, case order.
    pub buses: Vec<u32>,
    /// DC bus numbers, case order.
    pub dc_buses: Vec<u32>,
    /// Demand of its buses (AC and DC, positive parts), MW.
    pub load_mw: f64,
    /// Scheduled output of its in-service generators, MW.
    pub gen_mw: f64,
    /// What it can do.
    pub state: IslandState,
}

impl Island {
    /// Load lost to this island's state, MW: all of it when de-energised, the cut when shed.
    pub fn lost_load_mw(&self) -> f64 {
        match self.state {
            IslandState::DeEnergised => self.load_mw,
            IslandState::Shed { shed_mw, .. } => shed_mw,
            _ => 0.0,
        }
    }
}

/// The islands of `case`, the one holding the first reference bus first, then in the order of
/// their first bus. A connected case has exactly one.
pub fn islands(case: &Case) -> Vec<Island> {
    let na = case.buses.len();
    let nd = case.dc_buses.len();
    let ac = BusIndex::new(case.buses.iter().map(|b| b.id));
    let dc = BusIndex::new(case.dc_buses.iter().map(|b| b.id));
    let mut parent: Vec<usize> = (0..na + nd).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let join = |p: &mut Vec<usize>, a: Option<usize>, b: Option<usize>| {
        if let (Some(a), Some(b)) = (a, b) {
            let (ra, rb) = (root(p, a), root(p, b));
            if ra != rb {
                p[ra.max(rb)] = ra.min(rb);
            }
        }
    };
    for b in case.branches.iter().filter(|b| b.in_service) {
        join(&mut parent, ac.get(b.from), ac.get(b.to));
    }
    for b in case.dc_branches.iter().filter(|b| b.in_service) {
        join(
            &mut parent,
            dc.get(b.from).map(|i| na + i),
            dc.get(b.to).map(|i| na + i),
        );
    }
    for c in case.converters.iter().filter(|c| c.in_service) {
        join(
            &mut parent,
            ac.get(c.busac),
            dc.get(c.busdc).map(|i| na + i),
        );
    }
    for c in case.dcdc.iter().filter(|c| c.in_service) {
        join(
            &mut parent,
            dc.get(c.from).map(|i| na + i),
            dc.get(c.to).map(|i| na + i),
        );
    }
    // Group, in the order of each island's first bus; isolated buses are no island.
    let mut slot: Vec<usize> = vec![usize::MAX; na + nd];
    let mut group: Vec<Island> = Vec::new();
    // Injections from buses with negative demand, MW.
    let mut injecting: Vec<f64> = Vec::new();
    let mut island_of = |parent: &mut Vec<usize>, i: usize| -> usize {
        let r = root(parent, i);
        if slot[r] == usize::MAX {
            group.push(Island {
                buses: Vec::new(),
                dc_buses: Vec::new(),
                load_mw: 0.0,
                gen_mw: 0.0,
                state: IslandState::DeEnergised,
            });
            injecting.push(0.0);
            slot[r] = group.len() - 1;
        }
        slot[r]
    };
    let mut ac_island = vec![usize::MAX; na];
    for (i, b) in case.buses.iter().enumerate() {
        if b.kind != BusType::Isolated {
            ac_island[i] = island_of(&mut parent, i);
        }
    }
    let dc_island: Vec<usize> = (0..nd).map(|i| island_of(&mut parent, na + i)).collect();
    for (i, b) in case.buses.iter().enumerate() {
        let s = ac_island[i];
        if s == usize::MAX {
            continue;
        }
        group[s].buses.push(b.id);
        group[s].load_mw += b.pd_mw.max(0.0);
        injecting[s] += (-b.pd_mw).max(0.0);
    }
    for (i, b) in case.dc_buses.iter().enumerate() {
        group[dc_island[i]].dc_buses.push(b.id);
        group[dc_island[i]].load_mw += b.p_load_mw.max(0.0);
        injecting[dc_island[i]] += (-b.p_load_mw).max(0.0);
    }
    // Generators: on a live bus of the island.
    let mut gens_of: Vec<Vec<usize>> = vec![Vec::new(); group.len()];
    for (k, g) in case.gens.iter().enumerate().filter(|(_, g)| g.in_service) {
        let Some(i) = ac.get(g.bus) else { continue };
        let s = ac_island[i];
        if s == usize::MAX {
            continue;
        }
        group[s].gen_mw += g.pg_mw;
        gens_of[s].push(k);
    }
    let kind_of = |bus: u32| ac.get(bus).map(|i| case.buses[i].kind);
    let mut out: Vec<Island> = Vec::with_capacity(group.len());
    for (s, mut island) in group.into_iter().enumerate() {
        let gens = &gens_of[s];
        let at = |k: usize| case.gens[k].bus;
        // A reference bus with a generator keeps the reference (MATPOWER's `bustypes`).
        let ref_with_gen = gens.iter().any(|&k| kind_of(at(k)) == Some(BusType::Ref));
        // An island holding the case's reference bus whose generators are all out: MATPOWER's
        // `bustypes` gives the reference to its first PV bus with a generator, by bus order, and
        // a power flow holds no generator to its Pmax — nothing is shed.
        let bustypes_ref = || {
            let has_ref_bus = island
                .buses
                .iter()
                .any(|&b| kind_of(b) == Some(BusType::Ref));
            let has_gen = |b: u32| gens.iter().any(|&k| at(k) == b);
            island
                .buses
                .iter()
                .copied()
                .find(|&b| has_ref_bus && kind_of(b) == Some(BusType::Pv) && has_gen(b))
        };
        island.state = if ref_with_gen {
            IslandState::Reference
        } else if gens.is_empty() {
            IslandState::DeEnergised
        } else if let Some(slack) = bustypes_ref() {
            IslandState::OwnSlack { slack }
        } else {
            let slack = gens
                .iter()
                .map(|&k| at(k))
                .find(|&b| kind_of(b) == Some(BusType::Pv))
                .or_else(|| {
                    gens.iter()
                        .max_by(|&&a, &&b| case.gens[a].pmax_mw.total_cmp(&case.gens[b].pmax_mw))
                        .map(|&k| at(k))
                })
                .unwrap_or(island.buses[0]);
            // What the reference must give: the load less the other generators' schedule and
            // the buses that inject (negative demand).
            let others: f64 = gens
                .iter()
                .filter(|&&k| at(k) != slack)
                .map(|&k| case.gens[k].pg_mw)
                .sum();
            let slack_max: f64 = gens
                .iter()
                .filter(|&&k| at(k) == slack)
                .map(|&k| {
                    let p = case.gens[k].pmax_mw;
                    if p > 0.0 { p } else { f64::INFINITY }
                })
                .sum();
            let need = island.load_mw - injecting[s] - others;
            if need > slack_max + 1e-9 && island.load_mw > 0.0 {
                IslandState::Shed {
                    slack,
                    shed_mw: (need - slack_max).min(island.load_mw),
                }
            } else {
                IslandState::OwnSlack { slack }
            }
        };
        out.push(island);
    }
    // The island holding the first reference bus first.
    if let Some(first) = out.iter().position(|i| i.state == IslandState::Reference) {
        out[..=first].rotate_right(1);
    }
    out
}

/// The AC and DC bus numbers of the de-energised islands.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeadBuses {
    /// AC bus numbers.
    pub ac: BTreeSet<u32>,
    /// DC bus numbers.
    pub dc: BTreeSet<u32>,
}

/// The buses of `islands` that are de-energised.
pub fn dead_buses(islands: &[Island]) -> DeadBuses {
    let mut dead = DeadBuses::default();
    for i in islands
        .iter()
        .filter(|i| i.state == IslandState::DeEnergised)
    {
        dead.ac.extend(&i.buses);
        dead.dc.extend(&i.dc_buses);
    }
    dead
}

/// The case as it is solved: de-energised islands left out, every other island given a reference
/// bus and, where its generation cannot carry it, its load cut. Borrowed when nothing changes.
pub fn energised(case: &Case) -> (Cow<'_, Case>, Vec<Island>) {
    let islands = islands(case);
    if islands.iter().all(|i| i.state == IslandState::Reference) {
        return (Cow::Borrowed(case), islands);
    }
    let mut c = case.clone();
    let index: BTreeMap<u32, usize> = c.buses.iter().enumerate().map(|(i, b)| (b.id, i)).collect();
    let dc_index: BTreeMap<u32, usize> = c
        .dc_buses
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id, i))
        .collect();
    for island in &islands {
        match island.state {
            IslandState::Reference => {}
            IslandState::OwnSlack { slack } | IslandState::Shed { slack, .. } => {
                if let Some(&i) = index.get(&slack) {
                    c.buses[i].kind = BusType::Ref;
                }
                if let IslandState::Shed { shed_mw, .. } = island.state {
                    let keep = 1.0 - shed_mw / island.load_mw;
                    for b in &island.buses {
                        let bus = &mut c.buses[index[b]];
                        if bus.pd_mw > 0.0 {
                            bus.pd_mw *= keep;
                            bus.qd_mvar *= keep;
                        }
                    }
                    for b in &island.dc_buses {
                        let bus = &mut c.dc_buses[dc_index[b]];
                        if bus.p_load_mw > 0.0 {
                            bus.p_load_mw *= keep;
                        }
                    }
                }
            }
            IslandState::DeEnergised => {
                for b in &island.buses {
                    c.buses[index[b]].kind = BusType::Isolated;
                }
                for b in &island.dc_buses {
                    c.dc_buses[dc_index[b]].p_load_mw = 0.0;
                }
            }
        }
    }
    // Converters and DC/DC converters of de-energised islands are out with them.
    let dead = dead_buses(&islands);
    for conv in c.converters.iter_mut() {
        if dead.ac.contains(&conv.busac) || dead.dc.contains(&conv.busdc) {
            conv.in_service = false;
        }
    }
    for d in c.dcdc.iter_mut() {
        if dead.dc.contains(&d.from) || dead.dc.contains(&d.to) {
            d.in_service = false;
        }
    }
    (Cow::Owned(c), islands)
}

/// The AC buses of energised islands (holding a reference, or a generator that takes one), and
/// the DC buses whose network has its voltage held: by a DC-slack or droop converter on an
/// energised AC bus, or by a DC/DC converter fed from a DC network that is itself held (followed
/// to the end of the chain). A DC network that loses its voltage holder is de-energised, as an AC
/// island without generation is: the power flow leaves it out and N-1 counts its load as lost.
pub fn reached(case: &Case) -> (BTreeSet<u32>, BTreeSet<u32>) {
    let ac: BTreeSet<u32> = islands(case)
        .iter()
        .filter(|i| i.state != IslandState::DeEnergised)
        .flat_map(|i| i.buses.iter().copied())
        .collect();
    let network = crate::case::dc_networks(&case.dc_buses, &case.dc_branches);
    let network_of = |seed: u32| -> Vec<u32> {
        let own = network.get(&seed);
        network
            .iter()
            .filter(|(_, n)| Some(*n) == own)
            .map(|(&b, _)| b)
            .collect()
    };
    let mut dc: BTreeSet<u32> = BTreeSet::new();
    for c in case.converters.iter().filter(|c| {
        c.in_service
            && ac.contains(&c.busac)
            && matches!(
                c.dc_control,
                crate::case::DcControl::Slack | crate::case::DcControl::Droop
            )
    }) {
        dc.extend(network_of(c.busdc));
    }
    loop {
        let before = dc.len();
        for c in case.dcdc.iter().filter(|c| c.in_service) {
            if dc.contains(&c.from) && !dc.contains(&c.to) {
                dc.extend(network_of(c.to));
            }
        }
        if dc.len() == before {
            return (ac, dc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::parse_matpower;

    fn case9() -> Case {
        parse_matpower("case9.m", include_str!("../tests/data/case9.m")).expect("case9 parses")
    }

    #[test]
    fn a_connected_case_is_one_island_with_its_reference() {
        let c = case9();
        let i = islands(&c);
        assert_eq!(i.len(), 1);
        assert_eq!(i[0].state, IslandState::Reference);
        assert_eq!(i[0].buses.len(), 9);
        assert!((i[0].load_mw - 315.0).abs() < 1e-9);
        assert!(matches!(energised(&c).0, Cow::Borrowed(_)));
    }

    #[test]
    fn an_island_with_generation_takes_its_own_reference() {
        // Branch 1–4 out: bus 1 (the reference, no load) alone; buses 2…9 hold 248 MW of
        // scheduled generation, 315 MW of load and generator 2's 300 MW of Pmax.
        let mut c = case9();
        c.branches[0].in_service = false;
        let i = islands(&c);
        assert_eq!(i.len(), 2);
        assert_eq!(i[0].buses, vec![1]);
        assert_eq!(i[0].state, IslandState::Reference);
        assert_eq!(i[1].state, IslandState::OwnSlack { slack: 2 });
        assert!((i[1].gen_mw - 248.0).abs() < 1e-9);
        assert_eq!(i[1].lost_load_mw(), 0.0);
    }

    #[test]
    fn an_island_short_of_generation_sheds_the_difference() {
        let mut c = case9();
        c.branches[0].in_service = false;
        c.gens[1].pmax_mw = 200.0; // generator 2 can give 200 of the 230 MW asked.
        let (solved, i) = energised(&c);
        let IslandState::Shed { slack, shed_mw } = i[1].state else {
            panic!("expected shedding, got {:?}", i[1].state)
        };
        assert_eq!(slack, 2);
        assert!((shed_mw - 30.0).abs() < 1e-9);
        let load: f64 = solved.buses.iter().map(|b| b.pd_mw).sum();
        assert!((load - 285.0).abs() < 1e-9);
    }

    #[test]
    fn an_island_without_generation_is_dead() {
        let mut c = case9();
        // Bus 5 (90 MW) cut off by both its branches.
        for br in c.branches.iter_mut() {
            if br.from == 5 || br.to == 5 {
                br.in_service = false;
            }
        }
        let (solved, i) = energised(&c);
        let dead: Vec<&Island> = i
            .iter()
            .filter(|i| i.state == IslandState::DeEnergised)
            .collect();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].buses, vec![5]);
        assert!((dead[0].lost_load_mw() - 90.0).abs() < 1e-9);
        assert_eq!(solved.buses[4].kind, BusType::Isolated);
    }
}
