//! Generator reactive limits (PV→PQ switching, the slack's limits included) against MATPOWER's
//! `runpf` with `enforce_q_lims = 1`, as transcribed on PYPOWER in `tests/data/qlim/make_refs.py`:
//! |ΔVm| ≤ 1e-6 p.u., |ΔVa| ≤ 1e-5°, generator and branch powers within 1e-4.

use std::path::Path;

use parkgrid_powerflow::{Options, QLimit, parse_matpower, solve};

fn data(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or(f64::NAN)
}

#[test]
fn reactive_limits_match_matpower() {
    for name in ["case9", "case14", "case30", "case57", "case118"] {
        let case = parse_matpower(&format!("{name}.m"), &data(&format!("{name}.m")))
            .unwrap_or_else(|e| panic!("{e}"));
        let res = solve(
            &case,
            &Options {
                q_limits: true,
                ..Options::default()
            },
        );
        assert!(res.converged, "{name}: {}", res.max_mismatch_pu);
        let (mut dvm, mut dva, mut dg, mut dbr) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for (b, r) in res
            .buses
            .iter()
            .zip(rows(&data(&format!("qlim/{name}_bus.csv"))))
        {
            assert_eq!(b.id.to_string(), r[0]);
            dvm = dvm.max((b.vm_pu - num(&r[2])).abs());
            dva = dva.max((b.va_deg - num(&r[3])).abs());
        }
        let mut limited = Vec::new();
        for (g, r) in res
            .gens
            .iter()
            .zip(rows(&data(&format!("qlim/{name}_gen.csv"))))
        {
            assert_eq!(g.bus.to_string(), r[1]);
            dg = dg
                .max((g.pg_mw - num(&r[3])).abs())
                .max((g.qg_mvar - num(&r[4])).abs());
            let want = match r[7].as_str() {
                "max" => Some(QLimit::Max),
                "min" => Some(QLimit::Min),
                _ => None,
            };
            assert_eq!(g.at_limit, want, "{name}: generator at bus {}", g.bus);
            if want.is_some() {
                limited.push(g.bus);
            }
        }
        for (b, r) in res
            .branches
            .iter()
            .zip(rows(&data(&format!("qlim/{name}_branch.csv"))))
        {
            for (ours, theirs) in [
                (b.pf_mw, &r[4]),
                (b.qf_mvar, &r[5]),
                (b.pt_mw, &r[6]),
                (b.qt_mvar, &r[7]),
            ] {
                dbr = dbr.max((ours - num(theirs)).abs());
            }
        }
        println!(
            "{name}: at a limit {limited:?}; {} iterations; |ΔVm| {dvm:.1e}, |ΔVa| {dva:.1e}°, gens {dg:.1e}, flows {dbr:.1e}",
            res.iterations
        );
        assert!(dvm <= 1e-6 && dva <= 1e-5, "{name}: ΔVm {dvm}, ΔVa {dva}");
        assert!(dg <= 1e-4 && dbr <= 1e-4, "{name}: gens {dg}, flows {dbr}");
    }
}

#[test]
fn without_limits_the_slack_takes_what_it_must() {
    let case = parse_matpower("case14.m", &data("case14.m")).unwrap_or_else(|e| panic!("{e}"));
    let res = solve(&case, &Options::default());
    assert!(res.gens.iter().all(|g| g.at_limit.is_none()));
    // case14's slack would absorb 16.5 MVAr, below its Qmin of 0: only enforcement stops it.
    assert!(res.gens[0].qg_mvar < -16.0, "{}", res.gens[0].qg_mvar);
    let load: f64 = case.buses.iter().map(|b| b.pd_mw).sum();
    let generated: f64 = res.gens.iter().map(|g| g.pg_mw).sum();
    assert!(
        (generated - load - res.losses_mw).abs() < 1e-6,
        "{generated} − {load} vs {}",
        res.losses_mw
    );
}
