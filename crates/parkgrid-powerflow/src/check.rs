//! The network check of an operating point: a power flow of the lowered park with one step's
//! injections, and what an operator looks at — voltages against each bus's band, the loading of
//! every line, transformer and converter, the losses, and the import the network really needs.

use std::collections::BTreeMap;

use crate::lower::{Element, Injections, Lowered};
use crate::newton::{Options, PfResult, solve};
use crate::topology::IslandState;

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
    /// (elements without a rating, or out of service, have none).
    pub loadings: Vec<Loading>,
    /// The islands that are not solved as given: de-energised, with their own reference, or
    /// shedding load (none for a connected network).
    pub islands: Vec<IslandCheck>,
}

/// An island of the checked network that does not hang on the reference bus.
#[derive(Debug, Clone, PartialEq)]
pub struct IslandCheck {
    /// Its buses, park ids (or case bus numbers), AC then DC.
    pub buses: Vec<String>,
    /// Its demand, kW.
    pub load_kw: f64,
    /// Its generators' scheduled output, kW.
    pub generation_kw: f64,
    /// Load lost: all of it when de-energised, the cut when shedding, kW.
    pub lost_load_kw: f64,
    /// How it was solved.
    pub state: IslandState,
    /// The bus that took the island's reference, by name.
    pub reference: Option<String>,
}

impl IslandCheck {
    /// One line for people: the first buses, the load, and how it was solved, e.g.
    /// `island north (114.2 kW of load): de-energised (no generator), 114.2 kW lost`.
    pub fn describe(&self) -> String {
        let shown: Vec<&str> = self.buses.iter().take(6).map(String::as_str).collect();
        let more = if self.buses.len() > 6 {
            format!(" and {} more", self.buses.len() - 6)
        } else {
            String::new()
        };
        let at = self.reference.as_deref().unwrap_or("?");
        let state = match self.state {
            IslandState::Reference => "holds the reference".to_string(),
            IslandState::DeEnergised => {
                format!(
                    "de-energised (no generator), {} lost",
                    power(self.lost_load_kw)
                )
            }
            IslandState::OwnSlack { .. } => format!(
                "solved with its own reference at {at} ({} of generation scheduled)",
                power(self.generation_kw)
            ),
            IslandState::Shed { .. } => format!(
                "its generation cannot carry its load: {} shed, reference at {at}",
                power(self.lost_load_kw)
            ),
        };
        format!(
            "island {}{more} ({} of load): {state}",
            shown.join(", "),
            power(self.load_kw)
        )
    }
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

/// kW below 10 MW, MW above.
fn power(kw: f64) -> String {
    if kw.abs() >= 10_000.0 {
        format!("{:.1} MW", kw / 1000.0)
    } else {
        format!("{kw:.1} kW")
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
    let dead = crate::topology::dead_buses(&res.islands);
    for (cb, b) in case.buses.iter().zip(&res.buses) {
        if cb.kind != crate::case::BusType::Isolated && !dead.ac.contains(&cb.id) {
            see(
                name_ac.get(&b.id).copied().unwrap_or("?"),
                b.vm_pu,
                cb.v_band_pu,
            );
        }
    }
    for (cb, b) in case
        .dc_buses
        .iter()
        .zip(&res.dc_buses)
        .filter(|(cb, _)| !dead.dc.contains(&cb.id))
    {
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
        let in_service = match *element {
            Element::Branch(k) => case.branches[k].in_service,
            Element::DcBranch(k) => case.dc_branches[k].in_service,
            Element::Converter(k) => case.converters[k].in_service,
            Element::DcDc(k) => case.dcdc[k].in_service,
        };
        if !in_service {
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
                } else if lowered.from_case {
                    // A case file's branch: apparent power against rateA (MATPOWER's limit).
                    sf.max(st) * 1000.0 / rating
                } else {
                    // A transformer: the current of each winding against its rated current
                    // (IEC 60076-1: S_r / (√3·U_r)), the high-voltage winding carrying its
                    // magnetising branch's too — as pandapower's loading_percent.
                    let (g, b) = lowered.magnetising.get(id).copied().unwrap_or((0.0, 0.0));
                    let (vf, vt) = (vm(br.from), vm(br.to));
                    let s_hv = (r.pf_mw + g * vf * vf).hypot(r.qf_mvar + b * vf * vf);
                    (s_hv / vf).max(st / vt) * 1000.0 / rating
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
                // A converter tripped with its island has no loading.
                let Some(r) = res
                    .converters
                    .iter()
                    .find(|r| r.busac == c.busac && r.busdc == c.busdc)
                else {
                    continue;
                };
                r.p_ac_mw.abs() * 1000.0 / rating
            }
            Element::DcDc(k) => {
                let c = &case.dcdc[k];
                let Some(r) = res.dcdc.iter().find(|r| r.from == c.from && r.to == c.to) else {
                    continue;
                };
                r.p_to_mw.abs().max(r.p_from_mw.abs()) * 1000.0 / rating
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
    let islands = res
        .islands
        .iter()
        .filter(|i| i.state != IslandState::Reference)
        .map(|i| IslandCheck {
            buses: i
                .buses
                .iter()
                .map(|b| {
                    name_ac
                        .get(b)
                        .map_or_else(|| b.to_string(), |n| (*n).to_string())
                })
                .chain(i.dc_buses.iter().map(|b| {
                    name_dc
                        .get(b)
                        .map_or_else(|| format!("dc {b}"), |n| (*n).to_string())
                }))
                .collect(),
            load_kw: i.load_mw * 1000.0,
            generation_kw: i.gen_mw * 1000.0,
            lost_load_kw: i.lost_load_mw() * 1000.0,
            state: i.state,
            reference: match i.state {
                IslandState::OwnSlack { slack } | IslandState::Shed { slack, .. } => Some(
                    name_ac
                        .get(&slack)
                        .map_or_else(|| slack.to_string(), |n| (*n).to_string()),
                ),
                _ => None,
            },
        })
        .collect();
    StepCheck {
        islands,
        converged: res.converged,
        losses_kw: (res.losses_mw + shunt_mw) * 1000.0,
        import_kw,
        v_min,
        v_max,
        voltage_violations,
        loadings,
    }
}
