//! The model-predictive controller in closed loop: its cost against perfect foresight and the
//! rules, and setpoints on every tick whatever fails — the tiers, each logged.

use parkgrid_dispatch::SolverKind;
use parkgrid_engine::mpc::{Faults, ForecastMode, MpcRequest, MpcRun, Tier, run};
use parkgrid_engine::{Window, park};
use parkgrid_model::Park;

use crate::common::repo;

fn load(name: &str) -> Park {
    park::load(&repo().join("examples").join(name))
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

fn request(from: (i32, u32, u32), days: u32) -> MpcRequest {
    MpcRequest {
        window: Some(Window {
            from: chrono::NaiveDate::from_ymd_opt(from.0, from.1, from.2).unwrap(),
            days,
        }),
        solver: SolverKind::Clarabel,
        ..MpcRequest::default()
    }
}

fn ratio(run: &MpcRun) -> (f64, f64) {
    let s = run.summary();
    (
        s["cost_ratio_to_perfect_foresight"].as_f64().unwrap(),
        s["cost_ratio_to_rule"].as_f64().unwrap(),
    )
}

fn unserved(k: &parkgrid_dispatch::Kpis) -> f64 {
    k.unserved_electric_kwh + k.unserved_heat_kwh + k.unserved_cooling_kwh
}

#[test]
fn a_winter_day_of_yanqing_costs_within_three_percent_of_perfect_foresight() {
    let park = load("yanqing.toml");
    let done = run(&park, &request((2025, 1, 15), 1)).unwrap();
    let (to_perfect, to_rule) = ratio(&done);
    assert!(to_perfect <= 1.03, "{}", done.summary());
    assert!(to_rule < 1.0, "{}", done.summary());
    assert!(unserved(&done.kpis) <= unserved(&done.perfect) + 1e-6);
    assert!(done.kpis.renewable_absorption_ratio >= 0.995);
    assert_eq!(done.ticks.len(), 96);
    assert_eq!(done.count(Tier::Optimal), 96);
    // Every tick steers the four stores.
    assert!(done.ticks.iter().all(|t| t.setpoints.len() == 4));
    // The PV forecast is a model's, not the truth.
    let pv = done
        .models
        .iter()
        .find(|m| m.0 == "pv_roof/available_kw")
        .unwrap();
    assert!(pv.2 > 0.0, "{pv:?}");
}

#[test]
fn perfect_forecasts_lose_only_what_the_window_cannot_see() {
    let park = load("small-park.toml");
    let req = MpcRequest {
        forecast: ForecastMode::Perfect,
        ..request((2025, 3, 10), 2)
    };
    let done = run(&park, &req).unwrap();
    let (to_perfect, _) = ratio(&done);
    assert!((0.999..=1.002).contains(&to_perfect), "{}", done.summary());
}

#[test]
fn a_faulted_run_issues_setpoints_on_every_tick_and_logs_its_tiers() {
    let park = load("small-park.toml");
    let req = MpcRequest {
        faults: Faults {
            dropout_every_days: Some(1),
            stuck_every_days: Some(1),
            timeout_every_ticks: Some(100),
            start_frac: Some(1.1),
        },
        ..request((2025, 3, 10), 2)
    };
    let done = run(&park, &req).unwrap();
    assert_eq!(done.ticks.len(), 192);
    assert!(done.ticks.iter().all(|t| !t.setpoints.is_empty()));
    // The battery starts above its bounds: only the elastic programme plans the first tick.
    assert_eq!(done.ticks[0].tier, Tier::PricedSlack, "{:?}", done.ticks[0]);
    assert!(
        done.ticks[0].why == "optimal: infeasible",
        "{:?}",
        done.ticks[0]
    );
    // The forced time-out: the last plan, one step on.
    assert_eq!(
        done.ticks[99].tier,
        Tier::ShiftedPlan,
        "{:?}",
        done.ticks[99]
    );
    assert!(done.ticks[99].why.contains("time-out"));
    // Inputs dropped out every day: those ticks' forecasts are flagged, and still made.
    assert!(
        done.summary()["ticks_with_flagged_forecasts"]
            .as_u64()
            .unwrap()
            >= 24
    );
    assert_eq!(
        done.count(Tier::Optimal) + done.count(Tier::PricedSlack) + done.count(Tier::ShiftedPlan),
        192
    );
}

#[test]
fn with_no_time_for_the_programme_the_rules_issue_every_setpoint() {
    let park = load("small-park.toml");
    let req = MpcRequest {
        tick_budget_s: 1e-9,
        ..request((2025, 3, 10), 1)
    };
    let done = run(&park, &req).unwrap();
    assert_eq!(done.count(Tier::SafeMode), 96);
    assert!(
        done.ticks[5].why.contains("time budget"),
        "{:?}",
        done.ticks[5]
    );
    assert!(done.ticks.iter().all(|t| !t.setpoints.is_empty()));
    assert!(unserved(&done.kpis) <= unserved(&done.rule) + 1e-6);
}
