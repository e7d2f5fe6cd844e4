//! A park file as the callers see it: loaded and validated ([`load`]), and described in words and
//! figures ([`rating`], [`bus_level`], [`weather_source`], [`summary_json`]) for `parkgrid info`
//! and, later, the server's park view.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use parkgrid_model::asset::AssetRef;
use parkgrid_model::weather::WeatherSource;
use parkgrid_model::{Bus, Carrier, Loaded, Park, Report, summarize};
use parkgrid_report::format_number;
use parkgrid_resource::{ParkProfiles, Quantity};
use serde_json::{Value, json};

use crate::EngineError;

/// Reads and validates the park file at `path` as `simulate` would use it (`parkgrid
/// validate`): the file's own findings and, when it has no error, those of its profiles — a
/// weather or profile file `simulate` would refuse, demand that cannot reach its bus
/// ([`crate::adequacy`]). The park comes with the report when there is no error among them.
///
/// # Errors
/// [`EngineError::Model`] when the file cannot be read.
pub fn check(path: &Path) -> Result<Loaded, EngineError> {
    Ok(parkgrid_model::load_with(path, &crate::adequacy::findings)?)
}

/// Reads and validates the park file at `path`: the park and its report (warnings only). The
/// profiles are not made here (the run makes them, and refuses a file [`check`] would).
///
/// # Errors
/// [`EngineError::Model`] when the file cannot be read; [`EngineError::Invalid`] with every
/// finding when it has errors.
pub fn load(path: &Path) -> Result<(Park, Report), EngineError> {
    let loaded = parkgrid_model::load(path)?;
    match loaded.park {
        Some(park) => Ok((park, loaded.report)),
        None => Err(EngineError::Invalid(Box::new(loaded.report))),
    }
}

/// `v` kW in whole units with thousands separators: `6,000 kW`.
fn kw(v: f64) -> String {
    format!("{} kW", format_number(v, 0))
}

/// The rating of an asset in words: `6,000 kWp DC, 5,000 kW AC`; `1,500 kW cold, COP 0.7, driven
/// by chp_biogas`; `3,000 MWh/yr`.
pub fn rating(asset: AssetRef<'_>) -> String {
    let n = |v: f64| format_number(v, 0);
    match asset {
        AssetRef::Grid(g) => format!(
            "import {}, export {}",
            kw(g.p_import_max_kw),
            kw(g.p_export_max_kw)
        ),
        AssetRef::Pv(p) => format!("{} kWp DC, {} AC", n(p.p_dc_kw), kw(p.p_ac_max_kw())),
        AssetRef::Wind(w) => match w.p_turbine_kw() {
            Some(t) => format!(
                "{} × {} = {}",
                w.n_turbines,
                kw(t),
                kw(t * f64::from(w.n_turbines))
            ),
            None => format!("{} turbines", w.n_turbines),
        },
        AssetRef::Chp(c) => format!(
            "{} el, {} th",
            kw(c.p_max_kw),
            kw(c.p_max_kw * c.eta_th / c.eta_el)
        ),
        AssetRef::GroundHeatPump(h) => format!("{} th", kw(h.heat_max_kw)),
        AssetRef::AirSourceHeatPump(h) => format!("{} th at A7/W35", kw(h.heat_max_kw)),
        AssetRef::WasteHeatPump(h) => format!("{} th", kw(h.heat_max_kw)),
        AssetRef::DataCentre(d) => format!("{} IT, PUE {}", kw(d.p_it_kw), d.pue),
        AssetRef::Battery(b) => format!("{} / {} kWh", kw(b.p_max_kw), n(b.e_max_kwh)),
        AssetRef::ThermalStore(s) => format!(
            "{} kWh, {}{}",
            n(s.e_max_kwh),
            kw(s.heat_discharge_max_kw),
            if s.seasonal { ", seasonal" } else { "" }
        ),
        AssetRef::GasBoiler(b) => format!("{} th", kw(b.heat_max_kw)),
        AssetRef::ElectricBoiler(b) => format!("{} th", kw(b.heat_max_kw)),
        AssetRef::ElectricChiller(c) => match c.eer {
            Some(e) => format!("{} cold, EER {e}", kw(c.cold_max_kw)),
            None => format!("{} cold", kw(c.cold_max_kw)),
        },
        AssetRef::AbsorptionChiller(c) => format!(
            "{} cold, COP {}{}",
            kw(c.cold_max_kw),
            c.cop,
            c.chp
                .as_deref()
                .map(|chp| format!(", driven by {chp}"))
                .unwrap_or_default()
        ),
        AssetRef::ElectricLoad(l) => demand(l.annual_kwh, l.profile.is_some()),
        AssetRef::HeatLoad(h) => design(h.floor_area_m2, h.design_kw()),
        AssetRef::CoolingLoad(c) => design(c.floor_area_m2, c.design_kw()),
        AssetRef::EvCharging(e) => format!(
            "{} × {} = {}, {} kWh/day",
            e.n_chargers,
            kw(e.p_charger_kw),
            kw(e.p_max_kw()),
            n(e.e_daily_kwh)
        ),
        AssetRef::FlexibleLoad(f) => format!(
            "{}, {:.0} % shiftable",
            demand(f.annual_kwh, f.profile.is_some()),
            f.flexible_frac * 100.0
        ),
    }
}

/// An electric demand in words: annual energy, scaled profile or profile.
fn demand(annual_kwh: Option<f64>, profile: bool) -> String {
    match (annual_kwh, profile) {
        (Some(a), true) => format!("profile scaled to {} MWh/yr", format_number(a / 1e3, 0)),
        (Some(a), false) => format!("{} MWh/yr", format_number(a / 1e3, 0)),
        (None, _) => String::from("from profile"),
    }
}

/// A weather-driven demand in words: floor area and design load, or profile.
fn design(floor_area_m2: Option<f64>, design_kw: Option<f64>) -> String {
    match design_kw {
        Some(d) => format!(
            "{} m², design {}",
            format_number(floor_area_m2.unwrap_or(0.0), 0),
            kw(d)
        ),
        None => String::from("from profile"),
    }
}

/// A bus's level: `10 kV`, `55/45 °C` (supply/return), `35 °C` (waste heat).
pub fn bus_level(b: &Bus) -> String {
    let c = |v: Option<f64>| v.unwrap_or(0.0);
    match b.carrier {
        Carrier::Ac | Carrier::Dc => format!("{} kV", c(b.v_nom_kv)),
        Carrier::Heat | Carrier::Cold => format!("{}/{} °C", c(b.t_supply_c), c(b.t_return_c)),
        Carrier::WasteHeat => format!("{} °C", c(b.t_c)),
    }
}

/// Where the park's weather comes from, in words.
pub fn weather_source(park: &Park) -> String {
    let w = &park.weather;
    match w.source {
        WeatherSource::Synthetic => format!(
            "synthetic year from {} climate table, seed {}",
            if w.climate.is_empty() {
                "the built-in Yanqing"
            } else {
                "the park's"
            },
            w.seed
        ),
        WeatherSource::Epw | WeatherSource::Csv => format!(
            "{} file {}",
            if w.source == WeatherSource::Epw {
                "epw"
            } else {
                "csv"
            },
            w.file
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default()
        ),
    }
}

/// The demand the profiles give per carrier: the coincident peak (the largest sum of the
/// carrier's demand series in one step, kW) and the energy over the profiles' axis (kWh). A
/// load's carrier is its bus's; CSV profiles and weather-driven heating and cooling count alike.
pub fn demand_by_carrier(park: &Park, profiles: &ParkProfiles) -> BTreeMap<Carrier, (f64, f64)> {
    let n = profiles.axis.n_steps;
    let carrier_of: HashMap<&str, Carrier> = park
        .assets()
        .filter_map(|(_, a)| {
            let spec = a.spec();
            let bus = park.bus(spec.ports().first()?.bus)?;
            Some((spec.id(), bus.carrier))
        })
        .collect();
    let mut sums: BTreeMap<Carrier, Vec<f64>> = BTreeMap::new();
    for s in &profiles.series {
        let (Quantity::ElectricDemand | Quantity::HeatDemand | Quantity::CoolingDemand) =
            s.quantity
        else {
            continue;
        };
        let Some(&c) = carrier_of.get(s.id.as_str()) else {
            continue;
        };
        crate::profiles::accumulate(&mut sums, c, n, 1.0, &s.values);
    }
    let step_h = profiles.axis.step_h();
    sums.into_iter()
        .map(|(c, d)| {
            let peak = d.iter().copied().fold(0.0, f64::max);
            (c, (peak, d.iter().sum::<f64>() * step_h))
        })
        .collect()
}

/// The park as parsed (defaults filled in), its number of steps and its capacities per carrier
/// (kW, kWh) with the demand its profiles give ([`demand_by_carrier`]): `parkgrid info --json`.
pub fn summary_json(park: &Park, profiles: &ParkProfiles) -> Value {
    let demand = demand_by_carrier(park, profiles);
    let capacity: serde_json::Map<String, Value> = summarize(park)
        .into_iter()
        .map(|(c, s)| {
            let (peak, energy) = demand.get(&c).copied().unwrap_or_default();
            let v = json!({
                "n_buses": s.n_buses,
                "supply_kw": s.supply_kw,
                "conversion_kw": s.conversion_kw,
                "storage_kw": s.storage_kw,
                "storage_kwh": s.storage_kwh,
                "peak_demand_kw": peak,
                "demand_kwh": energy,
            });
            (c.as_str().to_string(), v)
        })
        .collect();
    json!({
        "park": park,
        "n_steps": park.time_axis().map(|a| a.n_steps),
        "capacity": capacity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Park {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/yanqing.toml");
        load(&path).expect("the example is valid").0
    }

    #[test]
    fn ratings_name_the_figures_a_planner_reads() {
        let park = example();
        let of = |id: &str| {
            park.assets()
                .find(|(_, a)| a.spec().id() == id)
                .map(|(_, a)| rating(a))
                .unwrap_or_else(|| panic!("no asset {id}"))
        };
        let chp = of("chp_biogas");
        assert!(chp.contains(" kW el, ") && chp.ends_with(" kW th"), "{chp}");
        let absorber = park
            .assets()
            .find(|(_, a)| matches!(a, AssetRef::AbsorptionChiller(_)))
            .map(|(_, a)| rating(a))
            .expect("the example has an absorption chiller");
        assert!(absorber.contains("driven by chp_biogas"), "{absorber}");
        assert!(
            park.bus
                .iter()
                .any(|b| b.carrier == Carrier::Heat && bus_level(b).ends_with(" °C"))
        );
        assert_eq!(
            weather_source(&park),
            "synthetic year from the built-in Yanqing climate table, seed 2025"
        );
    }

    #[test]
    fn an_invalid_park_is_an_input_error_with_its_findings() {
        let dir = std::env::temp_dir().join(format!("parkgrid-engine-park-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("bad.toml");
        std::fs::write(&path, "[site]\nname = 3\n").expect("write");
        let err = load(&path).expect_err("invalid");
        assert!(err.is_input());
        let EngineError::Invalid(report) = &err else {
            panic!("{err:?}");
        };
        assert!(report.n_errors() > 0);
        assert!(err.to_string().contains("bad.toml: invalid"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_json_summary_holds_capacities_per_carrier() {
        let park = example();
        let profiles = parkgrid_resource::park_profiles(&park).expect("profiles");
        let v = summary_json(&park, &profiles);
        // The example's heat demand over its year, from the weather-driven heating model.
        let heat = v["capacity"]["heat"]["demand_kwh"].as_f64().unwrap_or(0.0);
        assert!((heat / 1e3 - 24_566.0).abs() < 1.0, "{heat}");
        assert!(
            v["capacity"]["heat"]["peak_demand_kw"]
                .as_f64()
                .unwrap_or(0.0)
                > 0.0
        );
        assert!(v["capacity"]["ac"]["supply_kw"].as_f64().unwrap_or(0.0) > 0.0);
        assert!(
            v["capacity"]["cold"]["conversion_kw"]
                .as_f64()
                .unwrap_or(0.0)
                > 0.0
        );
        assert_eq!(v["n_steps"], 8760);
    }
}
