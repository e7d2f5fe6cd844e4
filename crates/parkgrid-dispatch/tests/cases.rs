//! Parks that once gave wrong answers (tests/data/cases/README.md), each against its right value.

use std::path::Path;

use parkgrid_dispatch::{Config, RunStatus, Strategy, run};
use parkgrid_model::load;
use parkgrid_resource::park_profiles;

/// A load behind a switched-off cable: neither the optimum nor the rule baseline may supply it.
/// Both import the 2,000 MWh of the energised offices and leave the 1,000 MWh behind the cable
/// unserved.
#[test]
fn a_load_behind_a_switched_off_cable_is_unserved_in_both_runs() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases/dead_end_bus.toml");
    let loaded = load(&path).unwrap_or_else(|e| panic!("{e}"));
    let park = loaded
        .park
        .unwrap_or_else(|| panic!("{}", loaded.report.render()));
    let profiles = park_profiles(&park).unwrap_or_else(|e| panic!("{e}"));
    for strategy in [Strategy::Optimal, Strategy::Rule] {
        let out = run(
            &park,
            &profiles,
            Config {
                strategy,
                ..Config::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
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
            .get("north", "unserved_kw")
            .map_or(0.0, |v| v.iter().sum::<f64>());
        assert!((north - 1.0e6).abs() < 1.0, "{strategy:?}: north {north}");
    }
}
