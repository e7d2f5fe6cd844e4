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
