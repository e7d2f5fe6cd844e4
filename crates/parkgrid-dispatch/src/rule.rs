//! The rule-based baseline: how a park is run without optimisation, step by step.
//!
//! Heat as before the energy internet: CHP follows the heat demand and the boiler house covers the
//! rest; heat pumps and stores stay idle, the data centre's waste heat is rejected. Electricity on
//! one copper plate per electric island — the buses joined by in-service lines, transformers and
//! converters, so a load behind a switched-off cable is not supplied: renewables first; a surplus
//! charges the island's batteries, then is exported, then curtailed; a deficit discharges the
//! batteries, then is imported, and what the island's grid connections cannot bring is unserved
//! (booked on the island's first bus). Electric boilers and flexibility are not used; EV charging
//! is unmanaged.

use parkgrid_model::asset::AssetRef;
use parkgrid_model::{Carrier, Park};
use parkgrid_resource::{ParkProfiles, Quantity};

use crate::build::Steps;
use crate::result::{Dispatch, Series};

struct Out {
    series: Vec<Series>,
}

impl Out {
    fn push(&mut self, id: &str, kind: &'static str, quantity: &'static str, values: Vec<f64>) {
        self.series.push(Series {
            id: id.to_string(),
            kind,
            quantity,
            values,
        });
    }
}

fn get(p: &ParkProfiles, id: &str, q: Quantity, n: usize) -> Vec<f64> {
    p.get(id, q)
        .map(<[f64]>::to_vec)
        .unwrap_or_else(|| vec![0.0; n])
}

/// Simulates the rules over the year.
pub fn simulate(park: &Park, profiles: &ParkProfiles, steps: &Steps) -> Dispatch {
    let n = steps.n;
    let dt = steps.step_h;
    let mut out = Out { series: Vec::new() };
    let (island_of, n_islands) = park.electric_islands();
    let island = |bus: &str| {
        park.bus
            .iter()
            .position(|b| b.id == bus)
            .and_then(|i| island_of[i])
            .unwrap_or(0)
    };
    let mut el_demand = vec![vec![0.0; n]; n_islands.max(1)];
    let mut heat_left = vec![0.0; n];
    let mut renewable = vec![vec![0.0; n]; n_islands.max(1)];

    // Demand no asset declares (network losses fed back by a power flow).
    for (bus, values) in &profiles.extra_demand_kw {
        add(&mut el_demand[island(bus)], values);
    }
    // Demands and supplies that no rule changes.
    for (_, a) in park.assets() {
        match a {
            AssetRef::ElectricLoad(x) => add_load(
                &mut out,
                &mut el_demand[island(&x.bus)],
                profiles,
                &x.id,
                "electric_load",
                n,
            ),
            AssetRef::EvCharging(x) => add_load(
                &mut out,
                &mut el_demand[island(&x.bus)],
                profiles,
                &x.id,
                "ev_charging",
                n,
            ),
            AssetRef::FlexibleLoad(x) => add_load(
                &mut out,
                &mut el_demand[island(&x.bus)],
                profiles,
                &x.id,
                "flexible_load",
                n,
            ),
            AssetRef::DataCentre(x) => {
                let d = get(profiles, &x.id, Quantity::ElectricDemand, n);
                let w = get(profiles, &x.id, Quantity::WasteHeat, n);
                add(&mut el_demand[island(&x.bus)], &d);
                out.push(&x.id, "data_centre", "p_kw", d);
                if x.waste_heat_bus.is_some() {
                    out.push(&x.id, "data_centre", "waste_heat_kw", w);
                }
            }
            AssetRef::HeatLoad(x) => {
                let h = get(profiles, &x.id, Quantity::HeatDemand, n);
                add(&mut heat_left, &h);
                out.push(&x.id, "heat_load", "heat_kw", h);
            }
            AssetRef::Pv(x) => add(
                &mut renewable[island(&x.bus)],
                &get(profiles, &x.id, Quantity::Available, n),
            ),
            AssetRef::Wind(x) => add(
                &mut renewable[island(&x.bus)],
                &get(profiles, &x.id, Quantity::Available, n),
            ),
            _ => {}
        }
    }

    // Heat, in merit order of the rules.
    let mut chp_el = vec![vec![0.0; n]; n_islands.max(1)];
    for (_, a) in park.assets() {
        match a {
            AssetRef::Chp(c) => {
                let ratio = c.eta_th / c.eta_el;
                let heat: Vec<f64> = (0..n)
                    .map(|t| heat_left[t].min(c.p_max_kw * ratio))
                    .collect();
                let p: Vec<f64> = heat.iter().map(|h| h / ratio).collect();
                sub(&mut heat_left, &heat);
                add(&mut chp_el[island(&c.bus)], &p);
                out.push(
                    &c.id,
                    "chp",
                    "fuel_kw",
                    p.iter().map(|x| x / c.eta_el).collect(),
                );
                out.push(&c.id, "chp", "heat_kw", heat);
                out.push(&c.id, "chp", "p_kw", p);
            }
            _ => continue,
        }
    }
    for (_, a) in park.assets() {
        match a {
            AssetRef::WasteHeatPump(h) => {
                for q in ["p_kw", "heat_kw", "source_kw"] {
                    out.push(&h.id, "waste_heat_pump", q, vec![0.0; n]);
                }
            }
            AssetRef::GroundHeatPump(h) => {
                for q in ["p_kw", "heat_kw"] {
                    out.push(&h.id, "ground_heat_pump", q, vec![0.0; n]);
                }
            }
            _ => {}
        }
    }
    for (_, a) in park.assets() {
        match a {
            AssetRef::GasBoiler(g) => {
                let heat: Vec<f64> = (0..n)
                    .map(|t| heat_left[t].min(g.heat_max_kw).max(0.0))
                    .collect();
                sub(&mut heat_left, &heat);
                out.push(
                    &g.id,
                    "gas_boiler",
                    "fuel_kw",
                    heat.iter().map(|h| h / g.eta).collect(),
                );
                out.push(&g.id, "gas_boiler", "heat_kw", heat);
            }
            AssetRef::ElectricBoiler(e) => {
                out.push(&e.id, "electric_boiler", "p_kw", vec![0.0; n]);
                out.push(&e.id, "electric_boiler", "heat_kw", vec![0.0; n]);
            }
            AssetRef::ThermalStore(s) => {
                out.push(&s.id, "thermal_store", "charge_kw", vec![0.0; n]);
                out.push(&s.id, "thermal_store", "discharge_kw", vec![0.0; n]);
                let level = s.soc_initial_frac.unwrap_or(s.soc_min_frac) * s.e_max_kwh;
                out.push(&s.id, "thermal_store", "level_kwh", vec![level; n]);
            }
            _ => {}
        }
    }

    // Electricity, island by island.
    let batteries: Vec<_> = park.battery.iter().collect();
    let mut bat_ch = vec![vec![0.0; n]; batteries.len()];
    let mut bat_dis = vec![vec![0.0; n]; batteries.len()];
    let mut bat_level = vec![vec![0.0; n]; batteries.len()];
    let mut import = vec![vec![0.0; n]; n_islands.max(1)];
    let mut export = vec![vec![0.0; n]; n_islands.max(1)];
    let mut curtailed = vec![vec![0.0; n]; n_islands.max(1)];
    let mut unserved_el = vec![vec![0.0; n]; n_islands.max(1)];
    let limits = |isl: usize, f: fn(&parkgrid_model::asset::Grid) -> f64| -> f64 {
        park.grid
            .iter()
            .filter(|g| island(&g.bus) == isl)
            .map(f)
            .sum()
    };
    for isl in 0..n_islands.max(1) {
        let mine: Vec<usize> = (0..batteries.len())
            .filter(|&k| island(&batteries[k].bus) == isl)
            .collect();
        let mut level: Vec<f64> = batteries
            .iter()
            .map(|b| b.soc_initial_frac.unwrap_or(0.5) * b.e_max_kwh)
            .collect();
        let import_max = limits(isl, |g| g.p_import_max_kw);
        let export_max = limits(isl, |g| g.p_export_max_kw);
        for t in 0..n {
            let mut net = el_demand[isl][t] - chp_el[isl][t] - renewable[isl][t];
            for &k in &mine {
                let b = batteries[k];
                let keep = (1.0 - b.self_discharge_frac_per_h).powf(dt);
                level[k] *= keep;
                let (lo, hi) = (b.soc_min_frac * b.e_max_kwh, b.soc_max_frac * b.e_max_kwh);
                if net < 0.0 {
                    let ch = (-net)
                        .min(b.p_max_kw)
                        .min(((hi - level[k]) / (b.eta_charge * dt)).max(0.0));
                    level[k] += ch * b.eta_charge * dt;
                    bat_ch[k][t] = ch;
                    net += ch;
                } else if net > 0.0 {
                    let dis = net
                        .min(b.p_max_kw)
                        .min(((level[k] - lo) * b.eta_discharge / dt).max(0.0));
                    level[k] -= dis * dt / b.eta_discharge;
                    bat_dis[k][t] = dis;
                    net -= dis;
                }
                bat_level[k][t] = level[k];
            }
            if net > 0.0 {
                import[isl][t] = net.min(import_max);
                unserved_el[isl][t] = net - import[isl][t];
            } else {
                export[isl][t] = (-net).min(export_max);
                curtailed[isl][t] = -net - export[isl][t];
            }
        }
    }
    for (k, b) in batteries.iter().enumerate() {
        out.push(
            &b.id,
            "battery",
            "charge_kw",
            std::mem::take(&mut bat_ch[k]),
        );
        out.push(
            &b.id,
            "battery",
            "discharge_kw",
            std::mem::take(&mut bat_dis[k]),
        );
        out.push(
            &b.id,
            "battery",
            "level_kwh",
            std::mem::take(&mut bat_level[k]),
        );
    }
    // Grid flows shared within an island in proportion to the connections' limits.
    for g in &park.grid {
        let isl = island(&g.bus);
        let (import_max, export_max) = (
            limits(isl, |g| g.p_import_max_kw),
            limits(isl, |g| g.p_export_max_kw),
        );
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
            "grid",
            "import_kw",
            import[isl].iter().map(|v| v * share_i).collect(),
        );
        out.push(
            &g.id,
            "grid",
            "export_kw",
            export[isl].iter().map(|v| v * share_e).collect(),
        );
    }
    // Curtailment shared within an island in proportion to availability.
    for (_, a) in park.assets() {
        let (id, kind, bus) = match a {
            AssetRef::Pv(x) => (&x.id, "pv", &x.bus),
            AssetRef::Wind(x) => (&x.id, "wind", &x.bus),
            _ => continue,
        };
        let isl = island(bus);
        let avail = get(profiles, id, Quantity::Available, n);
        let output = (0..n)
            .map(|t| {
                if renewable[isl][t] > 0.0 {
                    avail[t] * (1.0 - curtailed[isl][t] / renewable[isl][t])
                } else {
                    0.0
                }
            })
            .collect();
        out.push(id, kind, "output_kw", output);
        out.push(id, kind, "available_kw", avail);
    }
    // Unserved demand booked on the first bus of each electric island and of the heat carrier.
    let first_heat = park
        .bus
        .iter()
        .find(|b| b.carrier == Carrier::Heat)
        .map(|b| b.id.clone());
    let mut booked = vec![false; n_islands.max(1)];
    for (bi, bus) in park.bus.iter().enumerate() {
        let values = match island_of[bi] {
            Some(isl) if !booked[isl] => {
                booked[isl] = true;
                std::mem::take(&mut unserved_el[isl])
            }
            _ if Some(&bus.id) == first_heat.as_ref() => {
                heat_left.iter().map(|h| h.max(0.0)).collect()
            }
            _ => vec![0.0; n],
        };
        if bus.carrier == Carrier::WasteHeat {
            let mut rejected = vec![0.0; n];
            for dc in park.data_centre.iter() {
                if dc.waste_heat_bus.as_deref() == Some(bus.id.as_str()) {
                    add(
                        &mut rejected,
                        &get(profiles, &dc.id, Quantity::WasteHeat, n),
                    );
                }
            }
            out.push(&bus.id, "bus", "rejected_kw", rejected);
        } else {
            out.push(&bus.id, "bus", "unserved_kw", values);
        }
    }
    Dispatch { series: out.series }
}

fn add_load(
    out: &mut Out,
    demand: &mut [f64],
    p: &ParkProfiles,
    id: &str,
    kind: &'static str,
    n: usize,
) {
    let d = get(p, id, Quantity::ElectricDemand, n);
    add(demand, &d);
    out.push(id, kind, "p_kw", d);
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
