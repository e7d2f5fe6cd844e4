//! Component tests on 3-step windows: the LP rows and variable bounds a component adds, written
//! out by name (`check(park, families, expect)`), so a change to a component's equations shows as
//! a readable difference here rather than as a shifted figure in a year run.

use parkgrid_dispatch::build::{BuildOptions, build};
use parkgrid_dispatch::lp::{Lp, Sense};
use parkgrid_model::parse;
use parkgrid_resource::{ParkProfiles, park_profiles};

/// A park with an AC bus on the grid, a 55 °C heat network with a gas boiler, and a 7/12 °C cold
/// bus, plus `assets`.
fn park(assets: &str) -> String {
    format!(
        r#"
[site]
name = "component test"
latitude_deg = 40.0
longitude_deg = 116.0
time_zone = "Asia/Shanghai"

[time]
year = 2025

[[bus]]
id = "ac"
carrier = "ac"
v_nom_kv = 10

[[bus]]
id = "heat"
carrier = "heat"
t_supply_c = 55
t_return_c = 40

[[bus]]
id = "cold"
carrier = "cold"
t_supply_c = 7
t_return_c = 12

[[grid]]
id = "grid"
bus = "ac"
p_import_max_kw = 5000
tariff = "flat"
co2_kg_per_kwh = 0.6

[[gas_boiler]]
id = "boiler"
bus = "heat"
fuel = "gas"
heat_max_kw = 1000

[[tariff]]
id = "flat"
price_cny_per_kwh = {{ flat = 0.5 }}
[[tariff.period]]
band = "flat"
hours = ["0-24"]

[[fuel]]
id = "gas"
price_cny_per_m3 = 3.0
lhv_kwh_per_m3 = 10
{assets}"#
    )
}

/// `x` to 6 decimals, without trailing noise (`500.00000000000006` is `500`).
fn num(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn term(lp: &Lp, v: usize, a: f64) -> String {
    format!("{:+} {}", num(a), lp.var_name(v))
}

/// The first step of July in a 2025 park at hourly steps.
const JULY: usize = (31 + 28 + 31 + 30 + 31 + 30) * 24;

/// The park of `text` and its profiles for `len` steps from `offset`.
fn window(text: &str, offset: usize, len: usize) -> (parkgrid_model::Park, ParkProfiles) {
    let loaded = parse("component.toml", text);
    let park = loaded
        .park
        .unwrap_or_else(|| panic!("{}", loaded.report.render()));
    let profiles = park_profiles(&park)
        .unwrap_or_else(|e| panic!("{e}"))
        .window(offset, len);
    (park, profiles)
}

/// The rows whose family starts with one of `families` (and the balance rows of `buses`) and the
/// bounds of their variables, for three steps from 1 July 12:00 (the park's time), one line each.
fn lp_lines(text: &str, families: &[&str], buses: &[&str]) -> Vec<String> {
    let (park, profiles) = window(text, JULY + 12, 3);
    let built = build(&park, &profiles, BuildOptions::default());
    let lp = &built.lp;
    let wanted = |name: &str| {
        families.iter().any(|f| name.starts_with(f))
            || buses
                .iter()
                .any(|b| name.starts_with(&format!("bus.balance[{b},")))
    };
    let mut lines = Vec::new();
    for v in 0..lp.n_vars() {
        let name = lp.var_name(v);
        if families.iter().any(|f| name.starts_with(f)) {
            lines.push(format!("{name} in [{}, {}]", num(lp.lb[v]), num(lp.ub[v])));
        }
    }
    for (i, row) in lp.rows.iter().enumerate() {
        let name = lp.row_name(i);
        if !wanted(&name) {
            continue;
        }
        let terms: Vec<String> = row.terms.iter().map(|&(v, a)| term(lp, v, a)).collect();
        let sense = match row.sense {
            Sense::Le => "<=",
            Sense::Ge => ">=",
            Sense::Eq => "=",
        };
        lines.push(format!(
            "{name}: {} {sense} {}",
            terms.join(" "),
            num(row.rhs)
        ));
    }
    lines
}

#[track_caller]
fn check(assets: &str, families: &[&str], buses: &[&str], expect: &[&str]) {
    let got = lp_lines(&park(assets), families, buses);
    assert_eq!(got, expect, "\ngot:\n{}", got.join("\n"));
}

/// An electric chiller with a fixed EER: electricity `p ∈ [0, cold_max/EER]` out of the AC bus
/// (next to the grid's import and export), `EER·p` into the cold bus (whose unserved slack is fixed at 0 where there is no demand).
#[test]
fn electric_chiller() {
    check(
        r#"
[[electric_chiller]]
id = "ch"
bus = "ac"
cold_bus = "cold"
cold_max_kw = 1000
eer = 5
"#,
        &["electric_chiller."],
        &["ac", "cold"],
        &[
            "electric_chiller.p[ch,0] in [0, 200]",
            "electric_chiller.p[ch,1] in [0, 200]",
            "electric_chiller.p[ch,2] in [0, 200]",
            "bus.balance[ac,0]: +1 grid.import[grid,0] -1 grid.export[grid,0] -1 electric_chiller.p[ch,0] +1 bus.unserved[ac,0] = 0",
            "bus.balance[ac,1]: +1 grid.import[grid,1] -1 grid.export[grid,1] -1 electric_chiller.p[ch,1] +1 bus.unserved[ac,1] = 0",
            "bus.balance[ac,2]: +1 grid.import[grid,2] -1 grid.export[grid,2] -1 electric_chiller.p[ch,2] +1 bus.unserved[ac,2] = 0",
            "bus.balance[cold,0]: +5 electric_chiller.p[ch,0] +1 bus.unserved[cold,0] = 0",
            "bus.balance[cold,1]: +5 electric_chiller.p[ch,1] +1 bus.unserved[cold,1] = 0",
            "bus.balance[cold,2]: +5 electric_chiller.p[ch,2] +1 bus.unserved[cold,2] = 0",
        ],
    );
}

/// An absorption chiller on a CHP: drive heat `q ∈ [0, cold_max/COP]` out of the heat bus (where
/// the CHP puts `(η_th/η_el)·p_chp` and takes back what it vents, `dump`), `COP·q` into the cold
/// bus, and per step `dump + q − (η_th/η_el)·p_chp ≤ 0`: the chiller and the vent share the
/// CHP's heat. The heat bus has no dump of its own.
#[test]
fn absorption_chiller_on_a_chp() {
    check(
        r#"
[[chp]]
id = "engine"
bus = "ac"
heat_bus = "heat"
fuel = "gas"
p_max_kw = 400
eta_el = 0.4
eta_th = 0.5

[[absorption_chiller]]
id = "abs"
heat_bus = "heat"
chp = "engine"
cold_bus = "cold"
cold_max_kw = 350
cop = 0.7
"#,
        &["absorption_chiller.", "chp.heat", "chp.dump"],
        &["heat", "cold"],
        &[
            "chp.dump[engine,0] in [0, inf]",
            "chp.dump[engine,1] in [0, inf]",
            "chp.dump[engine,2] in [0, inf]",
            "absorption_chiller.heat[abs,0] in [0, 500]",
            "absorption_chiller.heat[abs,1] in [0, 500]",
            "absorption_chiller.heat[abs,2] in [0, 500]",
            "chp.heat[engine,0]: +1 absorption_chiller.heat[abs,0] +1 chp.dump[engine,0] -1.25 chp.p[engine,0] <= 0",
            "chp.heat[engine,1]: +1 absorption_chiller.heat[abs,1] +1 chp.dump[engine,1] -1.25 chp.p[engine,1] <= 0",
            "chp.heat[engine,2]: +1 absorption_chiller.heat[abs,2] +1 chp.dump[engine,2] -1.25 chp.p[engine,2] <= 0",
            "bus.balance[heat,0]: +1.25 chp.p[engine,0] -1 chp.dump[engine,0] +1 gas_boiler.heat[boiler,0] -1 absorption_chiller.heat[abs,0] +1 bus.unserved[heat,0] = 0",
            "bus.balance[heat,1]: +1.25 chp.p[engine,1] -1 chp.dump[engine,1] +1 gas_boiler.heat[boiler,1] -1 absorption_chiller.heat[abs,1] +1 bus.unserved[heat,1] = 0",
            "bus.balance[heat,2]: +1.25 chp.p[engine,2] -1 chp.dump[engine,2] +1 gas_boiler.heat[boiler,2] -1 absorption_chiller.heat[abs,2] +1 bus.unserved[heat,2] = 0",
            "bus.balance[cold,0]: +0.7 absorption_chiller.heat[abs,0] +1 bus.unserved[cold,0] = 0",
            "bus.balance[cold,1]: +0.7 absorption_chiller.heat[abs,1] +1 bus.unserved[cold,1] = 0",
            "bus.balance[cold,2]: +0.7 absorption_chiller.heat[abs,2] +1 bus.unserved[cold,2] = 0",
        ],
    );
}

/// A cooling load is demand on the cold bus's right-hand side, with an unserved slack at the
/// heat's value of lost load; a cold store is the thermal store's equations on the cold bus.
#[test]
fn cooling_load_and_cold_store() {
    let lines = lp_lines(
        &park(
            r#"
[[electric_chiller]]
id = "ch"
bus = "ac"
cold_bus = "cold"
cold_max_kw = 1000
eer = 5

[[cooling_load]]
id = "office"
bus = "cold"
floor_area_m2 = 5000
continuous = true

[[thermal_store]]
id = "tank"
bus = "cold"
e_max_kwh = 1000
heat_charge_max_kw = 200
heat_discharge_max_kw = 200
eta_charge = 1
eta_discharge = 1
"#,
        ),
        &["thermal_store.energy"],
        &["cold"],
    );
    // An early July afternoon needs cooling: the demand is each balance row's right-hand side.
    let demand: Vec<f64> = lines
        .iter()
        .filter(|l| l.starts_with("bus.balance"))
        .map(|l| {
            l.rsplit(' ')
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(-1.0)
        })
        .collect();
    assert_eq!(demand.len(), 3, "{lines:#?}");
    assert!(
        demand.iter().all(|&d| d > 0.0 && d <= 1.3 * 500.0),
        "{demand:?}"
    );
    assert_eq!(
        lines[0],
        "thermal_store.energy[tank,0]: +1 thermal_store.level[tank,0] +1 thermal_store.power[tank,0] -1 thermal_store.level[tank,2] = 0"
    );
    assert!(
        lines[3].starts_with(
            "bus.balance[cold,0]: +1 thermal_store.power[tank,0] +5 electric_chiller.p[ch,0] +1 bus.unserved[cold,0] ="
        ),
        "{lines:#?}"
    );
}

/// The baseline cools with a CHP-driven absorption chiller where no electric chiller does: the
/// CHP runs harder than the heat demand alone asks, within its rating, and its heat covers the
/// heat load and the chiller's drive exactly; what neither can give stays unserved.
#[test]
fn the_baseline_runs_a_chp_driven_absorber() {
    use parkgrid_dispatch::{Config, Quantity, RunStatus, Strategy, run};
    let text = park(
        r#"
[[chp]]
id = "engine"
bus = "ac"
heat_bus = "heat"
fuel = "gas"
p_max_kw = 400
eta_el = 0.4
eta_th = 0.5

[[absorption_chiller]]
id = "abs"
heat_bus = "heat"
chp = "engine"
cold_bus = "cold"
cold_max_kw = 350
cop = 0.7

[[cooling_load]]
id = "labs"
bus = "cold"
floor_area_m2 = 4000
continuous = true
"#,
    );
    let (park, profiles) = window(&text, JULY, 48);
    let rule = run(
        &park,
        &profiles,
        Config {
            strategy: Strategy::Rule,
            ..Config::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rule.status, RunStatus::Ok);
    let d = &rule.dispatch;
    let demand = d.get("labs", Quantity::ColdKw).unwrap_or_default();
    let cold = d.get("abs", Quantity::ColdKw).unwrap_or_default();
    let drive = d.get("abs", Quantity::HeatKw).unwrap_or_default();
    let chp_heat = d.get("engine", Quantity::HeatKw).unwrap_or_default();
    let unserved = d.get("cold", Quantity::UnservedKw).unwrap_or_default();
    assert!(demand.iter().sum::<f64>() > 1000.0, "July needs cooling");
    for t in 0..48 {
        assert!((cold[t] - 0.7 * drive[t]).abs() < 1e-9);
        assert!(
            drive[t] <= chp_heat[t] + 1e-9,
            "step {t}: drive beyond the CHP's heat"
        );
        assert!(
            chp_heat[t] <= 500.0 + 1e-9,
            "step {t}: the CHP beyond its rating"
        );
        assert!(
            (cold[t] + unserved[t] - demand[t]).abs() < 1e-9,
            "step {t}: cold balance"
        );
        // Served up to the chiller's rating or the CHP's heat, whichever binds.
        assert!(
            unserved[t] < 1e-9 || cold[t] >= (350.0f64).min(0.7 * 500.0) - 1e-6,
            "step {t}: {} unserved with the absorber at {}",
            unserved[t],
            cold[t]
        );
    }
}

/// The rows of `families` for three steps from 1 July 12:00, built with `options`.
fn lines_with(assets: &str, families: &[&str], options: BuildOptions) -> Vec<String> {
    let (park, profiles) = window(&park(assets), JULY + 12, 3);
    let built = build(&park, &profiles, options);
    let lp = &built.lp;
    (0..lp.rows.len())
        .filter(|&i| families.iter().any(|f| lp.row_name(i).starts_with(f)))
        .map(|i| {
            let row = &lp.rows[i];
            let terms: Vec<String> = row.terms.iter().map(|&(v, a)| term(lp, v, a)).collect();
            format!("{}: {} = {}", lp.row_name(i), terms.join(" "), num(row.rhs))
        })
        .collect()
}

const EV: &str = r#"
[[ev_charging]]
id = "ev"
bus = "ac"
n_chargers = 2
p_charger_kw = 50
e_daily_kwh = 400
arrival_h = 8
departure_h = 18
"#;

/// A window that starts while the vehicles are plugged in (12:00, a Tuesday) carries the
/// session's energy still owed: one row over its steps, owing the window's share of it (3 of the
/// 6 hours to the 18:00 departure).
#[test]
fn an_ev_session_under_way_is_carried_into_a_window() {
    let options = BuildOptions {
        ev_open_kwh: [("ev".to_string(), 120.0)].into(),
        ..BuildOptions::default()
    };
    assert_eq!(
        lines_with(EV, &["ev_charging.energy"], options),
        [
            "ev_charging.energy[ev,0]: +1 ev_charging.p[ev,0] +1 ev_charging.p[ev,1] +1 ev_charging.p[ev,2] = 60"
        ]
    );
    // Without it, a window starting at noon owes nothing before tomorrow's arrival.
    assert!(lines_with(EV, &["ev_charging.energy"], BuildOptions::default()).is_empty());
}

/// A flexible load part-way through its shift window: the steps left owe the energy left
/// (within what their bounds can carry); the next shift window starts after them.
#[test]
fn a_flexible_load_part_way_through_its_window_is_carried() {
    let flexible = r#"
[[flexible_load]]
id = "pump"
bus = "ac"
shape = "flat"
annual_kwh = 876000
flexible_frac = 0.5
shift_window_h = 24
p_max_kw = 300
"#;
    let options = BuildOptions {
        flexible_open: [("pump".to_string(), (2, 350.0))].into(),
        ..BuildOptions::default()
    };
    // 100 kW flat: each step may run 50-300 kW; 350 kWh over two steps fits.
    assert_eq!(
        lines_with(flexible, &["flexible_load.energy"], options),
        [
            "flexible_load.energy[pump,0]: +1 flexible_load.p[pump,0] +1 flexible_load.p[pump,1] = 350",
            "flexible_load.energy[pump,1]: +1 flexible_load.p[pump,2] = 100",
        ]
    );
}

/// A store steered to a target level: the last level minus the priced excess plus the priced
/// shortfall equals the target.
#[test]
fn a_store_target_is_soft() {
    let battery = r#"
[[battery]]
id = "bat"
bus = "ac"
e_max_kwh = 1000
p_max_kw = 500
soc_initial_frac = 0.5
"#;
    let options = BuildOptions {
        store_target: [("bat".to_string(), 700.0)].into(),
        target_penalty_cny_per_kwh: 5.0,
        ..BuildOptions::default()
    };
    assert_eq!(
        lines_with(battery, &["battery.target", "battery.end"], options),
        [
            "battery.target[bat,2]: +1 battery.level[bat,2] -1 battery.target_above[bat,0] +1 battery.target_below[bat,0] = 700"
        ]
    );
}
