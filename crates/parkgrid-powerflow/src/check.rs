//! The network check of an operating point: a power flow of the lowered park with one step's
//! injections, and what an operator looks at — voltages against each bus's band, the loading of
//! every line, transformer and converter, the losses, and the import the network really needs.

use std::collections::BTreeMap;

use crate::lower::{Element, Injections, Lowered};
use crate::newton::{Options, PfResult, solve};

/// One element's loading.
#[derive(Debug, Clone, PartialEq)]
pub struct Loading {
    /// Park id of the line, transformer or converter.
    pub id: String,
    /// Current (lines) or power (transformers, converters) over its rating.
    pub fraction: f64,
}

/// A bus voltage outside its band.
#[derive(Debug, Clone, PartialEq)]
pub struct VoltageViolation {
    /// Park bus id.
    pub bus: String,
    /// Voltage, p.u.
    pub v_pu: f64,
    /// The band, p.u.
    pub band: (f64, f64),
}

/// The check of one operating point.
#[derive(Debug, Clone, PartialEq)]
pub struct StepCheck {
    /// The power flow converged.
    pub converged: bool,
    /// Losses of lines, transformers (copper and iron) and converters, kW.
    pub losses_kw: f64,
    /// Import at the grid connection the network needs, kW.
    pub import_kw: f64,
    /// Lowest and highest bus voltage, p.u., with the bus.
    pub v_min: (String, f64),
    /// Highest bus voltage.
    pub v_max: (String, f64),
    /// Buses out of their band.
    pub voltage_violations: Vec<VoltageViolation>,
    /// Every rated element's loading, in the park's order of lines, transformers, converters
    /// (elements without a rating have none).
    pub loadings: Vec<Loading>,
}

impl StepCheck {
    /// The most loaded element.
    pub fn max_loading(&self) -> Option<&Loading> {
        self.loadings
            .iter()
            .max_by(|a, b| a.fraction.total_cmp(&b.fraction))
    }

    /// Elements above their rating.
    pub fn overloads(&self) -> impl Iterator<Item = &Loading> {
        self.loadings.iter().filter(|l| l.fraction > 1.0 + 1e-9)
    }

    /// Any violation (or no convergence).
    pub fn violated(&self) -> bool {
        !self.converged || !self.voltage_violations.is_empty() || self.overloads().next().is_some()
    }
}

/// Runs the power flow of `lowered` with `inj` and checks the result.
pub fn check_step(lowered: &Lowered, inj: &Injections, opts: &Options) -> (StepCheck, PfResult) {
    let case = lowered.apply(inj);
    let res = solve(&case, opts);
    (evaluate(lowered, &res), res)
}

/// The check of a solved lowered case.
pub fn evaluate(lowered: &Lowered, res: &PfResult) -> StepCheck {
    let case = &lowered.case;
    let name_ac: BTreeMap<u32, &str> = lowered
        .ac_bus
        .iter()
        .map(|(k, &v)| (v, k.as_str()))
        .collect();
    let name_dc: BTreeMap<u32, &str> = lowered
        .dc_bus
        .iter()
        .map(|(k, &v)| (v, k.as_str()))
        .collect();
    let mut v_min = (String::new(), f64::INFINITY);
    let mut v_max = (String::new(), f64::NEG_INFINITY);
    let mut voltage_violations = Vec::new();
    let mut see = |bus: &str, v: f64, band: (f64, f64)| {
        if v < v_min.1 {
            v_min = (bus.to_string(), v);
        }
        if v > v_max.1 {
            v_max = (bus.to_string(), v);
        }
        if v < band.0 - 1e-9 || v > band.1 + 1e-9 {
            voltage_violations.push(VoltageViolation {
                bus: bus.to_string(),
                v_pu: v,
                band,
            });
        }
    };
    for (cb, b) in case.buses.iter().zip(&res.buses) {
        if cb.kind != crate::case::BusType::Isolated {
            see(
                name_ac.get(&b.id).copied().unwrap_or("?"),
                b.vm_pu,
                cb.v_band_pu,
            );
        }
    }
    for (cb, b) in case.dc_buses.iter().zip(&res.dc_buses) {
        see(
            name_dc.get(&b.id).copied().unwrap_or("?"),
            b.vdc_pu,
            cb.v_band_pu,
        );
    }
    let vm: BTreeMap<u32, f64> = res.buses.iter().map(|b| (b.id, b.vm_pu)).collect();
    let vdc: BTreeMap<u32, f64> = res.dc_buses.iter().map(|b| (b.id, b.vdc_pu)).collect();
    let kv_ac: BTreeMap<u32, f64> = case.buses.iter().map(|b| (b.id, b.base_kv)).collect();
    let kv_dc: BTreeMap<u32, f64> = case.dc_buses.iter().map(|b| (b.id, b.base_kv)).collect();
    let vm = |id: u32| vm.get(&id).copied().unwrap_or(1.0);
    let vdc = |id: u32| vdc.get(&id).copied().unwrap_or(1.0);
    let mut loadings = Vec::new();
    for (id, element) in &lowered.elements {
        let rating = lowered.rating.get(id).copied().unwrap_or(f64::INFINITY);
        // An element without a rating (MATPOWER's rateA = 0) has no loading, not 0 %.
        if !(rating.is_finite() && rating > 0.0) {
            continue;
        }
        let fraction = match *element {
            Element::Branch(k) => {
                let br = &case.branches[k];
                let r = &res.branches[k];
                let sf = r.pf_mw.hypot(r.qf_mvar);
                let st = r.pt_mw.hypot(r.qt_mvar);
                if lowered.lines.contains(id) {
                    // Current at either end, A.
                    let kv = kv_ac.get(&br.from).copied().unwrap_or(1.0);
                    let i_f = sf / (3f64.sqrt() * kv * vm(br.from)) * 1000.0;
                    let i_t = st / (3f64.sqrt() * kv * vm(br.to)) * 1000.0;
                    i_f.max(i_t) / rating
                } else {
                    sf.max(st) * 1000.0 / rating
                }
            }
            Element::DcBranch(k) => {
                let br = &case.dc_branches[k];
                let kv = kv_dc.get(&br.from).copied().unwrap_or(1.0);
                let i_pu = (vdc(br.from) - vdc(br.to)).abs() / br.r_pu;
                // Two conductors in the loop: the current is the same in each.
                i_pu * case.base_mva / kv * 1000.0 / rating
            }
            Element::Converter(k) => {
                let c = &case.converters[k];
                res.converters
                    .iter()
                    .find(|r| r.busac == c.busac && r.busdc == c.busdc)
                    .map_or(0.0, |r| r.p_ac_mw.abs() * 1000.0 / rating)
            }
            Element::DcDc(k) => {
                let c = &case.dcdc[k];
                res.dcdc
                    .iter()
                    .find(|r| r.from == c.from && r.to == c.to)
                    .map_or(0.0, |r| {
                        r.p_to_mw.abs().max(r.p_from_mw.abs()) * 1000.0 / rating
                    })
            }
        };
        loadings.push(Loading {
            id: id.clone(),
            fraction,
        });
    }
    let import_kw = res.gens.first().map_or(0.0, |g| g.pg_mw * 1000.0);
    // Iron losses of the transformers (shunt conductances at their buses).
    let shunt_mw: f64 = case
        .buses
        .iter()
        .map(|b| b.gs_mw * vm(b.id) * vm(b.id))
        .sum();
    StepCheck {
        converged: res.converged,
        losses_kw: (res.losses_mw + shunt_mw) * 1000.0,
        import_kw,
        v_min,
        v_max,
        voltage_violations,
        loadings,
    }
}
