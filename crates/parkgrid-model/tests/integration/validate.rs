//! Validation through data: each case adds a fragment to `tests/data/base.toml` (a small valid
//! park) and states the errors it must produce, as `path: message` and optionally ` | hint text`.

use parkgrid_model::{Loaded, Severity, parse};

const BASE: &str = include_str!("../data/base.toml");

fn load(fragment: &str) -> Loaded {
    parse("park.toml", &format!("{BASE}\n{fragment}"))
}

fn findings(loaded: &Loaded, severity: Severity) -> Vec<(String, Option<String>)> {
    loaded
        .report
        .diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| (format!("{}: {}", d.path, d.message), d.hint.clone()))
        .collect()
}

/// Asserts that `fragment` yields exactly the errors `expect` (in file order). An expectation
/// `"path: message | hint"` also requires the hint to contain `hint`.
#[track_caller]
fn check(fragment: &str, expect: &[&str]) {
    let loaded = load(fragment);
    let got = findings(&loaded, Severity::Error);
    let rendered = loaded.report.render();
    assert_eq!(
        got.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(),
        expect
            .iter()
            .map(|e| e.split(" | ").next().unwrap_or(e))
            .collect::<Vec<_>>(),
        "\n{rendered}"
    );
    for ((_, hint), e) in got.iter().zip(expect) {
        if let Some((_, want)) = e.split_once(" | ") {
            let hint = hint.as_deref().unwrap_or("");
            assert!(
                hint.contains(want),
                "hint {hint:?} lacks {want:?}\n{rendered}"
            );
        }
    }
    assert_eq!(
        loaded.park.is_some(),
        expect.is_empty(),
        "a park comes back exactly when valid"
    );
}

#[track_caller]
fn check_warning(fragment: &str, expect: &str) {
    let loaded = load(fragment);
    let got = findings(&loaded, Severity::Warning);
    assert!(
        got.iter().any(|(m, _)| m == expect),
        "no warning {expect:?} in {got:?}"
    );
}

#[test]
fn base_park_is_valid() {
    check("", &[]);
}

#[test]
fn syntax_errors_have_positions() {
    let loaded = load("[[pv]\nid = \"x\"");
    assert!(loaded.park.is_none());
    let d = &loaded.report.diagnostics[0];
    assert!(d.message.starts_with("TOML syntax"), "{}", d.message);
    let pos = loaded.report.locate(d).map(|p| (p.line, p.column));
    let base_lines = BASE.lines().count();
    assert_eq!(
        pos.map(|p| p.0),
        Some(base_lines + 2),
        "{}",
        loaded.report.render()
    );
}

#[test]
fn unknown_fields_all_reported_with_suggestions() {
    check(
        r#"
[[pv]]
id = "pv"
bus = "ac"
p_dc_kw = 100
tilt_dg = 30
azimuth = 180

[[battery]]
id = "bat"
bus = "ac"
p_max_kw = 100
e_max_kwh = 200
eta_charg = 0.9
"#,
        &[
            "pv[0].tilt_dg: unknown field 'tilt_dg' in pv[0] | did you mean 'tilt_deg'?",
            "pv[0].azimuth: unknown field 'azimuth' in pv[0] | did you mean 'azimuth_deg'?",
            "battery[0].eta_charg: unknown field 'eta_charg' in battery[0] | did you mean 'eta_charge'?",
        ],
    );
}

#[test]
fn unknown_tables_and_nested_fields() {
    check(
        "[[batery]]\nid = \"b\"\n\n[[tariff]]\nid = \"t2\"\nprice_cny_per_kwh = { a = 1.0 }\n[[tariff.period]]\nband = \"a\"\nhours = [\"0-24\"]\nmonth = [1]\n",
        &[
            "batery: unknown table 'batery' | did you mean 'battery'?",
            "tariff[1].period[0].month: unknown field 'month' in tariff[1].period[0] | did you mean 'months'?",
        ],
    );
}

#[test]
fn unknown_field_inside_an_optional_table() {
    check(
        "[[pv]]\nid = \"pv\"\nbus = \"ac\"\np_dc_kw = 10\nprofile = { file = \"pv.csv\", colum = \"pv\" }\n",
        &["pv[0].profile.colum: unknown field 'colum' in pv[0].profile | did you mean 'column'?"],
    );
}

#[test]
fn type_errors_in_several_entries_are_all_reported() {
    check(
        r#"
[[battery]]
id = "b1"
bus = "ac"
p_max_kw = "lots"
e_max_kwh = 200

[[battery]]
id = "b2"
bus = "ac"
p_max_kw = 100
e_max_kwh = 200
soc_min_frac = 0.9
soc_max_frac = 0.2

[[pv]]
id = "pv"
bus = "ac"
p_dc_kw = 100
tracking = "dual"
"#,
        &[
            "battery[0].p_max_kw: invalid type: string \"lots\", expected a number",
            "battery[1].soc_min_frac: storage bounds are inverted: soc_min_frac 0.9 is not below soc_max_frac 0.2",
            "pv[0].tracking: unknown variant `dual`, expected `fixed` or `single_axis` | write one of: fixed, single_axis",
        ],
    );
}

#[test]
fn missing_required_field() {
    check(
        "[[battery]]\nid = \"b\"\nbus = \"ac\"\np_max_kw = 100\n",
        &["battery[0]: missing field `e_max_kwh`"],
    );
}

#[test]
fn duplicate_ids_across_sections() {
    check(
        "[[electric_load]]\nid = \"acme\"\nbus = \"ac\"\nannual_kwh = 1000\n",
        &[
            "tenant[0].id: duplicate id 'acme': already used by electric_load[0] | unique across the whole park file",
        ],
    );
}

#[test]
fn invalid_id() {
    check(
        "[[electric_load]]\nid = \"office load\"\nbus = \"ac\"\nannual_kwh = 1000\n",
        &["electric_load[0].id: 'office load' is not a valid id | put free text in name"],
    );
}

#[test]
fn missing_bus_with_suggestion() {
    check(
        "[[pv]]\nid = \"pv\"\nbus = \"dc750\"\np_dc_kw = 100\n",
        &["pv[0].bus: bus 'dc750' not found | did you mean 'dc_750'?"],
    );
}

#[test]
fn references_to_missing_tariff_fuel_tenant_and_asset() {
    check(
        r#"
[[grid]]
id = "grid2"
bus = "ac"
p_import_max_kw = 100
tariff = "flatt"
co2_kg_per_kwh = 0.5

[[gas_boiler]]
id = "boiler2"
bus = "heat"
fuel = "coal"
heat_max_kw = 100

[[electric_load]]
id = "office"
bus = "ac"
annual_kwh = 1000
tenant = "acne"

[[meter]]
id = "m1"
tenant = "acme"
carrier = "electricity"
assets = ["ofice"]
"#,
        &[
            "grid[1].tariff: tariff 'flatt' not found | did you mean 'flat'?",
            "gas_boiler[1].fuel: fuel 'coal' not found | known: gas",
            "electric_load[0].tenant: tenant 'acne' not found | did you mean 'acme'?",
            "meter[0].assets[0]: asset 'ofice' not found | did you mean 'office'?",
        ],
    );
}

#[test]
fn reference_to_an_element_of_another_kind() {
    check(
        "[[electric_load]]\nid = \"office\"\nbus = \"ac\"\nannual_kwh = 1000\ntenant = \"grid\"\n",
        &["electric_load[0].tenant: tenant 'grid' names a [[grid]] entry, not a [[tenant]]"],
    );
}

#[test]
fn heat_pump_fed_from_a_heat_bus() {
    check(
        "[[ground_heat_pump]]\nid = \"gshp\"\nbus = \"heat\"\nheat_bus = \"heat\"\nheat_max_kw = 100\n",
        &[
            "ground_heat_pump[0].bus: ground_heat_pump 'gshp': bus 'heat' is a heat bus, but bus takes an AC bus or a DC bus | its heat output goes on heat_bus",
        ],
    );
}

#[test]
fn battery_on_a_heat_bus_and_load_on_waste_heat() {
    check(
        "[[battery]]\nid = \"b\"\nbus = \"heat\"\np_max_kw = 1\ne_max_kwh = 2\n\n[[heat_load]]\nid = \"h\"\nbus = \"waste\"\nfloor_area_m2 = 10\n",
        &[
            "battery[0].bus: battery 'b': bus 'heat' is a heat bus, but bus takes an AC bus or a DC bus",
            "heat_load[1].bus: heat_load 'h': bus 'waste' is a waste-heat bus, but bus takes a heat bus",
        ],
    );
}

#[test]
fn zero_and_negative_ratings() {
    check(
        "[[pv]]\nid = \"pv\"\nbus = \"ac\"\np_dc_kw = 0\n\n[[battery]]\nid = \"b\"\nbus = \"ac\"\np_max_kw = -10\ne_max_kwh = 20\n",
        &[
            "pv[0].p_dc_kw: p_dc_kw must be greater than zero, got 0",
            "battery[0].p_max_kw: p_max_kw must be greater than zero, got -10",
        ],
    );
}

#[test]
fn efficiencies_outside_unit_interval() {
    check(
        r#"
[[electric_boiler]]
id = "eb"
bus = "ac"
heat_bus = "heat"
heat_max_kw = 100
eta = 99

[[chp]]
id = "chp"
bus = "ac"
heat_bus = "heat"
fuel = "gas"
p_max_kw = 100
eta_el = 0.6
eta_th = 0.5
"#,
        &[
            "electric_boiler[0].eta: eta must be in (0, 1], got 99 | write 0.99 for 99 %",
            "chp[0].eta_th: eta_el + eta_th = 1.100 exceeds 1: the plant would make energy",
        ],
    );
}

#[test]
fn storage_initial_state_outside_bounds() {
    check(
        "[[thermal_store]]\nid = \"tank\"\nbus = \"heat\"\ne_max_kwh = 100\nheat_charge_max_kw = 10\nheat_discharge_max_kw = 10\nsoc_min_frac = 0.2\nsoc_initial_frac = 0.1\n",
        &["thermal_store[0].soc_initial_frac: soc_initial_frac 0.1 lies outside [0.2, 1]"],
    );
}

#[test]
fn tariff_hours_not_covered_and_overlapping() {
    check(
        r#"
[[tariff]]
id = "tou"
price_cny_per_kwh = { valley = 0.2, peak = 1.0, critical = 1.2 }

[[tariff.period]]
band = "valley"
hours = ["23-7"]

[[tariff.period]]
band = "peak"
hours = ["6-20"]

[[tariff.period]]
band = "critical"
months = [7]
hours = ["11-13"]
overrides = true

[[tariff.period]]
band = "critical"
months = [7, 13]
hours = ["12-14"]
overrides = true
"#,
        &[
            "tariff[1].period: tariff 'tou' leaves 36 month-hour(s) without a base band, first month 1 at 20:00 | cover hours 0-24 of every month",
            "tariff[1].period[1].hours[0]: period overlaps period 0 (band 'valley') in 12 hour(s), first in month 1 at 6:00 | overrides = true",
            "tariff[1].period[3].months[1]: month 13 is not in 1–12",
            "tariff[1].period[3].hours[0]: period overlaps period 2 (band 'critical') in 1 hour(s), first in month 7 at 12:00 | must not overlap each other",
        ],
    );
}

#[test]
fn bad_hour_range_syntax() {
    check(
        "[[tariff]]\nid = \"t\"\nprice_cny_per_kwh = { a = 1.0 }\n[[tariff.period]]\nband = \"a\"\nhours = [\"10:00-13:00\"]\n",
        &[
            "tariff[1].period[0].hours: '10:00-13:00' is not an hour range such as \"10-13\" or \"23-7\"",
        ],
    );
}

#[test]
fn dc_bus_without_converter_path() {
    check(
        r#"
[[bus]]
id = "dc_375"
carrier = "dc"
v_nom_kv = 0.375

[[bus]]
id = "dc_48"
carrier = "dc"
v_nom_kv = 0.048

[[converter]]
id = "dcdc"
from_bus = "dc_375"
to_bus = "dc_48"
p_max_kw = 10

[[electric_load]]
id = "lights"
bus = "dc_48"
annual_kwh = 1000
"#,
        &[
            "bus[4].id: DC bus 'dc_375' has no converter path to an AC bus | add a [[converter]]",
            "bus[5].id: DC bus 'dc_48' has no converter path to an AC bus",
        ],
    );
}

#[test]
fn dc_bus_reached_through_dc_dc_converter_is_fine() {
    check(
        "[[bus]]\nid = \"dc_375\"\ncarrier = \"dc\"\nv_nom_kv = 0.375\n\n[[converter]]\nid = \"dcdc\"\nfrom_bus = \"dc_750\"\nto_bus = \"dc_375\"\np_max_kw = 10\n",
        &[],
    );
}

#[test]
fn time_step_is_one_of_the_supported_lengths() {
    // 25 does not divide the hour; 2 and 3 do, but make years of 175,000–260,000 steps.
    for step in [25, 2, 3, 0, 120] {
        let loaded = parse(
            "park.toml",
            &BASE.replace("year = 2025", &format!("year = 2025\nstep_min = {step}")),
        );
        let got = findings(&loaded, Severity::Error);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            got[0].0,
            format!("time.step_min: a step of {step} min is not one of 5, 10, 15, 30 or 60")
        );
    }
}

#[test]
fn branches_between_wrong_buses() {
    check(
        r#"
[[line]]
id = "l1"
from_bus = "ac"
to_bus = "dc_750"
length_km = 1
r_ohm_per_km = 0.1
i_max_a = 100

[[converter]]
id = "c2"
from_bus = "ac"
to_bus = "heat"
p_max_kw = 10

[[transformer]]
id = "t1"
hv_bus = "dc_750"
lv_bus = "ac"
s_rated_kva = 100
vk_percent = 6
vkr_percent = 1
"#,
        &[
            "line[0].to_bus: line 'l1' joins an AC bus to a DC bus | [[converter]]",
            "converter[1].to_bus: converter 'c2' joins an AC bus and a heat bus",
            "transformer[0].hv_bus: transformer 't1': hv_bus is a DC bus, not an AC bus",
        ],
    );
}

#[test]
fn transformer_sides_swapped() {
    check(
        "[[bus]]\nid = \"lv\"\ncarrier = \"ac\"\nv_nom_kv = 0.4\n\n[[transformer]]\nid = \"t\"\nhv_bus = \"lv\"\nlv_bus = \"ac\"\ns_rated_kva = 1000\nvk_percent = 6\nvkr_percent = 1\n",
        &["transformer[0].hv_bus: hv_bus is at 0.4 kV, not above lv_bus at 10 kV | swap"],
    );
}

#[test]
fn meters_bill_their_own_tenant_once() {
    check(
        r#"
[[tenant]]
id = "other"

[[electric_load]]
id = "office"
bus = "ac"
annual_kwh = 1000
tenant = "acme"

[[meter]]
id = "m1"
tenant = "acme"
carrier = "electricity"
assets = ["office"]

[[meter]]
id = "m2"
tenant = "other"
carrier = "heat"
assets = ["office", "grid"]
"#,
        &[
            "meter[1].assets[0]: electric_load 'office' consumes electricity, but meter 'm2' measures heat",
            "meter[1].assets[0]: asset 'office' belongs to tenant 'acme', but meter 'm2' bills tenant 'other'",
            "meter[1].assets[0]: asset 'office' is measured by meters 'm1' and 'm2' | billed twice",
            "meter[1].assets[1]: grid 'grid' is not a consumer a tenant is billed for",
        ],
    );
}

#[test]
fn heat_demand_without_heat_source() {
    check(
        "[[bus]]\nid = \"heat2\"\ncarrier = \"heat\"\nt_supply_c = 70\nt_return_c = 50\n\n[[heat_load]]\nid = \"h2\"\nbus = \"heat2\"\nfloor_area_m2 = 100\n",
        &["bus[4].id: heat bus 'heat2' has heat demand but nothing supplies heat to it"],
    );
}

#[test]
fn waste_heat_hotter_than_supply() {
    let loaded = parse("park.toml", &BASE.replace("t_c = 18", "t_c = 60"));
    let got = findings(&loaded, Severity::Error);
    assert_eq!(
        got.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(),
        vec![
            "waste_heat_pump[0].source_bus: waste heat at 60 °C is not colder than the supply temperature 55 °C"
        ]
    );
}

#[test]
fn ev_energy_beyond_charger_capacity() {
    check(
        "[[ev_charging]]\nid = \"ev\"\nbus = \"dc_750\"\nn_chargers = 2\np_charger_kw = 7\ne_daily_kwh = 500\n",
        &[
            "ev_charging[0].e_daily_kwh: vehicles need 500 kWh a day but 2 chargers × 7 kW × 10 h deliver at most 140 kWh | add chargers",
        ],
    );
}

#[test]
fn demand_needs_energy_or_profile_and_not_both_sources() {
    check(
        "[[electric_load]]\nid = \"l\"\nbus = \"ac\"\n\n[[wind]]\nid = \"w\"\nbus = \"ac\"\nn_turbines = 1\nturbine = \"GE_1.5\"\npower_curve = { wind_speed_m_per_s = [3, 12], p_kw = [0, 1500] }\nhub_height_m = 80\n",
        &[
            "electric_load[0]: the demand needs annual_kwh (or a profile)",
            "wind[0].turbine: no built-in turbine 'GE_1.5' | DOE_GE_1.5MW_77",
            "wind[0].power_curve: give one of turbine, power_curve and power_curve_file, not turbine and power_curve",
        ],
    );
}

#[test]
fn power_curve_must_increase() {
    check(
        "[[wind]]\nid = \"w\"\nbus = \"ac\"\nn_turbines = 1\npower_curve = { wind_speed_m_per_s = [3, 12, 10], p_kw = [0, 1500] }\nhub_height_m = 80\n",
        &[
            "wind[0].power_curve.wind_speed_m_per_s[2]: wind speeds must increase: 10 follows 12",
            "wind[0].power_curve.p_kw: the curve has 3 wind speeds but 2 powers",
        ],
    );
}

#[test]
fn weather_file_source_needs_a_file() {
    check(
        "[weather]\nsource = \"epw\"\n",
        &["weather.source: this weather source needs a file"],
    );
}

#[test]
fn climate_table_must_have_twelve_months() {
    check(
        "[weather]\nclimate = [ { month = 1, t_mean_c = -5, ghi_kwh_per_m2 = 60, wind_10m_m_per_s = 2, linke_turbidity = 2, t_ground_c = 4 } ]\n",
        &["weather.climate: the climate table lacks month(s) 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12"],
    );
}

#[test]
fn single_and_array_tables_are_not_confused() {
    let loaded = parse(
        "p.toml",
        &BASE.replace("[time]\nyear = 2025", "[[time]]\nyear = 2025"),
    );
    let got = findings(&loaded, Severity::Error);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "time: time must be a single table");
    check(
        "[pv]\nid = \"x\"\n",
        &["pv: pv must be an array of tables | [[pv]]"],
    );
}

#[test]
fn missing_site_and_time() {
    let loaded = parse(
        "p.toml",
        "[[bus]]\nid = \"ac\"\ncarrier = \"ac\"\nv_nom_kv = 10\n",
    );
    let got = findings(&loaded, Severity::Error);
    assert_eq!(
        got.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(),
        vec![
            "bus: the park has buses but no assets: nothing to run",
            ": the park file has no [site] table",
            ": the park file has no [time] table"
        ]
    );
}

#[test]
fn an_empty_park_is_refused() {
    let base = "[site]\nname = \"x\"\nlatitude_deg = 40\nlongitude_deg = 116\ntime_zone = \"Asia/Shanghai\"\n\n[time]\nyear = 2025\n";
    let got = findings(&parse("p.toml", base), Severity::Error);
    assert_eq!(
        got.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(),
        vec!["bus: the park has no buses"]
    );
}

#[test]
fn warnings_do_not_invalidate() {
    check_warning(
        "[[bus]]\nid = \"spare\"\ncarrier = \"ac\"\nv_nom_kv = 10\n",
        "bus[4].id: nothing is connected to bus 'spare'",
    );
    check_warning(
        "[[thermal_store]]\nid = \"pit\"\nbus = \"heat\"\nseasonal = true\ne_max_kwh = 1000\nheat_charge_max_kw = 10\nheat_discharge_max_kw = 10\nloss_frac_per_h = 0.01\n",
        "thermal_store[0].loss_frac_per_h: a seasonal store losing 0.01 per hour keeps only 0.0 % over 4000 h",
    );
    assert!(
        load("[[bus]]\nid = \"spare\"\ncarrier = \"ac\"\nv_nom_kv = 10\n")
            .park
            .is_some()
    );
}

#[test]
fn every_problem_at_once_with_line_and_column() {
    let fragment = "[[pv]]\nid = \"pv\"\nbus = \"nowhere\"\np_dc_kw = -1\ntilt = 3\n";
    let loaded = load(fragment);
    let base_lines = BASE.lines().count() + 1;
    let positions: Vec<(usize, usize, String)> = loaded
        .report
        .diagnostics
        .iter()
        .map(|d| {
            let p = loaded
                .report
                .locate(d)
                .map(|p| (p.line, p.column))
                .unwrap_or((0, 0));
            (p.0 - base_lines, p.1, d.path.to_string())
        })
        .collect();
    assert_eq!(
        positions,
        vec![
            (3, 7, String::from("pv[0].bus")),
            (4, 11, String::from("pv[0].p_dc_kw")),
            (5, 1, String::from("pv[0].tilt")),
        ]
    );
    let text = loaded.report.render();
    assert!(
        text.contains(&format!("--> park.toml:{}:7 (pv[0].bus)", base_lines + 3)),
        "{text}"
    );
    assert!(text.contains("bus = \"nowhere\"\n"), "{text}");
}

#[test]
fn garbage_input_never_panics() {
    for text in [
        "",
        "\u{0}\u{1}",
        "= = =",
        "[site]\nname = 1",
        "[[bus]]\n[[bus]]\nid = 3",
        "a.b.c = [1, {x = 2}]",
    ] {
        let loaded = parse("g.toml", text);
        assert!(loaded.park.is_none());
        assert!(loaded.report.has_errors());
        let _ = loaded.report.render();
    }
}

#[test]
fn a_dear_heat_dump_is_flagged() {
    check_warning(
        "[economics]\nheat_dump_penalty_cny_per_kwh = 0.5\n",
        "economics.heat_dump_penalty_cny_per_kwh: above 0.0001 CNY/kWh, surplus heat is cheaper to \
         burn in the losses of heat stores charged and discharged at the same time than to dump; \
         the optimal schedule will do so",
    );
    check(
        "[economics]\nheat_dump_penalty_cny_per_kwh = 0.00005\n",
        &[],
    );
}

/// The cooling carrier's mix-ups: a chiller's electricity on the cold bus, cooling demand with
/// no chiller, an absorption chiller on a network too cold to drive it or on another bus than
/// its CHP's heat, and a cold bus returning colder water than it supplies.
#[test]
fn cooling_mistakes_are_named() {
    const COLD: &str =
        "[[bus]]\nid = \"cold\"\ncarrier = \"cold\"\nt_supply_c = 7\nt_return_c = 12\n";
    check(
        &format!(
            "{COLD}[[electric_chiller]]\nid = \"ch\"\nbus = \"cold\"\ncold_bus = \"cold\"\ncold_max_kw = 100\n"
        ),
        &[
            "electric_chiller[0].bus: electric_chiller 'ch': bus 'cold' is a chilled-water (cold) bus, but bus takes an AC bus or a DC bus | its cooling goes on cold_bus",
        ],
    );
    check(
        &format!("{COLD}[[cooling_load]]\nid = \"office\"\nbus = \"cold\"\nfloor_area_m2 = 1000\n"),
        &["bus[4].id: cold bus 'cold' has cooling demand but nothing supplies cooling to it"],
    );
    check(
        &format!(
            "{COLD}[[absorption_chiller]]\nid = \"abs\"\nheat_bus = \"heat\"\ncold_bus = \"cold\"\ncold_max_kw = 100\n"
        ),
        &[
            "absorption_chiller[0].heat_bus: heat bus 'heat' supplies at 55 °C, below the 70 °C absorption_chiller 'abs' needs to run",
        ],
    );
    check(
        &format!(
            "{COLD}[[bus]]\nid = \"hot\"\ncarrier = \"heat\"\nt_supply_c = 90\nt_return_c = 70\n[[chp]]\nid = \"engine\"\nbus = \"ac\"\nheat_bus = \"heat\"\nfuel = \"gas\"\np_max_kw = 500\neta_el = 0.4\neta_th = 0.45\n[[absorption_chiller]]\nid = \"abs\"\nheat_bus = \"hot\"\nchp = \"engine\"\ncold_bus = \"cold\"\ncold_max_kw = 100\n"
        ),
        &[
            "absorption_chiller[0].heat_bus: absorption_chiller 'abs' is driven by chp 'engine', whose heat goes to 'heat', not to heat_bus 'hot' | set heat_bus = \"heat\"",
        ],
    );
    check(
        "[[bus]]\nid = \"cold\"\ncarrier = \"cold\"\nt_supply_c = 12\nt_return_c = 7\n",
        &["bus[4].t_return_c: return temperature 7 °C is not above the supply temperature 12 °C"],
    );
}

/// A site far from Yanqing without weather of its own gets a warning naming the distance and
/// what follows the wrong weather; with a climate table, or within 300 km, it does not.
#[test]
fn a_far_site_on_the_built_in_climate_is_warned() {
    let berlin = BASE
        .replace("latitude_deg = 40.0", "latitude_deg = 52.52")
        .replace("longitude_deg = 116.0", "longitude_deg = 13.405");
    let loaded = parse("park.toml", &berlin);
    let warnings = findings(&loaded, Severity::Warning);
    let far: Vec<_> = warnings
        .iter()
        .filter(|(m, _)| m.starts_with("site.latitude_deg: the site is"))
        .collect();
    assert_eq!(far.len(), 1, "{warnings:?}");
    // Berlin–Yanqing is about 7,290 km on the great circle.
    assert!(far[0].0.contains("7287 km from Yanqing"), "{}", far[0].0);
    assert!(
        far[0].0.contains("the weather of houses will be Yanqing's"),
        "{}",
        far[0].0
    );
    assert!(
        far[0]
            .1
            .as_deref()
            .is_some_and(|h| h.contains("source = \"epw\""))
    );

    let months: String = (1..=12)
        .map(|m| {
            format!(
                "[[weather.climate]]\nmonth = {m}\nt_mean_c = 9.0\nghi_kwh_per_m2 = 80.0\n\
                 wind_10m_m_per_s = 3.5\nlinke_turbidity = 3.0\nt_ground_c = 10.0\n"
            )
        })
        .collect();
    let own = parse("park.toml", &format!("{berlin}\n{months}"));
    assert!(own.park.is_some(), "{}", own.report.render());
    assert!(
        !findings(&own, Severity::Warning)
            .iter()
            .any(|(m, _)| m.contains("km from Yanqing")),
        "{}",
        own.report.render()
    );
    // base.toml sits 51 km from Yanqing: no warning.
    assert!(
        !findings(&load(""), Severity::Warning)
            .iter()
            .any(|(m, _)| m.contains("km from Yanqing"))
    );
}

/// With a weather file, ground-source heat pumps on horizontal collectors still read their ground
/// temperature from the climate table in force: far from Yanqing without a table of the site's,
/// that is warned; boreholes (the file's mean air temperature) and a park without such heat pumps
/// are not; a table nothing reads is.
#[test]
fn a_far_site_with_a_weather_file_is_warned_for_its_ground_temperature() {
    let berlin = BASE
        .replace("latitude_deg = 40.0", "latitude_deg = 52.52")
        .replace("longitude_deg = 116.0", "longitude_deg = 13.405")
        + "\n[weather]\nsource = \"epw\"\nfile = \"berlin.epw\"\n";
    let far = |text: &str| -> Vec<String> {
        let loaded = parse("park.toml", text);
        findings(&loaded, Severity::Warning)
            .into_iter()
            .map(|(m, _)| m)
            .filter(|m| m.contains("km from Yanqing") || m.contains("climate table"))
            .collect()
    };
    assert_eq!(far(&berlin), Vec::<String>::new());
    // Boreholes take the weather file's mean air temperature: nothing to warn.
    let gshp = "\n[[ground_heat_pump]]\nid = \"gshp\"\nbus = \"ac\"\nheat_bus = \"heat\"\nheat_max_kw = 300\n";
    assert_eq!(far(&format!("{berlin}{gshp}")), Vec::<String>::new());
    let gshp = format!("{gshp}collector = \"horizontal\"\n");
    let found = far(&format!("{berlin}{gshp}"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("the ground temperature (t_ground_c) of gshp will be Yanqing's"),
        "{found:?}"
    );
    // A table beside the file, with no heat pump to read it.
    let table = "\n[[weather.climate]]\nmonth = 1\nt_mean_c = 0.0\nghi_kwh_per_m2 = 20.0\nwind_10m_m_per_s = 4.0\nlinke_turbidity = 3.0\nt_ground_c = 9.0\n";
    let found = far(&format!("{berlin}{table}"));
    assert!(
        found
            .iter()
            .any(|m| m.starts_with("weather.climate: the climate table is not used")),
        "{found:?}"
    );
}

#[test]
fn foreign_topic_mappings_are_checked() {
    check(
        r#"
[[live.mapping]]
topic = "vendor/#/x"
time_field = ""

[[live.mapping]]
topic = "$share/g/vendor/+"
time_field = "ts"

[[live.mapping.field]]
field = "a..b"
asset = "nowhere"
quantity = "p kw"
scale = 0
"#,
        &[
            "live.mapping[0].field: a mapping takes at least one field ([[live.mapping.field]])",
            "live.mapping[0].topic: 'vendor/#/x' is not a topic filter: '#' only as the whole last level",
            "live.mapping[0].time_field: the field holding the time is needed",
            "live.mapping[1].topic: '$share/g/vendor/+' is not a topic filter: no $share/ prefix: serve --share adds it",
            "live.mapping[1].field[0].field: 'a..b' is not a field path (keys joined by '.')",
            "live.mapping[1].field[0].asset: no asset or branch 'nowhere' in the park",
            "live.mapping[1].field[0].quantity: 'p kw' is not a quantity name: letters, digits, '_', '-', '.'",
            "live.mapping[1].field[0].scale: scale must be finite and not 0, got 0",
        ],
    );
}

#[test]
fn the_live_table_names_and_devices_are_checked() {
    check(
        r#"
[live]
park_id = "my park"
topic_prefix = "parkgrid/#"
raw_retention_days = 0
"#,
        &[
            "live.park_id: 'my park' is not a valid park id: 1–64 letters, digits, '_' and '-'",
            "live.topic_prefix: 'parkgrid/#' is not a topic prefix: a non-empty MQTT topic of at most 256 characters, without wildcards ('+', '#') and without a leading or trailing '/'",
            "live.raw_retention_days: raw_retention_days 0: keep raw points at least 15 minutes (0.0105 days)",
        ],
    );
    check(
        r#"
[live]
park_id = "demo"

[[live.modbus]]
id = "pcs"
host = ""
port = 0
unit = 250
poll_s = 0
timeout_ms = 0

[[live.modbus.register]]
address = 65535
type = "u32"
scale = 0
asset = "nowhere"
quantity = "p kw"

[[live.modbus.register]]
address = 10
type = "i16"
asset = "boiler"
quantity = "p_kw"
min = 5
max = 1

[[live.modbus.register]]
address = 10
type = "u16"
asset = "boiler"
quantity = "p_kw"
"#,
        &[
            "live.modbus[0].host: a device needs a host name or address",
            "live.modbus[0].port: port 0 is not a port",
            "live.modbus[0].unit: unit 250 is not a Modbus unit id (0–247)",
            "live.modbus[0].poll_s: poll_s must be greater than zero, got 0",
            "live.modbus[0].timeout_ms: a timeout of 0 ms loses every reply",
            "live.modbus[0].register[0].address: a u32 at 65535 runs past register 65535",
            "live.modbus[0].register[0].scale: scale must be finite and not 0, got 0",
            "live.modbus[0].register[0].asset: no asset or branch 'nowhere' in the park",
            "live.modbus[0].register[0].quantity: 'p kw' is not a quantity name: letters, digits, '_', '-', '.'",
            "live.modbus[0].register[1].max: max 1 must be above min 5",
            "live.modbus[0].register[2].address: register 10 overlaps the registers of live.modbus[0].register[1]",
            "live.modbus[0].register[2].quantity: boiler/p_kw is read already by live.modbus[0].register[1]",
        ],
    );
}

/// No number of a park is NaN or infinite, in any field, whether or not the field has a range
/// of its own: `nan`, `inf` and a literal too large for a float are refused at their place.
#[test]
fn numbers_that_are_not_finite_are_refused_wherever_they_are() {
    check(
        r#"
[[bus]]
id = "lv"
carrier = "ac"
v_nom_kv = 0.4

[[transformer]]
id = "t1"
hv_bus = "ac"
lv_bus = "lv"
s_rated_kva = 630
vk_percent = 6
vkr_percent = 1.0
shift_deg = nan
"#,
        &["transformer[0].shift_deg: nan is not a finite number | every number"],
    );
    check(
        "[[bus]]\nid = \"lv\"\ncarrier = \"ac\"\nv_nom_kv = -inf\n",
        &["bus[4].v_nom_kv: -inf is not a finite number"],
    );
    check(
        "[[bus]]\nid = \"lv\"\ncarrier = \"ac\"\nv_nom_kv = 1e999\n",
        &["bus[4].v_nom_kv: 1e999 is not a finite number"],
    );
    // A phase shift is an angle of one turn at most.
    check(
        r#"
[[bus]]
id = "lv"
carrier = "ac"
v_nom_kv = 0.4

[[transformer]]
id = "t1"
hv_bus = "ac"
lv_bus = "lv"
s_rated_kva = 630
vk_percent = 6
vkr_percent = 1.0
shift_deg = 1e300
"#,
        &["transformer[0].shift_deg: shift_deg must be between -360 and 360 degrees, got 1e300"],
    );
}

/// Iron losses beyond what the no-load current can carry are warned about (the magnetising branch
/// is then resistive only).
#[test]
fn iron_losses_beyond_the_no_load_current_are_warned() {
    check_warning(
        r#"
[[bus]]
id = "lv"
carrier = "ac"
v_nom_kv = 0.4

[[transformer]]
id = "t1"
hv_bus = "ac"
lv_bus = "lv"
s_rated_kva = 630
vk_percent = 6
vkr_percent = 1.0
pfe_kw = 5
i0_percent = 0.3
"#,
        "transformer[0].pfe_kw: pfe_kw 5 exceeds the no-load apparent power i0_percent gives \
         (1.890 kVA): the magnetising branch is taken as resistive only",
    );
}
