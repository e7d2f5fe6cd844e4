//! Profiles of whole parks: the Yanqing example's yields and demands in plausible ranges, energy
//! kept by the demand shapes, time steps, CSV profiles and their errors.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use parkgrid_model::{Park, load};
use parkgrid_resource::{ParkProfiles, Quantity, ResourceError, park_profiles};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn yanqing() -> Park {
    let loaded = load(&repo().join("examples/yanqing.toml")).unwrap_or_else(|e| panic!("{e}"));
    loaded
        .park
        .unwrap_or_else(|| panic!("{}", loaded.report.render()))
}

/// The example and its profiles over its year at a step of `step_min` (60 or 15), made once for
/// the whole binary: most tests here read the same year.
fn year(step_min: u32) -> &'static (Park, ParkProfiles) {
    static HOURLY: OnceLock<(Park, ParkProfiles)> = OnceLock::new();
    static QUARTER: OnceLock<(Park, ParkProfiles)> = OnceLock::new();
    let cell = match step_min {
        60 => &HOURLY,
        15 => &QUARTER,
        _ => panic!("no shared year at {step_min} min"),
    };
    cell.get_or_init(|| {
        let mut park = yanqing();
        park.time.step_min = step_min;
        let p = park_profiles(&park).unwrap_or_else(|e| panic!("{e}"));
        (park, p)
    })
}

fn total_kwh(values: &[f64], step_h: f64) -> f64 {
    values.iter().sum::<f64>() * step_h
}

/// Plausible ranges, stated:
/// - PV in Yanqing (≈ 1434 kWh/m² GHI, 30° south, 14 % losses): 1150–1500 kWh/kWp; Beijing-area
///   fixed-tilt systems report about 1200–1450.
/// - Wind at the Guanting gap (7.11 m/s mean at 70 m, Weibull k = 2, IEC class II turbines, 10 %
///   losses): 2000–3300 full-load hours. The ≈ 2000 h reported for the real farm include
///   curtailment and outages that the example's losses do not.
#[test]
fn yanqing_yields_are_plausible() {
    let (_, p) = year(60);
    let step_h = p.axis.step_h();
    let pv = total_kwh(
        p.get("pv_roof", Quantity::Available).unwrap_or_default(),
        step_h,
    ) / 6000.0;
    let wind = total_kwh(
        p.get("wind_guanting", Quantity::Available)
            .unwrap_or_default(),
        step_h,
    ) / 4500.0;
    println!("Yanqing: PV {pv:.0} kWh/kWp, wind {wind:.0} full-load hours");
    assert!((1150.0..1500.0).contains(&pv), "PV specific yield {pv}");
    assert!(
        (2000.0..3300.0).contains(&wind),
        "wind full-load hours {wind}"
    );
    let pv_peak = p
        .get("pv_roof", Quantity::Available)
        .unwrap_or_default()
        .iter()
        .copied()
        .fold(0.0, f64::max);
    assert!(pv_peak <= 5000.0 + 1e-9, "clipped at the AC rating");
}

#[test]
fn demand_shapes_keep_their_annual_energy() {
    let (_, p) = year(60);
    let step_h = p.axis.step_h();
    for (id, annual) in [
        ("office_campus", 12e6),
        ("visitor_centre", 3e6),
        ("housing_power", 2e6),
        ("water_pumping", 1.5e6),
    ] {
        let e = total_kwh(
            p.get(id, Quantity::ElectricDemand).unwrap_or_default(),
            step_h,
        );
        assert!((e / annual - 1.0).abs() < 1e-9, "{id}: {e}");
    }
    let dc = p
        .get("cloud_dc", Quantity::ElectricDemand)
        .unwrap_or_default();
    let heat = p.get("cloud_dc", Quantity::WasteHeat).unwrap_or_default();
    assert!(dc.iter().zip(heat).all(|(d, h)| (h - 0.9 * d).abs() < 1e-9));
    assert!((dc[0] - 8000.0 * 0.8 * 1.25).abs() < 1e-9);
    let cop = p.get("whp_1", Quantity::Cop).unwrap_or_default();
    assert!((cop[0] - 4.9).abs() < 0.05, "{}", cop[0]);
}

#[test]
fn heat_demand_follows_the_heating_season() {
    let (_, p) = year(60);
    let q = p
        .get("office_heating", Quantity::HeatDemand)
        .unwrap_or_default();
    let july = 181 * 24..212 * 24;
    assert!(q[july].iter().all(|&x| x == 0.0));
    let january: f64 = q[..31 * 24].iter().sum();
    assert!(january > 0.0);
    let per_m2 = total_kwh(q, 1.0) / 180_000.0;
    assert!(
        (60.0..130.0).contains(&per_m2),
        "space heating {per_m2} kWh/m² a season"
    );
    let ev = p
        .get("ev_hub", Quantity::ElectricDemand)
        .unwrap_or_default();
    // 2025-01-02 is a Thursday, a working day: the day's energy is delivered.
    let day: f64 = ev[24..48].iter().sum();
    assert!((day - 3200.0).abs() < 1e-9, "{day}");
    // 2025-01-29 is in the Spring Festival: no charging.
    assert_eq!(ev[28 * 24..29 * 24].iter().sum::<f64>(), 0.0);
}

#[test]
fn quarter_hour_steps_give_the_same_year() {
    let (q, h) = (&year(15).1, &year(60).1);
    assert_eq!(q.axis.n_steps, 35_040);
    for id in ["pv_roof", "wind_guanting"] {
        let a = total_kwh(q.get(id, Quantity::Available).unwrap_or_default(), 0.25);
        let b = total_kwh(h.get(id, Quantity::Available).unwrap_or_default(), 1.0);
        assert!((a / b - 1.0).abs() < 0.05, "{id}: 15 min {a} vs hourly {b}");
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("parkgrid-resource-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir
}

const SMALL: &str = r#"
[site]
name = "profiles"
latitude_deg = 40.457
longitude_deg = 115.975
time_zone = "Asia/Shanghai"

[time]
year = 2025

[[bus]]
id = "ac"
carrier = "ac"
v_nom_kv = 0.4

[[grid]]
id = "grid"
bus = "ac"
p_import_max_kw = 100
tariff = "t"
co2_kg_per_kwh = 0.5

[[pv]]
id = "pv"
bus = "ac"
p_dc_kw = 50
profile = { file = "pv.csv", unit = "per_unit" }

[[tariff]]
id = "t"
price_cny_per_kwh = { a = 0.5 }
[[tariff.period]]
band = "a"
hours = ["0-24"]
"#;

fn write_pv_csv(dir: &Path, rows: usize, bad_row: Option<usize>) {
    let start =
        chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00+08:00").unwrap_or_default();
    let mut text = String::from("time,pv\n");
    for i in 0..rows {
        let t = start + chrono::Duration::hours(i as i64);
        let v = if Some(i) == bad_row {
            String::from("n/a")
        } else if Some(i + 10_000) == bad_row {
            String::from("-0.2")
        } else if Some(i + 20_000) == bad_row {
            String::from("1.5")
        } else {
            format!("{}", (i % 24) as f64 / 24.0)
        };
        text.push_str(&format!("{},{v}\n", t.to_rfc3339()));
    }
    std::fs::write(dir.join("pv.csv"), text).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn csv_profiles_are_read_and_scaled() {
    let dir = temp_dir("csv");
    std::fs::write(dir.join("park.toml"), SMALL).unwrap_or_else(|e| panic!("{e}"));
    write_pv_csv(&dir, 8760, None);
    let loaded = load(&dir.join("park.toml")).unwrap_or_else(|e| panic!("{e}"));
    let park = loaded
        .park
        .unwrap_or_else(|| panic!("{}", loaded.report.render()));
    let p = park_profiles(&park).unwrap_or_else(|e| panic!("{e}"));
    let pv = p.get("pv", Quantity::Available).unwrap_or_default();
    assert!((pv[12] - 0.5 * 50.0).abs() < 1e-9);

    write_pv_csv(&dir, 8000, None);
    match park_profiles(&park) {
        Err(ResourceError::Data(e)) => assert!(
            e.to_string()
                .contains("8000 rows; the park's year has 8760 steps"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    write_pv_csv(&dir, 8760, Some(99));
    match park_profiles(&park) {
        Err(ResourceError::Data(e)) => assert!(
            e.to_string()
                .ends_with("pv.csv:101: column 'pv': 'n/a' is not a finite number"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    // Values that cannot be: a negative availability, a share above 1 (row 50 is line 52).
    for (bad, text) in [
        (10_050, "-0.2 is outside 0…1"),
        (20_050, "1.5 is outside 0…1"),
    ] {
        write_pv_csv(&dir, 8760, Some(bad));
        match park_profiles(&park) {
            Err(ResourceError::Data(e)) => {
                let e = e.to_string();
                assert!(e.contains("pv.csv:52: column 'pv': "), "{e}");
                assert!(e.contains(text), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_curve_file_gives_the_same_farm_as_the_built_in_turbine() {
    let dir = temp_dir("curve");
    let curve = parkgrid_model::catalog::turbine("DOE_GE_1.5MW_77")
        .map(|t| t.curve)
        .unwrap_or_else(|| panic!("turbine"));
    let mut csv = String::from("wind_speed_m_per_s,p_kw\n");
    for (v, p) in curve.wind_speed_m_per_s.iter().zip(&curve.p_kw) {
        csv.push_str(&format!("{v},{p}\n"));
    }
    std::fs::write(dir.join("ge15.csv"), csv).unwrap_or_else(|e| panic!("{e}"));
    let base = SMALL.replace("profile = { file = \"pv.csv\", unit = \"per_unit\" }", "");
    let builtin = format!(
        "{base}\n[[wind]]\nid = \"w\"\nbus = \"ac\"\nn_turbines = 3\nturbine = \"DOE_GE_1.5MW_77\"\n"
    );
    let file = format!(
        "{base}\n[[wind]]\nid = \"w\"\nbus = \"ac\"\nn_turbines = 3\nhub_height_m = 80\npower_curve_file = \"ge15.csv\"\n"
    );
    let mut out = Vec::new();
    for (name, text) in [("builtin.toml", builtin), ("file.toml", file)] {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
        let loaded = load(&dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
        let park = loaded
            .park
            .unwrap_or_else(|| panic!("{}", loaded.report.render()));
        let p = park_profiles(&park).unwrap_or_else(|e| panic!("{e}"));
        out.push(
            p.get("w", Quantity::Available)
                .map(<[f64]>::to_vec)
                .unwrap_or_default(),
        );
    }
    assert_eq!(out[0], out[1]);
    assert!(out[0].iter().sum::<f64>() > 0.0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn window_profiles_are_the_years_cut_hourly() {
    window_profiles_are_the_years_cut(60);
}

#[test]
fn window_profiles_are_the_years_cut_in_quarter_hours() {
    window_profiles_are_the_years_cut(15);
}

/// A window's profiles, made with the PV's solar geometry for the window alone, are the year's
/// cut to the window, value for value — at the start, in the middle and at the end of the year,
/// at a step of `step_min` (one test per step, so that they run side by side).
fn window_profiles_are_the_years_cut(step_min: u32) {
    let (park, whole) = year(step_min);
    let per_day = 24 * 60 / step_min as usize;
    for (day, days) in [(0, 2), (183, 3), (363, 2)] {
        let (offset, len) = (day * per_day, days * per_day);
        let cut = whole.window(offset, len);
        let win = parkgrid_resource::park_profiles_window(park, offset, len).expect("window");
        assert_eq!(win.axis, cut.axis);
        assert_eq!(win.series, cut.series, "{step_min} min, day {day}");
        assert!(
            parkgrid_resource::park_profiles_window(park, offset + per_day, whole.axis.n_steps)
                .is_err()
        );
    }
}

/// The Yanqing example's cooling: the office campus's cooling from cooling degree hours in
/// working hours only, about 270 equivalent full-load hours of its design load (a Beijing office
/// plant runs about 600; Yanqing's summer has about 0.45 of Beijing's cooling degree days), none
/// in the heating season; the chillers' EER from the weather: the Carnot fraction of the
/// chilled-water and condensing temperatures, at most the 25 °C condensing floor's value on cool
/// hours and lowest on the hottest.
#[test]
fn cooling_demand_and_chiller_eer_follow_the_weather() {
    let (_, p) = year(60);
    let cooling = p
        .get("office_cooling", Quantity::CoolingDemand)
        .unwrap_or_default();
    let design_kw = 150_000.0 * 90.0 / 1000.0;
    let hours = total_kwh(cooling, p.axis.step_h()) / design_kw;
    assert!(
        (200.0..400.0).contains(&hours),
        "{hours:.0} full-load hours"
    );
    // 1 January to 15 March: heating season, no cooling.
    assert!(cooling[..(31 + 28 + 14) * 24].iter().all(|&c| c == 0.0));
    // Nights are never cooled (an office).
    let local_hour = |t: usize| t % 24;
    assert!(
        cooling
            .iter()
            .enumerate()
            .all(|(t, &c)| c == 0.0 || (8..18).contains(&local_hour(t)))
    );
    let eer = p.get("chiller_1", Quantity::Eer).unwrap_or_default();
    let t_air = &p.weather.t_air_c;
    let carnot = |t_cond: f64| 0.55 * (7.0 + 273.15) / (t_cond - 7.0);
    for (t, &e) in eer.iter().enumerate() {
        let t_cond = (t_air[t] + 5.0).max(25.0);
        assert!((e - carnot(t_cond).min(12.0)).abs() < 1e-9, "step {t}: {e}");
    }
    let max = eer.iter().copied().fold(0.0, f64::max);
    assert!(
        (max - carnot(25.0)).abs() < 1e-9,
        "the condensing floor caps the EER at {max}"
    );
}

/// A ground-source heat pump on boreholes lifts from the undisturbed ground: by default the
/// weather's mean air temperature over the year, one COP all year (8.9 °C for Yanqing: 3.20 to
/// the 55 °C network at the example's Carnot fraction 0.45); on a horizontal collector it follows
/// the 2 m ground of the climate table, lowest in late winter.
#[test]
fn ground_source_cop_from_boreholes_or_a_horizontal_collector() {
    let (park, p) = year(60);
    let t = &p.weather.t_air_c;
    let mean = t.iter().sum::<f64>() / t.len() as f64;
    let sink = park
        .bus("heat_net")
        .and_then(|b| b.t_supply_c)
        .expect("supply temperature");
    let want = 0.45 * (sink + 273.15) / (sink - mean);
    let cop = p.get("gshp_1", Quantity::Cop).expect("COP");
    assert!(
        cop.iter().all(|c| (c - want).abs() < 1e-12),
        "{} vs {want}",
        cop[0]
    );
    assert!(
        (mean - 8.9).abs() < 0.3,
        "Yanqing's mean air temperature {mean}"
    );

    // One day of each (a window's COP is the year's cut, at a fraction of the cost).
    let day = |park: &Park, day: usize| {
        let p = parkgrid_resource::park_profiles_window(park, day * 24, 24).expect("window");
        p.get("gshp_1", Quantity::Cop).expect("COP")[0]
    };
    let mut park = park.clone();
    park.ground_heat_pump[0].collector = parkgrid_model::asset::Collector::Horizontal;
    let (march, august) = (day(&park, 31 + 28 + 10), day(&park, 212 + 10));
    assert!(
        march < want && want < august,
        "{march} in March, {august} in August"
    );

    // A given undisturbed temperature is used as given.
    let mut park = yanqing();
    park.ground_heat_pump[0].t_ground_c = Some(14.0);
    let cop = day(&park, 0);
    assert!((cop - 0.45 * (sink + 273.15) / (sink - 14.0)).abs() < 1e-12);
}
