//! The Yanqing example over a year: what the optimal dispatch must achieve against the baseline.

use std::path::Path;

use parkgrid_dispatch::{Config, Outcome, RunStatus, SolverKind, Strategy, run};
use parkgrid_model::load;
use parkgrid_resource::park_profiles;

fn outcomes() -> (Outcome, Outcome, parkgrid_model::Park) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/yanqing.toml");
    let loaded = load(&path).unwrap_or_else(|e| panic!("{e}"));
    let park = loaded
        .park
        .unwrap_or_else(|| panic!("{}", loaded.report.render()));
    let profiles = park_profiles(&park).unwrap_or_else(|e| panic!("{e}"));
    let optimal = run(
        &park,
        &profiles,
        Config {
            strategy: Strategy::Optimal,
            solver: SolverKind::Clarabel,
            ..Config::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rule = run(
        &park,
        &profiles,
        Config {
            strategy: Strategy::Rule,
            solver: SolverKind::Clarabel,
            ..Config::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (optimal, rule, park)
}

#[test]
fn optimal_beats_the_baseline_and_uses_the_waste_heat() {
    let (opt, rule, park) = outcomes();
    assert_eq!(opt.status, RunStatus::Ok);
    let (o, r) = (&opt.kpis, &rule.kpis);
    println!(
        "Yanqing: cost {:.0} vs {:.0} CNY, CO2 {:.0} vs {:.0} t, absorption {:.4}, waste heat {:.0} kWh, boiler heat {:.0} vs {:.0} kWh, residual {:.1e}, solve {:.1} s",
        o.total_cost_cny,
        r.total_cost_cny,
        o.co2_t,
        r.co2_t,
        o.renewable_absorption_ratio,
        o.waste_heat_recovered_kwh,
        o.boiler_heat_kwh,
        r.boiler_heat_kwh,
        opt.stats.max_balance_residual_rel,
        opt.stats.solve_time_s
    );
    assert!(o.total_cost_cny < r.total_cost_cny, "cost");
    assert!(o.co2_t < r.co2_t, "emissions");
    assert!(
        o.renewable_absorption_ratio >= 0.99,
        "absorption {}",
        o.renewable_absorption_ratio
    );
    assert!(o.waste_heat_recovered_kwh > 0.0);
    assert!(o.boiler_heat_kwh < r.boiler_heat_kwh);
    assert!(o.unserved_electric_kwh < 1.0 && o.unserved_heat_kwh < 1.0);
    assert!(
        opt.stats.max_balance_residual_rel <= 1e-6,
        "balance residual {}",
        opt.stats.max_balance_residual_rel
    );

    // The seasonal store is full when the heating season starts and is drawn down in it.
    let store = park
        .thermal_store
        .iter()
        .find(|s| s.seasonal)
        .unwrap_or_else(|| panic!("a seasonal store"));
    let level = opt.dispatch.get(&store.id, "level_kwh").unwrap_or_default();
    let discharge = opt
        .dispatch
        .get(&store.id, "discharge_kw")
        .unwrap_or_default();
    let nov15 = (304 + 14) * 24;
    let mar15 = (31 + 28 + 14) * 24;
    let heating: Vec<usize> = (0..mar15).chain(nov15..level.len()).collect();
    assert!(
        level[nov15] >= 0.8 * store.e_max_kwh,
        "level at the start of the heating season {}",
        level[nov15]
    );
    let lowest = heating
        .iter()
        .map(|&t| level[t])
        .fold(f64::INFINITY, f64::min);
    assert!(
        lowest <= 0.3 * store.e_max_kwh,
        "lowest level in the heating season {lowest}"
    );
    assert!(heating.iter().map(|&t| discharge[t]).sum::<f64>() > 0.0);
    for s in &park.thermal_store {
        let lv = opt.dispatch.get(&s.id, "level_kwh").unwrap_or_default();
        assert!(lv.iter().all(|&l| l >= s.soc_min_frac * s.e_max_kwh - 1e-3
            && l <= s.soc_max_frac * s.e_max_kwh + 1e-3));
    }
}
