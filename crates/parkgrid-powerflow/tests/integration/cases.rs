//! Case files that once gave wrong answers (tests/data/cases/README.md), each against its right
//! value: MATLAB's lexical rules and MATPOWER's bus-type conventions; and case data that cannot be
//! (duplicated buses, baseMVA ≤ 0) refused with the line.

use std::path::Path;

use parkgrid_powerflow::{Options, PfResult, parse_matpower, solve};

fn data(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/cases")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every bus voltage, generator output and the losses against the reference (PYPOWER `runpf`).
fn check(res: &PfResult, expected: &str) {
    let want: serde_json::Value = serde_json::from_str(&data(expected)).expect("JSON");
    assert!(res.converged, "{}", res.max_mismatch_pu);
    for b in &res.buses {
        let w = &want["buses"][b.id.to_string()];
        let (vm, va) = (
            w[0].as_f64().unwrap_or(f64::NAN),
            w[1].as_f64().unwrap_or(f64::NAN),
        );
        assert!(
            (b.vm_pu - vm).abs() < 1e-6,
            "bus {}: vm {} vs {vm}",
            b.id,
            b.vm_pu
        );
        assert!(
            (b.va_deg - va).abs() < 1e-5,
            "bus {}: va {} vs {va}",
            b.id,
            b.va_deg
        );
    }
    let gens = want["gens"].as_array().cloned().unwrap_or_default();
    assert_eq!(gens.len(), res.gens.len());
    for (g, w) in res.gens.iter().zip(&gens) {
        let (pg, qg) = (
            w[1].as_f64().unwrap_or(f64::NAN),
            w[2].as_f64().unwrap_or(f64::NAN),
        );
        assert!(
            (g.pg_mw - pg).abs() < 1e-4,
            "gen at {}: pg {} vs {pg}",
            g.bus,
            g.pg_mw
        );
        assert!(
            (g.qg_mvar - qg).abs() < 1e-4,
            "gen at {}: qg {} vs {qg}",
            g.bus,
            g.qg_mvar
        );
    }
    let losses = want["losses_mw"].as_f64().unwrap_or(f64::NAN);
    assert!(
        (res.losses_mw - losses).abs() < 1e-6,
        "losses {} vs {losses}",
        res.losses_mw
    );
}

#[test]
fn statements_on_one_line_and_continued_rows_read_as_matlab_reads_them() {
    for name in ["two_statements.m", "continuation.m"] {
        let case = parse_matpower(name, &data(name)).unwrap_or_else(|e| panic!("{e}"));
        check(&solve(&case, &Options::default()), "syntax.expected.json");
    }
}

#[test]
fn comments_strings_and_separators_follow_matlab() {
    let text = data("two_statements.m")
        .replace(
            "mpc.version = '2'; mpc.baseMVA = 10;",
            "%{\nA block comment; with = signs [\n%}\nmpc.version = '2', mpc.baseMVA = ... the base\n 10; # Octave comment",
        )
        .replace("%% bus data", "%% bus data; % it's a comment with 'quotes'")
        .replace(
            "%% generator data",
            "mpc.note = 'surveyed 2019; 4 buses'; mpc.year = 2030;\n%% generator data",
        );
    let case = parse_matpower("variant.m", &text).unwrap_or_else(|e| panic!("{e}"));
    check(&solve(&case, &Options::default()), "syntax.expected.json");
}

#[test]
fn a_reference_bus_without_a_generator_follows_matpower() {
    let name = "case5_ref_nogen.m";
    let case = parse_matpower(name, &data(name)).unwrap_or_else(|e| panic!("{e}"));
    check(
        &solve(&case, &Options::default()),
        "case5_ref_nogen.expected.json",
    );
    let flat = Options {
        flat_start: true,
        ..Options::default()
    };
    check(&solve(&case, &flat), "case5_ref_nogen.expected.json");
    assert_eq!(
        case.notes(),
        vec![
            "bus 1 is the reference but has no generator in service: it is solved as PQ and bus \
             2 takes the reference (MATPOWER's bustypes)"
        ]
    );
}

#[test]
fn generators_with_different_set_points_on_one_bus_are_named() {
    // A second generator at bus 3 holding 1.05 p.u. where the first holds 1.01: the last
    // in-service one holds, as MATPOWER's `V0(gbus) = gen(on, VG)` assigns.
    let text = data("two_statements.m").replace(
        "\t3\t2\t0\t2\t-2\t1.01\t10\t1\t5",
        "\t3\t1\t0\t1\t-1\t1.01\t10\t1\t5\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0;\n\t3\t1\t0\t1\t-1\t1.05\t10\t1\t5",
    );
    let case = parse_matpower("two.m", &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(case.gens.len(), 3);
    let notes = case.notes();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("bus 3: generators with voltage set-points 1.01, 1.05 p.u.; the last"),
        "{notes:?}"
    );
    let res = solve(&case, &Options::default());
    let bus3 = res
        .buses
        .iter()
        .find(|b| b.id == 3)
        .map_or(0.0, |b| b.vm_pu);
    assert!((bus3 - 1.05).abs() < 1e-9, "{bus3}");
}

/// Two generators of 2 and 1 MW at bus 3 holding 1.01 and 1.03 p.u.: PYPOWER 5.1.21 `runpf`
/// gives bus 4 1.01988604 p.u. at −1.01463565° and losses 0.02849259 MW (the last set-point).
#[test]
fn the_last_generators_set_point_holds_as_in_matpower() {
    let text = data("two_statements.m").replace(
        "\t3\t2\t0\t2\t-2\t1.01\t10\t1\t5\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0;",
        "\t3\t2\t0\t2\t-2\t1.01\t10\t1\t5\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0;\n\t3\t1\t0\t2\t-2\t1.03\t10\t1\t5\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0;",
    );
    let case = parse_matpower("last.m", &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(case.gens.len(), 3);
    let res = solve(&case, &Options::default());
    assert!(res.converged);
    let b4 = res.buses.iter().find(|b| b.id == 4).expect("bus 4");
    assert!((b4.vm_pu - 1.019_886_04).abs() < 1e-6, "{}", b4.vm_pu);
    assert!((b4.va_deg - -1.014_635_65).abs() < 1e-5, "{}", b4.va_deg);
    assert!(
        (res.losses_mw - 0.028_492_59).abs() < 1e-6,
        "{}",
        res.losses_mw
    );
}

/// The reference bus's only generator out: bus 3 takes the reference by MATPOWER's `bustypes`
/// and carries the 6 MW of load beyond its Pmax of 5 MW — a power flow holds no generator to its
/// Pmax, so no load is shed. PYPOWER 5.1.21 `runpf`: bus 1 1.00295396 p.u. at −0.53918689°,
/// Pg 6.02453660 MW, losses 0.02453660 MW.
#[test]
fn a_reference_whose_generator_is_out_moves_without_shedding_load() {
    let text = data("two_statements.m").replace(
        "\t1\t0\t0\t10\t-10\t1.02\t10\t1\t20",
        "\t1\t0\t0\t10\t-10\t1.02\t10\t0\t20",
    );
    let case = parse_matpower("ref_off.m", &text).unwrap_or_else(|e| panic!("{e}"));
    let res = solve(&case, &Options::default());
    assert!(res.converged);
    let b1 = res.buses.iter().find(|b| b.id == 1).expect("bus 1");
    assert!((b1.vm_pu - 1.002_953_96).abs() < 1e-6, "{}", b1.vm_pu);
    assert!((b1.va_deg - -0.539_186_89).abs() < 1e-5, "{}", b1.va_deg);
    assert!(
        (res.losses_mw - 0.024_536_60).abs() < 1e-6,
        "{}",
        res.losses_mw
    );
    assert!(
        (res.gens[1].pg_mw - 6.024_536_60).abs() < 1e-5,
        "{}",
        res.gens[1].pg_mw
    );
    assert!(
        res.islands.iter().all(|i| i.lost_load_mw() == 0.0),
        "{:?}",
        res.islands
    );
}

#[test]
fn impossible_case_data_is_refused_with_its_line() {
    let text = data("two_statements.m");
    // Bus 3 twice.
    let dup = text.replacen("\t4\t1\t3\t1\t", "\t3\t1\t3\t1\t", 1);
    let e = parse_matpower("dup.m", &dup)
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert!(e.to_string().contains("bus 3 appears twice"), "{e}");
    assert!(e.to_string().starts_with("dup.m:12:"), "{e}");
    assert!(e.to_string().contains("first on line 11"), "{e}");
    // A generator or a branch naming a bus the case does not have: its own line.
    let gen_bus = text.replacen("\t3\t2\t0\t2\t-2\t1.01", "\t7\t2\t0\t2\t-2\t1.01", 1);
    let e = parse_matpower("gen.m", &gen_bus)
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert!(
        e.to_string()
            .starts_with("gen.m:19: the generator names bus 7, which is not in mpc.bus"),
        "{e}"
    );
    let branch_bus = text.replacen("\t3\t4\t0.02\t0.06", "\t3\t9\t0.02\t0.06", 1);
    let e = parse_matpower("branch.m", &branch_bus)
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert!(
        e.to_string()
            .starts_with("branch.m:28: the branch names bus 9, which is not in mpc.bus"),
        "{e}"
    );
    for base in ["0", "-100", "NaN"] {
        let bad = text.replace("mpc.baseMVA = 10;", &format!("mpc.baseMVA = {base};"));
        let e = parse_matpower("base.m", &bad)
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert!(e.to_string().contains("baseMVA"), "{e}");
        assert!(e.to_string().starts_with("base.m:4:"), "{e}");
    }
}

/// MATPOWER's `rateA = 0` means "no rating": such a branch has no loading, not 0 %.
#[test]
fn a_branch_without_a_rating_has_no_loading() {
    let case = parse_matpower("two.m", &data("two_statements.m")).unwrap_or_else(|e| panic!("{e}"));
    let lowered = parkgrid_powerflow::lowered_from_case(&case);
    let res = solve(&case, &Options::default());
    let check = parkgrid_powerflow::evaluate(&lowered, &res);
    assert!(check.loadings.is_empty(), "{:?}", check.loadings);
    let mut rated = case.clone();
    rated.branches[0].rate_a_mva = 10.0;
    let lowered = parkgrid_powerflow::lowered_from_case(&rated);
    let check = parkgrid_powerflow::evaluate(&lowered, &solve(&rated, &Options::default()));
    assert_eq!(check.loadings.len(), 1);
    assert!(check.loadings[0].fraction > 0.0);
}
