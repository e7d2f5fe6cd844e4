//! The Yanqing example over a year, solved once for the whole binary: what the optimal dispatch
//! must achieve against the baseline, and the README's headline figures to the digits it shows.
//! (The one Yanqing year among the workspace's tests: the seasonal store needs the whole year.)

use std::sync::OnceLock;

use parkgrid_dispatch::{
    Horizon, Outcome, Quantity, RunStatus, SolveOptions, SolverKind, Strategy,
};
use parkgrid_engine::{Request, YearRun, run_year};
use parkgrid_model::Park;
use parkgrid_resource::park_profiles;

use crate::common::repo;

/// The example and its year as the README's main command runs it with the default build's
/// solver (Clarabel): the optimum against the rule-based baseline, no network check.
fn year() -> &'static (Park, YearRun) {
    static YEAR: OnceLock<(Park, YearRun)> = OnceLock::new();
    YEAR.get_or_init(|| {
        let loaded = parkgrid_model::load(&repo().join("examples/yanqing.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        let park = loaded
            .park
            .unwrap_or_else(|| panic!("{}", loaded.report.render()));
        let request = Request {
            strategy: Strategy::Optimal,
            solver: SolverKind::Clarabel,
            horizon: Horizon::Year,
            solve: SolveOptions::default(),
            network_check: None,
            loss_feedback: true,
            window: None,
            step_min: None,
            rules: Default::default(),
        };
        let year = run_year(&park, &request, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
        (park, year)
    })
}

fn outcomes() -> (&'static Outcome, &'static Outcome, &'static Park) {
    let (park, year) = year();
    (&year.main, &year.baseline, park)
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
    // The carbon price is in the cost; against the merit order the optimum emits the same
    // within 1 % (measured 2026-12-01: 42,095 t against 42,109 t).
    assert!(o.co2_t < r.co2_t * 1.01, "emissions");
    assert!(
        o.renewable_absorption_ratio >= 0.99,
        "absorption {}",
        o.renewable_absorption_ratio
    );
    assert!(o.waste_heat_recovered_kwh > 0.0);
    assert!(o.boiler_heat_kwh <= r.boiler_heat_kwh + 1.0);
    assert!(o.unserved_electric_kwh < 1.0 && o.unserved_heat_kwh < 1.0);
    assert!(
        opt.stats.max_balance_residual_rel <= 1e-6,
        "balance residual {}",
        opt.stats.max_balance_residual_rel
    );

    // The heat stores serve the heating season, and are not used as a heat sink: one store
    // discharging while another charges would burn surplus heat in their losses (an LP artefact
    // when dumping heat is dearer than that).
    let store = park
        .thermal_store
        .iter()
        .find(|s| s.seasonal)
        .unwrap_or_else(|| panic!("a seasonal store"));
    let discharge = opt
        .dispatch
        .get(&store.id, Quantity::DischargeKw)
        .unwrap_or_default();
    let nov15 = (304 + 14) * 24;
    let mar15 = (31 + 28 + 14) * 24;
    let heating: Vec<usize> = (0..mar15).chain(nov15..discharge.len()).collect();
    let on_heat = |s: &&parkgrid_model::asset::ThermalStore| {
        park.bus(&s.bus)
            .is_some_and(|b| b.carrier == parkgrid_model::Carrier::Heat)
    };
    let flows = |q: Quantity| -> Vec<&[f64]> {
        park.thermal_store
            .iter()
            .filter(on_heat)
            .map(|s| opt.dispatch.get(&s.id, q).unwrap_or_default())
            .collect()
    };
    let (charge, disch) = (flows(Quantity::ChargeKw), flows(Quantity::DischargeKw));
    // Heat moved from one store into another in the same hour (the smaller of the charging and
    // the discharging there): 127 MWh in 89 h of the year, 0.5 % of the heat demand, while
    // 4,053 MWh are dumped — at most a trace of the LP artefact, not a sink.
    let crossing: Vec<usize> = (0..discharge.len())
        .filter(|&t| charge.iter().any(|c| c[t] > 100.0) && disch.iter().any(|d| d[t] > 100.0))
        .collect();
    let moved: f64 = crossing
        .iter()
        .map(|&t| {
            let (c, d): (f64, f64) = (
                charge.iter().map(|c| c[t]).sum(),
                disch.iter().map(|d| d[t]).sum(),
            );
            c.min(d)
        })
        .sum();
    assert!(
        moved < 0.01 * o.heat_demand_kwh,
        "{moved:.0} kWh in {} h with one heat store charging while another discharges",
        crossing.len()
    );
    let lost: f64 = charge.iter().flat_map(|c| c.iter()).sum::<f64>()
        - disch.iter().flat_map(|d| d.iter()).sum::<f64>();
    assert!(
        lost < 0.02 * o.heat_demand_kwh,
        "heat lost in stores {lost:.0} kWh of {:.0}",
        o.heat_demand_kwh
    );
    assert!(heating.iter().map(|&t| discharge[t]).sum::<f64>() > 0.0);
    for s in &park.thermal_store {
        let lv = opt
            .dispatch
            .get(&s.id, Quantity::LevelKwh)
            .unwrap_or_default();
        assert!(lv.iter().all(|&l| l >= s.soc_min_frac * s.e_max_kwh - 1e-3
            && l <= s.soc_max_frac * s.e_max_kwh + 1e-3));
    }

    // Combined cooling, heating and power: in summer the CHP's heat drives the absorption
    // chiller (within the CHP's heat every hour) instead of being vented.
    let absorption = opt
        .dispatch
        .get("absorption", Quantity::HeatKw)
        .unwrap_or_default();
    let chp_heat = opt
        .dispatch
        .get("chp_biogas", Quantity::HeatKw)
        .unwrap_or_default();
    assert!(absorption.iter().zip(chp_heat).all(|(a, h)| *a <= h + 1e-3));
    assert!(
        o.cooling_absorption_kwh > 0.5 * o.cooling_demand_kwh,
        "absorption cooling {:.0} of {:.0} kWh",
        o.cooling_absorption_kwh,
        o.cooling_demand_kwh
    );
    assert!(o.unserved_cooling_kwh < 1.0 && r.unserved_cooling_kwh < 1.0);
    // The merit order drives the absorber with the CHP's free heat too, less of it (measured
    // 2026-12-01: 1,464 MWh of cooling against the optimum's 2,301).
    assert!(r.cooling_absorption_kwh > 0.0);
    assert!(o.cooling_absorption_kwh > r.cooling_absorption_kwh);
    let dumped = opt
        .dispatch
        .get("chp_biogas", Quantity::DumpedKw)
        .unwrap_or_default();
    let (jun1, sep1) = (
        (31 + 28 + 31 + 30 + 31) * 24,
        (31 + 28 + 31 + 30 + 31 + 30 + 31 + 31) * 24,
    );
    let summer: f64 = dumped[jun1..sep1].iter().sum();
    assert!(summer < 300_000.0, "{summer:.0} kWh dumped in June–August");
}

/// The size estimated from a two-day window before the year is built is the year's, within 1 %.
/// (Its own test: the profiles and the estimate are made while the other test's year is solved.)
#[test]
fn the_size_estimate_is_the_years() {
    let loaded = parkgrid_model::load(&repo().join("examples/yanqing.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let park = loaded
        .park
        .unwrap_or_else(|| panic!("{}", loaded.report.render()));
    let profiles = park_profiles(&park).unwrap_or_else(|e| panic!("{e}"));
    let est = parkgrid_dispatch::estimate(&park, &profiles);
    let stats = &year().1.main.stats;
    let off = |a: usize, b: usize| (a as f64 / b as f64 - 1.0).abs();
    assert!(
        off(est.n_nonzeros, stats.n_nonzeros) < 0.01,
        "{est:?} vs {stats:?}"
    );
    assert!(off(est.n_variables, stats.n_variables) < 0.01, "{est:?}");
    assert!(off(est.n_rows, stats.n_rows) < 0.01, "{est:?}");
}

/// The README's headline figures are what the README's main command prints: each of these rows
/// of its KPI table (optimum and baseline, to the digits shown) must equal the row of the
/// example's year in the table `parkgrid simulate` prints (`parkgrid_engine::table::kpis`; the
/// terminal writes '−' as '-'). The peak import is left out: the example's tariff does not price
/// it, so optimal schedules differ in it.
#[test]
fn the_readmes_headline_figures_are_the_examples() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let (_, year) = year();
    let summary = year.summary();
    // The heat vented, by origin: the CHP is the only one, in both runs.
    for s in [&summary, &summary["baseline"]] {
        let total = s["heat_dumped_kwh"].as_f64().expect("dumped");
        let chp = s["heat_dumped_by_origin_kwh"]["chp_biogas"]
            .as_f64()
            .expect("by origin");
        assert!(total > 0.0 && (chp - total).abs() < 1.0, "{chp} of {total}");
    }
    assert_eq!(summary["baseline"]["rules"], "merit_order");
    let table = parkgrid_engine::table::kpis(&summary, "optimal");
    // A row as words: the terminal's padding and minus signs do not count.
    let words = |cells: &[&str]| -> String {
        cells
            .join(" ")
            .replace('−', "-")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    for kpi in [
        "Total cost",
        "Grid import",
        "Renewable absorption",
        "CO₂ emitted",
        "Waste heat recovered",
        "Boiler heat",
        "Heat demand",
        "Heat dumped",
        "CHP electricity",
        "Heat from heat pumps",
        "Battery full cycles",
        "Heat and cold store losses",
        "Cooling demand",
        "Cooling by absorption chillers",
    ] {
        // The label, then the padding before the unit, in the README's console block.
        let label = format!("{kpi}  ");
        let want = readme
            .lines()
            .find(|l| l.starts_with("  ") && l.trim_start().starts_with(&label))
            .map(|l| words(&[l]))
            .unwrap_or_else(|| panic!("no '{kpi}' row in README.md"));
        let got = table
            .rows
            .iter()
            .find(|r| r.first().is_some_and(|c| c == kpi))
            .map(|r| words(&r.iter().map(String::as_str).collect::<Vec<_>>()))
            .unwrap_or_else(|| panic!("no '{kpi}' row in {:?}", table.rows));
        assert_eq!(
            got, want,
            "README.md's '{kpi}' row is not what the example prints"
        );
    }
}
