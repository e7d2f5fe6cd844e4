//! What `parkgrid validate` checks beyond the file: the park's profiles are made (so a weather or
//! profile file that `simulate` would refuse is refused here, with the same message), and each
//! bus's demand is set against the capacity that can reach it, step by step.
//!
//! The capacity check is a necessary condition, not a dispatch: a heat or cold bus's demand
//! against the nameplate output of the machines feeding it plus its stores' discharge limits; an
//! electric island's demand against its grid import limit, CHP and battery power and the PV and
//! wind available in that step. Stores' energy, waste heat that may not be there, links' ratings
//! and the electricity heat pumps and chillers draw are left out, so demand the check passes may
//! still go unserved, but demand it flags cannot be served.

use std::collections::HashMap;
use std::path::Path;

use parkgrid_model::asset::AssetRef;
use parkgrid_model::{Carrier, Diagnostic, FieldPath, Park};
use parkgrid_report::format_number;
use parkgrid_resource::DataError;
use parkgrid_resource::{ParkProfiles, Quantity, ResourceError, park_profiles};

/// The findings on a park that need its profiles: an error when they cannot be made, else a
/// warning per bus (heat, cold) or electric island whose demand exceeds what can reach it.
pub fn findings(park: &Park) -> Vec<Diagnostic> {
    match park_profiles(park) {
        Ok(profiles) => shortfalls(park, &profiles)
            .iter()
            .map(Shortfall::diagnostic)
            .collect(),
        Err(e) => vec![Diagnostic::error(error_path(park, &e), e.to_string())],
    }
}

/// The field naming the file an error is about (the weather file, or an asset's profile file),
/// or the document root.
fn error_path(park: &Park, e: &ResourceError) -> FieldPath {
    let file = match e {
        ResourceError::Data(DataError::Io { path, .. }) => path,
        ResourceError::Data(DataError::Value { file, .. }) => file,
        ResourceError::Solar(_) | ResourceError::Park(_) => return FieldPath::root(),
    };
    let is = |named: &Path| Path::new(file).ends_with(named);
    if park.weather.file.as_deref().is_some_and(is) {
        return FieldPath::root().key("weather").key("file");
    }
    park.assets()
        .find(|(_, a)| a.spec().profile().is_some_and(|p| is(&p.file)))
        .map_or_else(FieldPath::root, |(at, _)| at.key("profile").key("file"))
}

/// Demand that cannot be served at some step: where, how much, and what was there to serve it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortfall {
    /// The heat or cold bus, or the first bus of the electric island.
    pub bus: String,
    /// Index of that bus in the park's `bus` list.
    pub bus_index: usize,
    /// The carrier: heat, cold, or the island's (AC).
    pub carrier: Carrier,
    /// True for an electric island (the demand of all its buses).
    pub island: bool,
    /// The largest demand of the year, kW, and its step.
    pub peak_demand_kw: f64,
    /// The step of the largest shortfall.
    pub worst_step: usize,
    /// Its time, as the park's local time.
    pub worst_time: String,
    /// Demand minus what can reach the bus at that step, kW.
    pub worst_kw: f64,
    /// Firm capacity (everything but PV and wind), kW, with its parts (`kind 'id' N kW`).
    pub capacity_kw: f64,
    /// The parts of `capacity_kw`, in words.
    pub sources: Vec<String>,
    /// Energy that cannot be served over the run, kWh (a lower bound).
    pub unserved_kwh: f64,
    /// The run's demand at the bus (or island), kWh.
    pub demand_kwh: f64,
}

impl Shortfall {
    /// The warning `validate` prints, at the bus's id.
    pub fn diagnostic(&self) -> Diagnostic {
        let kw = |v: f64| format!("{} kW", format_number(v, 0));
        let what = if self.island {
            format!("the electric island of bus '{}'", self.bus)
        } else {
            format!("{} bus '{}'", self.carrier.as_str(), self.bus)
        };
        let sources = if self.sources.is_empty() {
            "nothing feeds it".to_string()
        } else {
            self.sources.join(", ")
        };
        let renewables = if self.island {
            " with the PV and wind of that hour"
        } else {
            ""
        };
        let share = 100.0 * self.unserved_kwh / self.demand_kwh.max(f64::MIN_POSITIVE);
        Diagnostic::warning(
            FieldPath::root().key("bus").index(self.bus_index).key("id"),
            format!(
                "{what}: demand exceeds what can reach it by up to {} ({}); at least {} MWh of \
                 the {} MWh demanded ({share:.1} %) cannot be served. Firm capacity {} \
                 ({sources}){renewables}",
                kw(self.worst_kw),
                self.worst_time,
                format_number(self.unserved_kwh / 1000.0, 1),
                format_number(self.demand_kwh / 1000.0, 1),
                kw(self.capacity_kw),
            ),
        )
        .with_hint(if self.island {
            "raise the grid import limit, or add a battery, CHP or generation in this island"
        } else {
            "add capacity on this bus (a boiler, a larger heat pump or chiller, a store), or check \
             the loads' design figures"
        })
    }
}

/// Firm output an asset can put on a bus: (bus, kW, the part in words), per port it feeds.
fn firm_outputs<'a>(asset: AssetRef<'a>) -> Vec<(&'a str, f64, String)> {
    let part = |kind: &str, id: &str, v: f64| format!("{kind} '{id}' {} kW", format_number(v, 0));
    match asset {
        AssetRef::Grid(g) => vec![(
            g.bus.as_str(),
            g.p_import_max_kw,
            part("grid", &g.id, g.p_import_max_kw),
        )],
        AssetRef::Chp(c) => {
            let heat = c.p_max_kw * c.eta_th / c.eta_el.max(f64::MIN_POSITIVE);
            vec![
                (c.bus.as_str(), c.p_max_kw, part("chp", &c.id, c.p_max_kw)),
                (c.heat_bus.as_str(), heat, part("chp", &c.id, heat)),
            ]
        }
        AssetRef::GroundHeatPump(h) => vec![(
            h.heat_bus.as_str(),
            h.heat_max_kw,
            part("ground_heat_pump", &h.id, h.heat_max_kw),
        )],
        AssetRef::WasteHeatPump(h) => vec![(
            h.heat_bus.as_str(),
            h.heat_max_kw,
            part("waste_heat_pump", &h.id, h.heat_max_kw),
        )],
        AssetRef::Battery(b) => vec![(
            b.bus.as_str(),
            b.p_max_kw,
            part("battery", &b.id, b.p_max_kw),
        )],
        AssetRef::ThermalStore(s) => vec![(
            s.bus.as_str(),
            s.heat_discharge_max_kw,
            part("thermal_store", &s.id, s.heat_discharge_max_kw),
        )],
        AssetRef::GasBoiler(b) => vec![(
            b.bus.as_str(),
            b.heat_max_kw,
            part("gas_boiler", &b.id, b.heat_max_kw),
        )],
        AssetRef::ElectricBoiler(b) => vec![(
            b.heat_bus.as_str(),
            b.heat_max_kw,
            part("electric_boiler", &b.id, b.heat_max_kw),
        )],
        AssetRef::ElectricChiller(c) => vec![(
            c.cold_bus.as_str(),
            c.cold_max_kw,
            part("electric_chiller", &c.id, c.cold_max_kw),
        )],
        AssetRef::AbsorptionChiller(c) => vec![(
            c.cold_bus.as_str(),
            c.cold_max_kw,
            part("absorption_chiller", &c.id, c.cold_max_kw),
        )],
        // Variable output (from the profiles) or demand.
        AssetRef::Pv(_)
        | AssetRef::Wind(_)
        | AssetRef::DataCentre(_)
        | AssetRef::ElectricLoad(_)
        | AssetRef::HeatLoad(_)
        | AssetRef::CoolingLoad(_)
        | AssetRef::EvCharging(_)
        | AssetRef::FlexibleLoad(_) => Vec::new(),
    }
}

/// Every bus (heat, cold) and electric island whose demand exceeds, at some step, what can reach
/// it (see the module's docs for what counts).
pub fn shortfalls(park: &Park, profiles: &ParkProfiles) -> Vec<Shortfall> {
    let n = profiles.axis.n_steps;
    let step_h = profiles.axis.step_h();
    let index: HashMap<&str, usize> = park
        .bus
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id.as_str(), i))
        .collect();
    // Buses are pooled into groups: an electric island, or a heat or cold bus on its own.
    let (island, _) = park.electric_islands();
    let group_of = |bus: &str| -> Option<usize> {
        let i = *index.get(bus)?;
        match park.bus[i].carrier {
            Carrier::Heat | Carrier::Cold => Some(i),
            Carrier::Ac | Carrier::Dc => island[i].map(|k| park.bus.len() + k),
            Carrier::WasteHeat => None,
        }
    };
    let mut demand: HashMap<usize, Vec<f64>> = HashMap::new();
    let mut variable: HashMap<usize, Vec<f64>> = HashMap::new();
    let mut firm: HashMap<usize, (f64, Vec<String>)> = HashMap::new();
    let bus_of: HashMap<&str, &str> = park
        .assets()
        .filter_map(|(_, a)| Some((a.spec().id(), a.spec().ports().first()?.bus)))
        .collect();
    for s in &profiles.series {
        let into = match s.quantity {
            Quantity::ElectricDemand | Quantity::HeatDemand | Quantity::CoolingDemand => {
                &mut demand
            }
            Quantity::Available => &mut variable,
            Quantity::WasteHeat | Quantity::Cop | Quantity::Eer => continue,
        };
        let Some(g) = bus_of.get(s.id.as_str()).and_then(|b| group_of(b)) else {
            continue;
        };
        let sum = into.entry(g).or_insert_with(|| vec![0.0; n]);
        for (a, v) in sum.iter_mut().zip(&s.values) {
            *a += v;
        }
    }
    for (_, a) in park.assets() {
        for (bus, kw, part) in firm_outputs(a) {
            if let Some(g) = group_of(bus) {
                let f = firm.entry(g).or_default();
                f.0 += kw;
                f.1.push(part);
            }
        }
    }
    let mut out: Vec<Shortfall> = Vec::new();
    let mut groups: Vec<&usize> = demand.keys().collect();
    groups.sort();
    for &g in groups {
        let d = &demand[&g];
        let (capacity_kw, sources) = firm.get(&g).cloned().unwrap_or_default();
        let var = variable.get(&g);
        let short = |t: usize| d[t] - capacity_kw - var.map_or(0.0, |v| v[t]);
        let peak = d.iter().copied().fold(0.0, f64::max);
        // A shortfall below a millionth of the peak is rounding.
        let tol = 1e-6 * peak.max(1.0);
        let Some(worst) = (0..n).max_by(|&a, &b| short(a).total_cmp(&short(b))) else {
            continue;
        };
        if short(worst) <= tol {
            continue;
        }
        let unserved_kwh: f64 = (0..n).map(|t| short(t).max(0.0) * step_h).sum();
        let is_island = g >= park.bus.len();
        let bus_index = if is_island {
            let k = g - park.bus.len();
            island.iter().position(|&i| i == Some(k)).unwrap_or(0)
        } else {
            g
        };
        out.push(Shortfall {
            bus: park.bus[bus_index].id.clone(),
            bus_index,
            carrier: park.bus[bus_index].carrier,
            island: is_island,
            peak_demand_kw: peak,
            worst_step: worst,
            worst_time: profiles
                .axis
                .time(worst)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            worst_kw: short(worst),
            capacity_kw,
            sources,
            unserved_kwh,
            demand_kwh: d.iter().sum::<f64>() * step_h,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A park of one AC bus on the grid and one heat bus with a 20,000 m² heat load (40 W/m²,
    /// 800 kW design) served by a ground-source heat pump of `hp_kw`.
    fn heat_park(hp_kw: f64, import_kw: f64) -> Park {
        let text = format!(
            r#"
[site]
name = "t"
latitude_deg = 40.457
longitude_deg = 115.975
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
t_supply_c = 45
t_return_c = 35
[[grid]]
id = "grid"
bus = "ac"
p_import_max_kw = {import_kw}
tariff = "flat"
co2_kg_per_kwh = 0.58
[[ground_heat_pump]]
id = "gshp"
bus = "ac"
heat_bus = "heat"
heat_max_kw = {hp_kw}
[[heat_load]]
id = "offices"
bus = "heat"
floor_area_m2 = 20000
design_w_per_m2 = 40
[[electric_load]]
id = "offices_el"
bus = "ac"
shape = "office"
annual_kwh = 3000000
[[tariff]]
id = "flat"
price_cny_per_kwh = {{ all = 0.6 }}
[[tariff.period]]
band = "all"
hours = ["0-24"]
"#
        );
        let loaded = parkgrid_model::parse("park.toml", &text);
        loaded
            .park
            .unwrap_or_else(|| panic!("{}", loaded.report.render()))
    }

    /// A 100 kW heat pump against an 800 kW design load: flagged at the heat bus with most of
    /// the heat unservable; a 1,000 kW one passes.
    #[test]
    fn an_undersized_heat_pump_is_flagged_at_its_bus() {
        let park = heat_park(100.0, 5000.0);
        let profiles = park_profiles(&park).expect("profiles");
        let found = shortfalls(&park, &profiles);
        assert_eq!(found.len(), 1, "{found:?}");
        let s = &found[0];
        assert_eq!(
            (s.bus.as_str(), s.carrier, s.island),
            ("heat", Carrier::Heat, false)
        );
        assert_eq!(s.capacity_kw, 100.0);
        assert!(s.peak_demand_kw > 700.0, "{s:?}");
        let share = s.unserved_kwh / s.demand_kwh;
        assert!((0.5..0.95).contains(&share), "{share}");
        // The unserved energy is the demand above 100 kW, step by step.
        let demand = profiles
            .get("offices", Quantity::HeatDemand)
            .expect("demand");
        let want: f64 = demand.iter().map(|d| (d - 100.0).max(0.0)).sum();
        assert!(
            (s.unserved_kwh - want).abs() < 1e-6 * want,
            "{} vs {want}",
            s.unserved_kwh
        );
        let d = s.diagnostic();
        assert_eq!(d.severity, parkgrid_model::Severity::Warning);
        assert_eq!(d.path.to_string(), "bus[1].id");
        assert!(
            d.message.contains("heat bus 'heat'")
                && d.message.contains("ground_heat_pump 'gshp' 100 kW"),
            "{}",
            d.message
        );

        let park = heat_park(1000.0, 5000.0);
        let profiles = park_profiles(&park).expect("profiles");
        assert!(shortfalls(&park, &profiles).is_empty());
    }

    /// An import limit below the offices' peak (no battery, no generation) is flagged for the
    /// island; the unserved energy is the demand above the limit.
    #[test]
    fn an_island_short_of_import_is_flagged() {
        let park = heat_park(1000.0, 200.0);
        let profiles = park_profiles(&park).expect("profiles");
        let found = shortfalls(&park, &profiles);
        assert_eq!(found.len(), 1, "{found:?}");
        let s = &found[0];
        assert!(s.island && s.bus == "ac" && s.capacity_kw == 200.0, "{s:?}");
        let demand = profiles
            .get("offices_el", Quantity::ElectricDemand)
            .expect("demand");
        let want: f64 = demand.iter().map(|d| (d - 200.0).max(0.0)).sum();
        assert!(
            (s.unserved_kwh - want).abs() < 1e-6 * want,
            "{} vs {want}",
            s.unserved_kwh
        );
        assert!(
            s.diagnostic()
                .message
                .contains("the electric island of bus 'ac'")
        );
    }
}
