//! From a park and its profiles to an [`Lp`]: the template side. Components read the park and
//! declare variables, rows, bus injections and result series; the generic nodal balance sums the
//! injections per bus and step.

use std::collections::HashMap;

use chrono::{Datelike, Timelike};
use parkgrid_model::asset::AssetRef;
use parkgrid_model::{AssetKind, Carrier, Park};
use parkgrid_resource::{ParkProfiles, Quantity as Profile};

use crate::component;
use crate::key::{Element, Quantity};
use crate::lp::{Block, Lp, Sense};

/// A coefficient of a block in a balance or result: constant or one value per step.
#[derive(Debug, Clone, PartialEq)]
pub enum Coef {
    /// The same every step.
    Const(f64),
    /// One value per step.
    Series(Vec<f64>),
}

impl Coef {
    /// The coefficient at step `t`.
    pub fn at(&self, t: usize) -> f64 {
        match self {
            Coef::Const(c) => *c,
            Coef::Series(s) => s[t],
        }
    }
}

/// How a result series is computed from the solution.
#[derive(Debug, Clone)]
pub enum Source {
    /// `Σ coef·var[t]` over blocks.
    Vars(Vec<(Block, Coef)>),
    /// Known before solving.
    Fixed(Vec<f64>),
    /// The positive part of `sign·var[t]` (one direction of a two-way flow variable).
    PositivePart(Block, f64),
}

/// One declared result series.
#[derive(Debug, Clone)]
pub struct Output {
    /// Element id (asset, bus, branch).
    pub id: String,
    /// Element kind.
    pub kind: Element,
    /// What it measures.
    pub quantity: Quantity,
    /// How to compute it.
    pub source: Source,
    /// Where it puts power: `(bus, coef)` with `coef·value` kW into the bus, from
    /// [`crate::ports`] — the one declaration the balance rows are built from.
    pub ports: Vec<(String, f64)>,
}

/// Per-step facts about the time axis.
#[derive(Debug, Clone)]
pub struct Steps {
    /// Number of steps.
    pub n: usize,
    /// Step length, hours.
    pub step_h: f64,
    /// Month (1–12) of each step.
    pub month: Vec<u32>,
    /// Hour (0–23) of each step.
    pub hour: Vec<u32>,
    /// Day index (from 0) of each step.
    pub day: Vec<usize>,
    /// True inside the heating season.
    pub heating: Vec<bool>,
}

impl Steps {
    /// The steps of a park.
    pub fn of(park: &Park, profiles: &ParkProfiles) -> Self {
        let axis = &profiles.axis;
        let per_day = 24 * axis.steps_per_hour();
        let mut s = Steps {
            n: axis.n_steps,
            step_h: axis.step_h(),
            month: Vec::with_capacity(axis.n_steps),
            hour: Vec::with_capacity(axis.n_steps),
            day: Vec::with_capacity(axis.n_steps),
            heating: Vec::with_capacity(axis.n_steps),
        };
        for i in 0..axis.n_steps {
            let t = axis.time(i);
            s.month.push(t.month());
            s.hour.push(t.hour());
            s.day.push(i / per_day);
            s.heating
                .push(park.site.in_heating_season(t.month(), t.day()));
        }
        s
    }
}

/// Everything a component may use, and what it builds into.
pub struct Builder<'a> {
    /// The park.
    pub park: &'a Park,
    /// Its profiles.
    pub profiles: &'a ParkProfiles,
    /// The time axis facts.
    pub steps: Steps,
    /// The programme being built.
    pub lp: Lp,
    /// Bus index by id.
    pub bus_index: HashMap<&'a str, usize>,
    /// Injection terms per bus: `Σ coef·var` is power into the bus, kW.
    pub injections: Vec<Vec<(Block, Coef)>>,
    /// Fixed demand per bus and step, kW (the balance's right-hand side).
    pub demand: Vec<Vec<f64>>,
    /// Result series.
    pub outputs: Vec<Output>,
    /// Index of the balance row of bus `b` at step 0 (rows of a bus are consecutive).
    pub balance_rows: Vec<usize>,
    /// Blocks carrying the tie-break cost, to take it out of the reported objective.
    pub tie_breaks: Vec<crate::lp::Block>,
    /// Each CHP's electric output block, its heat-to-power ratio and its vented-heat block, by CHP id.
    pub chp_heat: HashMap<String, (Block, f64, Block)>,
    /// Drive-heat blocks of absorption chillers run on a CHP's recovered heat: (CHP id, block).
    pub chp_drives: Vec<(String, Block)>,
}

impl<'a> Builder<'a> {
    fn new(park: &'a Park, profiles: &'a ParkProfiles) -> Self {
        let steps = Steps::of(park, profiles);
        let n_bus = park.bus.len();
        Builder {
            park,
            profiles,
            lp: Lp::default(),
            bus_index: park
                .bus
                .iter()
                .enumerate()
                .map(|(i, b)| (b.id.as_str(), i))
                .collect(),
            injections: vec![Vec::new(); n_bus],
            demand: vec![vec![0.0; steps.n]; n_bus],
            outputs: Vec::new(),
            balance_rows: Vec::new(),
            tie_breaks: Vec::new(),
            chp_heat: HashMap::new(),
            chp_drives: Vec::new(),
            steps,
        }
    }

    /// Index of bus `id` (validated parks only name existing buses).
    pub fn bus(&self, id: &str) -> usize {
        self.bus_index.get(id).copied().unwrap_or(0)
    }

    /// Adds `coef·block` to the injections of bus `id`.
    fn inject(&mut self, bus: &str, block: Block, coef: Coef) {
        let b = self.bus(bus);
        self.injections[b].push((block, coef));
    }

    /// Adds a fixed demand series to bus `id` (demand no result series declares: the network
    /// losses fed back by a power flow).
    fn add_demand(&mut self, bus: &str, values: &[f64]) {
        let b = self.bus(bus);
        for (d, v) in self.demand[b].iter_mut().zip(values) {
            *d += v;
        }
    }

    /// Declares the result series `quantity` of element `id` and, through its ports
    /// ([`crate::ports`], the one place saying which bus each series feeds), its part in the bus
    /// balances: `coef·Σ terms` joins the injections of each port's bus, a fixed series becomes
    /// demand (`−coef·values`). A component never writes a balance term itself, so the LP and
    /// every reader of the results (reports, network checks, the baseline) see the same flows.
    ///
    /// # Panics
    /// On a [`Source::PositivePart`] with ports: a two-way variable's flows are declared with
    /// [`Builder::two_way`]. In debug builds (the tests), on a series that
    /// [`crate::result::declared`] does not list.
    pub fn output(
        &mut self,
        id: &str,
        kind: impl Into<Element>,
        quantity: Quantity,
        source: Source,
    ) {
        let kind = kind.into();
        let ports = crate::result::series_ports(self.park, kind, id, quantity);
        for (bus, c) in &ports {
            match &source {
                Source::Vars(terms) => {
                    for (block, coef) in terms {
                        let scaled = match coef {
                            Coef::Const(a) => Coef::Const(c * a),
                            Coef::Series(v) => Coef::Series(v.iter().map(|a| c * a).collect()),
                        };
                        self.inject(bus, *block, scaled);
                    }
                }
                Source::Fixed(values) => {
                    let demand: Vec<f64> = values.iter().map(|v| -c * v).collect();
                    self.add_demand(bus, &demand);
                }
                Source::PositivePart(..) => {
                    panic!(
                        "{kind} {id}: {quantity} is one direction of a two-way flow; declare it with two_way"
                    )
                }
            }
        }
        self.outputs.push(Output {
            id: id.to_string(),
            kind,
            quantity,
            source,
            ports,
        });
    }

    /// Declares the two directions of a two-way variable `block` (positive: `positive`, negative:
    /// `negative`, each a result series of its own) and injects `coef·block` where `coef` is the
    /// positive direction's port: the two directions' ports must be opposite (a store's
    /// discharge +1 and charge −1 on its bus).
    ///
    /// # Panics
    /// When they are not (a component's mistake, caught by any test that builds it).
    pub fn two_way(
        &mut self,
        id: &str,
        kind: impl Into<Element>,
        block: Block,
        positive: Quantity,
        negative: Quantity,
    ) {
        let kind = kind.into();
        let pos = crate::result::series_ports(self.park, kind, id, positive);
        let neg = crate::result::series_ports(self.park, kind, id, negative);
        assert!(
            !pos.is_empty()
                && pos.len() == neg.len()
                && pos.iter().zip(&neg).all(|(p, n)| p.0 == n.0 && p.1 == -n.1),
            "{kind} {id}: {positive} and {negative} must have opposite ports"
        );
        for (bus, c) in &pos {
            self.inject(bus, block, Coef::Const(*c));
        }
        for (quantity, sign, ports) in [(positive, 1.0, pos), (negative, -1.0, neg)] {
            self.outputs.push(Output {
                id: id.to_string(),
                kind,
                quantity,
                source: Source::PositivePart(block, sign),
                ports,
            });
        }
    }

    /// A per-step block `family[id,t]` with bounds and costs.
    pub fn block(
        &mut self,
        family: &str,
        id: &str,
        bounds: impl Fn(usize) -> (f64, f64),
        cost: impl Fn(usize) -> f64,
    ) -> Block {
        let n = self.steps.n;
        self.lp.add_block(family, id, n, bounds, cost)
    }
}

/// A cost too small to change any decision that matters (10⁻⁵ CNY/kWh), put on flows whose
/// simultaneous use in both directions would otherwise be free in some hours: export (importing
/// and exporting at once when the prices are equal) and storage discharge (charging and
/// discharging at once when energy is free). It makes the optimum a clean schedule rather than
/// an arbitrary point of a flat optimal face, which an interior-point solver would return.
pub const TIE_BREAK_CNY_PER_KWH: f64 = 1e-5;

/// Options of the LP that are not in the park file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BuildOptions {
    /// For a window of a rolling horizon: each store's level at the window's end (`None`: free).
    /// Without it (a year run) a store ends where it starts.
    pub store_end: Option<HashMap<String, Option<f64>>>,
    /// For a window of a rolling horizon: each grid connection's highest import so far in each
    /// month, which the demand charge has paid for already.
    pub peak_floor: HashMap<String, [f64; 12]>,
    /// Soft end levels, kWh, by store id: the level the window should end at, each kWh off it
    /// priced at [`BuildOptions::target_penalty_cny_per_kwh`] (a controller's setpoint that
    /// the plant follows unless that would cost more). Overrides `store_end` for the store.
    pub store_target: HashMap<String, f64>,
    /// The price of a kWh off a store's target, CNY.
    pub target_penalty_cny_per_kwh: f64,
    /// EV charging sessions open at the window's start, by EV hub id: the energy still to
    /// deliver before departure, kWh (a window that starts mid-session).
    pub ev_open_kwh: HashMap<String, f64>,
    /// Flexible loads part-way through a shift window at the window's start, by id: the steps
    /// left in that shift window and the energy still owed in it, kWh.
    pub flexible_open: HashMap<String, (usize, f64)>,
    /// Every row may give at this price per unit of violation (the elastic, priced-slack
    /// programme: a schedule even when hard limits cannot all be met).
    pub elastic_cny: Option<f64>,
}

/// The built programme with what is needed to read its solution.
pub struct Built {
    /// The programme.
    pub lp: Lp,
    /// Result series to compute from a solution.
    pub outputs: Vec<Output>,
    /// First balance row of each bus (rows of a bus are consecutive, one per step).
    pub balance_rows: Vec<usize>,
    /// Number of steps.
    pub n: usize,
    /// Cost per unit of the tie-break blocks (already in the objective), to report the objective
    /// without it.
    pub tie_breaks: Vec<(crate::lp::Block, f64)>,
}

/// Builds the year LP of `park`.
pub fn build(park: &Park, profiles: &ParkProfiles, options: BuildOptions) -> Built {
    let mut b = Builder::new(park, profiles);
    for (bus, values) in &profiles.extra_demand_kw {
        b.add_demand(bus, values);
    }
    for (_, asset) in park.assets() {
        match asset {
            AssetRef::Grid(x) => component::grid::add(&mut b, x, options.peak_floor.get(&x.id)),
            AssetRef::Pv(x) => component::renewable::add(&mut b, &x.id, AssetKind::Pv),
            AssetRef::Wind(x) => component::renewable::add(&mut b, &x.id, AssetKind::Wind),
            AssetRef::Chp(x) => component::chp::add(&mut b, x),
            AssetRef::GroundHeatPump(x) => component::heat_pump::add_ground(&mut b, x),
            AssetRef::AirSourceHeatPump(x) => component::heat_pump::add_air(&mut b, x),
            AssetRef::WasteHeatPump(x) => component::heat_pump::add_waste(&mut b, x),
            AssetRef::DataCentre(x) => component::load::add_data_centre(&mut b, x),
            AssetRef::Battery(x) => {
                component::storage::add_battery(&mut b, x, end_of(&options, &x.id))
            }
            AssetRef::ThermalStore(x) => {
                component::storage::add_thermal(&mut b, x, end_of(&options, &x.id))
            }
            AssetRef::GasBoiler(x) => component::boiler::add_gas(&mut b, x),
            AssetRef::ElectricBoiler(x) => component::boiler::add_electric(&mut b, x),
            AssetRef::ElectricChiller(x) => component::chiller::add_electric(&mut b, x),
            AssetRef::AbsorptionChiller(x) => component::chiller::add_absorption(&mut b, x),
            AssetRef::ElectricLoad(x) => component::load::add_fixed(
                &mut b,
                &x.id,
                AssetKind::ElectricLoad,
                Quantity::PKw,
                Profile::ElectricDemand,
            ),
            AssetRef::HeatLoad(x) => component::load::add_fixed(
                &mut b,
                &x.id,
                AssetKind::HeatLoad,
                Quantity::HeatKw,
                Profile::HeatDemand,
            ),
            AssetRef::CoolingLoad(x) => component::load::add_fixed(
                &mut b,
                &x.id,
                AssetKind::CoolingLoad,
                Quantity::ColdKw,
                Profile::CoolingDemand,
            ),
            AssetRef::EvCharging(x) => {
                component::load::add_ev(&mut b, x, options.ev_open_kwh.get(&x.id).copied())
            }
            AssetRef::FlexibleLoad(x) => {
                component::load::add_flexible(&mut b, x, options.flexible_open.get(&x.id).copied())
            }
        }
    }
    component::chiller::limit_chp_heat(&mut b);
    component::network::add(&mut b);
    add_bus_slacks(&mut b);
    add_balances(&mut b);
    let tie = TIE_BREAK_CNY_PER_KWH * b.steps.step_h;
    let tie_breaks = b.tie_breaks.iter().map(|&blk| (blk, tie)).collect();
    Built {
        lp: b.lp,
        outputs: b.outputs,
        balance_rows: b.balance_rows,
        n: b.steps.n,
        tie_breaks,
    }
}

/// How a store ends: where it started (year runs), as the rolling horizon says, or near a
/// controller's target.
fn end_of(options: &BuildOptions, id: &str) -> component::storage::End {
    if let Some(&level) = options.store_target.get(id) {
        return component::storage::End::Target(level, options.target_penalty_cny_per_kwh);
    }
    match &options.store_end {
        None => component::storage::End::AsStart,
        Some(map) => match map.get(id).copied().flatten() {
            Some(level) => component::storage::End::Level(level),
            None => component::storage::End::Free,
        },
    }
}

/// Unserved demand on electric, heat and cold buses (at the value of lost load; cooling at the
/// heat's) and waste heat rejected by cooling towers (free). Heat and cold buses have no dump:
/// every heat and cooling source can be turned down but a CHP, which vents its own heat
/// ([`component::chp`]).
fn add_bus_slacks(b: &mut Builder<'_>) {
    let eco = b.park.economics.clone();
    let step_h = b.steps.step_h;
    // Buses with loads that must be met over time (EV charging, flexible loads) may fall short at
    // any step; others only where they have a fixed demand.
    let mut any_step: Vec<bool> = vec![false; b.park.bus.len()];
    for (_, asset) in b.park.assets() {
        let bus = match asset {
            AssetRef::EvCharging(x) => &x.bus,
            AssetRef::FlexibleLoad(x) => &x.bus,
            // Every other kind is met step by step (or is no load).
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
            | AssetRef::ElectricChiller(_)
            | AssetRef::AbsorptionChiller(_)
            | AssetRef::ElectricLoad(_)
            | AssetRef::HeatLoad(_)
            | AssetRef::CoolingLoad(_) => continue,
        };
        any_step[b.bus(bus)] = true;
    }
    for (bi, bus) in b.park.bus.iter().enumerate() {
        let id = bus.id.as_str();
        match bus.carrier {
            Carrier::Ac | Carrier::Dc | Carrier::Heat | Carrier::Cold => {
                let voll = match bus.carrier {
                    Carrier::Heat | Carrier::Cold => eco.voll_heat_cny_per_kwh,
                    _ => eco.voll_electric_cny_per_kwh,
                };
                // A step without demand has nothing to leave unserved: the slack is fixed at 0
                // there (solvers drop fixed variables).
                let demand = b.demand[bi].clone();
                let open = any_step[bi];
                let u = b.block(
                    "bus.unserved",
                    id,
                    |t| {
                        (
                            0.0,
                            if open || demand[t] > 0.0 {
                                f64::INFINITY
                            } else {
                                0.0
                            },
                        )
                    },
                    |_| voll * step_h,
                );
                b.output(
                    id,
                    Element::Bus,
                    Quantity::UnservedKw,
                    Source::Vars(vec![(u, Coef::Const(1.0))]),
                );
            }
            Carrier::WasteHeat => {
                let r = b.block("bus.reject", id, |_| (0.0, f64::INFINITY), |_| 0.0);
                b.output(
                    id,
                    Element::Bus,
                    Quantity::RejectedKw,
                    Source::Vars(vec![(r, Coef::Const(1.0))]),
                );
            }
        }
    }
}

/// The nodal balance, one row per bus and step: `Σ injections = demand`, named
/// `bus.balance[bus,t]`. Its dual is the bus's marginal price.
fn add_balances(b: &mut Builder<'_>) {
    for (bi, bus) in b.park.bus.iter().enumerate() {
        let first = b.lp.rows.len();
        for t in 0..b.steps.n {
            let terms: Vec<(usize, f64)> = b.injections[bi]
                .iter()
                .map(|(block, coef)| (block.at(t), coef.at(t)))
                .filter(|(_, a)| *a != 0.0)
                .collect();
            b.lp.add_row("bus.balance", &bus.id, t, terms, Sense::Eq, b.demand[bi][t]);
        }
        b.balance_rows.push(first);
    }
}
