//! Dispatch results: series per element mirroring the park's ids, and the year's KPIs.

use parkgrid_model::asset::AssetRef;
use parkgrid_model::{Carrier, Park};
use serde::Serialize;

use crate::build::Steps;
use crate::component::fuel_price;
use crate::key::{Element, Quantity};

/// One result series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Element id (asset, bus, branch).
    pub id: String,
    /// Element kind.
    pub kind: Element,
    /// What the values measure.
    pub quantity: Quantity,
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
    pub fn get(&self, id: &str, quantity: Quantity) -> Option<&[f64]> {
        self.series
            .iter()
            .find(|s| s.id == id && s.quantity == quantity)
            .map(|s| s.values.as_slice())
    }

    fn total(&self, id: &str, quantity: Quantity, step_h: f64) -> f64 {
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
    /// Heat vented by CHPs (recovered heat no one used; the only heat a park can dump), kWh.
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
    /// Electricity from CHP plants, kWh.
    pub chp_electricity_kwh: f64,
    /// Heat from CHP plants (recovered; what a heat network dumps is in `heat_dumped_kwh`), kWh.
    pub chp_heat_kwh: f64,
    /// Fuel burnt by CHP plants, kWh of its lower heating value.
    pub chp_fuel_kwh: f64,
    /// Heat from heat pumps (ground-source, air-source and waste-heat), kWh.
    pub heat_pump_heat_kwh: f64,
    /// Heat from electric boilers, kWh.
    pub electric_boiler_heat_kwh: f64,
    /// Equivalent full cycles of the batteries: energy discharged over their usable capacity
    /// (`e_max_kwh · (soc_max_frac − soc_min_frac)`, summed over the batteries).
    pub battery_cycles: f64,
    /// Energy lost in the batteries: charged − discharged − the rise of their level, kWh.
    pub battery_losses_kwh: f64,
    /// Energy lost in heat and cold stores: charged − discharged − the rise of their level, kWh.
    pub thermal_store_losses_kwh: f64,
}

/// A store's figures for [`store_losses`]: charging and discharging efficiencies and the share
/// of its energy lost per hour.
struct StoreLaw {
    eta_charge: f64,
    eta_discharge: f64,
    loss_frac_per_h: f64,
}

/// Energy lost in a store over the run: what went in, less what came out, less what it holds
/// more at the end than at the start. The start (the level before the first step, which the
/// level series does not hold) follows from the first step's energy balance,
/// `level[0] = keep·start + η_c·Δt·charge[0] − Δt/η_d·discharge[0]` with
/// `keep = (1 − loss)^Δt` — the law the optimum and the baseline's batteries follow, whatever
/// start each took. A store that never charges or discharges (the baseline's idle heat and cold
/// stores, held at their level) loses what its level falls by, which is nothing when it is held.
fn store_losses(d: &Dispatch, id: &str, law: &StoreLaw, dt: f64) -> f64 {
    let series = |q: Quantity| d.get(id, q).unwrap_or_default();
    let (level, charge, discharge) = (
        series(Quantity::LevelKwh),
        series(Quantity::ChargeKw),
        series(Quantity::DischargeKw),
    );
    let (Some(&first), Some(&end)) = (level.first(), level.last()) else {
        return 0.0;
    };
    let moved: f64 = charge.iter().chain(discharge).map(|v| v.abs()).sum();
    if moved == 0.0 {
        return (first - end).max(0.0);
    }
    let (c0, d0) = (
        charge.first().copied().unwrap_or(0.0),
        discharge.first().copied().unwrap_or(0.0),
    );
    let keep = (1.0 - law.loss_frac_per_h).powf(dt);
    let start = (first - law.eta_charge * dt * c0 + dt / law.eta_discharge * d0)
        / keep.max(f64::MIN_POSITIVE);
    d.total(id, Quantity::ChargeKw, dt) - d.total(id, Quantity::DischargeKw, dt) - (end - start)
}

/// The KPIs of a dispatch of `park`.
pub fn kpis(park: &Park, steps: &Steps, d: &Dispatch) -> Kpis {
    let dt = steps.step_h;
    let mut k = Kpis::default();
    let carbon_price = park.economics.carbon_price_cny_per_t / 1000.0;
    let mut co2_kg = 0.0;
    let mut demand_charges = 0.0;
    let mut om = 0.0;
    let (mut usable_battery_kwh, mut battery_discharged_kwh) = (0.0, 0.0);
    for (_, asset) in park.assets() {
        match asset {
            AssetRef::Grid(g) => {
                let imp = d.get(&g.id, Quantity::ImportKw).unwrap_or_default();
                let tariff = park.tariff(&g.tariff);
                for (t, &p) in imp.iter().enumerate() {
                    let price = tariff
                        .and_then(|tf| tf.price_at(steps.month[t], steps.hour[t]))
                        .unwrap_or(0.0);
                    k.import_cost_cny += price * p * dt;
                }
                let exp = d.total(&g.id, Quantity::ExportKw, dt);
                k.export_revenue_cny += exp * tariff.map_or(0.0, |t| t.export_price_cny_per_kwh);
                k.grid_import_kwh += d.total(&g.id, Quantity::ImportKw, dt);
                k.grid_export_kwh += exp;
                co2_kg += d.total(&g.id, Quantity::ImportKw, dt) * g.co2_kg_per_kwh;
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
                k.pv_generation_kwh += d.total(&x.id, Quantity::OutputKw, dt);
                k.renewable_available_kwh += d.total(&x.id, Quantity::AvailableKw, dt);
            }
            AssetRef::Wind(x) => {
                k.wind_generation_kwh += d.total(&x.id, Quantity::OutputKw, dt);
                k.renewable_available_kwh += d.total(&x.id, Quantity::AvailableKw, dt);
            }
            AssetRef::Chp(c) => {
                let price = fuel_price(park, &c.fuel, &steps.heating);
                let fuel = d.get(&c.id, Quantity::FuelKw).unwrap_or_default();
                k.fuel_cost_cny += fuel
                    .iter()
                    .zip(&price)
                    .map(|(f, p)| f * p * dt)
                    .sum::<f64>();
                let fuel_kwh = d.total(&c.id, Quantity::FuelKw, dt);
                co2_kg += fuel_kwh * park.fuel(&c.fuel).map_or(0.0, |f| f.co2_kg_per_kwh);
                om += c.om_cny_per_kwh * d.total(&c.id, Quantity::PKw, dt);
                k.chp_electricity_kwh += d.total(&c.id, Quantity::PKw, dt);
                k.chp_heat_kwh += d.total(&c.id, Quantity::HeatKw, dt);
                k.heat_dumped_kwh += d.total(&c.id, Quantity::DumpedKw, dt);
                k.chp_fuel_kwh += fuel_kwh;
            }
            AssetRef::GasBoiler(g) => {
                let price = fuel_price(park, &g.fuel, &steps.heating);
                let fuel = d.get(&g.id, Quantity::FuelKw).unwrap_or_default();
                k.fuel_cost_cny += fuel
                    .iter()
                    .zip(&price)
                    .map(|(f, p)| f * p * dt)
                    .sum::<f64>();
                let fuel_kwh = d.total(&g.id, Quantity::FuelKw, dt);
                co2_kg += fuel_kwh * park.fuel(&g.fuel).map_or(0.0, |f| f.co2_kg_per_kwh);
                om += g.om_cny_per_kwh * d.total(&g.id, Quantity::HeatKw, dt);
                k.boiler_heat_kwh += d.total(&g.id, Quantity::HeatKw, dt);
            }
            AssetRef::WasteHeatPump(h) => {
                k.waste_heat_recovered_kwh += d.total(&h.id, Quantity::SourceKw, dt);
                k.heat_pump_heat_kwh += d.total(&h.id, Quantity::HeatKw, dt);
            }
            AssetRef::GroundHeatPump(h) => {
                k.heat_pump_heat_kwh += d.total(&h.id, Quantity::HeatKw, dt)
            }
            AssetRef::AirSourceHeatPump(h) => {
                k.heat_pump_heat_kwh += d.total(&h.id, Quantity::HeatKw, dt)
            }
            AssetRef::ElectricBoiler(b) => {
                k.electric_boiler_heat_kwh += d.total(&b.id, Quantity::HeatKw, dt)
            }
            AssetRef::Battery(b) => {
                let discharged = d.total(&b.id, Quantity::DischargeKw, dt);
                om += b.degradation_cny_per_kwh * discharged;
                usable_battery_kwh += b.e_max_kwh * (b.soc_max_frac - b.soc_min_frac);
                battery_discharged_kwh += discharged;
                let law = StoreLaw {
                    eta_charge: b.eta_charge,
                    eta_discharge: b.eta_discharge,
                    loss_frac_per_h: b.self_discharge_frac_per_h,
                };
                k.battery_losses_kwh += store_losses(d, &b.id, &law, dt);
            }
            AssetRef::ThermalStore(s) => {
                let law = StoreLaw {
                    eta_charge: s.eta_charge,
                    eta_discharge: s.eta_discharge,
                    loss_frac_per_h: s.loss_frac_per_h,
                };
                k.thermal_store_losses_kwh += store_losses(d, &s.id, &law, dt);
            }
            AssetRef::HeatLoad(h) => k.heat_demand_kwh += d.total(&h.id, Quantity::HeatKw, dt),
            AssetRef::CoolingLoad(c) => {
                k.cooling_demand_kwh += d.total(&c.id, Quantity::ColdKw, dt)
            }
            AssetRef::ElectricChiller(c) => {
                k.cooling_electric_kwh += d.total(&c.id, Quantity::ColdKw, dt)
            }
            AssetRef::AbsorptionChiller(c) => {
                k.cooling_absorption_kwh += d.total(&c.id, Quantity::ColdKw, dt)
            }
            AssetRef::DataCentre(_)
            | AssetRef::ElectricLoad(_)
            | AssetRef::EvCharging(_)
            | AssetRef::FlexibleLoad(_) => {}
        }
    }
    for bus in &park.bus {
        let unserved = d.total(&bus.id, Quantity::UnservedKw, dt);
        match bus.carrier {
            Carrier::Ac | Carrier::Dc => k.unserved_electric_kwh += unserved,
            Carrier::Heat => k.unserved_heat_kwh += unserved,
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
        &mut k.chp_electricity_kwh,
        &mut k.chp_heat_kwh,
        &mut k.chp_fuel_kwh,
        &mut k.heat_pump_heat_kwh,
        &mut k.electric_boiler_heat_kwh,
        &mut k.battery_losses_kwh,
        &mut k.thermal_store_losses_kwh,
    ] {
        if *e < 0.0 && *e > -1e-6 {
            *e = 0.0;
        }
    }
    k.battery_cycles = if usable_battery_kwh > 0.0 {
        battery_discharged_kwh.max(0.0) / usable_battery_kwh
    } else {
        0.0
    };
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
pub fn ports(park: &Park, kind: Element, id: &str, quantity: Quantity) -> Vec<(String, f64)> {
    declared(park, kind, id, quantity).unwrap_or_default()
}

/// [`ports`] for a series being declared (by a component or the baseline): in debug builds (the
/// tests) a series [`declared`] does not list is a mistake — a flow that would join no balance —
/// and panics.
pub(crate) fn series_ports(
    park: &Park,
    kind: Element,
    id: &str,
    quantity: Quantity,
) -> Vec<(String, f64)> {
    let ports = declared(park, kind, id, quantity);
    debug_assert!(
        ports.is_some(),
        "{kind} {id}: {quantity} is not declared in ports(); a flow must be declared there"
    );
    ports.unwrap_or_default()
}

/// The ports of the series `quantity` of element `id` when `kind` has such a series at all
/// (`Some(vec![])` for one that touches no bus), `None` when it has not: a component or the
/// baseline declaring a series that is not listed here is a mistake (a flow that would join no
/// balance), which [`crate::build::Builder::output`] and the baseline assert against.
pub fn declared(
    park: &Park,
    kind: Element,
    id: &str,
    quantity: Quantity,
) -> Option<Vec<(String, f64)>> {
    let one = |bus: &str, coef: f64| Some(vec![(bus.to_string(), coef)]);
    match kind {
        Element::Bus => match quantity {
            Quantity::UnservedKw => one(id, 1.0),
            Quantity::RejectedKw => one(id, -1.0),
            Quantity::PriceCnyPerKwh => Some(Vec::new()),
            _ => None,
        },
        Element::Converter | Element::Line | Element::Transformer => {
            let l = crate::component::network::links(park)
                .into_iter()
                .find(|l| l.kind == kind && l.id == id)?;
            match quantity {
                // A converter's two directions, each from the bus it takes from.
                Quantity::ForwardKw if kind == Element::Converter => {
                    Some(vec![(l.a.to_string(), -1.0), (l.b.to_string(), l.eta_ab)])
                }
                Quantity::ReverseKw if kind == Element::Converter => {
                    Some(vec![(l.b.to_string(), -1.0), (l.a.to_string(), l.eta_ba)])
                }
                Quantity::FlowKw if kind != Element::Converter => {
                    Some(vec![(l.a.to_string(), -1.0), (l.b.to_string(), 1.0)])
                }
                _ => None,
            }
        }
        Element::Asset(_) => {
            let asset = park.asset(id)?;
            (Element::Asset(asset.spec().kind()) == kind)
                .then(|| asset_ports(asset, quantity))
                .flatten()
        }
    }
}

/// An asset's series and their ports; `None` for a quantity the kind does not have.
fn asset_ports(asset: AssetRef<'_>, quantity: Quantity) -> Option<Vec<(String, f64)>> {
    let port = |bus: &str, coef: f64| Some(vec![(bus.to_string(), coef)]);
    let none = || Some(Vec::new());
    match (asset, quantity) {
        (AssetRef::Grid(g), Quantity::ImportKw) => port(&g.bus, 1.0),
        (AssetRef::Grid(g), Quantity::ExportKw) => port(&g.bus, -1.0),
        (AssetRef::Grid(_), Quantity::TariffCnyPerKwh) => none(),
        (AssetRef::Pv(x), Quantity::OutputKw) => port(&x.bus, 1.0),
        (AssetRef::Wind(x), Quantity::OutputKw) => port(&x.bus, 1.0),
        (AssetRef::Pv(_) | AssetRef::Wind(_), Quantity::AvailableKw) => none(),
        (AssetRef::Chp(c), Quantity::PKw) => port(&c.bus, 1.0),
        (AssetRef::Chp(c), Quantity::HeatKw) => port(&c.heat_bus, 1.0),
        (AssetRef::Chp(c), Quantity::DumpedKw) => port(&c.heat_bus, -1.0),
        (AssetRef::Chp(_) | AssetRef::GasBoiler(_), Quantity::FuelKw) => none(),
        (AssetRef::GroundHeatPump(h), Quantity::PKw) => port(&h.bus, -1.0),
        (AssetRef::GroundHeatPump(h), Quantity::HeatKw) => port(&h.heat_bus, 1.0),
        (AssetRef::AirSourceHeatPump(h), Quantity::PKw) => port(&h.bus, -1.0),
        (AssetRef::AirSourceHeatPump(h), Quantity::HeatKw) => port(&h.heat_bus, 1.0),
        (AssetRef::WasteHeatPump(h), Quantity::PKw) => port(&h.bus, -1.0),
        (AssetRef::WasteHeatPump(h), Quantity::HeatKw) => port(&h.heat_bus, 1.0),
        (AssetRef::WasteHeatPump(h), Quantity::SourceKw) => port(&h.source_bus, -1.0),
        (AssetRef::DataCentre(d), Quantity::PKw) => port(&d.bus, -1.0),
        (AssetRef::DataCentre(d), Quantity::WasteHeatKw) => {
            d.waste_heat_bus.as_deref().and_then(|b| port(b, 1.0))
        }
        (AssetRef::Battery(s), Quantity::ChargeKw) => port(&s.bus, -1.0),
        (AssetRef::Battery(s), Quantity::DischargeKw) => port(&s.bus, 1.0),
        (AssetRef::ThermalStore(s), Quantity::ChargeKw) => port(&s.bus, -1.0),
        (AssetRef::ThermalStore(s), Quantity::DischargeKw) => port(&s.bus, 1.0),
        (AssetRef::Battery(_) | AssetRef::ThermalStore(_), Quantity::LevelKwh) => none(),
        (AssetRef::GasBoiler(g), Quantity::HeatKw) => port(&g.bus, 1.0),
        (AssetRef::ElectricBoiler(e), Quantity::PKw) => port(&e.bus, -1.0),
        (AssetRef::ElectricBoiler(e), Quantity::HeatKw) => port(&e.heat_bus, 1.0),
        (AssetRef::ElectricLoad(x), Quantity::PKw) => port(&x.bus, -1.0),
        (AssetRef::HeatLoad(x), Quantity::HeatKw) => port(&x.bus, -1.0),
        (AssetRef::CoolingLoad(x), Quantity::ColdKw) => port(&x.bus, -1.0),
        (AssetRef::ElectricChiller(c), Quantity::PKw) => port(&c.bus, -1.0),
        (AssetRef::ElectricChiller(c), Quantity::ColdKw) => port(&c.cold_bus, 1.0),
        (AssetRef::AbsorptionChiller(c), Quantity::HeatKw) => port(&c.heat_bus, -1.0),
        (AssetRef::AbsorptionChiller(c), Quantity::ColdKw) => port(&c.cold_bus, 1.0),
        (AssetRef::EvCharging(x), Quantity::PKw) => port(&x.bus, -1.0),
        (AssetRef::FlexibleLoad(x), Quantity::PKw) => port(&x.bus, -1.0),
        (AssetRef::FlexibleLoad(_), Quantity::BaselineKw) => none(),
        (
            AssetRef::Grid(_)
            | AssetRef::Pv(_)
            | AssetRef::Wind(_)
            | AssetRef::Chp(_)
            | AssetRef::GroundHeatPump(_)
            | AssetRef::AirSourceHeatPump(_)
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
    }
}
