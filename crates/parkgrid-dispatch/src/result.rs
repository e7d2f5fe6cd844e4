//! Dispatch results: series per element mirroring the park's ids, and the year's KPIs.

use parkgrid_model::asset::AssetRef;
use parkgrid_model::{Carrier, Park};
use serde::Serialize;

use crate::build::Steps;
use crate::component::fuel_price;

/// One result series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Element id (asset, bus, branch).
    pub id: String,
    /// Element kind (`pv`, `bus`, `line`…).
    pub kind: &'static str,
    /// Quantity with unit (`output_kw`, `level_kwh`, `price_cny_per_kwh`).
    pub quantity: &'static str,
    /// One value per step.
    pub values: Vec<f64>,
    /// Where the series puts power: `(bus, coef)` with `coef·value` kW into the bus ([`ports`]);
    /// empty for series that touch no bus (fuel, levels, prices, availability).
    pub ports: Vec<(String, f64)>,
}

/// A year of dispatch.
#[derive(Debug, Clone)]
pub struct Dispatch {
    /// Series, element by element.
    pub series: Vec<Series>,
}

impl Dispatch {
    /// The series `quantity` of element `id`.
    pub fn get(&self, id: &str, quantity: &str) -> Option<&[f64]> {
        self.series
            .iter()
            .find(|s| s.id == id && s.quantity == quantity)
            .map(|s| s.values.as_slice())
    }

    fn total(&self, id: &str, quantity: &str, step_h: f64) -> f64 {
        self.get(id, quantity)
            .map_or(0.0, |v| v.iter().sum::<f64>() * step_h)
    }
}

/// The year's key figures. Costs are what the park pays (penalties and the value of lost load are
/// not costs; unserved energy is reported instead).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Kpis {
    /// Imports − export revenue + fuel + O&M + battery wear + carbon + demand charges, CNY.
    pub total_cost_cny: f64,
    /// Cost of grid imports, CNY.
    pub import_cost_cny: f64,
    /// Revenue from exports, CNY.
    pub export_revenue_cny: f64,
    /// Fuel cost, CNY.
    pub fuel_cost_cny: f64,
    /// Carbon cost, CNY.
    pub carbon_cost_cny: f64,
    /// Energy imported, kWh.
    pub grid_import_kwh: f64,
    /// Energy exported, kWh.
    pub grid_export_kwh: f64,
    /// PV energy used, kWh.
    pub pv_generation_kwh: f64,
    /// Wind energy used, kWh.
    pub wind_generation_kwh: f64,
    /// PV and wind energy available, kWh.
    pub renewable_available_kwh: f64,
    /// PV and wind energy curtailed, kWh.
    pub curtailment_kwh: f64,
    /// Share of the available renewable energy used.
    pub renewable_absorption_ratio: f64,
    /// CO₂ emitted by imports and fossil fuels, t.
    pub co2_t: f64,
    /// Waste heat taken by heat pumps, kWh.
    pub waste_heat_recovered_kwh: f64,
    /// Heat from fuel-fired boilers, kWh.
    pub boiler_heat_kwh: f64,
    /// Heat demand, kWh.
    pub heat_demand_kwh: f64,
    /// Electricity demand left unserved, kWh.
    pub unserved_electric_kwh: f64,
    /// Heat demand left unserved, kWh.
    pub unserved_heat_kwh: f64,
    /// Heat dumped from heat networks (CHP heat no one used), kWh.
    pub heat_dumped_kwh: f64,
    /// Cooling demand, kWh.
    pub cooling_demand_kwh: f64,
    /// Cooling from electric chillers, kWh.
    pub cooling_electric_kwh: f64,
    /// Cooling from absorption chillers (driven by heat), kWh.
    pub cooling_absorption_kwh: f64,
    /// Cooling demand left unserved, kWh.
    pub unserved_cooling_kwh: f64,
    /// Highest import, kW.
    pub peak_import_kw: f64,
}

/// The KPIs of a dispatch of `park`.
pub fn kpis(park: &Park, steps: &Steps, d: &Dispatch) -> Kpis {
    let dt = steps.step_h;
    let mut k = Kpis::default();
    let carbon_price = park.economics.carbon_price_cny_per_t / 1000.0;
    let mut co2_kg = 0.0;
    let mut demand_charges = 0.0;
    let mut om = 0.0;
    for (_, asset) in park.assets() {
        match asset {
            AssetRef::Grid(g) => {
                let imp = d.get(&g.id, "import_kw").unwrap_or_default();
                let tariff = park.tariff(&g.tariff);
                for (t, &p) in imp.iter().enumerate() {
                    let price = tariff
                        .and_then(|tf| tf.price_at(steps.month[t], steps.hour[t]))
                        .unwrap_or(0.0);
                    k.import_cost_cny += price * p * dt;
                }
                let exp = d.total(&g.id, "export_kw", dt);
                k.export_revenue_cny += exp * tariff.map_or(0.0, |t| t.export_price_cny_per_kwh);
                k.grid_import_kwh += d.total(&g.id, "import_kw", dt);
                k.grid_export_kwh += exp;
                co2_kg += d.total(&g.id, "import_kw", dt) * g.co2_kg_per_kwh;
                k.peak_import_kw = imp.iter().copied().fold(k.peak_import_kw, f64::max);
                let charge = tariff.map_or(0.0, |t| t.demand_charge_cny_per_kw_month);
                if charge > 0.0 {
                    let mut peaks = [0.0f64; 12];
                    for (t, &p) in imp.iter().enumerate() {
                        let m = (steps.month[t] as usize).clamp(1, 12) - 1;
                        peaks[m] = peaks[m].max(p);
                    }
                    demand_charges += charge * peaks.iter().sum::<f64>();
                }
            }
            AssetRef::Pv(x) => {
                k.pv_generation_kwh += d.total(&x.id, "output_kw", dt);
                k.renewable_available_kwh += d.total(&x.id, "available_kw", dt);
            }
            AssetRef::Wind(x) => {
                k.wind_generation_kwh += d.total(&x.id, "output_kw", dt);
                k.renewable_available_kwh += d.total(&x.id, "available_kw", dt);
            }
            AssetRef::Chp(c) => {
                let price = fuel_price(park, &c.fuel, &steps.heating);
                let fuel = d.get(&c.id, "fuel_kw").unwrap_or_default();
                k.fuel_cost_cny += fuel
                    .iter()
                    .zip(&price)
                    .map(|(f, p)| f * p * dt)
                    .sum::<f64>();
                let fuel_kwh = d.total(&c.id, "fuel_kw", dt);
                co2_kg += fuel_kwh * park.fuel(&c.fuel).map_or(0.0, |f| f.co2_kg_per_kwh);
                om += c.om_cny_per_kwh * d.total(&c.id, "p_kw", dt);
            }
            AssetRef::GasBoiler(g) => {
                let price = fuel_price(park, &g.fuel, &steps.heating);
                let fuel = d.get(&g.id, "fuel_kw").unwrap_or_default();
                k.fuel_cost_cny += fuel
                    .iter()
                    .zip(&price)
                    .map(|(f, p)| f * p * dt)
                    .sum::<f64>();
                let fuel_kwh = d.total(&g.id, "fuel_kw", dt);
                co2_kg += fuel_kwh * park.fuel(&g.fuel).map_or(0.0, |f| f.co2_kg_per_kwh);
                om += g.om_cny_per_kwh * d.total(&g.id, "heat_kw", dt);
                k.boiler_heat_kwh += d.total(&g.id, "heat_kw", dt);
            }
            AssetRef::WasteHeatPump(h) => {
                k.waste_heat_recovered_kwh += d.total(&h.id, "source_kw", dt)
            }
            AssetRef::Battery(b) => {
                om += b.degradation_cny_per_kwh * d.total(&b.id, "discharge_kw", dt)
            }
            AssetRef::HeatLoad(h) => k.heat_demand_kwh += d.total(&h.id, "heat_kw", dt),
            AssetRef::CoolingLoad(c) => k.cooling_demand_kwh += d.total(&c.id, "cold_kw", dt),
            AssetRef::ElectricChiller(c) => k.cooling_electric_kwh += d.total(&c.id, "cold_kw", dt),
            AssetRef::AbsorptionChiller(c) => {
                k.cooling_absorption_kwh += d.total(&c.id, "cold_kw", dt)
            }
            AssetRef::GroundHeatPump(_)
            | AssetRef::DataCentre(_)
            | AssetRef::ThermalStore(_)
            | AssetRef::ElectricBoiler(_)
            | AssetRef::ElectricLoad(_)
            | AssetRef::EvCharging(_)
            | AssetRef::FlexibleLoad(_) => {}
        }
    }
    for bus in &park.bus {
        let unserved = d.total(&bus.id, "unserved_kw", dt);
        match bus.carrier {
            Carrier::Ac | Carrier::Dc => k.unserved_electric_kwh += unserved,
            Carrier::Heat => {
                k.unserved_heat_kwh += unserved;
                k.heat_dumped_kwh += d.total(&bus.id, "dumped_kw", dt);
            }
            Carrier::Cold => k.unserved_cooling_kwh += unserved,
            Carrier::WasteHeat => {}
        }
    }
    // Energies that cannot be negative: an interior-point solution leaves rounding noise of
    // −1e-8 kWh where a flow sits on its lower bound; below a milliwatt-hour it is zero.
    for e in [
        &mut k.grid_import_kwh,
        &mut k.grid_export_kwh,
        &mut k.pv_generation_kwh,
        &mut k.wind_generation_kwh,
        &mut k.renewable_available_kwh,
        &mut k.unserved_electric_kwh,
        &mut k.unserved_heat_kwh,
        &mut k.boiler_heat_kwh,
        &mut k.waste_heat_recovered_kwh,
        &mut k.heat_demand_kwh,
        &mut k.heat_dumped_kwh,
        &mut k.cooling_demand_kwh,
        &mut k.cooling_electric_kwh,
        &mut k.cooling_absorption_kwh,
        &mut k.unserved_cooling_kwh,
    ] {
        if *e < 0.0 && *e > -1e-6 {
            *e = 0.0;
        }
    }
    k.curtailment_kwh =
        (k.renewable_available_kwh - k.pv_generation_kwh - k.wind_generation_kwh).max(0.0);
    // Absorption of what was available; a park with nothing (or less than a milliwatt-hour) to
    // absorb absorbed all of it.
    k.renewable_absorption_ratio = if k.renewable_available_kwh > 1e-6 {
        ((k.pv_generation_kwh + k.wind_generation_kwh) / k.renewable_available_kwh).clamp(0.0, 1.0)
    } else {
        1.0
    };
    k.co2_t = co2_kg / 1000.0;
    k.carbon_cost_cny = co2_kg * carbon_price;
    k.total_cost_cny = k.import_cost_cny - k.export_revenue_cny
        + k.fuel_cost_cny
        + om
        + k.carbon_cost_cny
        + demand_charges;
    k
}

/// Where the result series `quantity` of element `id` (of `kind`) puts power: `(bus, coef)` pairs
/// such that `coef·value` is the power into that bus, kW. Series that touch no bus (fuel, levels,
/// prices, availability) have none.
///
/// This is the one declaration of every flow's buses: the LP's balance rows are built from it
/// ([`crate::build::Builder::output`]), the baseline's series and every [`Series`] carry its
/// answer, so the balance of every bus closes over the result series alone, which is what
/// reports and network checks rely on.
pub fn ports(park: &Park, kind: &str, id: &str, quantity: &str) -> Vec<(String, f64)> {
    let one = |bus: &str, coef: f64| vec![(bus.to_string(), coef)];
    match kind {
        "bus" => match quantity {
            "unserved_kw" => one(id, 1.0),
            "dumped_kw" | "rejected_kw" => one(id, -1.0),
            _ => Vec::new(),
        },
        "converter" | "line" | "transformer" => crate::component::network::links(park)
            .into_iter()
            .find(|l| l.kind == kind && l.id == id)
            .map(|l| match quantity {
                // A converter's two directions, each from the bus it takes from.
                "forward_kw" if kind == "converter" => {
                    vec![(l.a.to_string(), -1.0), (l.b.to_string(), l.eta_ab)]
                }
                "reverse_kw" if kind == "converter" => {
                    vec![(l.b.to_string(), -1.0), (l.a.to_string(), l.eta_ba)]
                }
                "flow_kw" if kind != "converter" => {
                    vec![(l.a.to_string(), -1.0), (l.b.to_string(), 1.0)]
                }
                _ => Vec::new(),
            })
            .unwrap_or_default(),
        _ => park
            .asset(id)
            .map(|a| asset_ports(a, quantity))
            .unwrap_or_default(),
    }
}

fn asset_ports(asset: AssetRef<'_>, quantity: &str) -> Vec<(String, f64)> {
    let port = |bus: &str, coef: f64| Some((bus.to_string(), coef));
    let p = match (asset, quantity) {
        (AssetRef::Grid(g), "import_kw") => port(&g.bus, 1.0),
        (AssetRef::Grid(g), "export_kw") => port(&g.bus, -1.0),
        (AssetRef::Pv(x), "output_kw") => port(&x.bus, 1.0),
        (AssetRef::Wind(x), "output_kw") => port(&x.bus, 1.0),
        (AssetRef::Chp(c), "p_kw") => port(&c.bus, 1.0),
        (AssetRef::Chp(c), "heat_kw") => port(&c.heat_bus, 1.0),
        (AssetRef::GroundHeatPump(h), "p_kw") => port(&h.bus, -1.0),
        (AssetRef::GroundHeatPump(h), "heat_kw") => port(&h.heat_bus, 1.0),
        (AssetRef::WasteHeatPump(h), "p_kw") => port(&h.bus, -1.0),
        (AssetRef::WasteHeatPump(h), "heat_kw") => port(&h.heat_bus, 1.0),
        (AssetRef::WasteHeatPump(h), "source_kw") => port(&h.source_bus, -1.0),
        (AssetRef::DataCentre(d), "p_kw") => port(&d.bus, -1.0),
        (AssetRef::DataCentre(d), "waste_heat_kw") => {
            d.waste_heat_bus.as_deref().and_then(|b| port(b, 1.0))
        }
        (AssetRef::Battery(s), "charge_kw") => port(&s.bus, -1.0),
        (AssetRef::Battery(s), "discharge_kw") => port(&s.bus, 1.0),
        (AssetRef::ThermalStore(s), "charge_kw") => port(&s.bus, -1.0),
        (AssetRef::ThermalStore(s), "discharge_kw") => port(&s.bus, 1.0),
        (AssetRef::GasBoiler(g), "heat_kw") => port(&g.bus, 1.0),
        (AssetRef::ElectricBoiler(e), "p_kw") => port(&e.bus, -1.0),
        (AssetRef::ElectricBoiler(e), "heat_kw") => port(&e.heat_bus, 1.0),
        (AssetRef::ElectricLoad(x), "p_kw") => port(&x.bus, -1.0),
        (AssetRef::HeatLoad(x), "heat_kw") => port(&x.bus, -1.0),
        (AssetRef::CoolingLoad(x), "cold_kw") => port(&x.bus, -1.0),
        (AssetRef::ElectricChiller(c), "p_kw") => port(&c.bus, -1.0),
        (AssetRef::ElectricChiller(c), "cold_kw") => port(&c.cold_bus, 1.0),
        (AssetRef::AbsorptionChiller(c), "heat_kw") => port(&c.heat_bus, -1.0),
        (AssetRef::AbsorptionChiller(c), "cold_kw") => port(&c.cold_bus, 1.0),
        (AssetRef::EvCharging(x), "p_kw") => port(&x.bus, -1.0),
        (AssetRef::FlexibleLoad(x), "p_kw") => port(&x.bus, -1.0),
        (
            AssetRef::Grid(_)
            | AssetRef::Pv(_)
            | AssetRef::Wind(_)
            | AssetRef::Chp(_)
            | AssetRef::GroundHeatPump(_)
            | AssetRef::WasteHeatPump(_)
            | AssetRef::DataCentre(_)
            | AssetRef::Battery(_)
            | AssetRef::ThermalStore(_)
            | AssetRef::GasBoiler(_)
            | AssetRef::ElectricBoiler(_)
            | AssetRef::ElectricLoad(_)
            | AssetRef::HeatLoad(_)
            | AssetRef::CoolingLoad(_)
            | AssetRef::ElectricChiller(_)
            | AssetRef::AbsorptionChiller(_)
            | AssetRef::EvCharging(_)
            | AssetRef::FlexibleLoad(_),
            _,
        ) => None,
    };
    p.into_iter().collect()
}
