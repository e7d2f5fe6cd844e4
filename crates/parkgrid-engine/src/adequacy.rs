//! What `parkgrid validate` checks beyond the file: the park's profiles are made (so a weather or
//! profile file that `simulate` would refuse is refused here, with the same message), and each
//! bus's demand is set against the capacity that can reach it, step by step.
//!
//! The capacity check is a necessary condition, not a dispatch: a heat or cold bus's fixed demand
//! against the nameplate output of the machines feeding it (an air-source heat pump's at the
//! step's outdoor air) plus its stores' discharge limits; an
//! electric island's fixed demand against its grid import limit, CHP and battery power and the PV
//! and wind available in that step. Fixed demand is what no schedule can move: loads, data
//! centres, heat and cooling loads, EV charging with a profile file, and the part of a flexible
//! load that must be served in its step (`1 − flexible_frac`); smart EV charging and the movable
//! part of flexible loads are left out. Stores' energy, waste heat that may not be there, links'
//! ratings and the electricity heat pumps and chillers draw are left out too, so demand the check
//! passes may still go unserved, but demand it flags cannot be served by any schedule.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use parkgrid_model::asset::AssetRef;
use parkgrid_model::{Carrier, Diagnostic, FieldPath, Park};
use parkgrid_report::format_number;
use parkgrid_resource::DataError;
use parkgrid_resource::{ParkProfiles, Quantity, ResourceError, park_profiles};

use crate::profiles::accumulate;

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

/// The field naming the file an error is about — the weather file, or the profile file and
/// column of the asset whose series failed — or the document root.
fn error_path(park: &Park, e: &ResourceError) -> FieldPath {
    let (file, column) = match e {
        ResourceError::Data(DataError::Io { path, .. }) => (path, None),
        ResourceError::Data(DataError::Value { file, column, .. }) => (file, Some(column)),
        ResourceError::Solar(_) | ResourceError::Park(_) => return FieldPath::root(),
    };
    // The resource crate names a file as the park's directory joined with the file's field.
    let is = |named: &Path| Path::new(file) == park.base_dir.join(named);
    if park.weather.file.as_deref().is_some_and(is) {
        return FieldPath::root().key("weather").key("file");
    }
    let profiles: Vec<(FieldPath, &str, &parkgrid_model::Profile)> = park
        .assets()
        .filter_map(|(at, a)| {
            let spec = a.spec();
            Some((at, spec.id(), spec.profile().filter(|p| is(&p.file))?))
        })
        .collect();
    let of_column = profiles
        .iter()
        .find(|(_, id, p)| column.is_some_and(|c| p.column.as_deref().unwrap_or(id) == c));
    of_column
        .or(profiles.first())
        .map_or_else(FieldPath::root, |(at, _, _)| at.key("profile").key("file"))
}

/// The share of an asset's demand series that no schedule can move: 1 for fixed loads, 0 for
/// smart EV charging, `1 − flexible_frac` for a flexible load; `None` for what is not demand.
fn fixed_share(asset: AssetRef<'_>) -> Option<f64> {
    match asset {
        AssetRef::ElectricLoad(_)
        | AssetRef::DataCentre(_)
        | AssetRef::HeatLoad(_)
        | AssetRef::CoolingLoad(_) => Some(1.0),
        AssetRef::EvCharging(ev) => Some(if ev.profile.is_some() { 1.0 } else { 0.0 }),
        AssetRef::FlexibleLoad(f) => Some(1.0 - f.flexible_frac),
        AssetRef::Grid(_)
        | AssetRef::Pv(_)
        | AssetRef::Wind(_)
        | AssetRef::Chp(_)
        | AssetRef::GroundHeatPump(_)
        | AssetRef::AirSourceHeatPump(_)
        | AssetRef::WasteHeatPump(_)
        | AssetRef::Battery(_)
        | AssetRef::ThermalStore(_)
        | AssetRef::GasBoiler(_)
        | AssetRef::ElectricBoiler(_)
        | AssetRef::ElectricChiller(_)
        | AssetRef::AbsorptionChiller(_) => None,
    }
}

/// Demand that cannot be served at some step: where, how much, and what was there to serve it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortfall {
    /// The heat or cold bus, or the first bus of the electric island.
    pub bus: String,
    /// Index of that bus in the park's `bus` list.
    pub bus_index: usize,
    /// The carrier of `bus`: heat, cold, or (for an island) AC or DC.
    pub carrier: Carrier,
    /// True for an electric island (the demand of all its buses).
    pub island: bool,
    /// The largest fixed demand of a step, kW.
    pub peak_demand_kw: f64,
    /// The step of the largest shortfall.
    pub worst_step: usize,
    /// Its time, as the park's local time.
    pub worst_time: String,
    /// Fixed demand minus what can reach the bus at that step, kW.
    pub worst_kw: f64,
    /// Firm capacity (everything but PV and wind), kW.
    pub capacity_kw: f64,
    /// The parts of `capacity_kw`, in words (`kind 'id' N kW`).
    pub sources: Vec<String>,
    /// True when a grid connection is among them.
    pub has_grid: bool,
    /// True when output that varies step by step (PV, wind, air-source heat) counts besides.
    pub variable: bool,
    /// Energy that cannot be served over the run, kWh (a lower bound).
    pub unserved_kwh: f64,
    /// The run's fixed demand at the bus (or island), kWh.
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
        let renewables = match (self.island, self.variable) {
            (true, _) => " with the PV and wind of that step",
            (false, true) => " with the heat the outdoor air lets its air-source pumps give",
            (false, false) => "",
        };
        let share = 100.0 * self.unserved_kwh / self.demand_kwh.max(f64::MIN_POSITIVE);
        Diagnostic::warning(
            FieldPath::root().key("bus").index(self.bus_index).key("id"),
            format!(
                "{what}: demand that no schedule can move exceeds what can reach it by up to {} \
                 ({}); at least {} MWh of the {} MWh ({share:.1} %) cannot be served. Firm \
                 capacity {} ({sources}){renewables}",
                kw(self.worst_kw),
                self.worst_time,
                format_number(self.unserved_kwh / 1000.0, 1),
                format_number(self.demand_kwh / 1000.0, 1),
                kw(self.capacity_kw),
            ),
        )
        .with_hint(match (self.island, self.has_grid) {
            (true, true) => {
                "raise the grid import limit, or add a battery, CHP or generation in this island"
            }
            (true, false) => {
                "connect the island to the grid ([[line]], [[transformer]] or [[converter]]), or \
                 add a battery, CHP or generation in it"
            }
            (false, _) => {
                "add capacity on this bus (a boiler, a larger heat pump or chiller, a store), or \
                 check the loads' design figures"
            }
        })
    }
}

/// Firm output an asset can put on a bus: (bus, kW) per port it feeds.
fn firm_outputs<'a>(asset: AssetRef<'a>) -> Vec<(&'a str, f64)> {
    match asset {
        AssetRef::Grid(g) => vec![(&g.bus, g.p_import_max_kw)],
        AssetRef::Chp(c) => {
            let heat = c.p_max_kw * c.eta_th / c.eta_el.max(f64::MIN_POSITIVE);
            vec![(&c.bus, c.p_max_kw), (&c.heat_bus, heat)]
        }
        AssetRef::GroundHeatPump(h) => vec![(&h.heat_bus, h.heat_max_kw)],
        AssetRef::WasteHeatPump(h) => vec![(&h.heat_bus, h.heat_max_kw)],
        AssetRef::Battery(b) => vec![(&b.bus, b.p_max_kw)],
        AssetRef::ThermalStore(s) => vec![(&s.bus, s.heat_discharge_max_kw)],
        AssetRef::GasBoiler(b) => vec![(&b.bus, b.heat_max_kw)],
        AssetRef::ElectricBoiler(b) => vec![(&b.heat_bus, b.heat_max_kw)],
        AssetRef::ElectricChiller(c) => vec![(&c.cold_bus, c.cold_max_kw)],
        AssetRef::AbsorptionChiller(c) => vec![(&c.cold_bus, c.cold_max_kw)],
        // Variable output (from the profiles: PV and wind available, the heat the air lets an
        // air-source pump give) or demand.
        AssetRef::Pv(_)
        | AssetRef::Wind(_)
        | AssetRef::AirSourceHeatPump(_)
        | AssetRef::DataCentre(_)
        | AssetRef::ElectricLoad(_)
        | AssetRef::HeatLoad(_)
        | AssetRef::CoolingLoad(_)
        | AssetRef::EvCharging(_)
        | AssetRef::FlexibleLoad(_) => Vec::new(),
    }
}

/// Where an asset's series go: its `bus` and `heat_bus` ports, and the share of its demand that no
/// schedule can move ([`fixed_share`]).
struct AssetBuses {
    bus: Option<String>,
    heat_bus: Option<String>,
    fixed: Option<f64>,
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
    let mut demand: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    let mut variable: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    let mut firm: HashMap<usize, (f64, Vec<String>)> = HashMap::new();
    // Each asset's buses (its `bus` port: where a load draws, where PV and wind feed; its
    // `heat_bus`, where a heat pump delivers) and the share of its demand that is fixed.
    let port = |a: AssetRef<'_>, field: &str| -> Option<String> {
        let spec = a.spec();
        let bus = spec.ports().into_iter().find(|p| p.field == field)?.bus;
        Some(bus.to_string())
    };
    let of: HashMap<&str, AssetBuses> = park
        .assets()
        .map(|(_, a)| {
            let buses = AssetBuses {
                bus: port(a, "bus"),
                heat_bus: port(a, "heat_bus"),
                fixed: fixed_share(a),
            };
            (a.spec().id(), buses)
        })
        .collect();
    for s in &profiles.series {
        let Some(AssetBuses {
            bus,
            heat_bus,
            fixed,
        }) = of.get(s.id.as_str())
        else {
            continue;
        };
        let (into, share, bus) = match (s.quantity, fixed) {
            (
                Quantity::ElectricDemand | Quantity::HeatDemand | Quantity::CoolingDemand,
                Some(f),
            ) => (&mut demand, *f, bus),
            (Quantity::Available, _) => (&mut variable, 1.0, bus),
            (Quantity::HeatMax, _) => (&mut variable, 1.0, heat_bus),
            _ => continue,
        };
        let Some(g) = bus.as_deref().and_then(group_of) else {
            continue;
        };
        accumulate(into, g, n, share, &s.values);
    }
    let mut grid: Vec<usize> = Vec::new();
    for (_, a) in park.assets() {
        let spec = a.spec();
        for (bus, kw) in firm_outputs(a) {
            if let Some(g) = group_of(bus) {
                let f = firm.entry(g).or_default();
                f.0 += kw;
                let (kind, id) = (spec.kind().key(), spec.id());
                f.1.push(format!("{kind} '{id}' {} kW", format_number(kw, 0)));
                if matches!(a, AssetRef::Grid(_)) {
                    grid.push(g);
                }
            }
        }
    }
    let mut out: Vec<Shortfall> = Vec::new();
    for (&g, d) in &demand {
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
            has_grid: grid.contains(&g),
            variable: var.is_some(),
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
        heat_park_at(hp_kw, import_kw, 60)
    }

    /// [`heat_park`] at a step of `step_min`.
    fn heat_park_at(hp_kw: f64, import_kw: f64, step_min: u32) -> Park {
        let text = heat_park_text(hp_kw, import_kw, step_min);
        let loaded = parkgrid_model::parse("park.toml", &text);
        loaded
            .park
            .unwrap_or_else(|| panic!("{}", loaded.report.render()))
    }

    /// The park file of [`heat_park_at`].
    fn heat_park_text(hp_kw: f64, import_kw: f64, step_min: u32) -> String {
        format!(
            r#"
[site]
name = "t"
latitude_deg = 40.457
longitude_deg = 115.975
time_zone = "Asia/Shanghai"
[time]
year = 2025
step_min = {step_min}
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
        )
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

        // In quarter hours the energy is counted in quarter hours.
        let park = heat_park_at(100.0, 5000.0, 15);
        let profiles = park_profiles(&park).expect("profiles");
        let s = &shortfalls(&park, &profiles)[0];
        let demand = profiles
            .get("offices", Quantity::HeatDemand)
            .expect("demand");
        let want: f64 = demand.iter().map(|d| 0.25 * (d - 100.0).max(0.0)).sum();
        assert!(
            (s.unserved_kwh - want).abs() < 1e-6 * want,
            "{} vs {want}",
            s.unserved_kwh
        );
    }

    /// The run of the undersized park says what it left unserved: `summary.json`'s status is
    /// `unserved` with the heat's share, for the optimum and for the baseline; the sized park's
    /// is `ok`.
    #[test]
    fn a_run_that_leaves_heat_unserved_says_so() {
        let request = crate::Request {
            strategy: parkgrid_dispatch::Strategy::Optimal,
            solver: parkgrid_dispatch::SolverKind::Clarabel,
            horizon: parkgrid_dispatch::Horizon::Year,
            solve: parkgrid_dispatch::SolveOptions::default(),
            network_check: None,
            loss_feedback: true,
            window: chrono::NaiveDate::from_ymd_opt(2025, 1, 15)
                .map(|from| crate::Window { from, days: 2 }),
            step_min: None,
            rules: Default::default(),
        };
        let year = crate::run_year(&heat_park(100.0, 5000.0), &request, &mut |_| {}).expect("runs");
        let summary = year.summary();
        assert_eq!(summary["status"], "unserved", "{summary}");
        let detail = summary["status_detail"].as_str().unwrap_or_default();
        assert!(
            detail.starts_with("demand left unserved: ")
                && detail.contains("MWh of heat (")
                && detail.contains("% of the heat demand)"),
            "{detail}"
        );
        assert_eq!(summary["baseline"]["status"], "unserved");
        assert!(
            summary["unserved_detail"]
                .as_str()
                .is_some_and(|d| d.contains("MWh of heat"))
        );
        let k = &year.main.kpis;
        assert!(k.unserved_heat_kwh > 0.5 * k.heat_demand_kwh, "{k:?}");
        // The check's bound over the same two days is what the optimum leaves unserved: the heat
        // pump runs flat out whenever the demand is above it.
        let park = heat_park(100.0, 5000.0);
        let window = parkgrid_resource::park_profiles_window(&park, 14 * 24, 48).expect("window");
        let bound = shortfalls(&park, &window)[0].unserved_kwh;
        assert!(
            (bound - k.unserved_heat_kwh).abs() < 1e-4 * bound,
            "bound {bound} kWh, the optimum leaves {} kWh",
            k.unserved_heat_kwh
        );
        assert!(crate::unserved_text(k).is_some_and(|t| !t.contains("electricity")));

        let year =
            crate::run_year(&heat_park(1000.0, 5000.0), &request, &mut |_| {}).expect("runs");
        assert_eq!(year.summary()["status"], "ok");
        assert!(year.summary().get("unserved_detail").is_none());
        assert_eq!(crate::unserved_text(&year.main.kpis), None);
    }

    /// An air-source pump counts with what each step's air lets it give: the bound is the demand
    /// above that limit, step by step, and the optimum leaves exactly that unserved over two
    /// January days (the pump runs flat out whenever the demand is above it).
    #[test]
    fn an_air_source_pump_counts_at_the_air_of_each_step() {
        let text = heat_park_text(300.0, 5000.0, 60).replace(
            "[[ground_heat_pump]]\nid = \"gshp\"",
            "[[air_source_heat_pump]]\nid = \"ashp\"",
        );
        let loaded = parkgrid_model::parse("park.toml", &text);
        let park = loaded
            .park
            .unwrap_or_else(|| panic!("{}", loaded.report.render()));
        let window = parkgrid_resource::park_profiles_window(&park, 14 * 24, 48).expect("window");
        let limit = window.get("ashp", Quantity::HeatMax).expect("limit");
        let demand = window.get("offices", Quantity::HeatDemand).expect("demand");
        assert!(
            limit.iter().all(|&l| l < 300.0),
            "January air: below the A7 rating"
        );
        let want: f64 = demand
            .iter()
            .zip(limit)
            .map(|(d, l)| (d - l).max(0.0))
            .sum();
        let found = shortfalls(&park, &window);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].variable && found[0].capacity_kw == 0.0,
            "{:?}",
            found[0]
        );
        assert!((found[0].unserved_kwh - want).abs() < 1e-9 * want);
        let request = crate::Request {
            strategy: parkgrid_dispatch::Strategy::Optimal,
            solver: parkgrid_dispatch::SolverKind::Clarabel,
            horizon: parkgrid_dispatch::Horizon::Year,
            solve: parkgrid_dispatch::SolveOptions::default(),
            network_check: None,
            loss_feedback: true,
            window: chrono::NaiveDate::from_ymd_opt(2025, 1, 15)
                .map(|from| crate::Window { from, days: 2 }),
            step_min: None,
            rules: Default::default(),
        };
        let year = crate::run_year(&park, &request, &mut |_| {}).expect("runs");
        let left = year.main.kpis.unserved_heat_kwh;
        assert!(
            (left - want).abs() < 1e-4 * want,
            "bound {want} kWh, the optimum leaves {left}"
        );
    }

    /// Smart EV charging can move to any plugged-in step, so it is no fixed demand: an import
    /// limit just above the offices' peak is not flagged although the chargers' own series would
    /// push the sum above it.
    #[test]
    fn smart_ev_charging_is_not_fixed_demand() {
        let base = heat_park(1000.0, 5000.0);
        let office = park_profiles(&base).expect("profiles");
        let office = office
            .get("offices_el", Quantity::ElectricDemand)
            .expect("demand");
        let peak = office.iter().copied().fold(0.0, f64::max);
        let ev = r#"
[[ev_charging]]
id = "ev"
bus = "ac"
n_chargers = 20
p_charger_kw = 60
e_daily_kwh = 2000
arrival_h = 8
departure_h = 18
"#;
        let text = heat_park_text(1000.0, (peak + 1.0).ceil(), 60);
        let loaded = parkgrid_model::parse("ev.toml", &format!("{text}\n{ev}"));
        let park = loaded
            .park
            .unwrap_or_else(|| panic!("{}", loaded.report.render()));
        let profiles = park_profiles(&park).expect("profiles");
        let ev = profiles
            .get("ev", Quantity::ElectricDemand)
            .expect("EV series");
        let both = office
            .iter()
            .zip(ev)
            .map(|(a, b)| a + b)
            .fold(0.0, f64::max);
        assert!(
            both > peak + 2.0,
            "the chargers add to the peak: {both} vs {peak}"
        );
        assert!(shortfalls(&park, &profiles).is_empty());
    }

    /// `../shared/cases` `network/dead_end_bus.toml` (copied to the dispatch tests' data): the
    /// office behind the switched-off cable is an island with nothing to feed it, and validate
    /// says so with its whole year's 1,000 MWh — the right value both runs leave unserved.
    #[test]
    fn the_dead_end_bus_is_an_island_that_cannot_be_served() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../parkgrid-dispatch/tests/data/cases/dead_end_bus.toml");
        let park = crate::park::load(&path).expect("the case").0;
        let profiles = park_profiles(&park).expect("profiles");
        let found = shortfalls(&park, &profiles);
        assert_eq!(found.len(), 1, "{found:?}");
        let s = &found[0];
        assert!(
            s.island && s.bus == "north" && s.capacity_kw == 0.0,
            "{s:?}"
        );
        assert!(
            (s.unserved_kwh - 1.0e6).abs() < 1.0,
            "{} kWh",
            s.unserved_kwh
        );
        assert!((s.demand_kwh - s.unserved_kwh).abs() < 1e-6);
        let hint = s.diagnostic().hint.unwrap_or_default();
        assert!(hint.starts_with("connect the island to the grid"), "{hint}");
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
