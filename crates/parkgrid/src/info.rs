//! `parkgrid info`: what a park holds, as text tables or JSON.

use std::fmt::Write as _;

use parkgrid_model::asset::AssetRef;
use parkgrid_model::{Carrier, Park, summarize};
use serde_json::{Value, json};

use crate::table::{render, thousands};

/// The rating of an asset in words, e.g. `6,000 kWp DC, 5,000 kW AC`.
fn rating(asset: AssetRef<'_>) -> String {
    let kw = |v: f64| format!("{} kW", thousands(v));
    match asset {
        AssetRef::Grid(g) => format!(
            "import {}, export {}",
            kw(g.p_import_max_kw),
            kw(g.p_export_max_kw)
        ),
        AssetRef::Pv(p) => format!(
            "{} kWp DC, {} AC",
            thousands(p.p_dc_kw),
            kw(p.p_ac_max_kw())
        ),
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
        AssetRef::WasteHeatPump(h) => format!("{} th", kw(h.heat_max_kw)),
        AssetRef::DataCentre(d) => format!("{} IT, PUE {}", kw(d.p_it_kw), d.pue),
        AssetRef::Battery(b) => format!("{} / {} kWh", kw(b.p_max_kw), thousands(b.e_max_kwh)),
        AssetRef::ThermalStore(s) => format!(
            "{} kWh, {}{}",
            thousands(s.e_max_kwh),
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
        AssetRef::HeatLoad(h) => match h.design_kw() {
            Some(d) => format!(
                "{} m², design {}",
                thousands(h.floor_area_m2.unwrap_or(0.0)),
                kw(d)
            ),
            None => String::from("from profile"),
        },
        AssetRef::CoolingLoad(c) => match c.design_kw() {
            Some(d) => format!(
                "{} m², design {}",
                thousands(c.floor_area_m2.unwrap_or(0.0)),
                kw(d)
            ),
            None => String::from("from profile"),
        },
        AssetRef::EvCharging(e) => format!(
            "{} × {} = {}, {} kWh/day",
            e.n_chargers,
            kw(e.p_charger_kw),
            kw(e.p_max_kw()),
            thousands(e.e_daily_kwh)
        ),
        AssetRef::FlexibleLoad(f) => format!(
            "{}, {:.0} % shiftable",
            demand(f.annual_kwh, f.profile.is_some()),
            f.flexible_frac * 100.0
        ),
    }
}

fn demand(annual_kwh: Option<f64>, profile: bool) -> String {
    match (annual_kwh, profile) {
        (Some(a), true) => format!("profile scaled to {} MWh/yr", thousands(a / 1000.0)),
        (Some(a), false) => format!("{} MWh/yr", thousands(a / 1000.0)),
        (None, _) => String::from("from profile"),
    }
}

fn bus_detail(b: &parkgrid_model::Bus) -> String {
    match b.carrier {
        Carrier::Ac | Carrier::Dc => format!("{} kV", b.v_nom_kv.unwrap_or(0.0)),
        Carrier::Heat | Carrier::Cold => format!(
            "{}/{} °C",
            b.t_supply_c.unwrap_or(0.0),
            b.t_return_c.unwrap_or(0.0)
        ),
        Carrier::WasteHeat => format!("{} °C", b.t_c.unwrap_or(0.0)),
    }
}

/// The text report.
pub fn text(park: &Park) -> String {
    let mut out = String::new();
    let s = &park.site;
    let _ = writeln!(out, "{}", s.name);
    let _ = writeln!(
        out,
        "  {:.3}° N, {:.3}° E, {} m, {}; heating season {} to {}",
        s.latitude_deg,
        s.longitude_deg,
        s.elevation_m,
        s.time_zone.name(),
        s.heating_season_start,
        s.heating_season_end
    );
    if let Some(axis) = park.time_axis() {
        let _ = writeln!(
            out,
            "  time axis: {} steps of {} min from {}",
            axis.n_steps,
            axis.step_min,
            axis.start.to_rfc3339()
        );
    }
    let _ = writeln!(out, "  weather: {}\n", weather_text(park));

    let _ = writeln!(out, "Buses");
    let rows: Vec<Vec<String>> = park
        .bus
        .iter()
        .map(|b| {
            let n = park
                .assets()
                .filter(|(_, a)| a.spec().ports().iter().any(|p| p.bus == b.id))
                .count();
            vec![
                b.id.clone(),
                b.carrier.as_str().to_string(),
                bus_detail(b),
                n.to_string(),
            ]
        })
        .collect();
    out.push_str(&render(&["id", "carrier", "level", "assets"], &rows));

    let _ = writeln!(out, "\nAssets");
    let rows: Vec<Vec<String>> = park
        .assets()
        .map(|(_, a)| {
            let spec = a.spec();
            let buses: Vec<String> = spec.ports().iter().map(|p| p.bus.to_string()).collect();
            vec![
                spec.id().to_string(),
                spec.kind().key().to_string(),
                buses.join(" → "),
                rating(a),
                spec.tenant().unwrap_or("").to_string(),
            ]
        })
        .collect();
    out.push_str(&render(&["id", "kind", "buses", "rating", "tenant"], &rows));

    let mut rows: Vec<Vec<String>> = Vec::new();
    for l in &park.line {
        rows.push(vec![
            l.id.clone(),
            String::from("line"),
            format!("{} – {}", l.from_bus, l.to_bus),
            format!("{} km, {} A", l.length_km, thousands(l.i_max_a)),
        ]);
    }
    for t in &park.transformer {
        rows.push(vec![
            t.id.clone(),
            String::from("transformer"),
            format!("{} – {}", t.hv_bus, t.lv_bus),
            format!("{} × {} kVA", t.parallel, thousands(t.s_rated_kva)),
        ]);
    }
    for c in &park.converter {
        rows.push(vec![
            c.id.clone(),
            String::from("converter"),
            format!("{} – {}", c.from_bus, c.to_bus),
            format!("{} kW", thousands(c.p_max_kw)),
        ]);
    }
    if !rows.is_empty() {
        let _ = writeln!(out, "\nNetwork");
        out.push_str(&render(&["id", "kind", "between", "rating"], &rows));
    }

    let _ = writeln!(out, "\nCapacity per carrier");
    let rows: Vec<Vec<String>> = summarize(park)
        .into_iter()
        .map(|(c, s)| {
            vec![
                c.as_str().to_string(),
                s.n_buses.to_string(),
                thousands(s.supply_kw),
                thousands(s.conversion_kw),
                thousands(s.storage_kw),
                thousands(s.storage_kwh),
                thousands(s.demand_kw),
                thousands(s.demand_kwh / 1000.0),
            ]
        })
        .collect();
    out.push_str(&render(
        &[
            "carrier",
            "buses",
            "supply kW",
            "conversion kW",
            "storage kW",
            "storage kWh",
            "demand kW",
            "demand MWh/yr",
        ],
        &rows,
    ));
    let profiles = park
        .assets()
        .filter(|(_, a)| a.spec().profile().is_some())
        .count();
    if profiles > 0 {
        let _ = writeln!(
            out,
            "  ({profiles} asset(s) read from CSV profiles; their demand is not counted above)"
        );
    }
    let _ = writeln!(
        out,
        "\n{} tariff(s), {} fuel(s), {} tenant(s), {} meter(s)",
        park.tariff.len(),
        park.fuel.len(),
        park.tenant.len(),
        park.meter.len()
    );
    out
}

fn weather_text(park: &Park) -> String {
    use parkgrid_model::weather::WeatherSource;
    match park.weather.source {
        WeatherSource::Synthetic => format!(
            "synthetic year from {} climate table, seed {}",
            if park.weather.climate.is_empty() {
                "the built-in Yanqing"
            } else {
                "the park's"
            },
            park.weather.seed
        ),
        WeatherSource::Epw | WeatherSource::Csv => format!(
            "{:?} file {}",
            park.weather.source,
            park.weather
                .file
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default()
        )
        .to_lowercase(),
    }
}

/// The JSON summary: the park as parsed (defaults filled in) plus capacities per carrier.
pub fn json(park: &Park) -> Value {
    let capacity: serde_json::Map<String, Value> = summarize(park)
        .into_iter()
        .map(|(c, s)| {
            (
                c.as_str().to_string(),
                json!({
                    "n_buses": s.n_buses,
                    "supply_kw": s.supply_kw,
                    "conversion_kw": s.conversion_kw,
                    "storage_kw": s.storage_kw,
                    "storage_kwh": s.storage_kwh,
                    "demand_kw": s.demand_kw,
                    "demand_kwh": s.demand_kwh,
                }),
            )
        })
        .collect();
    json!({
        "park": park,
        "n_steps": park.time_axis().map(|a| a.n_steps),
        "capacity": capacity,
    })
}
