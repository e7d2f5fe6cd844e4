//! N-1: islands and lost load found, each outage equal to solving the case without the element,
//! and the ranking worst first.

use std::path::Path;

use parkgrid_powerflow::{Options, evaluate, lowered_from_case, n_minus_1, parse_matpower, solve};

fn case(name: &str) -> parkgrid_powerflow::Case {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    parse_matpower(name, &text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn case30_radial_branch_islands_its_bus_and_outages_match_direct_solves() {
    let base = lowered_from_case(&case("case30.m"));
    let (intact, list) = n_minus_1(&base, &Options::default());
    assert!(intact.converged);
    assert_eq!(list.len(), 41, "every branch once");
    // Branch 34 (25–26) is the only link of bus 26 (3.5 MW): it islands and comes first.
    let first = &list[0];
    assert_eq!(first.element, "branch 34 (25–26)");
    assert_eq!(first.islanded, ["26"]);
    assert!((first.lost_load_mw - 3.5).abs() < 1e-12);
    // Every other outage equals a power flow of the case without that branch.
    for c in list.iter().filter(|c| c.islanded.is_empty()).take(10) {
        let k: usize = c.element["branch ".len()..]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let mut direct = base.clone();
        direct.case.branches[k - 1].in_service = false;
        let check = evaluate(&direct, &solve(&direct.case, &Options::default()));
        assert_eq!(check.v_min, c.check.v_min, "{}", c.element);
        assert_eq!(check.loadings, c.check.loadings, "{}", c.element);
    }
    // Worst first: after the islanding outages, violations never increase down the list.
    let rest: Vec<usize> = list
        .iter()
        .filter(|c| c.islanded.is_empty() && c.check.converged)
        .map(|c| c.check.voltage_violations.len() + c.check.overloads().count())
        .collect();
    assert!(rest.windows(2).all(|w| w[0] >= w[1]), "{rest:?}");
}

#[test]
fn acdc_outages_include_dc_lines_and_converters() {
    let base = lowered_from_case(&case("acdc/case5_stagg_acdc.m"));
    let (intact, list) = n_minus_1(&base, &Options::default());
    assert!(intact.converged);
    let kinds: Vec<&str> = list.iter().map(|c| c.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "line").count(), 7);
    assert_eq!(kinds.iter().filter(|k| **k == "dc line").count(), 3);
    assert_eq!(kinds.iter().filter(|k| **k == "converter").count(), 3);
    // Losing the DC slack's converter leaves the DC network without a voltage holder: it trips
    // with its other converters, and the AC grid solves without them.
    let slack = list
        .iter()
        .find(|c| c.element.starts_with("converter 2"))
        .expect("converter 2");
    assert!(slack.check.converged, "{slack:?}");
    assert_eq!(slack.islanded, ["dc 1", "dc 2", "dc 3"]);
    let other = list
        .iter()
        .find(|c| c.element.starts_with("converter 1"))
        .expect("converter 1");
    assert!(
        other.islanded.is_empty(),
        "a constant-power converter may go: {other:?}"
    );
    for c in &list {
        assert!(c.check.converged, "{} did not solve", c.element);
    }
}

/// Case9 with branch 1 (1–4) out: bus 1 and its generator are cut off from buses 2…9, which hold
/// 248 MW of scheduled generation and all 315 MW of load. The island is solved with its own
/// reference at bus 2 (the first PV bus) and loses no load. Right values: PYPOWER 5.1 `runpf` on
/// MATPOWER's case9 with the branch out, bus 1 isolated and bus 2 as reference.
#[test]
fn case9_island_with_generation_is_solved_with_its_own_reference() {
    let base = lowered_from_case(&case("case9.m"));
    let (_, list) = n_minus_1(&base, &Options::default());
    let c = list
        .iter()
        .find(|c| c.element == "branch 1 (1–4)")
        .expect("branch 1");
    assert!(c.check.converged, "{c:?}");
    assert!(c.islanded.is_empty(), "{c:?}");
    assert_eq!(c.lost_load_mw, 0.0);
    assert_eq!(c.check.islands.len(), 1, "{:?}", c.check.islands);
    let island = &c.check.islands[0];
    assert_eq!(
        island.state,
        parkgrid_powerflow::IslandState::OwnSlack { slack: 2 }
    );
    assert_eq!(island.reference.as_deref(), Some("2"));
    assert_eq!(island.buses.len(), 8);
    assert!((island.load_kw - 315_000.0).abs() < 1e-6);

    let mut direct = case("case9.m");
    direct.branches[0].in_service = false;
    let res = solve(&direct, &Options::default());
    assert!(res.converged);
    assert!(
        (res.gens[1].pg_mw - 240.847778).abs() < 1e-5,
        "{:?}",
        res.gens
    );
    assert!((res.gens[1].qg_mvar - 59.341525).abs() < 1e-5);
    assert!((res.gens[2].qg_mvar - 26.002796).abs() < 1e-5);
    assert!(
        res.gens[0].pg_mw.abs() < 1e-9,
        "bus 1 has nothing to supply"
    );
    let bus9 = &res.buses[8];
    assert!((bus9.vm_pu - 0.913462).abs() < 1e-6, "{bus9:?}");
    assert!((bus9.va_deg - -21.328).abs() < 1e-3, "{bus9:?}");
    assert!((res.losses_mw - 10.847778).abs() < 1e-5);
}

/// An island too heavy for its generator sheds in proportion, and a bus with no generator left is
/// de-energised: its voltage is 0, it is in no voltage figure, and its load is lost.
#[test]
fn shedding_and_dead_islands_are_reported_not_solved_as_if_connected() {
    let mut c = case("case9.m");
    c.branches[0].in_service = false;
    c.gens[1].pmax_mw = 200.0;
    let res = solve(&c, &Options::default());
    assert!(res.converged);
    let shed = res
        .islands
        .iter()
        .find_map(|i| match i.state {
            parkgrid_powerflow::IslandState::Shed { shed_mw, .. } => Some(shed_mw),
            _ => None,
        })
        .expect("a shedding island");
    assert!((shed - 30.0).abs() < 1e-9);
    assert!((res.gens[1].pg_mw - 200.0).abs() < 15.0, "{:?}", res.gens);

    let mut base = lowered_from_case(&case("case9.m"));
    for br in base.case.branches.iter_mut() {
        if br.from == 5 || br.to == 5 {
            br.in_service = false;
        }
    }
    let res = solve(&base.case, &Options::default());
    assert!(res.converged);
    assert_eq!(res.buses[4].vm_pu, 0.0);
    let check = evaluate(&base, &res);
    assert_ne!(check.v_min.0, "5");
    assert_eq!(check.islands.len(), 1);
    assert_eq!(check.islands[0].buses, ["5"]);
    assert!((check.islands[0].lost_load_kw - 90_000.0).abs() < 1e-6);
    // The switched-off branches have no loading at all.
    assert!(check.loadings.iter().all(|l| !l.id.contains("(4–5)")));
}
