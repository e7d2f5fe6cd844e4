//! Invariants on randomly generated small parks: every bus balance closes at every step, storage
//! stays within its bounds, the schedule respects every asset's limits, and the optimum is never
//! worse than the rule-based baseline. Also: an infeasible park names the limits at fault.

use std::collections::HashMap;

use parkgrid_dispatch::{
    Config, Dispatch, Outcome, Quantity, Rules, RunStatus, SolverKind, Strategy, run,
};
use parkgrid_model::{Bus, Park, parse};
use parkgrid_resource::park_profiles;
use parkgrid_resource::rng::Rng;

/// A small random park with every asset kind and every carrier: AC buses joined by a line and a
/// transformer, a DC bus behind a converter, PV, wind, battery, a CHP, ground-source and
/// waste-heat pumps, gas and electric boilers, a heat tank, electric, heat and cooling loads, a
/// data centre with waste heat, EV charging, a flexible load, and a cold bus with an electric
/// chiller, an absorption chiller on the CHP's heat and a chilled-water tank.
fn random_park(seed: u64) -> String {
    let mut r = Rng::new(seed);
    let mut u = |lo: f64, hi: f64| lo + (hi - lo) * r.uniform();
    format!(
        r#"
[site]
name = "random {seed}"
latitude_deg = {lat:.2}
longitude_deg = 116.0
time_zone = "Asia/Shanghai"

[time]
year = 2025

[weather]
seed = {seed}

[[bus]]
id = "ac"
carrier = "ac"
v_nom_kv = 10

[[bus]]
id = "dc"
carrier = "dc"
v_nom_kv = 0.75

[[bus]]
id = "heat"
carrier = "heat"
t_supply_c = {supply:.0}
t_return_c = 35

[[bus]]
id = "waste"
carrier = "waste_heat"
t_c = 20

[[bus]]
id = "ac_b"
carrier = "ac"
v_nom_kv = 10

[[bus]]
id = "lv"
carrier = "ac"
v_nom_kv = 0.4

[[bus]]
id = "cold"
carrier = "cold"
t_supply_c = 7
t_return_c = 12

[[line]]
id = "cable"
from_bus = "ac"
to_bus = "ac_b"
length_km = 1.0
r_ohm_per_km = 0.1
x_ohm_per_km = 0.08
i_max_a = {line_a:.0}

[[transformer]]
id = "tx"
hv_bus = "ac_b"
lv_bus = "lv"
s_rated_kva = {tx:.0}
vk_percent = 6
vkr_percent = 1

[[chp]]
id = "chp"
bus = "ac_b"
heat_bus = "heat"
fuel = "gas"
p_max_kw = {chp:.0}
eta_el = 0.38
eta_th = 0.45

[[ground_heat_pump]]
id = "gshp"
bus = "ac_b"
heat_bus = "heat"
heat_max_kw = {gshp:.0}

[[air_source_heat_pump]]
id = "ashp"
bus = "ac"
heat_bus = "heat"
heat_max_kw = {ashp:.0}

[[electric_boiler]]
id = "eboiler"
bus = "ac"
heat_bus = "heat"
heat_max_kw = {eboiler:.0}

[[electric_chiller]]
id = "chiller"
bus = "lv"
cold_bus = "cold"
cold_max_kw = {chiller:.0}

[[absorption_chiller]]
id = "absorber"
heat_bus = "heat"
chp = "chp"
cold_bus = "cold"
cold_max_kw = {absorber:.0}

[[thermal_store]]
id = "cold_tank"
bus = "cold"
e_max_kwh = {ctank:.0}
heat_charge_max_kw = {ctankp:.0}
heat_discharge_max_kw = {ctankp:.0}
loss_frac_per_h = 0.001
soc_min_frac = 0.1

[[cooling_load]]
id = "offices_cooling"
bus = "cold"
floor_area_m2 = {carea:.0}
continuous = {continuous}

[[converter]]
id = "vsc"
from_bus = "ac"
to_bus = "dc"
p_max_kw = {conv:.0}
eta_forward = 0.97
eta_reverse = 0.96

[[grid]]
id = "grid"
bus = "ac"
p_import_max_kw = {imp:.0}
p_export_max_kw = {exp:.0}
tariff = "tou"
co2_kg_per_kwh = 0.6

[[pv]]
id = "pv"
bus = "dc"
p_dc_kw = {pv:.0}

[[wind]]
id = "wind"
bus = "ac"
n_turbines = {nt}
turbine = "DOE_GE_1.5MW_77"

[[battery]]
id = "bat"
bus = "dc"
p_max_kw = {bp:.0}
e_max_kwh = {be:.0}
soc_min_frac = 0.1
soc_max_frac = 0.9

[[data_centre]]
id = "dcentre"
bus = "ac"
waste_heat_bus = "waste"
p_it_kw = {it:.0}
pue = 1.3

[[waste_heat_pump]]
id = "whp"
bus = "ac"
source_bus = "waste"
heat_bus = "heat"
heat_max_kw = {whp:.0}

[[gas_boiler]]
id = "boiler"
bus = "heat"
fuel = "gas"
heat_max_kw = {boiler:.0}

[[thermal_store]]
id = "tank"
bus = "heat"
e_max_kwh = {tank:.0}
heat_charge_max_kw = {tankp:.0}
heat_discharge_max_kw = {tankp:.0}
loss_frac_per_h = 0.01
soc_initial_frac = 0.5

[[electric_load]]
id = "office"
bus = "ac"
annual_kwh = {office:.0}

[[heat_load]]
id = "houses"
bus = "heat"
floor_area_m2 = {area:.0}

[[ev_charging]]
id = "ev"
bus = "dc"
n_chargers = 4
p_charger_kw = 20
e_daily_kwh = {ev:.0}

[[flexible_load]]
id = "pumps"
bus = "ac"
shape = "flat"
annual_kwh = {flex:.0}
flexible_frac = 0.5
p_max_kw = {flexp:.0}

[[tariff]]
id = "tou"
price_cny_per_kwh = {{ valley = 0.3, flat = 0.7, peak = 1.2 }}
export_price_cny_per_kwh = {exprice:.2}
[[tariff.period]]
band = "valley"
hours = ["23-7"]
[[tariff.period]]
band = "flat"
hours = ["7-10", "13-17", "22-23"]
[[tariff.period]]
band = "peak"
hours = ["10-13", "17-22"]

[[fuel]]
id = "gas"
price_cny_per_m3 = 3.2
lhv_kwh_per_m3 = 10
co2_kg_per_kwh = 0.2
"#,
        lat = u(25.0, 45.0),
        supply = u(45.0, 70.0),
        conv = u(200.0, 800.0),
        imp = u(3000.0, 6000.0),
        exp = u(0.0, 1000.0),
        pv = u(100.0, 1500.0),
        nt = 1 + (u(0.0, 1.99) as u32),
        bp = u(50.0, 500.0),
        be = u(100.0, 2000.0),
        it = u(100.0, 800.0),
        whp = u(100.0, 1500.0),
        boiler = u(500.0, 3000.0),
        tank = u(100.0, 3000.0),
        tankp = u(50.0, 500.0),
        office = u(1e5, 2e6),
        area = u(5000.0, 30000.0),
        ev = u(50.0, 300.0),
        flex = u(1e5, 5e5),
        flexp = u(150.0, 300.0),
        exprice = u(0.1, 0.5),
        line_a = u(100.0, 400.0),
        tx = u(500.0, 2000.0),
        chp = u(100.0, 800.0),
        gshp = u(100.0, 800.0),
        ashp = u(50.0, 400.0),
        eboiler = u(100.0, 500.0),
        chiller = u(200.0, 1500.0),
        absorber = u(50.0, 400.0),
        ctank = u(200.0, 3000.0),
        ctankp = u(50.0, 500.0),
        carea = u(2000.0, 15000.0),
        continuous = u(0.0, 1.0) < 0.5,
    )
}

fn park(text: &str) -> Park {
    let loaded = parse("random.toml", text);
    loaded
        .park
        .unwrap_or_else(|| panic!("{}\n{text}", loaded.report.render()))
}

/// The largest `|Σ coef·value|` over groups of buses and steps, relative to the group's largest
/// flow that step.
fn port_imbalance(park: &Park, d: &Dispatch, group: impl Fn(&Bus) -> String) -> f64 {
    let n = d.series.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let mut sum: HashMap<String, Vec<f64>> = HashMap::new();
    let mut scale: HashMap<String, Vec<f64>> = HashMap::new();
    for s in &d.series {
        for (bus, coef) in s.ports.iter().cloned() {
            let bus = park
                .bus(&bus)
                .unwrap_or_else(|| panic!("{bus}: no such bus"));
            let g = group(bus);
            let acc = sum.entry(g.clone()).or_insert_with(|| vec![0.0; n]);
            let sc = scale.entry(g).or_insert_with(|| vec![1.0; n]);
            for (t, v) in s.values.iter().enumerate() {
                acc[t] += coef * v;
                sc[t] = sc[t].max((coef * v).abs());
            }
        }
    }
    let mut worst = 0.0f64;
    for (g, acc) in &sum {
        for (t, a) in acc.iter().enumerate() {
            worst = worst.max(a.abs() / scale[g][t]);
        }
    }
    worst
}

/// The machines' KPIs of a run agree with its series and the park: CHP heat and fuel in the
/// plant's fixed ratios to its electricity; stores lose energy (never make it), at most what was
/// charged and held at the start; the batteries' full cycles are their discharge over their usable capacity.
fn machine_figures_hold(
    park: &parkgrid_model::Park,
    out: &parkgrid_dispatch::Outcome,
    dt: f64,
    what: &str,
) {
    let k = &out.kpis;
    let total = |id: &str, q: Quantity| {
        out.dispatch
            .get(id, q)
            .map_or(0.0, |v| v.iter().sum::<f64>() * dt)
    };
    let chp = &park.chp[0];
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()));
    assert!(
        close(
            k.chp_heat_kwh,
            k.chp_electricity_kwh * chp.eta_th / chp.eta_el
        ),
        "{what}: CHP heat {} for {} kWh of electricity",
        k.chp_heat_kwh,
        k.chp_electricity_kwh
    );
    assert!(
        close(k.chp_fuel_kwh, k.chp_electricity_kwh / chp.eta_el),
        "{what}: CHP fuel {}",
        k.chp_fuel_kwh
    );
    // Stores lose at most what came in and what they held at the start.
    let batteries: Vec<(&str, f64)> = park
        .battery
        .iter()
        .map(|b| (b.id.as_str(), b.e_max_kwh))
        .collect();
    let tanks: Vec<(&str, f64)> = park
        .thermal_store
        .iter()
        .map(|s| (s.id.as_str(), s.e_max_kwh))
        .collect();
    for (name, losses, stores) in [
        ("battery", k.battery_losses_kwh, batteries),
        ("store", k.thermal_store_losses_kwh, tanks),
    ] {
        let charged: f64 = stores
            .iter()
            .map(|(id, _)| total(id, Quantity::ChargeKw))
            .sum();
        let held: f64 = stores.iter().map(|(_, e)| e).sum();
        assert!(
            (-1e-6..=charged + held).contains(&losses),
            "{what}: {name} losses {losses} of {charged} kWh charged"
        );
    }
    let usable: f64 = park
        .battery
        .iter()
        .map(|b| b.e_max_kwh * (b.soc_max_frac - b.soc_min_frac))
        .sum();
    let discharged: f64 = park
        .battery
        .iter()
        .map(|b| total(&b.id, Quantity::DischargeKw))
        .sum();
    assert!(
        close(k.battery_cycles, discharged.max(0.0) / usable),
        "{what}: {} cycles",
        k.battery_cycles
    );
}

/// No free sinks: at no step does an electric heat source (a heat pump or an electric boiler)
/// give heat to a heat bus from which heat is vented at the same time (10 W tolerance) — heat made
/// from electricity only to be thrown away.
fn no_heat_made_to_be_dumped(park: &Park, out: &Outcome, what: &str) {
    let d = &out.dispatch;
    for bus in park
        .bus
        .iter()
        .filter(|b| b.carrier == parkgrid_model::Carrier::Heat)
    {
        let n = d.series.iter().map(|s| s.values.len()).max().unwrap_or(0);
        let mut dumped = vec![0.0; n];
        let mut electric = vec![0.0; n];
        for c in park.chp.iter().filter(|c| c.heat_bus == bus.id) {
            for (x, v) in dumped
                .iter_mut()
                .zip(d.get(&c.id, Quantity::DumpedKw).unwrap_or_default())
            {
                *x += v;
            }
        }
        let sources = park
            .ground_heat_pump
            .iter()
            .filter(|h| h.heat_bus == bus.id)
            .map(|h| h.id.as_str())
            .chain(
                park.air_source_heat_pump
                    .iter()
                    .filter(|h| h.heat_bus == bus.id)
                    .map(|h| h.id.as_str()),
            )
            .chain(
                park.waste_heat_pump
                    .iter()
                    .filter(|h| h.heat_bus == bus.id)
                    .map(|h| h.id.as_str()),
            )
            .chain(
                park.electric_boiler
                    .iter()
                    .filter(|h| h.heat_bus == bus.id)
                    .map(|h| h.id.as_str()),
            );
        for id in sources {
            for (x, v) in electric
                .iter_mut()
                .zip(d.get(id, Quantity::HeatKw).unwrap_or_default())
            {
                *x += v;
            }
        }
        let both = (0..n)
            .filter(|&t| dumped[t] > 0.01 && electric[t] > 0.01)
            .map(|t| (t, dumped[t], electric[t]))
            .max_by(|a, b| a.1.min(a.2).total_cmp(&b.1.min(b.2)));
        assert!(
            both.is_none(),
            "{what}: at step {:?} (step, kW vented, kW of electric heat) heat made from \
             electricity on {} is vented",
            both,
            bus.id
        );
    }
}

#[test]
fn balances_close_and_limits_hold_on_random_parks() {
    // Fourteen days of each park, the windows spread over the seasons: more parks in less time
    // than whole years, and windows (not only years) are what live operation solves.
    const DAYS: usize = 14;
    let mut cooled = 0;
    for seed in 1..=12u64 {
        let park = park(&random_park(seed));
        let first_day = (seed as usize * 31) % (365 - DAYS);
        let profiles = park_profiles(&park)
            .unwrap_or_else(|e| panic!("{e}"))
            .window(first_day * 24, DAYS * 24);
        let opt = run(
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
        let uncoordinated = run(
            &park,
            &profiles,
            Config {
                strategy: Strategy::Rule,
                rules: Rules::Uncoordinated,
                ..Config::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(opt.status, RunStatus::Ok, "seed {seed}");
        for (which, out) in [("optimal", &opt), ("merit order", &rule)] {
            no_heat_made_to_be_dumped(&park, out, &format!("seed {seed}, {which}"));
        }
        assert!(
            opt.stats.max_balance_residual_rel <= 1e-6,
            "seed {seed}: residual {}",
            opt.stats.max_balance_residual_rel
        );
        let tol = 1e-3;
        let d = &opt.dispatch;
        let bat = &park.battery[0];
        let level = d.get("bat", Quantity::LevelKwh).unwrap_or_default();
        assert!(
            level
                .iter()
                .all(|&l| l >= 0.1 * bat.e_max_kwh - tol && l <= 0.9 * bat.e_max_kwh + tol),
            "seed {seed}: battery level"
        );
        let tank = park
            .thermal_store
            .iter()
            .find(|s| s.id == "tank")
            .unwrap_or_else(|| panic!("tank"));
        let tl = d.get("tank", Quantity::LevelKwh).unwrap_or_default();
        assert!(
            tl.iter().all(|&l| l >= -tol && l <= tank.e_max_kwh + tol),
            "seed {seed}: tank level"
        );
        assert!(
            (tl[tl.len() - 1] - 0.5 * tank.e_max_kwh).abs() < 1e-2,
            "seed {seed}: the tank ends where it started"
        );
        let pv = d.get("pv", Quantity::OutputKw).unwrap_or_default();
        let avail = d.get("pv", Quantity::AvailableKw).unwrap_or_default();
        assert!(
            pv.iter()
                .zip(avail)
                .all(|(p, a)| *p <= a + tol && *p >= -tol),
            "seed {seed}: PV within availability"
        );
        // The air-source heat pump within the output the air allows, in both runs.
        let heat_max = profiles
            .get("ashp", parkgrid_resource::Quantity::HeatMax)
            .unwrap_or_else(|| panic!("seed {seed}: no heat_max_kw for the air-source pump"));
        for (which, out) in [("optimal", &opt), ("rule", &rule)] {
            let heat = out
                .dispatch
                .get("ashp", Quantity::HeatKw)
                .unwrap_or_default();
            assert!(
                heat.iter()
                    .zip(heat_max)
                    .all(|(h, m)| *h <= m + tol && *h >= -tol),
                "seed {seed}: {which} air-source heat beyond the air's limit"
            );
        }
        let imp = d.get("grid", Quantity::ImportKw).unwrap_or_default();
        assert!(
            imp.iter().all(|&p| p <= park.grid[0].p_import_max_kw + tol),
            "seed {seed}: import limit"
        );
        // Flexible load keeps its daily energy.
        let flex = d.get("pumps", Quantity::PKw).unwrap_or_default();
        let base = d.get("pumps", Quantity::BaselineKw).unwrap_or_default();
        for day in 0..DAYS {
            let a: f64 = flex[day * 24..day * 24 + 24].iter().sum();
            let b: f64 = base[day * 24..day * 24 + 24].iter().sum();
            assert!(
                (a - b).abs() < 1e-3 * b.max(1.0),
                "seed {seed}: day {day} flexible energy {a} vs {b}"
            );
        }
        for (which, out) in [
            ("optimal", &opt),
            ("rule", &rule),
            ("uncoordinated", &uncoordinated),
        ] {
            let dt = profiles.axis.step_h();
            machine_figures_hold(&park, out, dt, &format!("seed {seed}, {which}"));
        }
        // The declared ports close every bus's balance over the result series alone, for the
        // optimum and for the baseline (which runs the same network, link by link).
        let worst = port_imbalance(&park, &opt.dispatch, |b| b.id.clone());
        assert!(
            worst < 1e-6,
            "seed {seed}: optimal balance by ports {worst}"
        );
        for (which, out) in [("rule", &rule), ("uncoordinated", &uncoordinated)] {
            let worst = port_imbalance(&park, &out.dispatch, |b| b.id.clone());
            assert!(
                worst < 1e-6,
                "seed {seed}: {which} balance by ports {worst}"
            );
        }
        // The baseline keeps the converter within its rating, and the grid within its limits.
        for q in [Quantity::ForwardKw, Quantity::ReverseKw] {
            let f = rule.dispatch.get("vsc", q).unwrap_or_default();
            let cap = park.converter[0].p_max_kw;
            assert!(
                f.iter().all(|&v| (-tol..=cap + tol).contains(&v)),
                "seed {seed}: rule converter {q} beyond {cap}"
            );
        }
        let exp = rule
            .dispatch
            .get("grid", Quantity::ExportKw)
            .unwrap_or_default();
        assert!(
            exp.iter().all(|&p| p <= park.grid[0].p_export_max_kw + tol),
            "seed {seed}: rule export limit"
        );
        // The absorption chiller runs on the CHP's heat alone, and what the CHP vents comes out
        // of the same heat; cooling is served. Every run keeps its stores within their levels.
        for (which, out) in [
            ("optimal", &opt),
            ("rule", &rule),
            ("uncoordinated", &uncoordinated),
        ] {
            let d = &out.dispatch;
            let absorber = d.get("absorber", Quantity::HeatKw).unwrap_or_default();
            let chp_heat = d.get("chp", Quantity::HeatKw).unwrap_or_default();
            let vented = d.get("chp", Quantity::DumpedKw).unwrap_or_default();
            assert!(
                (0..chp_heat.len()).all(|t| absorber[t] + vented[t] <= chp_heat[t] + tol),
                "seed {seed}: {which}: absorber and vent beyond the CHP's heat"
            );
            for st in &park.thermal_store {
                let lv = d.get(&st.id, Quantity::LevelKwh).unwrap_or_default();
                let (lo, hi) = (
                    st.soc_min_frac * st.e_max_kwh,
                    st.soc_max_frac * st.e_max_kwh,
                );
                assert!(
                    lv.iter().all(|&l| l >= lo - tol && l <= hi + tol),
                    "seed {seed}: {which}: {} outside [{lo}, {hi}]",
                    st.id
                );
            }
        }
        if opt.kpis.cooling_demand_kwh > 0.0 {
            cooled += 1;
        }
        // At the heat's value of lost load, the optimum leaves no more cooling unserved than
        // the baseline does.
        assert!(
            opt.kpis.unserved_cooling_kwh <= rule.kpis.unserved_cooling_kwh + tol,
            "seed {seed}: unserved cooling {} vs the baseline's {}",
            opt.kpis.unserved_cooling_kwh,
            rule.kpis.unserved_cooling_kwh
        );
        // EV energy delivered on charging days.
        let ev = d.get("ev", Quantity::PKw).unwrap_or_default();
        assert!(ev.iter().all(|&p| p <= 80.0 + tol));
        println!(
            "seed {seed}: optimal {:.0} CNY vs rule {:.0}, residual {:.1e}",
            opt.kpis.total_cost_cny, rule.kpis.total_cost_cny, opt.stats.max_balance_residual_rel
        );
        // Costs plus penalties: the optimum is never worse than the baseline's schedule.
        assert!(
            opt.kpis.total_cost_cny
                <= rule.kpis.total_cost_cny * (1.0 + 1e-6)
                    + 20.0
                        * (rule.kpis.unserved_electric_kwh
                            + rule.kpis.unserved_heat_kwh
                            + rule.kpis.unserved_cooling_kwh)
        );
    }
    // The windows spread over the seasons: several fall in the cooling season.
    assert!(cooled >= 3, "only {cooled} of 12 windows need cooling");
}

#[test]
fn an_infeasible_park_names_the_limits_at_fault() {
    // The tank must end where it starts, but loses 20 % an hour: the start level cannot be held.
    let text = random_park(9).replace(
        "loss_frac_per_h = 0.01\nsoc_initial_frac = 0.5",
        "loss_frac_per_h = 0.2\nsoc_initial_frac = 0.9\nsoc_min_frac = 0.85",
    );
    let park = park(&text);
    // A week shows it as well as a year.
    let profiles = park_profiles(&park)
        .unwrap_or_else(|e| panic!("{e}"))
        .window(0, 7 * 24);
    let out = run(&park, &profiles, Config::default()).unwrap_or_else(|e| panic!("{e}"));
    match out.status {
        RunStatus::Infeasible(rows) => {
            assert!(!rows.is_empty());
            assert!(
                rows.iter()
                    .any(|(name, _)| name.starts_with("thermal_store.")),
                "{rows:?}"
            );
        }
        other => panic!("expected infeasible, got {other:?}"),
    }
}

#[test]
fn rolling_horizon_costs_at_least_the_year_optimum() {
    // Sixty days from late winter into spring: the rolling horizon's windows and its plan of the
    // whole run, on a run that is itself a window.
    const DAYS: usize = 60;
    let park = park(&random_park(5));
    let profiles = park_profiles(&park)
        .unwrap_or_else(|e| panic!("{e}"))
        .window(40 * 24, DAYS * 24);
    let year = run(&park, &profiles, Config::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut calls = 0;
    let rolling = parkgrid_dispatch::run_with_progress(
        &park,
        &profiles,
        Config {
            horizon: parkgrid_dispatch::Horizon::Rolling,
            ..Config::default()
        },
        &mut |_, _| calls += 1,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rolling.status, RunStatus::Ok);
    assert_eq!(calls, DAYS + 1, "one call per day and one at the end");
    let (y, r) = (year.kpis.total_cost_cny, rolling.kpis.total_cost_cny);
    println!(
        "year {y:.0} CNY, rolling {r:.0} CNY ({:+.2} %), residual {:.1e}",
        (r - y) / y * 100.0,
        rolling.stats.max_balance_residual_rel
    );
    // A day's foresight cannot beat the whole run's, except by what the last window may leave in
    // the stores (the run must end them where they started) and by penalties (curtailment) that
    // are not costs: a fraction of a percent.
    assert!(
        r >= y * (1.0 - 5e-3),
        "a day's foresight cannot beat the year's"
    );
    assert!(
        r <= y * 1.2,
        "nor should it be far off on a park without seasonal storage"
    );
    assert!(rolling.stats.max_balance_residual_rel <= 1e-6);
    let level = rolling
        .dispatch
        .get("bat", Quantity::LevelKwh)
        .unwrap_or_default();
    assert_eq!(level.len(), DAYS * 24);
    let bat = &park.battery[0];
    assert!(
        level
            .iter()
            .all(|&l| l >= 0.1 * bat.e_max_kwh - 1e-3 && l <= 0.9 * bat.e_max_kwh + 1e-3)
    );
}

const CHP: &str = r#"
[[chp]]
id = "chp_on"
bus = "ac"
heat_bus = "heat"
fuel = "gas"
p_max_kw = 300
p_min_frac = 0.5
eta_el = 0.38
eta_th = 0.45
commitment = true
"#;

#[test]
fn chp_commitment_needs_a_milp_solver() {
    let park = park(&(random_park(6) + CHP));
    let profiles = park_profiles(&park).unwrap_or_else(|e| panic!("{e}"));
    match run(&park, &profiles, Config::default()) {
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains("integer variables (e.g. chp.on[chp_on,0]) need a MILP solver"),
                "{msg}"
            );
        }
        Ok(o) => panic!("Clarabel cannot honour commitment, got {:?}", o.status),
    }
}

#[cfg(feature = "highs")]
#[test]
fn chp_commitment_keeps_the_minimum_load_with_highs() {
    let park = park(&(random_park(6) + CHP));
    let profiles = park_profiles(&park).unwrap_or_else(|e| panic!("{e}"));
    let out = run(
        &park,
        &profiles,
        Config {
            solver: SolverKind::Highs,
            ..Config::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status, RunStatus::Ok);
    // The prices are the duals of the LP with the commitment fixed, and that LP is certified.
    let cert = out
        .stats
        .certificate
        .as_ref()
        .unwrap_or_else(|| panic!("no certificate"));
    assert!(cert.passes(1e-7), "{}", cert.summary());
    let prices = out
        .dispatch
        .series
        .iter()
        .find(|s| s.quantity == Quantity::PriceCnyPerKwh)
        .unwrap_or_else(|| panic!("no bus price"));
    assert!(prices.values.iter().all(|v| v.is_finite()));
    let p = out
        .dispatch
        .get("chp_on", Quantity::PKw)
        .unwrap_or_default();
    assert!(
        p.iter().all(|&x| !(1e-6..150.0 - 1e-6).contains(&x)),
        "below the minimum stable load"
    );
    assert!(p.iter().any(|&x| x > 1.0), "the CHP runs at all");
}
