//! The rule-based baseline: how a park is run without optimisation, step by step, by one of two
//! sets of rules ([`Rules`]). The merit order (the default) runs the heat and cold plant as an
//! experienced operator does ([`merit`]) and its batteries on the tariff: they charge from a
//! surplus, from the grid in valley hours when the day's peak price pays for the round trip and
//! the wear (within the import limit and the ratings on the way), and discharge in peak hours (in
//! any hour on a day of one price). The uncoordinated rules are described below; the electric
//! network is run the same way under both.
//!
//! Uncoordinated: heat as before the energy internet: CHP follows the heat demand and the boiler house covers the
//! rest; heat pumps and stores stay idle, the data centre's waste heat is rejected. Cooling the
//! same way: each cold bus's electric chillers (in park order) follow its cooling demand; what
//! they cannot cover, its absorption chillers do — one on a heat network with heat the heat rules
//! then supply, one driven by a CHP with the heat that CHP has beyond the heat demand it follows
//! (running it harder); cold stores stay idle. Electricity:
//! renewables first; the batteries of an electric island (the buses joined by in-service lines,
//! transformers and converters) answer the island's net as a site controller does — a surplus
//! charges them, a deficit discharges them, within their power and state-of-charge bounds. The
//! network is run radially ([`Radial`]: a spanning tree from the island's grid connection,
//! parallel links as one, a link that would close a loop as a normally open point): from the
//! leaves up, each link carries what its side has to give or needs, within its rating and with a
//! converter's efficiency; a surplus that cannot leave a part of the network is shed there
//! (renewables curtailed, then batteries discharging less or charging more), a need that cannot
//! reach a bus is unserved at that bus. At the grid connection, what the export limit refuses is
//! shed the same way and what the import limit refuses is unserved. A CHP's heat-led electricity
//! is never cut: where nothing else can give way, its link or the export carries it beyond the
//! limit. Electric boilers and flexibility are not used; EV charging is unmanaged. Every asset kind
//! is matched by name (no wildcard), so a new kind does not pass unnoticed.

use parkgrid_model::asset::AssetRef;
use parkgrid_model::{AssetKind, Carrier, Park};
use parkgrid_resource::{ParkProfiles, Quantity as Profile};

use crate::build::Steps;
use crate::key::{Element, Quantity};
use crate::result::{Dispatch, Series};

mod merit;

/// Which rules run the park in the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rules {
    /// The merit order an experienced operator runs without an optimiser
    /// (see [the heat and cold rules](merit) and the battery's time-of-use rule in [`simulate`]).
    #[default]
    MeritOrder,
    /// No coordination: the boiler-house park before the energy internet (see the module's
    /// first paragraph).
    Uncoordinated,
}

impl Rules {
    /// The name used on the command line and in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Rules::MeritOrder => "merit_order",
            Rules::Uncoordinated => "uncoordinated",
        }
    }
}

struct Out<'p> {
    park: &'p Park,
    series: Vec<Series>,
}

impl Out<'_> {
    /// A series with its ports from [`crate::ports`], the declaration the LP is built from.
    fn push(&mut self, id: &str, kind: impl Into<Element>, quantity: Quantity, values: Vec<f64>) {
        let kind = kind.into();
        let ports = crate::result::series_ports(self.park, kind, id, quantity);
        self.series.push(Series {
            id: id.to_string(),
            kind,
            quantity,
            values,
            ports,
        });
    }
}

fn get(p: &ParkProfiles, id: &str, q: Profile, n: usize) -> Vec<f64> {
    p.get(id, q)
        .map(<[f64]>::to_vec)
        .unwrap_or_else(|| vec![0.0; n])
}

/// Simulates `rules` over the year (the steps of `steps`) on the park's profiles.
pub fn simulate(park: &Park, profiles: &ParkProfiles, steps: &Steps, rules: Rules) -> Dispatch {
    let n = steps.n;
    let dt = steps.step_h;
    let mut out = Out {
        park,
        series: Vec::new(),
    };
    let (island_of, n_islands) = park.electric_islands();
    let island = |bus: &str| {
        park.bus
            .iter()
            .position(|b| b.id == bus)
            .and_then(|i| island_of[i])
            .unwrap_or(0)
    };
    // Per bus (park order): demand, renewable availability and CHP output, kW.
    let n_bus = park.bus.len();
    let bus_index = |bus: &str| park.bus.iter().position(|b| b.id == bus).unwrap_or(0);
    let mut el_demand = vec![vec![0.0; n]; n_bus.max(1)];
    let mut heat_left = vec![0.0; n];
    // Heat demand per bus (the merit order serves each heat bus from its own plant).
    let mut heat_demand = vec![vec![0.0; n]; n_bus.max(1)];
    let mut renewable = vec![vec![0.0; n]; n_bus.max(1)];

    // Demand no asset declares (network losses fed back by a power flow).
    for (bus, values) in &profiles.extra_demand_kw {
        add(&mut el_demand[bus_index(bus)], values);
    }
    // Demands and supplies that no rule changes; every other kind put aside for its rule.
    let mut renewables: Vec<(&String, AssetKind, &String)> = Vec::new();
    let mut chps = Vec::new();
    let mut idle_pumps: Vec<(&String, AssetKind, &[Quantity])> = Vec::new();
    let mut after_pumps = Vec::new();
    // Per bus: cooling demand left, kW; the electric chillers, in park order.
    let mut cold_left = vec![vec![0.0; n]; n_bus.max(1)];
    let mut chillers = Vec::new();
    let mut absorbers = Vec::new();
    const WASTE_HP: [Quantity; 3] = [Quantity::PKw, Quantity::HeatKw, Quantity::SourceKw];
    // Ground- and air-source heat pumps: electricity in, heat out.
    const GROUND_HP: [Quantity; 2] = [Quantity::PKw, Quantity::HeatKw];
    for (_, a) in park.assets() {
        match a {
            AssetRef::ElectricLoad(x) => add_load(
                &mut out,
                &mut el_demand[bus_index(&x.bus)],
                profiles,
                &x.id,
                AssetKind::ElectricLoad,
                n,
            ),
            AssetRef::EvCharging(x) => add_load(
                &mut out,
                &mut el_demand[bus_index(&x.bus)],
                profiles,
                &x.id,
                AssetKind::EvCharging,
                n,
            ),
            AssetRef::FlexibleLoad(x) => add_load(
                &mut out,
                &mut el_demand[bus_index(&x.bus)],
                profiles,
                &x.id,
                AssetKind::FlexibleLoad,
                n,
            ),
            AssetRef::DataCentre(x) => {
                let d = get(profiles, &x.id, Profile::ElectricDemand, n);
                let w = get(profiles, &x.id, Profile::WasteHeat, n);
                add(&mut el_demand[bus_index(&x.bus)], &d);
                out.push(&x.id, AssetKind::DataCentre, Quantity::PKw, d);
                if x.waste_heat_bus.is_some() {
                    out.push(&x.id, AssetKind::DataCentre, Quantity::WasteHeatKw, w);
                }
            }
            AssetRef::HeatLoad(x) => {
                let h = get(profiles, &x.id, Profile::HeatDemand, n);
                add(&mut heat_left, &h);
                add(&mut heat_demand[bus_index(&x.bus)], &h);
                out.push(&x.id, AssetKind::HeatLoad, Quantity::HeatKw, h);
            }
            AssetRef::CoolingLoad(x) => {
                let c = get(profiles, &x.id, Profile::CoolingDemand, n);
                add(&mut cold_left[bus_index(&x.bus)], &c);
                out.push(&x.id, AssetKind::CoolingLoad, Quantity::ColdKw, c);
            }
            AssetRef::ElectricChiller(c) => chillers.push(c),
            AssetRef::AbsorptionChiller(c) => absorbers.push(c),
            AssetRef::Pv(x) => {
                add(
                    &mut renewable[bus_index(&x.bus)],
                    &get(profiles, &x.id, Profile::Available, n),
                );
                renewables.push((&x.id, AssetKind::Pv, &x.bus));
            }
            AssetRef::Wind(x) => {
                add(
                    &mut renewable[bus_index(&x.bus)],
                    &get(profiles, &x.id, Profile::Available, n),
                );
                renewables.push((&x.id, AssetKind::Wind, &x.bus));
            }
            // Decided by the rules below, in their merit order.
            AssetRef::Chp(c) => chps.push(c),
            AssetRef::WasteHeatPump(h) => {
                idle_pumps.push((&h.id, AssetKind::WasteHeatPump, &WASTE_HP))
            }
            AssetRef::GroundHeatPump(h) => {
                idle_pumps.push((&h.id, AssetKind::GroundHeatPump, &GROUND_HP));
            }
            AssetRef::AirSourceHeatPump(h) => {
                idle_pumps.push((&h.id, AssetKind::AirSourceHeatPump, &GROUND_HP));
            }
            AssetRef::GasBoiler(g) => after_pumps.push(Heat::GasBoiler(g)),
            AssetRef::ElectricBoiler(e) => after_pumps.push(Heat::ElectricBoiler(e)),
            AssetRef::ThermalStore(t) => after_pumps.push(Heat::ThermalStore(t)),
            // The grid and the batteries: the electricity rules below.
            AssetRef::Grid(_) | AssetRef::Battery(_) => {}
        }
    }

    let limits = |isl: usize, f: fn(&parkgrid_model::asset::Grid) -> f64| -> f64 {
        park.grid
            .iter()
            .filter(|g| island(&g.bus) == isl)
            .map(f)
            .sum()
    };
    // Per island: the grid connections' import and export limits, kW.
    let grid_max: Vec<(f64, f64)> = (0..n_islands.max(1))
        .map(|isl| {
            (
                limits(isl, |g| g.p_import_max_kw),
                limits(isl, |g| g.p_export_max_kw),
            )
        })
        .collect();
    let batteries: Vec<_> = park.battery.iter().collect();
    let mut chp_el = vec![vec![0.0; n]; n_bus.max(1)];
    // Unserved heat and cooling per bus, kW.
    let mut unserved_th = vec![vec![0.0; n]; n_bus.max(1)];
    // The electricity price the rules see (the merit order only).
    let mut prices = None;
    match rules {
        Rules::MeritOrder => {
            let mut battery_kw = vec![0.0; n_islands.max(1)];
            for b in &batteries {
                battery_kw[island(&b.bus)] += b.p_max_kw;
            }
            let p = merit::Prices::new(
                park,
                steps,
                &island_of,
                n_islands,
                &renewable,
                &el_demand,
                &grid_max,
                &battery_kw,
            );
            let decided = merit::run(
                park,
                profiles,
                steps,
                &p,
                &heat_demand,
                &cold_left,
                &mut out,
            );
            for k in 0..n_bus {
                add(&mut el_demand[k], &decided.el_demand[k]);
                add(&mut chp_el[k], &decided.chp_el[k]);
            }
            unserved_th = decided.unserved;
            prices = Some(p);
        }
        Rules::Uncoordinated => {
            // Cooling: electric chillers follow their cold bus's demand; their electricity is demand.
            for c in chillers {
                let eer = crate::component::chiller::eer(profiles, c, n);
                let left = &mut cold_left[bus_index(&c.cold_bus)];
                let cold: Vec<f64> = (0..n)
                    .map(|t| left[t].min(c.cold_max_kw).max(0.0))
                    .collect();
                sub(left, &cold);
                let p: Vec<f64> = cold.iter().zip(&eer).map(|(q, e)| q / e).collect();
                add(&mut el_demand[bus_index(&c.bus)], &p);
                out.push(&c.id, AssetKind::ElectricChiller, Quantity::PKw, p);
                out.push(&c.id, AssetKind::ElectricChiller, Quantity::ColdKw, cold);
            }

            // Then absorption chillers: one on a heat network takes its drive heat from the network (the
            // heat rules below serve it like any heat demand); one driven by a CHP runs on what that
            // CHP can give beyond the heat demand it follows (after the heat rules).
            // Drive heat of each absorber, kW (index of `absorbers`).
            let mut drives = vec![vec![0.0; n]; absorbers.len()];
            for (k, a) in absorbers
                .iter()
                .enumerate()
                .filter(|(_, a)| a.chp.is_none())
            {
                drives[k] = absorb(&mut cold_left[bus_index(&a.cold_bus)], a, |_| f64::INFINITY);
                add(&mut heat_left, &drives[k]);
            }

            // Heat, in merit order of the rules.
            for c in chps {
                let ratio = c.eta_th / c.eta_el;
                let mut heat: Vec<f64> = (0..n)
                    .map(|t| heat_left[t].min(c.p_max_kw * ratio))
                    .collect();
                sub(&mut heat_left, &heat);
                // Its absorption chillers, on the heat it has to spare.
                for (k, a) in absorbers.iter().enumerate() {
                    if a.chp.as_deref() != Some(c.id.as_str()) {
                        continue;
                    }
                    let spare = |t: usize| (c.p_max_kw * ratio - heat[t]).max(0.0);
                    drives[k] = absorb(&mut cold_left[bus_index(&a.cold_bus)], a, spare);
                    add(&mut heat, &drives[k]);
                }
                let p: Vec<f64> = heat.iter().map(|h| h / ratio).collect();
                add(&mut chp_el[bus_index(&c.bus)], &p);
                out.push(
                    &c.id,
                    AssetKind::Chp,
                    Quantity::FuelKw,
                    p.iter().map(|x| x / c.eta_el).collect(),
                );
                out.push(&c.id, AssetKind::Chp, Quantity::HeatKw, heat);
                // Heat-led: it makes no heat to vent.
                out.push(&c.id, AssetKind::Chp, Quantity::DumpedKw, vec![0.0; n]);
                out.push(&c.id, AssetKind::Chp, Quantity::PKw, p);
            }
            for (id, kind, quantities) in idle_pumps {
                for q in quantities {
                    out.push(id, kind, *q, vec![0.0; n]);
                }
            }
            for a in after_pumps {
                match a {
                    Heat::GasBoiler(g) => {
                        let heat: Vec<f64> = (0..n)
                            .map(|t| heat_left[t].min(g.heat_max_kw).max(0.0))
                            .collect();
                        sub(&mut heat_left, &heat);
                        out.push(
                            &g.id,
                            AssetKind::GasBoiler,
                            Quantity::FuelKw,
                            heat.iter().map(|h| h / g.eta).collect(),
                        );
                        out.push(&g.id, AssetKind::GasBoiler, Quantity::HeatKw, heat);
                    }
                    Heat::ElectricBoiler(e) => {
                        out.push(
                            &e.id,
                            AssetKind::ElectricBoiler,
                            Quantity::PKw,
                            vec![0.0; n],
                        );
                        out.push(
                            &e.id,
                            AssetKind::ElectricBoiler,
                            Quantity::HeatKw,
                            vec![0.0; n],
                        );
                    }
                    Heat::ThermalStore(s) => {
                        out.push(
                            &s.id,
                            AssetKind::ThermalStore,
                            Quantity::ChargeKw,
                            vec![0.0; n],
                        );
                        out.push(
                            &s.id,
                            AssetKind::ThermalStore,
                            Quantity::DischargeKw,
                            vec![0.0; n],
                        );
                        let level = s.soc_initial_frac.unwrap_or(s.soc_min_frac) * s.e_max_kwh;
                        out.push(
                            &s.id,
                            AssetKind::ThermalStore,
                            Quantity::LevelKwh,
                            vec![level; n],
                        );
                    }
                }
            }

            // Absorption chillers in park order.
            for (a, drive) in absorbers.iter().zip(drives) {
                let cold: Vec<f64> = drive.iter().map(|d| d * a.cop).collect();
                out.push(&a.id, AssetKind::AbsorptionChiller, Quantity::HeatKw, drive);
                out.push(&a.id, AssetKind::AbsorptionChiller, Quantity::ColdKw, cold);
            }

            let first_heat = park.bus.iter().position(|b| b.carrier == Carrier::Heat);
            for (k, bus) in park.bus.iter().enumerate() {
                if bus.carrier == Carrier::Cold {
                    unserved_th[k] = cold_left[k].iter().map(|c| c.max(0.0)).collect();
                } else if Some(k) == first_heat {
                    unserved_th[k] = heat_left.iter().map(|h| h.max(0.0)).collect();
                }
            }
        }
    }

    // Electricity, island by island, on its network run radially.
    let net = Radial::new(park, &island_of, n_islands);
    let mut bat_ch = vec![vec![0.0; n]; batteries.len()];
    let mut bat_dis = vec![vec![0.0; n]; batteries.len()];
    let mut bat_level = vec![vec![0.0; n]; batteries.len()];
    let mut import = vec![vec![0.0; n]; n_islands.max(1)];
    let mut export = vec![vec![0.0; n]; n_islands.max(1)];
    // Curtailment per bus (of its renewables), unserved demand per bus, link flows per link
    // (sent from its first bus, negative when sent from the second), kW.
    let mut curtailed = vec![vec![0.0; n]; n_bus.max(1)];
    let mut unserved_el = vec![vec![0.0; n]; n_bus.max(1)];
    let mut link_flow = vec![vec![0.0; n]; net.links.len()];
    let mut level: Vec<f64> = batteries
        .iter()
        .map(|b| b.soc_initial_frac.unwrap_or(0.5) * b.e_max_kwh)
        .collect();
    let bat_bus: Vec<usize> = batteries.iter().map(|b| bus_index(&b.bus)).collect();
    let bat_island: Vec<usize> = batteries.iter().map(|b| island(&b.bus)).collect();
    let mut inj = vec![0.0; n_bus];
    let (mut acc, mut sent) = (vec![0.0; n_bus], vec![0.0; n_bus]);
    for t in 0..n {
        // What each bus puts into the network before the batteries, kW.
        for (k, v) in inj.iter_mut().enumerate() {
            *v = renewable[k][t] + chp_el[k][t] - el_demand[k][t];
        }
        for isl in 0..n_islands.max(1) {
            // The batteries answer the island's net, as a site controller does; under the merit
            // order they also charge from the grid in valley hours (when the day's peak price
            // pays for the round trip and the wear) and discharge only in peak hours (any hour
            // on a day of one price).
            let mut need: f64 = -net.order[isl].iter().map(|&k| inj[k]).sum::<f64>();
            let band = prices
                .as_ref()
                .map(|p| (p.band[isl][t], p.import[isl][t], p.day_max[isl][t]));
            for (k, b) in batteries.iter().enumerate() {
                if bat_island[k] != isl {
                    continue;
                }
                let keep = (1.0 - b.self_discharge_frac_per_h).powf(dt);
                level[k] *= keep;
                let (lo, hi) = (b.soc_min_frac * b.e_max_kwh, b.soc_max_frac * b.e_max_kwh);
                let room = ((hi - level[k]) / (b.eta_charge * dt)).max(0.0);
                if need < 0.0 {
                    let ch = (-need).min(b.p_max_kw).min(room);
                    bat_ch[k][t] = ch;
                    need += ch;
                    inj[bat_bus[k]] -= ch;
                    continue;
                }
                let (discharge, from_grid) = match band {
                    None => (true, false),
                    Some((merit::Band::Valley, price, peak)) => (
                        false,
                        peak * b.eta_charge * b.eta_discharge > price + b.degradation_cny_per_kwh,
                    ),
                    Some((merit::Band::Peak | merit::Band::Even, ..)) => (true, false),
                    Some((merit::Band::Flat, ..)) => (false, false),
                };
                if from_grid {
                    let import_room = (grid_max[isl].0 - need).max(0.0);
                    let ch = b
                        .p_max_kw
                        .min(room)
                        .min(import_room)
                        .min(net.room_down(bat_bus[k], &inj));
                    bat_ch[k][t] = ch;
                    need += ch;
                    inj[bat_bus[k]] -= ch;
                } else if discharge && need > 0.0 {
                    let dis = need
                        .min(b.p_max_kw)
                        .min(((level[k] - lo) * b.eta_discharge / dt).max(0.0));
                    bat_dis[k][t] = dis;
                    need -= dis;
                    inj[bat_bus[k]] += dis;
                }
            }
            // The network, from the leaves to the grid connection, each link within its rating;
            // a surplus that cannot leave a part of the network is shed there (renewables
            // curtailed, batteries discharging less or charging more).
            let Some(root) = net.root[isl] else { continue };
            acc.copy_from_slice(&inj);
            sent.fill(0.0);
            let mut st = StepState {
                t,
                dt,
                acc: &mut acc,
                sent: &mut sent,
                curtailed: &mut curtailed,
                renewable: &renewable,
                bat_ch: &mut bat_ch,
                bat_dis: &mut bat_dis,
                level: &level,
                batteries: &batteries,
                bat_bus: &bat_bus,
            };
            for &k in net.order[isl].iter().rev() {
                if net.parent[k].is_none() {
                    continue;
                }
                let (cap, eta_up, eta_down) = net.up(k);
                if st.acc[k] > cap {
                    let over = st.acc[k] - cap;
                    let shed = net.shed(&mut st, k, over);
                    st.acc[k] -= shed;
                }
                // What is left above the rating is a CHP's heat-led output, which the baseline
                // never cuts: the link carries it.
                let p = net.parent_bus[k];
                if st.acc[k] >= 0.0 {
                    st.sent[k] = st.acc[k];
                    st.acc[p] += st.acc[k] * eta_up;
                } else {
                    let need = -st.acc[k];
                    let got = need.min(cap * eta_down);
                    unserved_el[k][t] += need - got;
                    st.sent[k] = -got;
                    st.acc[p] -= got / eta_down;
                }
            }
            let (import_max, export_max) = grid_max[isl];
            if st.acc[root] > export_max {
                let over = st.acc[root] - export_max;
                let shed = net.shed(&mut st, root, over);
                st.acc[root] -= shed;
            }
            let root_net = st.acc[root];
            if root_net >= 0.0 {
                // Beyond the export limit only a CHP's heat-led output can remain.
                export[isl][t] = root_net;
            } else {
                import[isl][t] = (-root_net).min(import_max);
                unserved_el[root][t] += -root_net - import[isl][t];
            }
            // Flows changed by shedding below a link are written again.
            for &k in &net.order[isl] {
                if let Some((li, up)) = net.parent[k] {
                    let (_, _, eta_down) = net.up(k);
                    let from_k = if st.sent[k] >= 0.0 {
                        st.sent[k]
                    } else {
                        st.sent[k] / eta_down
                    };
                    link_flow[li][t] = if up { from_k } else { -from_k };
                }
            }
        }
        for (k, b) in batteries.iter().enumerate() {
            level[k] += bat_ch[k][t] * b.eta_charge * dt - bat_dis[k][t] * dt / b.eta_discharge;
            bat_level[k][t] = level[k];
        }
    }
    for (k, b) in batteries.iter().enumerate() {
        out.push(
            &b.id,
            AssetKind::Battery,
            Quantity::ChargeKw,
            std::mem::take(&mut bat_ch[k]),
        );
        out.push(
            &b.id,
            AssetKind::Battery,
            Quantity::DischargeKw,
            std::mem::take(&mut bat_dis[k]),
        );
        out.push(
            &b.id,
            AssetKind::Battery,
            Quantity::LevelKwh,
            std::mem::take(&mut bat_level[k]),
        );
    }
    // Each link's flow, shared among its parallel elements in proportion to their ratings.
    for (k, link) in net.links.iter().enumerate() {
        for &(kind, id, cap, same_way) in &link.members {
            let share = cap / link.cap_kw.max(f64::MIN_POSITIVE);
            let flow = &link_flow[k];
            let sign = if same_way { 1.0 } else { -1.0 };
            if kind == Element::Converter {
                let fwd = flow.iter().map(|f| (sign * f).max(0.0) * share).collect();
                let rev = flow.iter().map(|f| (-sign * f).max(0.0) * share).collect();
                out.push(id, kind, Quantity::ForwardKw, fwd);
                out.push(id, kind, Quantity::ReverseKw, rev);
            } else {
                out.push(
                    id,
                    kind,
                    Quantity::FlowKw,
                    flow.iter().map(|f| sign * f * share).collect(),
                );
            }
        }
    }
    // Grid flows shared within an island in proportion to the connections' limits.
    for g in &park.grid {
        let isl = island(&g.bus);
        let (import_max, export_max) = grid_max[isl];
        let share_i = if import_max > 0.0 {
            g.p_import_max_kw / import_max
        } else {
            0.0
        };
        let share_e = if export_max > 0.0 {
            g.p_export_max_kw / export_max
        } else {
            0.0
        };
        out.push(
            &g.id,
            AssetKind::Grid,
            Quantity::ImportKw,
            import[isl].iter().map(|v| v * share_i).collect(),
        );
        out.push(
            &g.id,
            AssetKind::Grid,
            Quantity::ExportKw,
            export[isl].iter().map(|v| v * share_e).collect(),
        );
    }
    // Curtailment of a bus shared among its renewables in proportion to availability.
    for (id, kind, bus) in renewables {
        let k = bus_index(bus);
        let avail = get(profiles, id, Profile::Available, n);
        let output = (0..n)
            .map(|t| {
                if renewable[k][t] > 0.0 {
                    avail[t] * (1.0 - curtailed[k][t] / renewable[k][t])
                } else {
                    0.0
                }
            })
            .collect();
        out.push(id, kind, Quantity::OutputKw, output);
        out.push(id, kind, Quantity::AvailableKw, avail);
    }
    // Unserved electricity on the bus it is missing at; unserved heat and cooling where the heat
    // and cold rules left it; waste heat no heat pump lifted is rejected.
    for (bi, bus) in park.bus.iter().enumerate() {
        let values = match island_of[bi] {
            Some(_) => std::mem::take(&mut unserved_el[bi]),
            None => std::mem::take(&mut unserved_th[bi]),
        };
        if bus.carrier == Carrier::WasteHeat {
            let mut rejected = vec![0.0; n];
            for dc in park.data_centre.iter() {
                if dc.waste_heat_bus.as_deref() == Some(bus.id.as_str()) {
                    add(&mut rejected, &get(profiles, &dc.id, Profile::WasteHeat, n));
                }
            }
            for h in park
                .waste_heat_pump
                .iter()
                .filter(|h| h.source_bus == bus.id)
            {
                if let Some(lifted) = out
                    .series
                    .iter()
                    .find(|s| s.id == h.id && s.quantity == Quantity::SourceKw)
                {
                    sub(&mut rejected, &lifted.values);
                }
            }
            for r in &mut rejected {
                *r = r.max(0.0);
            }
            out.push(&bus.id, Element::Bus, Quantity::RejectedKw, rejected);
        } else {
            out.push(&bus.id, Element::Bus, Quantity::UnservedKw, values);
        }
    }
    Dispatch { series: out.series }
}

/// What the heat rules decide after the CHPs and the (idle) heat pumps, in park order.
enum Heat<'a> {
    GasBoiler(&'a parkgrid_model::asset::GasBoiler),
    ElectricBoiler(&'a parkgrid_model::asset::ElectricBoiler),
    ThermalStore(&'a parkgrid_model::asset::ThermalStore),
}

/// The electric network as the baseline runs it: radially, from each island's grid connection
/// (or first bus), along a spanning tree of its in-service links; parallel links between the same
/// two buses act as one (ratings summed, the lower efficiency); a link that would close a loop is
/// a normally open point.
struct Radial<'a> {
    links: Vec<Merged<'a>>,
    /// Per island: the root bus.
    root: Vec<Option<usize>>,
    /// Per island: its buses, root first, each after its parent.
    order: Vec<Vec<usize>>,
    /// Per bus: the link to its parent, and whether the bus is the link's first bus.
    parent: Vec<Option<(usize, bool)>>,
    parent_bus: Vec<usize>,
    children: Vec<Vec<usize>>,
}

/// Parallel links between two buses, as one.
struct Merged<'a> {
    a: usize,
    b: usize,
    cap_kw: f64,
    eta_ab: f64,
    eta_ba: f64,
    /// (kind, id, rating, whether its first bus is `a`).
    members: Vec<(Element, &'a str, f64, bool)>,
}

impl<'a> Radial<'a> {
    fn new(park: &'a Park, island_of: &[Option<usize>], n_islands: usize) -> Self {
        let n_bus = park.bus.len();
        let index = |id: &str| park.bus.iter().position(|b| b.id == id);
        let mut links: Vec<Merged<'a>> = Vec::new();
        for l in crate::component::network::links(park) {
            let (Some(a), Some(b)) = (index(l.a), index(l.b)) else {
                continue;
            };
            if let Some(m) = links
                .iter_mut()
                .find(|m| (m.a, m.b) == (a, b) || (m.a, m.b) == (b, a))
            {
                let same = m.a == a;
                let (ab, ba) = if same {
                    (l.eta_ab, l.eta_ba)
                } else {
                    (l.eta_ba, l.eta_ab)
                };
                m.cap_kw += l.cap_kw;
                m.eta_ab = m.eta_ab.min(ab);
                m.eta_ba = m.eta_ba.min(ba);
                m.members.push((l.kind, l.id, l.cap_kw, same));
            } else {
                links.push(Merged {
                    a,
                    b,
                    cap_kw: l.cap_kw,
                    eta_ab: l.eta_ab,
                    eta_ba: l.eta_ba,
                    members: vec![(l.kind, l.id, l.cap_kw, true)],
                });
            }
        }
        let mut root = vec![None; n_islands.max(1)];
        for g in &park.grid {
            if let Some(k) = index(&g.bus) {
                if let Some(isl) = island_of[k] {
                    root[isl].get_or_insert(k);
                }
            }
        }
        for (k, isl) in island_of.iter().enumerate() {
            if let Some(isl) = isl {
                root[*isl].get_or_insert(k);
            }
        }
        let mut order = vec![Vec::new(); n_islands.max(1)];
        let mut parent = vec![None; n_bus];
        let mut parent_bus = (0..n_bus).collect::<Vec<_>>();
        let mut children = vec![Vec::new(); n_bus];
        let mut seen = vec![false; n_bus];
        for (isl, r) in root.iter().enumerate() {
            let Some(r) = *r else { continue };
            seen[r] = true;
            let mut queue = std::collections::VecDeque::from([r]);
            while let Some(k) = queue.pop_front() {
                order[isl].push(k);
                for (li, m) in links.iter().enumerate() {
                    let (other, k_is_a) = match (m.a == k, m.b == k) {
                        (true, _) => (m.b, true),
                        (_, true) => (m.a, false),
                        _ => continue,
                    };
                    if seen[other] {
                        continue;
                    }
                    seen[other] = true;
                    // The child is the link's first bus when the parent is its second.
                    parent[other] = Some((li, !k_is_a));
                    parent_bus[other] = k;
                    children[k].push(other);
                    queue.push_back(other);
                }
            }
        }
        Radial {
            links,
            root,
            order,
            parent,
            parent_bus,
            children,
        }
    }

    /// The link above bus `k`: its rating, and what arrives per kW sent up and down.
    fn up(&self, k: usize) -> (f64, f64, f64) {
        match self.parent[k] {
            Some((li, k_is_a)) => {
                let m = &self.links[li];
                if k_is_a {
                    (m.cap_kw, m.eta_ab, m.eta_ba)
                } else {
                    (m.cap_kw, m.eta_ba, m.eta_ab)
                }
            }
            None => (f64::INFINITY, 1.0, 1.0),
        }
    }

    /// What more bus `k` can draw from the grid connection at a step whose injections per bus
    /// are `inj`, kW: the least spare rating of the links on its way up (each link's flow is what
    /// its side of the network puts in), at the links' efficiencies.
    fn room_down(&self, k: usize, inj: &[f64]) -> f64 {
        // What each bus's side of the network puts in, kW.
        let mut side = inj.to_vec();
        for order in &self.order {
            for &j in order.iter().rev() {
                if self.parent[j].is_some() {
                    let p = self.parent_bus[j];
                    side[p] += side[j];
                }
            }
        }
        let mut room = f64::INFINITY;
        let mut eta = 1.0;
        let mut j = k;
        while self.parent[j].is_some() {
            let (cap, _, eta_down) = self.up(j);
            // The link brings down −side[j] (if negative) and can bring cap·η.
            let spare = (cap * eta_down + side[j].min(0.0)).max(0.0);
            room = room.min(spare * eta);
            eta *= eta_down;
            j = self.parent_bus[j];
        }
        room
    }

    /// Removes up to `amount` kW of surplus at bus `k`: its renewables curtailed, its batteries
    /// discharging less or charging more, then less sent up from its children (shed in their
    /// parts of the network). Returns what was removed.
    fn shed(&self, st: &mut StepState<'_, '_>, k: usize, amount: f64) -> f64 {
        let t = st.t;
        let mut left = amount;
        let free = (st.renewable[k][t] - st.curtailed[k][t]).max(0.0);
        let cut = left.min(free);
        st.curtailed[k][t] += cut;
        left -= cut;
        for (kb, &bus) in st.bat_bus.iter().enumerate() {
            if bus != k || left <= 0.0 {
                continue;
            }
            let b = st.batteries[kb];
            let less = left.min(st.bat_dis[kb][t]);
            st.bat_dis[kb][t] -= less;
            left -= less;
            let hi = b.soc_max_frac * b.e_max_kwh;
            let after = st.level[kb] + st.bat_ch[kb][t] * b.eta_charge * st.dt
                - st.bat_dis[kb][t] * st.dt / b.eta_discharge;
            let room = ((hi - after) / (b.eta_charge * st.dt)).max(0.0);
            let more = left.min((b.p_max_kw - st.bat_ch[kb][t]).max(0.0)).min(room);
            st.bat_ch[kb][t] += more;
            left -= more;
        }
        for &c in &self.children[k] {
            if left <= 0.0 {
                break;
            }
            if st.sent[c] <= 0.0 {
                continue;
            }
            let (_, eta_up, _) = self.up(c);
            let want = left.min(st.sent[c] * eta_up) / eta_up;
            let less = self.shed(st, c, want);
            st.sent[c] -= less;
            st.acc[c] -= less;
            left -= less * eta_up;
        }
        amount - left
    }
}

/// One step of one island, as [`Radial::shed`] changes it.
struct StepState<'s, 'p> {
    t: usize,
    dt: f64,
    /// Net injection of each bus with what its children send it, kW.
    acc: &'s mut [f64],
    /// What each bus sends up its link, kW (negative: receives from its parent).
    sent: &'s mut [f64],
    curtailed: &'s mut [Vec<f64>],
    renewable: &'s [Vec<f64>],
    bat_ch: &'s mut [Vec<f64>],
    bat_dis: &'s mut [Vec<f64>],
    /// Battery levels before the step, kWh.
    level: &'s [f64],
    batteries: &'s [&'p parkgrid_model::asset::Battery],
    bat_bus: &'s [usize],
}

/// The drive heat an absorption chiller takes to cover the cooling `left` on its bus, within its
/// rating and `spare(t)` (the heat it may have), kW; `left` is reduced by the cooling it makes.
fn absorb(
    left: &mut [f64],
    a: &parkgrid_model::asset::AbsorptionChiller,
    spare: impl Fn(usize) -> f64,
) -> Vec<f64> {
    let mut drive = vec![0.0; left.len()];
    for (t, (l, d)) in left.iter_mut().zip(&mut drive).enumerate() {
        *d = (l.max(0.0) / a.cop)
            .min(a.cold_max_kw / a.cop)
            .min(spare(t));
        *l -= *d * a.cop;
    }
    drive
}

fn add_load(
    out: &mut Out,
    demand: &mut [f64],
    p: &ParkProfiles,
    id: &str,
    kind: AssetKind,
    n: usize,
) {
    let d = get(p, id, Profile::ElectricDemand, n);
    add(demand, &d);
    out.push(id, kind, Quantity::PKw, d);
}

fn add(a: &mut [f64], b: &[f64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

fn sub(a: &mut [f64], b: &[f64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x -= y;
    }
}
