//! The merit-order baseline's heat and cooling: the park's heat and cold plant run as an
//! experienced operator runs it without an optimiser, step by step, from the hour's price list.
//!
//! Each step, with the electricity price the step's tariff band and the island's position give
//! ([`Prices`]):
//! 1. A CHP whose electricity is worth more than it costs (fuel and carbon over its electrical
//!    efficiency plus O&M) runs, up to its rating, as far as its electricity is worth that: the
//!    island's deficit the grid cannot bring (at the value of lost load), the deficit it can (at
//!    the import price), what the island can still export (at the export price). Its heat is
//!    then free.
//! 2. Cooling, per cold bus: absorption chillers on the free CHP heat that the heat bus's own
//!    demand leaves; cold stores in peak hours; electric chillers (cheapest cooling first);
//!    absorption chillers on the heat network; CHP-driven absorption chillers running their CHP
//!    harder; cold stores in any hour; what is left is unserved. While the bus has needed cooling
//!    within the last day, cold stores charge from that free heat and from the electric
//!    chillers' spare capacity in valley hours or from a surplus that would be curtailed.
//! 3. Heat, per heat bus: the free CHP heat first (what demand does not take charges the stores,
//!    the rest is vented: the CHP's `dumped_kw`); then the rest of the plant in order of the
//!    step's cost of a kWh of heat — waste-heat, ground- and air-source heat pumps at the
//!    electricity price over their COP, electric boilers over their efficiency, gas boilers at
//!    fuel, carbon and O&M over their efficiency, a CHP at its cost less what its electricity is
//!    worth, tranche by tranche as in 1 — with each heat store
//!    among them at the cost of the heat it holds per kWh delivered, plus [`STORE_MARGIN`]; what
//!    is left is unserved. A store that gave nothing charges from the heat pumps' and electric
//!    boilers' spare capacity in valley hours or from a surplus, while its bus has needed heat
//!    within the last day (a tank kept full through a summer only loses heat). A store that its
//!    standing loss takes below its minimum level is topped up first, as demand.
//!
//! No step looks ahead: the rules see the tariff (which hours are valley and peak) but no
//! forecast.

use parkgrid_model::asset::{
    AbsorptionChiller, AirSourceHeatPump, Chp, ElectricBoiler, ElectricChiller, GasBoiler,
    GroundHeatPump, ThermalStore, WasteHeatPump,
};
use parkgrid_model::{AssetKind, Carrier, Park};
use parkgrid_resource::{ParkProfiles, Quantity as Profile};

use super::{Out, get};
use crate::build::Steps;
use crate::component::{fuel_carbon, fuel_price};
use crate::key::Quantity;

/// A step's place in its day's tariff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Band {
    /// The day's lowest price, on a day whose prices differ.
    Valley,
    /// Neither.
    Flat,
    /// Above the day's median price, or at its highest.
    Peak,
    /// On a day whose prices do not differ.
    Even,
}

/// The price of electricity as the rules see it, per electric island and step.
pub(super) struct Prices {
    /// The island of each bus (park order).
    island_of: Vec<Option<usize>>,
    /// Per island and step: what a kWh used costs, CNY/kWh — the import price; the value of lost
    /// load beyond what the grid can bring (an island without a grid connection); the export
    /// price (at most the import price) when the island has a surplus it can export; 0 when the
    /// surplus would be curtailed. Set before the CHPs run.
    pub marginal: Vec<Vec<f64>>,
    /// Per island and step: the import price, CNY/kWh.
    pub import: Vec<Vec<f64>>,
    /// Per island and step: the tariff band.
    pub band: Vec<Vec<Band>>,
    /// Per island and step: the highest import price of the step's day, CNY/kWh.
    pub day_max: Vec<Vec<f64>>,
    /// Per island and step: electricity that would be curtailed, kW (renewables beyond the
    /// island's fixed demand, export limit and battery power).
    pub spare_kw: Vec<Vec<f64>>,
    /// Per island and step: renewables less fixed demand, kW.
    net_kw: Vec<Vec<f64>>,
    /// Per island: the export limit and the export price.
    export: Vec<(f64, f64)>,
    /// Per island: the import limit, kW.
    import_max: Vec<f64>,
    /// The value of lost load for electricity, CNY/kWh.
    voll: f64,
}

impl Prices {
    /// `renewable` and `demand` per bus and step, kW; `grid_max` per island (import, export
    /// limits), kW; `battery_kw` per island, kW.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        park: &Park,
        steps: &Steps,
        island_of: &[Option<usize>],
        n_islands: usize,
        renewable: &[Vec<f64>],
        demand: &[Vec<f64>],
        grid_max: &[(f64, f64)],
        battery_kw: &[f64],
    ) -> Self {
        let n = steps.n;
        let m = n_islands.max(1);
        let mut import = vec![vec![0.0; n]; m];
        let mut export_price = vec![0.0; m];
        let mut priced = vec![false; m];
        for g in &park.grid {
            let Some(isl) = park
                .bus
                .iter()
                .position(|b| b.id == g.bus)
                .and_then(|k| island_of[k])
            else {
                continue;
            };
            if std::mem::replace(&mut priced[isl], true) {
                continue;
            }
            if let Some(tf) = park.tariff(&g.tariff) {
                for (t, p) in import[isl].iter_mut().enumerate() {
                    *p = tf.price_at(steps.month[t], steps.hour[t]).unwrap_or(0.0);
                }
                export_price[isl] = tf.export_price_cny_per_kwh;
            }
        }
        let band = import.iter().map(|p| bands(p, &steps.day)).collect();
        let day_max = import.iter().map(|p| day_max(p, &steps.day)).collect();
        let mut marginal = import.clone();
        let mut spare_kw = vec![vec![0.0; n]; m];
        let mut net_kw = vec![vec![0.0; n]; m];
        for isl in 0..m {
            for t in 0..n {
                let net: f64 = (0..park.bus.len())
                    .filter(|&k| island_of[k] == Some(isl))
                    .map(|k| renewable[k][t] - demand[k][t])
                    .sum();
                net_kw[isl][t] = net;
                let room = grid_max[isl].1 + battery_kw[isl];
                if net > room {
                    marginal[isl][t] = 0.0;
                    spare_kw[isl][t] = net - room;
                } else if net > 0.0 {
                    marginal[isl][t] = export_price[isl].min(import[isl][t]);
                } else if -net > grid_max[isl].0 {
                    marginal[isl][t] = park.economics.voll_electric_cny_per_kwh;
                }
            }
        }
        Prices {
            island_of: island_of.to_vec(),
            marginal,
            import,
            band,
            day_max,
            spare_kw,
            net_kw,
            export: (0..m)
                .map(|isl| (grid_max[isl].1, export_price[isl]))
                .collect(),
            import_max: (0..m).map(|isl| grid_max[isl].0).collect(),
            voll: park.economics.voll_electric_cny_per_kwh,
        }
    }

    /// What more electricity is worth on island `isl` at step `t`, given the CHP output
    /// `made_kw` already decided there: tranches `(kW, CNY/kWh)`, dearest first — the deficit the
    /// grid cannot bring (at the value of lost load), the deficit it can (at the import price),
    /// and what the island can still export (at the export price, at most the import price).
    fn tranches(&self, isl: usize, t: usize, made_kw: f64) -> [(f64, f64); 3] {
        let net = self.net_kw[isl][t] + made_kw;
        let deficit = (-net).max(0.0);
        let uncovered = (deficit - self.import_max[isl]).max(0.0);
        let (export_max, export_price) = self.export[isl];
        let import = self.import[isl][t];
        [
            (uncovered, self.voll),
            (deficit - uncovered, import),
            (
                (export_max - net.max(0.0)).max(0.0),
                export_price.min(import),
            ),
        ]
    }

    /// The electricity a CHP costing `cost` per kWh, on bus `k`, makes at step `t` because it is
    /// worth more than it costs: the tranches of [`Prices::tranches`] worth more than `cost`.
    /// Unbounded off any island.
    fn worth_making(&self, k: usize, t: usize, made_kw: f64, cost: f64) -> f64 {
        let Some(isl) = self.island(k) else {
            return f64::INFINITY;
        };
        self.tranches(isl, t, made_kw)
            .iter()
            .take_while(|(_, value)| cost < *value)
            .map(|(kw, _)| kw)
            .sum()
    }

    /// The island of bus `k`, if it is electric.
    pub(super) fn island(&self, k: usize) -> Option<usize> {
        self.island_of.get(k).copied().flatten()
    }
}

/// The steps of each day: `(start, end)` ranges over `day` (which numbers each step's day).
fn days(day: &[usize]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < day.len() {
        let mut end = start;
        while end < day.len() && day[end] == day[start] {
            end += 1;
        }
        out.push((start, end));
        start = end;
    }
    out
}

/// Each step's day's highest price.
fn day_max(price: &[f64], day: &[usize]) -> Vec<f64> {
    let mut out = vec![0.0; price.len()];
    for (start, end) in days(day) {
        let hi = price[start..end].iter().copied().fold(f64::MIN, f64::max);
        out[start..end].fill(hi);
    }
    out
}

/// Each step's band within its day (`day[t]` numbers the days).
fn bands(price: &[f64], day: &[usize]) -> Vec<Band> {
    let mut out = vec![Band::Even; price.len()];
    for (start, end) in days(day) {
        let mut sorted = price[start..end].to_vec();
        sorted.sort_by(f64::total_cmp);
        let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
        let median = sorted[sorted.len() / 2];
        const EPS: f64 = 1e-9;
        if hi - lo > EPS {
            for t in start..end {
                // Peak: above the median, or at the day's top price (a day with as many top-price
                // hours as others has its median there).
                out[t] = if price[t] <= lo + EPS {
                    Band::Valley
                } else if price[t] > median + EPS || price[t] >= hi - EPS {
                    Band::Peak
                } else {
                    Band::Flat
                };
            }
        }
    }
    out
}

/// What the heat and cold rules leave to the electricity rules and the outputs.
pub(super) struct Decided {
    /// Electricity drawn per bus (heat pumps, electric boilers, chillers), kW.
    pub el_demand: Vec<Vec<f64>>,
    /// CHP electricity per bus, kW.
    pub chp_el: Vec<Vec<f64>>,
    /// Unserved heat or cooling per bus, kW.
    pub unserved: Vec<Vec<f64>>,
}

/// A heat (or cold) store's state through the year.
struct Store<'a> {
    s: &'a ThermalStore,
    bus: usize,
    level: f64,
    charge: Vec<f64>,
    discharge: Vec<f64>,
    levels: Vec<f64>,
    /// What the heat it holds cost to make, CNY (standing losses raise the cost per kWh).
    held_cny: f64,
    /// What the heat charged this step cost, CNY.
    charged_cny: f64,
}

impl<'a> Store<'a> {
    fn new(s: &'a ThermalStore, bus: usize, n: usize) -> Self {
        Store {
            s,
            bus,
            level: s.soc_initial_frac.unwrap_or(s.soc_min_frac) * s.e_max_kwh,
            charge: vec![0.0; n],
            discharge: vec![0.0; n],
            levels: vec![0.0; n],
            held_cny: 0.0,
            charged_cny: 0.0,
        }
    }
    /// What a kWh it gives at this step is worth, CNY/kWh: what the heat it holds cost, per kWh
    /// delivered, plus [`STORE_MARGIN`]. It gives before any source that costs more.
    fn value(&self, dt: f64) -> f64 {
        let kept = self.kept(dt);
        if kept <= 1e-9 {
            return 0.0;
        }
        self.held_cny / kept / self.s.eta_discharge * (1.0 + STORE_MARGIN)
    }
    /// What it must take at this step to stay at its minimum level after its standing loss, kW.
    fn to_minimum(&self, dt: f64) -> f64 {
        let lo = self.s.soc_min_frac * self.s.e_max_kwh;
        ((lo - self.kept(dt)) / (self.s.eta_charge * dt)).max(0.0)
    }
    /// Takes `q` kW at step `t`, heat that cost `cost` CNY/kWh to make.
    fn take(&mut self, t: usize, q: f64, cost: f64, dt: f64) {
        self.charge[t] += q;
        self.charged_cny += q * dt * cost;
    }
    /// The level before step `t`'s flows, after its standing loss, kWh.
    fn kept(&self, dt: f64) -> f64 {
        self.level * (1.0 - self.s.loss_frac_per_h).powf(dt)
    }
    /// Most it can give at step `t`, kW.
    fn can_give(&self, t: usize, dt: f64) -> f64 {
        if self.charge[t] > 0.0 {
            return 0.0;
        }
        let lo = self.s.soc_min_frac * self.s.e_max_kwh;
        let energy = (self.kept(dt) - lo).max(0.0) * self.s.eta_discharge / dt;
        (self.s.heat_discharge_max_kw - self.discharge[t])
            .min(energy - self.discharge[t])
            .max(0.0)
    }
    /// Most it can take at step `t`, kW.
    fn can_take(&self, t: usize, dt: f64) -> f64 {
        if self.discharge[t] > 0.0 {
            return 0.0;
        }
        let hi = self.s.soc_max_frac * self.s.e_max_kwh;
        let energy = (hi - self.kept(dt)).max(0.0) / (self.s.eta_charge * dt);
        (self.s.heat_charge_max_kw - self.charge[t])
            .min(energy - self.charge[t])
            .max(0.0)
    }
    fn close(&mut self, t: usize, dt: f64) {
        let kept = self.kept(dt);
        let out = self.discharge[t] * dt / self.s.eta_discharge;
        if kept > 1e-9 {
            self.held_cny *= ((kept - out) / kept).clamp(0.0, 1.0);
        }
        self.held_cny += std::mem::take(&mut self.charged_cny);
        self.level = kept + self.charge[t] * self.s.eta_charge * dt - out;
        self.levels[t] = self.level;
    }
}

/// A heat source other than a CHP.
enum Unit<'a> {
    /// With its COP per step and the bus of its waste heat.
    Waste(&'a WasteHeatPump, Vec<f64>, usize),
    /// With its COP per step.
    Ground(&'a GroundHeatPump, Vec<f64>),
    /// With its COP and largest heat output per step.
    Air(&'a AirSourceHeatPump, Vec<f64>, Vec<f64>),
    Electric(&'a ElectricBoiler),
    /// With its fuel price per step and the carbon cost of its fuel, CNY/kWh of fuel.
    Gas(&'a GasBoiler, Vec<f64>, f64),
}

/// A heat source other than a CHP, with the heat it gave.
struct Plant<'a> {
    unit: Unit<'a>,
    /// Its heat bus and its electric bus (park order).
    heat_bus: usize,
    el_bus: Option<usize>,
    /// Heat per step, kW.
    heat: Vec<f64>,
}

impl Plant<'_> {
    /// Electricity per kWh of heat at step `t`, kWh (0 for a gas boiler).
    fn el_per_heat(&self, t: usize) -> f64 {
        match &self.unit {
            Unit::Waste(_, cop, _) | Unit::Ground(_, cop) | Unit::Air(_, cop, _) => 1.0 / cop[t],
            Unit::Electric(e) => 1.0 / e.eta,
            Unit::Gas(..) => 0.0,
        }
    }
    /// The step's cost of a kWh of heat, CNY/kWh.
    fn cost(&self, t: usize, prices: &Prices) -> f64 {
        match &self.unit {
            Unit::Gas(g, fuel, carbon) => (fuel[t] + carbon) / g.eta + g.om_cny_per_kwh,
            _ => el_price(prices, self.el_bus, t) * self.el_per_heat(t),
        }
    }
    /// Heat it can still give at step `t`, kW, with `waste` the waste heat left per bus, kW.
    fn spare(&self, t: usize, waste: &[Vec<f64>]) -> f64 {
        let max = match &self.unit {
            Unit::Waste(h, cop, source) => {
                let more = if cop[t] > 1.0 {
                    waste[*source][t] * cop[t] / (cop[t] - 1.0)
                } else {
                    f64::INFINITY
                };
                h.heat_max_kw.min(self.heat[t] + more)
            }
            Unit::Ground(h, _) => h.heat_max_kw,
            Unit::Air(_, _, max) => max[t],
            Unit::Electric(e) => e.heat_max_kw,
            Unit::Gas(g, ..) => g.heat_max_kw,
        };
        (max - self.heat[t]).max(0.0)
    }
    /// Gives `q` kW more heat at step `t`, drawing on the waste heat of its source bus.
    fn give(&mut self, t: usize, q: f64, waste: &mut [Vec<f64>]) {
        if let Unit::Waste(_, cop, source) = &self.unit {
            waste[*source][t] = (waste[*source][t] - q * (1.0 - 1.0 / cop[t])).max(0.0);
        }
        self.heat[t] += q;
    }
    /// Whether it may charge a store at step `t`: an electric source in valley hours or when a
    /// surplus would be curtailed; never a gas boiler (its heat would only displace its own).
    fn may_store(&self, t: usize, prices: &Prices) -> bool {
        !matches!(self.unit, Unit::Gas(..)) && cheap_el(prices, self.el_bus, t)
    }
}

/// The marginal electricity price at bus `bus` (0 off any island), CNY/kWh.
fn el_price(prices: &Prices, bus: Option<usize>, t: usize) -> f64 {
    bus.and_then(|k| prices.island(k))
        .map_or(0.0, |isl| prices.marginal[isl][t])
}

/// Whether electricity at `bus` is cheap enough at step `t` to store what it makes: in valley
/// hours, or when a surplus would be curtailed.
fn cheap_el(prices: &Prices, bus: Option<usize>, t: usize) -> bool {
    bus.and_then(|k| prices.island(k))
        .is_some_and(|isl| prices.band[isl][t] == Band::Valley || prices.spare_kw[isl][t] > 0.0)
}

/// A CHP with what it did.
struct ChpRun<'a> {
    c: &'a Chp,
    bus: usize,
    heat_bus: usize,
    ratio: f64,
    /// Cost of a kWh of its electricity per step: fuel and carbon over η_el, plus O&M, CNY/kWh.
    cost_el: Vec<f64>,
    p: Vec<f64>,
    /// Heat of its runs for electricity that nothing has taken yet this step, kW.
    free: f64,
    /// Drive heat its absorption chillers took this step, kW.
    drive: f64,
    dumped: Vec<f64>,
}

impl ChpRun<'_> {
    fn spare_heat(&self, t: usize) -> f64 {
        ((self.c.p_max_kw - self.p[t]) * self.ratio).max(0.0)
    }
    /// Runs `q` kW of heat harder at step `t`, its electricity counted on the island.
    fn more(&mut self, t: usize, q: f64, prices: &Prices, island_chp: &mut [f64]) {
        self.p[t] += q / self.ratio;
        if let Some(isl) = prices.island(self.bus) {
            island_chp[isl] += q / self.ratio;
        }
    }
    /// Heat for the bus: what it makes less its absorption chillers' drive, kW.
    fn to_bus(&self, t: usize) -> f64 {
        (self.p[t] * self.ratio - self.drive).max(0.0)
    }
}

/// A chiller with what it did: an electric one (with its EER per step) or an absorption one.
struct Chiller<'a> {
    kind: ChillerKind<'a>,
    cold_bus: usize,
    cold: Vec<f64>,
}

enum ChillerKind<'a> {
    Electric(&'a ElectricChiller, Vec<f64>, usize),
    /// With its heat bus and the CHP (index into the CHP runs) that drives it, if any.
    Absorption(&'a AbsorptionChiller, usize, Option<usize>),
}

impl Chiller<'_> {
    fn cold_max(&self) -> f64 {
        match &self.kind {
            ChillerKind::Electric(c, ..) => c.cold_max_kw,
            ChillerKind::Absorption(a, ..) => a.cold_max_kw,
        }
    }
    fn spare(&self, t: usize) -> f64 {
        (self.cold_max() - self.cold[t]).max(0.0)
    }
}

/// One offer of heat at a step: a plant, a CHP or a store, at a cost per kWh.
#[derive(Clone, Copy)]
enum Offer {
    Plant(usize),
    /// A CHP and the tranche of [`Prices::tranches`] its electricity would go to.
    Chp(usize, usize),
    Store(usize),
}

/// Runs the heat and cold rules over the year. `heat_demand` and `cold_demand` are per bus
/// (park order) and step, kW; the series of every heat and cold asset, CHP and store go to
/// `out`.
pub(super) fn run<'p>(
    park: &'p Park,
    profiles: &ParkProfiles,
    steps: &Steps,
    prices: &Prices,
    heat_demand: &[Vec<f64>],
    cold_demand: &[Vec<f64>],
    out: &mut Out<'_>,
) -> Decided {
    let n = steps.n;
    let dt = steps.step_h;
    let n_bus = park.bus.len().max(1);
    let index = |id: &str| park.bus.iter().position(|b| b.id == id).unwrap_or(0);
    let mut waste = vec![vec![0.0; n]; n_bus];
    for dc in &park.data_centre {
        if let Some(bus) = &dc.waste_heat_bus {
            let w = get(profiles, &dc.id, Profile::WasteHeat, n);
            super::add(&mut waste[index(bus)], &w);
        }
    }
    let cop = |id: &str, fixed: Option<f64>| {
        profiles
            .get(id, Profile::Cop)
            .map(<[f64]>::to_vec)
            .unwrap_or_else(|| vec![fixed.unwrap_or(3.0); n])
    };
    let mut plants: Vec<Plant<'p>> = Vec::new();
    let plant = |unit: Unit<'p>, heat_bus: &str, el_bus: Option<&str>| -> Plant<'p> {
        Plant {
            unit,
            heat_bus: index(heat_bus),
            el_bus: el_bus.map(index),
            heat: vec![0.0; n],
        }
    };
    for h in &park.waste_heat_pump {
        let u = Unit::Waste(h, cop(&h.id, h.cop), index(&h.source_bus));
        plants.push(plant(u, &h.heat_bus, Some(&h.bus)));
    }
    for h in &park.ground_heat_pump {
        plants.push(plant(
            Unit::Ground(h, cop(&h.id, h.cop)),
            &h.heat_bus,
            Some(&h.bus),
        ));
    }
    for h in &park.air_source_heat_pump {
        let max = profiles
            .get(&h.id, Profile::HeatMax)
            .map_or_else(|| vec![h.heat_max_kw; n], <[f64]>::to_vec);
        plants.push(plant(
            Unit::Air(h, cop(&h.id, h.cop), max),
            &h.heat_bus,
            Some(&h.bus),
        ));
    }
    for e in &park.electric_boiler {
        plants.push(plant(Unit::Electric(e), &e.heat_bus, Some(&e.bus)));
    }
    for g in &park.gas_boiler {
        let fuel = fuel_price(park, &g.fuel, &steps.heating);
        let u = Unit::Gas(g, fuel, fuel_carbon(park, &g.fuel));
        plants.push(plant(u, &g.bus, None));
    }
    let mut chps: Vec<ChpRun<'_>> = park
        .chp
        .iter()
        .map(|c| {
            let fuel = fuel_price(park, &c.fuel, &steps.heating);
            let carbon = fuel_carbon(park, &c.fuel);
            ChpRun {
                c,
                bus: index(&c.bus),
                heat_bus: index(&c.heat_bus),
                ratio: c.eta_th / c.eta_el,
                cost_el: fuel
                    .iter()
                    .map(|f| (f + carbon) / c.eta_el + c.om_cny_per_kwh)
                    .collect(),
                p: vec![0.0; n],
                free: 0.0,
                drive: 0.0,
                dumped: vec![0.0; n],
            }
        })
        .collect();
    let mut stores: Vec<Store<'_>> = park
        .thermal_store
        .iter()
        .map(|s| Store::new(s, index(&s.bus), n))
        .collect();
    let mut chillers: Vec<Chiller<'_>> = Vec::new();
    for c in &park.electric_chiller {
        let eer = crate::component::chiller::eer(profiles, c, n);
        chillers.push(Chiller {
            kind: ChillerKind::Electric(c, eer, index(&c.bus)),
            cold_bus: index(&c.cold_bus),
            cold: vec![0.0; n],
        });
    }
    for a in &park.absorption_chiller {
        let chp = a
            .chp
            .as_deref()
            .and_then(|id| chps.iter().position(|c| c.c.id == id));
        chillers.push(Chiller {
            kind: ChillerKind::Absorption(a, index(&a.heat_bus), chp),
            cold_bus: index(&a.cold_bus),
            cold: vec![0.0; n],
        });
    }
    // The island whose tariff a cold bus's stores follow: that of its first electric chiller.
    let cold_island: Vec<Option<usize>> = (0..n_bus)
        .map(|k| {
            chillers.iter().find_map(|c| match &c.kind {
                ChillerKind::Electric(_, _, el) if c.cold_bus == k => prices.island(*el),
                _ => None,
            })
        })
        .collect();
    let heat_buses: Vec<usize> = (0..park.bus.len())
        .filter(|&k| park.bus[k].carrier == Carrier::Heat)
        .collect();
    let cold_buses: Vec<usize> = (0..park.bus.len())
        .filter(|&k| park.bus[k].carrier == Carrier::Cold)
        .collect();
    let mut unserved = vec![vec![0.0; n]; n_bus];
    // Drive heat drawn from each heat bus by absorption chillers this step, kW.
    let mut drawn = vec![0.0; n_bus];
    // The last step each heat (cold) bus needed heat (cooling).
    let mut last_demand: Vec<Option<usize>> = vec![None; n_bus];
    // Free CHP heat per heat bus that its heat demand leaves this step, kW.
    let mut spare_free = vec![0.0; n_bus];
    let steps_per_day = ((24.0 / dt).round() as usize).max(1);
    // CHP electricity decided per island this step, kW.
    let mut island_chp = vec![0.0; prices.import.len()];

    for t in 0..n {
        // 1. CHPs whose electricity is worth more than it costs run, as far as the island uses
        //    or can export what they make.
        island_chp.fill(0.0);
        for c in &mut chps {
            let isl = prices.island(c.bus);
            let made = isl.map_or(0.0, |i| island_chp[i]);
            let p =
                c.c.p_max_kw
                    .min(prices.worth_making(c.bus, t, made, c.cost_el[t]));
            c.p[t] = p;
            c.free = p * c.ratio;
            c.drive = 0.0;
            if let Some(i) = isl {
                island_chp[i] += p;
            }
        }
        drawn.fill(0.0);
        // What of that heat each heat bus's own demand leaves, for cooling first.
        for &hb in &heat_buses {
            let free: f64 = chps
                .iter()
                .filter(|c| c.heat_bus == hb)
                .map(|c| c.free)
                .sum();
            spare_free[hb] = (free - heat_demand[hb][t].max(0.0)).max(0.0);
        }
        // 2. Cooling, bus by bus.
        for &cb in &cold_buses {
            let mut left = cold_demand[cb][t].max(0.0);
            if left > 0.0 {
                last_demand[cb] = Some(t);
            }
            // A store below its minimum after its standing loss takes heat back first.
            for st in stores.iter_mut().filter(|s| s.bus == cb) {
                let q = st.to_minimum(dt);
                st.take(t, q, 0.0, dt);
                left += q;
            }
            let peak = cold_island[cb].is_some_and(|isl| prices.band[isl][t] == Band::Peak);
            // Absorption chillers on free CHP heat the heat demand leaves.
            for ch in chillers.iter_mut().filter(|c| c.cold_bus == cb) {
                if let ChillerKind::Absorption(a, hb, chp) = ch.kind {
                    let mut drive = (left / a.cop).min(ch.spare(t) / a.cop).min(spare_free[hb]);
                    if let Some(ci) = chp {
                        drive = drive.min(chps[ci].free);
                    }
                    take_free(&mut chps, chp, hb, drive);
                    spare_free[hb] -= drive;
                    drawn[hb] += drive;
                    ch.cold[t] += drive * a.cop;
                    left -= drive * a.cop;
                }
            }
            if peak {
                left -= discharge(&mut stores, cb, t, dt, left);
            }
            // Electric chillers, cheapest cooling first.
            let mut order: Vec<(f64, usize)> = chillers
                .iter()
                .enumerate()
                .filter(|(_, c)| c.cold_bus == cb)
                .filter_map(|(i, c)| match &c.kind {
                    ChillerKind::Electric(_, eer, el) => {
                        Some((el_price(prices, Some(*el), t) / eer[t], i))
                    }
                    ChillerKind::Absorption(..) => None,
                })
                .collect();
            order.sort_by(|a, b| a.0.total_cmp(&b.0));
            for &(_, i) in &order {
                let q = left.min(chillers[i].spare(t));
                chillers[i].cold[t] += q;
                left -= q;
            }
            // Absorption chillers on the heat network, then those driven by a CHP running
            // harder for them.
            for ch in chillers.iter_mut().filter(|c| c.cold_bus == cb) {
                if let ChillerKind::Absorption(a, hb, None) = ch.kind {
                    let drive = (left / a.cop).min(ch.spare(t) / a.cop);
                    drawn[hb] += drive;
                    ch.cold[t] += drive * a.cop;
                    left -= drive * a.cop;
                }
            }
            for ch in chillers.iter_mut().filter(|c| c.cold_bus == cb) {
                if let ChillerKind::Absorption(a, hb, Some(ci)) = ch.kind {
                    let c = &mut chps[ci];
                    let drive = (left / a.cop).min(ch.spare(t) / a.cop).min(c.spare_heat(t));
                    c.more(t, drive, prices, &mut island_chp);
                    c.drive += drive;
                    drawn[hb] += drive;
                    ch.cold[t] += drive * a.cop;
                    left -= drive * a.cop;
                }
            }
            left -= discharge(&mut stores, cb, t, dt, left);
            unserved[cb][t] = left.max(0.0);
            // Cold stores charge from free CHP heat, and from the electric chillers' spare
            // capacity in valley hours or from a surplus, while the bus has needed cooling within
            // the last day.
            if last_demand[cb].is_none_or(|d| t - d >= steps_per_day) {
                continue;
            }
            for st in stores.iter_mut().filter(|s| s.bus == cb) {
                for ch in chillers.iter_mut().filter(|c| c.cold_bus == cb) {
                    let room = st.can_take(t, dt);
                    if room <= 0.0 {
                        break;
                    }
                    let q = match &ch.kind {
                        ChillerKind::Absorption(a, hb, chp) => {
                            let mut drive =
                                (room / a.cop).min(ch.spare(t) / a.cop).min(spare_free[*hb]);
                            if let Some(ci) = chp {
                                drive = drive.min(chps[*ci].free);
                            }
                            take_free(&mut chps, *chp, *hb, drive);
                            spare_free[*hb] -= drive;
                            drawn[*hb] += drive;
                            drive * a.cop
                        }
                        ChillerKind::Electric(_, _, el) => {
                            if cheap_el(prices, Some(*el), t) {
                                room.min(ch.spare(t))
                            } else {
                                0.0
                            }
                        }
                    };
                    ch.cold[t] += q;
                    st.take(t, q, 0.0, dt);
                }
            }
        }
        // 3. Heat, bus by bus.
        for &hb in &heat_buses {
            let mut demand = heat_demand[hb][t].max(0.0) + drawn[hb];
            if demand > 0.0 {
                last_demand[hb] = Some(t);
            }
            // A store below its minimum after its standing loss takes heat back first.
            for st in stores.iter_mut().filter(|s| s.bus == hb) {
                let q = st.to_minimum(dt);
                st.take(t, q, 0.0, dt);
                demand += q;
            }
            // Heat is worth storing while the bus has needed heat within the last day.
            let wanted = last_demand[hb].is_some_and(|d| t - d < steps_per_day);
            let committed: f64 = chps
                .iter()
                .filter(|c| c.heat_bus == hb)
                .map(|c| c.p[t] * c.ratio)
                .sum();
            if committed > demand {
                let mut surplus = committed - demand;
                // Heat that would be vented costs nothing.
                for st in stores.iter_mut().filter(|s| s.bus == hb) {
                    let q = surplus.min(st.can_take(t, dt));
                    st.take(t, q, 0.0, dt);
                    surplus -= q;
                }
                // Vented, each CHP within the heat it puts into the bus.
                for c in chps.iter_mut().filter(|c| c.heat_bus == hb) {
                    let v = surplus.min(c.to_bus(t));
                    c.dumped[t] = v;
                    surplus -= v;
                }
                continue;
            }
            let mut left = demand - committed;
            let mut offers: Vec<(f64, Offer)> = Vec::new();
            for (i, p) in plants.iter().enumerate().filter(|(_, p)| p.heat_bus == hb) {
                offers.push((p.cost(t, prices), Offer::Plant(i)));
            }
            for (i, c) in chps.iter().enumerate().filter(|(_, c)| c.heat_bus == hb) {
                // A kWh of heat costs the CHP's electricity less what that electricity is worth
                // where it goes (per tranche), per kWh of heat.
                if let Some(isl) = prices.island(c.bus) {
                    let tranches = prices.tranches(isl, t, island_chp[isl]);
                    for (k, (_, value)) in tranches.iter().enumerate() {
                        offers.push(((c.cost_el[t] - value) / c.ratio, Offer::Chp(i, k)));
                    }
                }
            }
            for (i, st) in stores.iter().enumerate().filter(|(_, s)| s.bus == hb) {
                offers.push((st.value(dt), Offer::Store(i)));
            }
            // Stable: at equal cost, plants before CHPs before stores.
            offers.sort_by(|a, b| a.0.total_cmp(&b.0));
            for &(_, offer) in &offers {
                if left <= 0.0 {
                    break;
                }
                match offer {
                    Offer::Plant(i) => {
                        let q = left.min(plants[i].spare(t, &waste));
                        plants[i].give(t, q, &mut waste);
                        left -= q;
                    }
                    Offer::Chp(i, k) => {
                        // Heat-led, as far as the tranche its electricity goes to reaches.
                        let c = &mut chps[i];
                        let room = prices
                            .island(c.bus)
                            .map_or(0.0, |isl| prices.tranches(isl, t, island_chp[isl])[k].0);
                        let q = left.min(c.spare_heat(t)).min(room * c.ratio);
                        c.more(t, q, prices, &mut island_chp);
                        left -= q;
                    }
                    Offer::Store(i) => {
                        let q = left.min(stores[i].can_give(t, dt));
                        stores[i].discharge[t] += q;
                        left -= q;
                    }
                }
            }
            // The last resort before leaving heat unserved: a CHP beyond what its electricity
            // has a use for (the network then carries it beyond its limits, as in the
            // uncoordinated rules).
            for c in chps.iter_mut().filter(|c| c.heat_bus == hb) {
                let q = left.max(0.0).min(c.spare_heat(t));
                c.more(t, q, prices, &mut island_chp);
                left -= q;
            }
            unserved[hb][t] = left.max(0.0);
            // Stores that gave nothing charge from the heat pumps' and electric boilers' spare
            // capacity in valley hours or from a surplus, cheapest first, while the bus needs
            // heat (within the last day).
            if !wanted {
                continue;
            }
            for &(cost, offer) in &offers {
                let Offer::Plant(i) = offer else { continue };
                if !plants[i].may_store(t, prices) {
                    continue;
                }
                for st in stores.iter_mut().filter(|s| s.bus == hb) {
                    let q = st.can_take(t, dt).min(plants[i].spare(t, &waste));
                    plants[i].give(t, q, &mut waste);
                    st.take(t, q, cost, dt);
                }
            }
        }
        for s in &mut stores {
            s.close(t, dt);
        }
    }

    // The outputs.
    let mut el_demand = vec![vec![0.0; n]; n_bus];
    let mut chp_el = vec![vec![0.0; n]; n_bus];
    for c in chps {
        super::add(&mut chp_el[c.bus], &c.p);
        let id = &c.c.id;
        let heat: Vec<f64> = c.p.iter().map(|p| p * c.ratio).collect();
        let fuel = c.p.iter().map(|p| p / c.c.eta_el).collect();
        out.push(id, AssetKind::Chp, Quantity::FuelKw, fuel);
        out.push(id, AssetKind::Chp, Quantity::HeatKw, heat);
        out.push(id, AssetKind::Chp, Quantity::DumpedKw, c.dumped);
        out.push(id, AssetKind::Chp, Quantity::PKw, c.p);
    }
    for p in plants {
        let el: Vec<f64> = (0..n).map(|t| p.heat[t] * p.el_per_heat(t)).collect();
        if let Some(k) = p.el_bus {
            super::add(&mut el_demand[k], &el);
        }
        let (id, kind) = match &p.unit {
            Unit::Waste(h, cop, _) => {
                let source = (0..n).map(|t| p.heat[t] * (1.0 - 1.0 / cop[t])).collect();
                out.push(&h.id, AssetKind::WasteHeatPump, Quantity::SourceKw, source);
                (&h.id, AssetKind::WasteHeatPump)
            }
            Unit::Ground(h, _) => (&h.id, AssetKind::GroundHeatPump),
            Unit::Air(h, ..) => (&h.id, AssetKind::AirSourceHeatPump),
            Unit::Electric(e) => (&e.id, AssetKind::ElectricBoiler),
            Unit::Gas(g, ..) => {
                let fuel = p.heat.iter().map(|h| h / g.eta).collect();
                out.push(&g.id, AssetKind::GasBoiler, Quantity::FuelKw, fuel);
                out.push(&g.id, AssetKind::GasBoiler, Quantity::HeatKw, p.heat);
                continue;
            }
        };
        out.push(id, kind, Quantity::PKw, el);
        out.push(id, kind, Quantity::HeatKw, p.heat);
    }
    for s in stores {
        let id = &s.s.id;
        out.push(id, AssetKind::ThermalStore, Quantity::ChargeKw, s.charge);
        out.push(
            id,
            AssetKind::ThermalStore,
            Quantity::DischargeKw,
            s.discharge,
        );
        out.push(id, AssetKind::ThermalStore, Quantity::LevelKwh, s.levels);
    }
    for ch in chillers {
        match ch.kind {
            ChillerKind::Electric(c, eer, el) => {
                let p: Vec<f64> = ch.cold.iter().zip(&eer).map(|(q, e)| q / e).collect();
                super::add(&mut el_demand[el], &p);
                out.push(&c.id, AssetKind::ElectricChiller, Quantity::PKw, p);
                out.push(&c.id, AssetKind::ElectricChiller, Quantity::ColdKw, ch.cold);
            }
            ChillerKind::Absorption(a, ..) => {
                let drive = ch.cold.iter().map(|q| q / a.cop).collect();
                out.push(&a.id, AssetKind::AbsorptionChiller, Quantity::HeatKw, drive);
                out.push(
                    &a.id,
                    AssetKind::AbsorptionChiller,
                    Quantity::ColdKw,
                    ch.cold,
                );
            }
        }
    }
    Decided {
        el_demand,
        chp_el,
        unserved,
    }
}

/// A store gives its heat before a source only when the source costs this much more than the heat
/// it holds (per kWh delivered): a margin for the standing losses still to come.
const STORE_MARGIN: f64 = 0.1;

/// Takes `q` kW of free CHP heat for absorption chillers: from the CHP `chp` that drives them, or
/// (a chiller on the heat network) from the CHPs of heat bus `hb` in park order.
fn take_free(chps: &mut [ChpRun<'_>], chp: Option<usize>, hb: usize, q: f64) {
    let mut left = q;
    let mut from = |c: &mut ChpRun<'_>| {
        let x = left.min(c.free);
        c.free -= x;
        left -= x;
        x
    };
    match chp {
        Some(ci) => {
            let x = from(&mut chps[ci]);
            chps[ci].drive += x;
        }
        None => {
            for c in chps.iter_mut().filter(|c| c.heat_bus == hb) {
                from(c);
            }
        }
    }
}

/// Stores on bus `bus` give up to `want` kW at step `t`, in park order; returns what they gave.
fn discharge(stores: &mut [Store<'_>], bus: usize, t: usize, dt: f64, want: f64) -> f64 {
    let mut left = want.max(0.0);
    for s in stores.iter_mut().filter(|s| s.bus == bus) {
        let q = left.min(s.can_give(t, dt));
        s.discharge[t] += q;
        left -= q;
    }
    want.max(0.0) - left
}

#[cfg(test)]
mod tests {
    use super::{Band, bands};

    /// A day of 8 valley, 4 flat and 12 peak hours has its median at the peak price: the peak
    /// hours are still peak, and a two-price day's upper price is peak whatever its share.
    #[test]
    fn the_top_price_is_peak_however_many_hours_it_has() {
        let mut day = vec![0.2; 8];
        day.extend([0.6; 4]);
        day.extend([1.2; 12]);
        let b = bands(&day, &[0; 24]);
        assert_eq!(b[0], Band::Valley);
        assert_eq!(b[8], Band::Flat);
        assert!(b[12..].iter().all(|&x| x == Band::Peak));
        let two: Vec<f64> = (0..24).map(|h| if h < 6 { 0.3 } else { 0.9 }).collect();
        let b = bands(&two, &[0; 24]);
        assert!(b[6..].iter().all(|&x| x == Band::Peak) && b[0] == Band::Valley);
        assert!(bands(&[0.5; 24], &[0; 24]).iter().all(|&x| x == Band::Even));
    }
}
