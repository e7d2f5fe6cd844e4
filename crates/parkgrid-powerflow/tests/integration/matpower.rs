//! Against MATPOWER's Newton–Raphson on its standard cases: |ΔVm| ≤ 1e-6 p.u., |ΔVa| ≤ 1e-5°,
//! branch flows within 1e-4 MW, iterations ±1.

use std::path::Path;

use parkgrid_powerflow::{Options, parse_matpower, solve};

fn data(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rows(text: &str) -> Vec<Vec<f64>> {
    text.lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|v| v.parse::<f64>().unwrap_or(f64::NAN))
                .collect()
        })
        .collect()
}

/// Iterations MATPOWER needed from the case start (the reference's summary.json).
const ITERATIONS: [(&str, usize); 6] = [
    ("case9", 4),
    ("case14", 2),
    ("case30", 3),
    ("case57", 3),
    ("case118", 3),
    ("case33bw", 3),
];

#[test]
fn matches_matpower_on_standard_cases() {
    for (name, iters) in ITERATIONS {
        let case = parse_matpower(&format!("{name}.m"), &data(&format!("{name}.m")))
            .unwrap_or_else(|e| panic!("{e}"));
        let res = solve(&case, &Options::default());
        assert!(
            res.converged,
            "{name} did not converge: {}",
            res.max_mismatch_pu
        );
        let mut dvm = 0.0f64;
        let mut dva = 0.0f64;
        for (b, r) in res
            .buses
            .iter()
            .zip(rows(&data(&format!("{name}_bus.csv"))))
        {
            assert_eq!(f64::from(b.id), r[0]);
            dvm = dvm.max((b.vm_pu - r[2]).abs());
            dva = dva.max((b.va_deg - r[3]).abs());
        }
        let mut dp = 0.0f64;
        for (b, r) in res
            .branches
            .iter()
            .zip(rows(&data(&format!("{name}_branch.csv"))))
        {
            for (ours, theirs) in [
                (b.pf_mw, r[4]),
                (b.qf_mvar, r[5]),
                (b.pt_mw, r[6]),
                (b.qt_mvar, r[7]),
            ] {
                dp = dp.max((ours - theirs).abs());
            }
        }
        println!(
            "{name}: {} iterations (MATPOWER {iters}), max |ΔVm| {dvm:.1e} p.u., |ΔVa| {dva:.1e}°, flows {dp:.1e} MW, losses {:.4} MW",
            res.iterations, res.losses_mw
        );
        assert!(dvm <= 1e-6, "{name}: ΔVm {dvm}");
        assert!(dva <= 1e-5, "{name}: ΔVa {dva}");
        assert!(dp <= 1e-4, "{name}: flows {dp}");
        assert!(
            res.iterations.abs_diff(iters) <= 1,
            "{name}: {} iterations",
            res.iterations
        );
    }
}

#[test]
fn malformed_files_name_the_line() {
    let ok = data("case9.m");
    let bad = ok.replacen(
        "\t2\t0\t0\t0\t0\t1\t1\t0\t345",
        "\t2\tx\t0\t0\t0\t1\t1\t0\t345",
        1,
    );
    let e = parse_matpower("bad.m", &bad)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.starts_with("bad.m:") && e.contains("'x' is not a number"),
        "{e}"
    );
    let e = parse_matpower("bad.m", &ok.replace("mpc.baseMVA = 100;", ""))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("no mpc.baseMVA"), "{e}");
    let e = parse_matpower("bad.m", &(ok.clone() + "\nx = y * 2;\n"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("unsupported MATLAB statement 'x = y * 2;'"),
        "{e}"
    );
    let e = parse_matpower("bad.m", &ok.replace("];", ""))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("is not closed"), "{e}");
    for garbage in ["", "\u{0}\u{1}", "mpc.bus = [1 2;", "mpc.baseMVA = x;"] {
        assert!(parse_matpower("g.m", garbage).is_err());
    }
}

#[test]
fn a_case_that_cannot_converge_says_so() {
    // Ten times the load of case9: no solution; the outcome is a value, not a panic.
    let text = data("case9.m")
        .replace("\t90\t30\t", "\t900\t300\t")
        .replace("\t100\t35\t", "\t1000\t350\t")
        .replace("\t125\t50\t", "\t1250\t500\t");
    let case = parse_matpower("heavy.m", &text).unwrap_or_else(|e| panic!("{e}"));
    let res = solve(&case, &Options::default());
    assert!(!res.converged);
    assert!(res.max_mismatch_pu > 1e-8);
}
