//! Parks that once gave wrong answers (tests/data/cases/README.md), each against its right value.

use std::path::Path;

use parkgrid_dispatch::{Config, Outcome, Quantity, RunStatus, Strategy, run};
use parkgrid_model::parse;
use parkgrid_resource::park_profiles;

/// The park of `text` run with the optimum and with the rule baseline.
fn both_runs(name: &str, text: &str) -> Vec<(Strategy, Outcome)> {
    let loaded = parse(name, text);
    let park = loaded
        .park
        .unwrap_or_else(|| panic!("{}", loaded.report.render()));
    let profiles = park_profiles(&park).unwrap_or_else(|e| panic!("{e}"));
    [Strategy::Optimal, Strategy::Rule]
        .into_iter()
        .map(|strategy| {
            let config = Config {
                strategy,
                ..Config::default()
            };
            let out = run(&park, &profiles, config).unwrap_or_else(|e| panic!("{e}"));
            (strategy, out)
        })
        .collect()
}

fn dead_end_bus() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases/dead_end_bus.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A load behind a switched-off cable: neither the optimum nor the rule baseline may supply it.
/// Both import the 2,000 MWh of the energised offices and leave the 1,000 MWh behind the cable
/// unserved.
#[test]
fn a_load_behind_a_switched_off_cable_is_unserved_in_both_runs() {
    for (strategy, out) in both_runs("dead_end_bus.toml", &dead_end_bus()) {
        assert_eq!(out.status, RunStatus::Ok);
        let k = &out.kpis;
        assert!(
            (k.grid_import_kwh - 2.0e6).abs() < 1.0,
            "{strategy:?}: import {}",
            k.grid_import_kwh
        );
        assert!(
            (k.unserved_electric_kwh - 1.0e6).abs() < 1.0,
            "{strategy:?}: unserved {}",
            k.unserved_electric_kwh
        );
        let north = out
            .dispatch
            .get("north", Quantity::UnservedKw)
            .map_or(0.0, |v| v.iter().sum::<f64>());
        assert!((north - 1.0e6).abs() < 1.0, "{strategy:?}: north {north}");
    }
}

/// A PV array of 1e-320 kW once gave an absorption ratio of NaN and −4e-8 kWh unserved: every
/// KPI is finite, energies are not negative, ratios are within 0…1.
#[test]
fn a_vanishing_pv_array_gives_finite_kpis() {
    let text = dead_end_bus()
        + "\n[[pv]]\nid = \"tiny\"\nbus = \"ac\"\np_dc_kw = 1e-320\ntilt_deg = 30\nazimuth_deg = 180\n";
    for (strategy, out) in both_runs("tiny.toml", &text) {
        let k = serde_json::to_value(&out.kpis).unwrap_or_else(|e| panic!("{e}"));
        for (name, v) in k.as_object().into_iter().flatten() {
            let v = v.as_f64().unwrap_or(f64::NAN);
            assert!(v.is_finite(), "{strategy:?}: {name} = {v}");
            if name.ends_with("_kwh") {
                assert!(v >= 0.0, "{strategy:?}: {name} = {v}");
            }
        }
        let r = out.kpis.renewable_absorption_ratio;
        assert!((0.0..=1.0).contains(&r), "{strategy:?}: {r}");
    }
}

/// An island without a grid connection, fed by a gas CHP: its electricity is worth the value of
/// lost load, so the merit order runs the CHP for the island's demand (venting the heat the
/// offices do not take) instead of leaving the demand unserved, and the heat follows from it.
#[test]
fn the_merit_order_runs_the_chp_of_an_island_without_a_grid() {
    let text = r#"
[site]
name = "island"
latitude_deg = 40.4
longitude_deg = 116.0
time_zone = "Asia/Shanghai"

[time]
year = 2025

[[bus]]
id = "ac"
carrier = "ac"
v_nom_kv = 0.4

[[bus]]
id = "heat"
carrier = "heat"
t_supply_c = 70
t_return_c = 50

[[chp]]
id = "engine"
bus = "ac"
heat_bus = "heat"
fuel = "gas"
p_max_kw = 800
eta_el = 0.38
eta_th = 0.45

[[gas_boiler]]
id = "boiler"
bus = "heat"
fuel = "gas"
heat_max_kw = 1000

[[electric_load]]
id = "works"
bus = "ac"
shape = "flat"
annual_kwh = 2000000

[[heat_load]]
id = "offices"
bus = "heat"
floor_area_m2 = 10000
design_w_per_m2 = 50

[[fuel]]
id = "gas"
price_cny_per_m3 = 3.2
lhv_kwh_per_m3 = 10.0
co2_kg_per_kwh = 0.202
"#;
    for (strategy, out) in both_runs("island.toml", text) {
        let k = &out.kpis;
        assert!(
            k.unserved_electric_kwh < 1.0,
            "{strategy:?}: {:.0} kWh of electricity unserved",
            k.unserved_electric_kwh
        );
        assert!(k.unserved_heat_kwh < 1.0, "{strategy:?}");
        // 2 GWh of demand, all from the CHP.
        assert!(
            (k.chp_electricity_kwh - 2.0e6).abs() < 1.0e3,
            "{strategy:?}: CHP {:.0} kWh",
            k.chp_electricity_kwh
        );
    }
}
