//! From a park to a power-flow [`Case`]: its AC buses, lines and transformers become a MATPOWER
//! network, its DC buses and DC lines a DC network, its VSCs MATACDC converters and its DC/DC
//! converters [`DcDcConverter`]s; a step of a dispatch supplies the injections ([`Injections`]).
//!
//! Modelling choices, all in per unit on a 10 MVA base:
//! - the first grid connection's bus is the slack (1.0 p.u.); it supplies whatever the park's loads
//!   and losses need, so its result is the import the network really needs;
//! - loads draw reactive power at [`LOAD_POWER_FACTOR`]; generation and converters run at unity
//!   power factor;
//! - transformers: series impedance from `vk_percent`/`vkr_percent`, magnetising branch from
//!   `pfe_kw`/`i0_percent` as a shunt at the high-voltage bus; tap and phase shift;
//! - DC lines carry two conductors (go and return): loop resistance twice the conductor's, P = V·I
//!   with the pole-to-pole voltage (monopole, `dcpol = 1`);
//! - a VSC is an ideal station with losses `c·I²` that equal `1 − η` of its rating at full load
//!   (rectifier `η_forward`, inverter `η_reverse`); in each DC network one VSC holds the voltage
//!   (the largest, unless a DC/DC converter feeds that network), the others run at the dispatched
//!   power;
//! - a DC/DC converter holds its `to_bus` at 1.0 p.u. and draws what that side needs through its
//!   efficiency.

use std::collections::{BTreeMap, BTreeSet};

use parkgrid_model::{Carrier, Park};

use crate::case::{
    AcControl, BusType, Case, CaseBranch, CaseBus, CaseGen, Converter, DcBranch, DcBus, DcControl,
    DcDcConverter, dc_networks,
};

/// Power factor of loads (lagging).
pub const LOAD_POWER_FACTOR: f64 = 0.95;
/// System base of lowered cases, MVA.
pub const BASE_MVA: f64 = 10.0;

/// A park that cannot be lowered to a network.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct LowerError(pub String);

/// What an element of the park became in the case.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// An AC branch row (index into `case.branches`).
    Branch(usize),
    /// A converter row (index into `case.converters`).
    Converter(usize),
    /// A DC branch row (index into `case.dc_branches`).
    DcBranch(usize),
    /// A DC/DC converter (index into `case.dcdc`).
    DcDc(usize),
}

/// A lowered park: the case and how to find the park's elements in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    /// The network, injections all zero until [`Lowered::apply`].
    pub case: Case,
    /// Park bus id → AC bus number.
    pub ac_bus: BTreeMap<String, u32>,
    /// Park bus id → DC bus number.
    pub dc_bus: BTreeMap<String, u32>,
    /// Park branch or converter id → its row.
    pub elements: BTreeMap<String, Element>,
    /// Rating of each element: lines and DC lines in A, transformers in kVA, converters in kW.
    pub rating: BTreeMap<String, f64>,
    /// Ids of the AC lines (rated in A; transformers are rated in kVA).
    pub lines: BTreeSet<String>,
    /// Each in-service transformer's magnetising branch at its high-voltage bus, at 1 p.u.
    /// voltage: (MW, MVAr) it takes. Its winding carries that current too (loading).
    pub magnetising: BTreeMap<String, (f64, f64)>,
    /// Made from a case file rather than a park (elements named by their rows).
    pub from_case: bool,
}

/// The injections of one step: kW into each park bus (generation positive, as the dispatch's
/// ports give them) without the grid connections and the network's own branches, and kW each VSC
/// takes from its AC side (the dispatch's `forward_kw − reverse_kw`). Buses not named inject
/// nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Injections {
    /// Net injection per park bus, kW.
    pub bus_kw: BTreeMap<String, f64>,
    /// Per VSC id: power taken from its AC bus, kW (negative: delivered to it).
    pub vsc_from_ac_kw: BTreeMap<String, f64>,
}

/// Lowers the electric network of `park`.
pub fn lower(park: &Park) -> Result<Lowered, LowerError> {
    let mut ac_bus = BTreeMap::new();
    let mut dc_bus = BTreeMap::new();
    let mut kv_ac = BTreeMap::new();
    let mut kv_dc = BTreeMap::new();
    let mut buses = Vec::new();
    let mut dc_buses = Vec::new();
    let slack_bus =
        park.grid.first().map(|g| g.bus.clone()).ok_or_else(|| {
            LowerError("the park has no grid connection to hold the voltage".into())
        })?;
    for b in &park.bus {
        let kv = || {
            b.v_nom_kv.filter(|v| *v > 0.0).ok_or_else(|| {
                LowerError(format!(
                    "bus '{}' has no v_nom_kv; the power flow needs every electric bus's voltage",
                    b.id
                ))
            })
        };
        match b.carrier {
            Carrier::Ac => {
                let id = buses.len() as u32 + 1;
                let kv = kv()?;
                ac_bus.insert(b.id.clone(), id);
                kv_ac.insert(id, kv);
                buses.push(CaseBus {
                    id,
                    kind: if b.id == slack_bus {
                        BusType::Ref
                    } else {
                        BusType::Pq
                    },
                    pd_mw: 0.0,
                    qd_mvar: 0.0,
                    gs_mw: 0.0,
                    bs_mvar: 0.0,
                    vm_pu: 1.0,
                    va_deg: 0.0,
                    base_kv: kv,
                    v_band_pu: (b.v_min_pu(), b.v_max_pu()),
                });
            }
            Carrier::Dc => {
                let id = dc_buses.len() as u32 + 1;
                let kv = kv()?;
                dc_bus.insert(b.id.clone(), id);
                kv_dc.insert(id, kv);
                dc_buses.push(DcBus {
                    id,
                    p_load_mw: 0.0,
                    vdc_pu: 1.0,
                    base_kv: kv,
                    v_band_pu: (b.v_min_pu(), b.v_max_pu()),
                });
            }
            Carrier::Heat | Carrier::WasteHeat | Carrier::Cold => {}
        }
    }
    if !ac_bus.contains_key(&slack_bus) {
        return Err(LowerError(format!(
            "the grid connection's bus '{slack_bus}' is not an AC bus"
        )));
    }
    let mut elements = BTreeMap::new();
    let mut rating = BTreeMap::new();
    let mut branches = Vec::new();
    let mut dc_branches = Vec::new();
    let mut lines = BTreeSet::new();
    for l in &park.line {
        let par = f64::from(l.parallel.max(1));
        if let (Some(&f), Some(&t)) = (ac_bus.get(&l.from_bus), ac_bus.get(&l.to_bus)) {
            let kv = kv_ac[&f];
            let z_base = kv * kv / BASE_MVA;
            elements.insert(l.id.clone(), Element::Branch(branches.len()));
            rating.insert(l.id.clone(), l.i_max_a * par);
            lines.insert(l.id.clone());
            branches.push(CaseBranch {
                from: f,
                to: t,
                r_pu: l.r_ohm_per_km * l.length_km / par / z_base,
                x_pu: l.x_ohm_per_km * l.length_km / par / z_base,
                b_pu: l.b_us_per_km * 1e-6 * l.length_km * par * z_base,
                rate_a_mva: 3f64.sqrt() * kv * l.i_max_a * par / 1000.0,
                ratio: 1.0,
                shift_deg: 0.0,
                in_service: l.in_service,
            });
        } else if let (Some(&f), Some(&t)) = (dc_bus.get(&l.from_bus), dc_bus.get(&l.to_bus)) {
            let kv = kv_dc[&f];
            let z_base = kv * kv / BASE_MVA;
            elements.insert(l.id.clone(), Element::DcBranch(dc_branches.len()));
            rating.insert(l.id.clone(), l.i_max_a * par);
            dc_branches.push(DcBranch {
                from: f,
                to: t,
                r_pu: 2.0 * l.r_ohm_per_km * l.length_km / par / z_base,
                rate_a_mw: kv * l.i_max_a * par / 1000.0,
                in_service: l.in_service,
            });
        }
    }
    let mut magnetising = BTreeMap::new();
    for t in &park.transformer {
        let (Some(&hv), Some(&lv)) = (ac_bus.get(&t.hv_bus), ac_bus.get(&t.lv_bus)) else {
            continue;
        };
        let par = f64::from(t.parallel.max(1));
        let s_mva = t.s_rated_kva * par / 1000.0;
        let z = t.vk_percent / 100.0 * BASE_MVA / s_mva;
        let r = t.vkr_percent / 100.0 * BASE_MVA / s_mva;
        let x = (z * z - r * r).max(0.0).sqrt();
        elements.insert(t.id.clone(), Element::Branch(branches.len()));
        rating.insert(t.id.clone(), t.s_rated_kva * par);
        branches.push(CaseBranch {
            from: hv,
            to: lv,
            r_pu: r,
            x_pu: x,
            b_pu: 0.0,
            rate_a_mva: s_mva,
            ratio: t.tap_pu,
            shift_deg: t.shift_deg,
            in_service: t.in_service,
        });
        if t.in_service {
            // Magnetising branch as a shunt at the high-voltage bus.
            let g_mw = t.pfe_kw * par / 1000.0;
            let s0 = t.i0_percent / 100.0 * s_mva;
            let b_mvar = (s0 * s0 - g_mw * g_mw).max(0.0).sqrt();
            let bus = &mut buses[hv as usize - 1];
            bus.gs_mw += g_mw;
            bus.bs_mvar -= b_mvar;
            magnetising.insert(t.id.clone(), (g_mw, b_mvar));
        }
    }
    // DC networks (connected by DC lines) and who holds each one's voltage.
    let network = dc_networks(&dc_buses, &dc_branches);
    let mut dcdc = Vec::new();
    let mut held: BTreeSet<u32> = BTreeSet::new();
    let mut vscs: Vec<(&parkgrid_model::Converter, u32, u32)> = Vec::new();
    for c in &park.converter {
        match (
            ac_bus.get(&c.from_bus),
            dc_bus.get(&c.from_bus),
            ac_bus.get(&c.to_bus),
            dc_bus.get(&c.to_bus),
        ) {
            (Some(&a), _, _, Some(&d)) => vscs.push((c, a, d)),
            (_, Some(&f), _, Some(&t)) => {
                if c.in_service {
                    let g = network[&t];
                    if !held.insert(g) {
                        return Err(LowerError(format!(
                            "DC/DC converter '{}': the network of '{}' already has its voltage held",
                            c.id, c.to_bus
                        )));
                    }
                }
                elements.insert(c.id.clone(), Element::DcDc(dcdc.len()));
                rating.insert(c.id.clone(), c.p_max_kw);
                dcdc.push(DcDcConverter {
                    from: f,
                    to: t,
                    eta_forward: c.eta_forward,
                    eta_reverse: c.eta_reverse,
                    p_rated_mw: c.p_max_kw / 1000.0,
                    in_service: c.in_service,
                });
            }
            _ => {
                return Err(LowerError(format!(
                    "converter '{}' must join an AC bus (from_bus) to a DC bus (to_bus), or two DC buses",
                    c.id
                )));
            }
        }
    }
    // The largest in-service VSC of each DC network without a DC/DC feed holds its voltage.
    let mut slack_vsc: BTreeMap<u32, (f64, usize)> = BTreeMap::new();
    for (k, (c, _, d)) in vscs.iter().enumerate() {
        let g = network[d];
        if c.in_service && !held.contains(&g) {
            let e = slack_vsc.entry(g).or_insert((c.p_max_kw, k));
            if c.p_max_kw > e.0 {
                *e = (c.p_max_kw, k);
            }
        }
    }
    let mut converters = Vec::new();
    for (k, (c, a, d)) in vscs.iter().enumerate() {
        let kv = kv_ac[a];
        let p_rated = c.p_max_kw / 1000.0 / BASE_MVA;
        let i_base_ka = BASE_MVA / (3f64.sqrt() * kv);
        let c_ohm = |eta: f64| (1.0 - eta) / p_rated.max(1e-9) * BASE_MVA / (i_base_ka * i_base_ka);
        let is_slack = slack_vsc.get(&network[d]).is_some_and(|&(_, s)| s == k);
        elements.insert(c.id.clone(), Element::Converter(converters.len()));
        rating.insert(c.id.clone(), c.p_max_kw);
        converters.push(Converter {
            busdc: *d,
            busac: *a,
            dc_control: if is_slack {
                DcControl::Slack
            } else {
                DcControl::Power
            },
            ac_control: AcControl::Pq,
            p_mw: 0.0,
            q_mvar: 0.0,
            vtar_pu: 1.0,
            z_tf_pu: (0.0, 0.0),
            b_filter_pu: 0.0,
            z_c_pu: (0.0, 0.0),
            base_kv_ac: kv,
            vm_max_pu: 1.2,
            vm_min_pu: 0.8,
            i_max_pu: 1.1 * p_rated,
            in_service: c.in_service,
            loss_a_mw: 0.0,
            loss_b_kv: 0.0,
            loss_c_rec_ohm: c_ohm(c.eta_forward),
            loss_c_inv_ohm: c_ohm(c.eta_reverse),
            droop: 0.0,
            pdcset_mw: 0.0,
            vdcset_pu: 1.0,
            dvdcset_pu: 0.0,
        });
    }
    let slack_id = ac_bus[&slack_bus];
    let gens = vec![CaseGen {
        bus: slack_id,
        pg_mw: 0.0,
        qg_mvar: 0.0,
        qmax_mvar: f64::INFINITY,
        qmin_mvar: f64::NEG_INFINITY,
        vg_pu: 1.0,
        in_service: true,
        pmax_mw: f64::INFINITY,
    }];
    let case = Case {
        base_mva: BASE_MVA,
        buses,
        gens,
        branches,
        dcpol: 1,
        dc_buses,
        dc_branches,
        converters,
        dcdc,
    };
    case.check("park").map_err(|e| LowerError(e.message))?;
    Ok(Lowered {
        case,
        ac_bus,
        dc_bus,
        elements,
        rating,
        lines,
        magnetising,
        from_case: false,
    })
}

impl Lowered {
    /// The case with the injections of one step.
    pub fn apply(&self, inj: &Injections) -> Case {
        let mut case = self.case.clone();
        let tan = (1.0 / (LOAD_POWER_FACTOR * LOAD_POWER_FACTOR) - 1.0).sqrt();
        for (bus, &kw) in &inj.bus_kw {
            if let Some(&id) = self.ac_bus.get(bus) {
                let b = &mut case.buses[id as usize - 1];
                b.pd_mw = -kw / 1000.0;
                b.qd_mvar = if kw < 0.0 { -kw / 1000.0 * tan } else { 0.0 };
            } else if let Some(&id) = self.dc_bus.get(bus) {
                case.dc_buses[id as usize - 1].p_load_mw = -kw / 1000.0;
            }
        }
        for (id, &kw) in &inj.vsc_from_ac_kw {
            if let Some(Element::Converter(k)) = self.elements.get(id) {
                case.converters[*k].p_mw = -kw / 1000.0;
            }
        }
        case
    }
}
