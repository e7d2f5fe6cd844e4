//! No free sinks, on the small park of `examples/small-park.toml` (2 MWp PV, a 0.5 MW / 1 MWh
//! battery, 3 GWh of offices heated by a 1 MW ground-source heat pump, no boiler, no export):
//! the optimum may not turn its PV surplus into heat only to throw the heat away, its renewable
//! absorption counts only energy that reached a use or a store, and its undersized variant (a
//! 100 kW heat pump against the 800 kW design load) is warned about and run with a status that
//! says so.

use parkgrid_dispatch::{Horizon, Quantity, SolveOptions, SolverKind, Strategy};
use parkgrid_engine::{Request, YearRun, adequacy, park, run_year};
use parkgrid_model::Park;

use crate::common::repo;

fn small_park() -> Park {
    park::load(&repo().join("examples/small-park.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

/// The optimum of `park` (Clarabel) beside its merit-order baseline, over the year or `window`.
fn run(park: &Park, window: Option<parkgrid_engine::Window>) -> YearRun {
    let request = Request {
        strategy: Strategy::Optimal,
        solver: SolverKind::Clarabel,
        horizon: Horizon::Year,
        solve: SolveOptions::default(),
        network_check: None,
        loss_feedback: false,
        window,
        step_min: None,
        rules: Default::default(),
    };
    run_year(park, &request, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_small_park_turns_no_electricity_into_dumped_heat() {
    let park = small_park();
    let run = run(&park, None);
    let dt = run.axis.step_h();
    for (which, o) in [("optimal", &run.main), ("baseline", &run.baseline)] {
        let d = &o.dispatch;
        let k = &o.kpis;
        assert_eq!(k.heat_dumped_kwh, 0.0, "{which}");
        let series = |id: &str, q: Quantity| d.get(id, q).unwrap_or_default().to_vec();
        let heat = series("gshp", Quantity::HeatKw);
        let demand = series("office_heating", Quantity::HeatKw);
        let pv = series("pv", Quantity::OutputKw);
        let load = series("offices", Quantity::PKw);
        let charge = series("battery", Quantity::ChargeKw);
        let hp = series("gshp", Quantity::PKw);
        for t in 0..heat.len() {
            // Every kWh of heat the pump makes reaches the offices (there is no store).
            assert!(
                heat[t] <= demand[t] + 1e-3,
                "{which}: step {t}: {:.3} kW of heat against {:.3} kW of demand",
                heat[t],
                demand[t]
            );
            // Every kWh of PV used reaches a use or the battery (there is no export).
            assert!(
                pv[t] <= load[t] + charge[t] + hp[t] + 1e-3,
                "{which}: step {t}: PV {:.3} kW beyond its uses",
                pv[t]
            );
        }
        // The absorption ratio is that energy over what was available.
        let used: f64 = pv.iter().sum::<f64>() * dt;
        assert!(
            (k.renewable_absorption_ratio * k.renewable_available_kwh - used).abs() < 1.0,
            "{which}: absorption {:.4} of {:.0} kWh against {used:.0} kWh used",
            k.renewable_absorption_ratio,
            k.renewable_available_kwh
        );
        println!(
            "{which}: absorption {:.2} %, curtailed {:.0} MWh, heat pump {:.0} MWh against \
             {:.0} MWh of demand",
            100.0 * k.renewable_absorption_ratio,
            k.curtailment_kwh / 1000.0,
            k.heat_pump_heat_kwh / 1000.0,
            k.heat_demand_kwh / 1000.0
        );
    }
    // Measured 2026-12-01: 69.96 % absorbed (811 MWh curtailed of 2,702), the heat pump's
    // 1,808 MWh exactly the demand. A surplus with no use is curtailed, not turned into heat.
    let k = &run.main.kpis;
    assert!((k.heat_pump_heat_kwh - k.heat_demand_kwh).abs() < 1.0);
    assert!(k.curtailment_kwh > 0.0);
}

#[test]
fn the_undersized_small_park_is_warned_about_and_not_ok() {
    let mut park = small_park();
    park.ground_heat_pump[0].heat_max_kw = 100.0;
    let warnings = adequacy::findings(&park);
    assert!(
        warnings
            .iter()
            .any(|w| w.message.starts_with("heat bus 'heat'") && w.message.contains("83.9 %")),
        "{warnings:?}"
    );
    // Two winter weeks are enough to leave heat unserved.
    let window = chrono::NaiveDate::from_ymd_opt(2025, 1, 6)
        .map(|from| parkgrid_engine::Window { from, days: 14 });
    let run = run(&park, window);
    let summary = run.summary();
    assert_eq!(summary["status"], "unserved", "{summary}");
    assert_eq!(summary["baseline"]["status"], "unserved");
    assert!(run.main.kpis.unserved_heat_kwh > 0.5 * run.main.kpis.heat_demand_kwh);
}
