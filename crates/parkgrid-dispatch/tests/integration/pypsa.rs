//! The PyPSA + HiGHS reference LP (tests/data/pypsa_ref): the same programme built from a park
//! file must reach the same optimum and the same annual totals.

use std::path::Path;

use parkgrid_dispatch::{Config, Quantity, RunStatus, SolverKind, Strategy, run};
use parkgrid_model::load;
use parkgrid_resource::park_profiles;

const OBJECTIVE_CNY: f64 = 48_381_196.571_052_924;
const IMPORT_KWH: f64 = 67_313_183.269_295_4;
const BOILER_HEAT_KWH: f64 = 8_304_318.801_880_132;
const WASTE_HEAT_KWH: f64 = 13_723_393.277_401_237;

fn check(solver: SolverKind) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pypsa_ref/park.toml");
    let loaded = load(&path).unwrap_or_else(|e| panic!("{e}"));
    let park = loaded
        .park
        .unwrap_or_else(|| panic!("{}", loaded.report.render()));
    let profiles = park_profiles(&park).unwrap_or_else(|e| panic!("{e}"));
    let out = run(
        &park,
        &profiles,
        Config {
            strategy: Strategy::Optimal,
            solver,
            ..Config::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status, RunStatus::Ok);
    let objective = out.stats.objective_cny.unwrap_or(f64::NAN);
    let k = &out.kpis;
    println!(
        "{}: objective {objective:.2} CNY ({:+.2e} rel), import {:.1} kWh ({:+.2e}), boiler {:.1} ({:+.2e}), waste heat {:.1} ({:+.2e}); {} vars, {} rows, build {:.2} s, solve {:.2} s",
        solver.name(),
        (objective - OBJECTIVE_CNY) / OBJECTIVE_CNY,
        k.grid_import_kwh,
        (k.grid_import_kwh - IMPORT_KWH) / IMPORT_KWH,
        k.boiler_heat_kwh,
        (k.boiler_heat_kwh - BOILER_HEAT_KWH) / BOILER_HEAT_KWH,
        k.waste_heat_recovered_kwh,
        (k.waste_heat_recovered_kwh - WASTE_HEAT_KWH) / WASTE_HEAT_KWH,
        out.stats.n_variables,
        out.stats.n_rows,
        out.stats.build_time_s,
        out.stats.solve_time_s,
    );
    for (id, q) in [
        ("grid", Quantity::ExportKw),
        ("battery", Quantity::ChargeKw),
        ("battery", Quantity::DischargeKw),
        ("tes", Quantity::ChargeKw),
        ("tes", Quantity::DischargeKw),
        ("el", Quantity::UnservedKw),
        ("heat", Quantity::DumpedKw),
        ("pv", Quantity::OutputKw),
        ("wind", Quantity::OutputKw),
    ] {
        let v = out
            .dispatch
            .get(id, q)
            .map_or(0.0, |v| v.iter().sum::<f64>());
        println!("  {id}.{q}: {v:.1} kWh");
    }
    // Measured: |Δ| ≤ 3e-10 relative for both solvers; the certificate passes at 1e-7.
    assert!(
        ((objective - OBJECTIVE_CNY) / OBJECTIVE_CNY).abs() < 1e-7,
        "objective {objective}"
    );
    assert!(
        ((k.total_cost_cny - OBJECTIVE_CNY) / OBJECTIVE_CNY).abs() < 1e-7,
        "cost {}",
        k.total_cost_cny
    );
    let cert = out
        .stats
        .certificate
        .as_ref()
        .unwrap_or_else(|| panic!("no certificate"));
    println!("  certificate: {}", cert.summary());
    assert!(cert.passes(1e-7), "{}", cert.summary());
    // Clarabel's first solve is the answer — no tighter retry, no fall-back to HiGHS — in about
    // 26 iterations, as the year's random variants (differential) are.
    if solver == SolverKind::Clarabel {
        assert_eq!(out.stats.solver.as_deref(), Some("clarabel"));
        let iterations = out.stats.iterations.unwrap_or(u32::MAX);
        assert!(iterations <= 80, "Clarabel needed {iterations} iterations");
    }
    for (name, got, want) in [
        ("import", k.grid_import_kwh, IMPORT_KWH),
        ("boiler heat", k.boiler_heat_kwh, BOILER_HEAT_KWH),
        (
            "waste heat used",
            k.waste_heat_recovered_kwh,
            WASTE_HEAT_KWH,
        ),
    ] {
        assert!(
            ((got - want) / want).abs() < 1e-3,
            "{name}: {got} vs {want}"
        );
    }
}

#[test]
fn clarabel_reaches_the_pypsa_optimum() {
    check(SolverKind::Clarabel);
}

#[cfg(feature = "highs")]
#[test]
fn highs_reaches_the_pypsa_optimum() {
    check(SolverKind::Highs);
}
