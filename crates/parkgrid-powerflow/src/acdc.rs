//! AC/DC power flow, MATACDC's sequential scheme: the AC Newton–Raphson with the converters as
//! injections (PQ) or voltage-controlling buses (PV); each converter station solved from its AC
//! bus to its DC terminal (transformer, filter, phase reactor, losses); the DC network's
//! Newton–Raphson with the DC-slack and droop converters; the slack and droop converters' AC power
//! found from their DC power; repeated until those AC powers stop changing.
//!
//! Conventions. `Ps`, `Qs`: power the station injects into its AC bus. `Pc`: power at the
//! converter terminal towards the AC side. `Pdc = Pc + loss`: power drawn from the DC bus.
//! Loss `a + b·Ic + c·Ic²` with `c` the rectifier coefficient (`LossCrec`) when power flows AC → DC
//! (`Pc < 0`) and the inverter one (`LossCinv`) when it flows DC → AC, as in pyflow-acdc (MATACDC
//! 1.0's `calclossac.m` swaps the two; PowerModelsACDC uses `LossCinv` both ways).

use std::collections::BTreeMap;

use faer::linalg::solvers::Solve;

use crate::case::{AcControl, BusType, Case, Converter, DcControl};
use crate::newton::{C, NrOutcome, Options, PfResult, newton, prepare, results};

/// Result of one DC bus.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DcBusResult {
    /// DC bus number in the case.
    pub id: u32,
    /// Voltage, p.u.
    pub vdc_pu: f64,
    /// Power the bus injects into the DC branches, MW.
    pub p_mw: f64,
}

/// Result of one converter station.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConverterResult {
    /// DC bus number.
    pub busdc: u32,
    /// AC bus number.
    pub busac: u32,
    /// Active power into the AC bus, MW.
    pub p_ac_mw: f64,
    /// Reactive power into the AC bus, MVAr.
    pub q_ac_mvar: f64,
    /// Active power into the DC bus, MW (`p_ac_mw + p_dc_mw + loss_mw = 0`).
    pub p_dc_mw: f64,
    /// Losses of the station (converter, transformer, reactor), MW.
    pub loss_mw: f64,
    /// Converter losses `a + b·I + c·I²`, MW.
    pub loss_converter_mw: f64,
    /// Converter current, p.u.
    pub ic_pu: f64,
    /// Converter-terminal voltage, p.u.
    pub vm_c_pu: f64,
    /// Current above `Imax` or terminal voltage outside `[Vmmin, Vmmax]` (reported, not enforced).
    pub over_limit: bool,
}

/// Result of one DC/DC converter.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DcDcResult {
    /// DC bus it draws from.
    pub from: u32,
    /// DC bus whose voltage it holds.
    pub to: u32,
    /// Power into the `from` bus, MW (negative when drawing).
    pub p_from_mw: f64,
    /// Power into the `to` bus, MW.
    pub p_to_mw: f64,
    /// Losses, MW.
    pub loss_mw: f64,
}

/// The station seen from its AC bus.
#[derive(Debug, Clone, Copy)]
struct Station {
    ztf: C,
    bf: f64,
    zc: C,
    a: f64,
    b: f64,
    c_rec: f64,
    c_inv: f64,
}

/// The state of a station for an AC voltage and the power it injects there.
#[derive(Debug, Clone, Copy)]
struct StationState {
    pc: f64,
    ic: f64,
    vc: f64,
    loss: f64,
}

impl Station {
    fn of(c: &Converter, base_mva: f64) -> Self {
        let i_base_ka = base_mva / (3f64.sqrt() * c.base_kv_ac.max(1e-9));
        Station {
            ztf: C::new(c.z_tf_pu.0, c.z_tf_pu.1),
            bf: c.b_filter_pu,
            zc: C::new(c.z_c_pu.0, c.z_c_pu.1),
            a: c.loss_a_mw / base_mva,
            b: c.loss_b_kv * i_base_ka / base_mva,
            c_rec: c.loss_c_rec_ohm * i_base_ka * i_base_ka / base_mva,
            c_inv: c.loss_c_inv_ohm * i_base_ka * i_base_ka / base_mva,
        }
    }

    /// From the AC bus voltage `vs` and the injection `ss` into it to the converter terminal.
    fn solve(&self, vs: C, ss: C) -> StationState {
        // Current from the filter bus towards the AC bus, then through the filter and reactor.
        let i_s = (ss * vs.inv()).conj();
        let vf = vs + self.ztf * i_s;
        let i_c = i_s + C::new(0.0, self.bf) * vf;
        let vc = vf + self.zc * i_c;
        let sc = vc * i_c.conj();
        let ic = i_c.abs();
        let c = if sc.re < 0.0 { self.c_rec } else { self.c_inv };
        let loss = self.a + self.b * ic + c * ic * ic;
        StationState {
            pc: sc.re,
            ic,
            vc: vc.abs(),
            loss,
        }
    }

    /// The `Ps` that draws `pdc` from the DC bus at AC voltage `vs` and reactive injection `qs`.
    fn ps_for(&self, vs: C, qs: f64, pdc: f64, start: f64) -> f64 {
        let f = |ps: f64| {
            let st = self.solve(vs, C::new(ps, qs));
            st.pc + st.loss - pdc
        };
        let mut ps = start;
        for _ in 0..50 {
            let r = f(ps);
            if r.abs() < 1e-15 {
                break;
            }
            let h = 1e-7 * (1.0 + ps.abs());
            let d = (f(ps + h) - f(ps - h)) / (2.0 * h);
            if d.abs() < 1e-12 {
                break;
            }
            ps -= r / d;
        }
        ps
    }
}

/// The power a droop converter draws from its DC bus at voltage `v` (p.u.), with its dead band,
/// and its derivative in `v`.
fn droop_draw(c: &Converter, v: f64, base: f64) -> (f64, f64) {
    let dv = v - c.vdcset_pu;
    let band = c.dvdcset_pu;
    if dv.abs() <= band {
        (c.pdcset_mw / base, 0.0)
    } else {
        (
            c.pdcset_mw / base + (dv - band * dv.signum()) / c.droop,
            1.0 / c.droop,
        )
    }
}

/// The DC networks: conductance rows and the buses held by slack converters.
struct DcNet {
    g: Vec<Vec<(usize, f64)>>,
    pol: f64,
}

impl DcNet {
    /// Power each bus injects into the DC branches, p.u.
    fn p(&self, v: &[f64]) -> Vec<f64> {
        self.g
            .iter()
            .enumerate()
            .map(|(i, row)| self.pol * v[i] * row.iter().map(|&(j, g)| g * v[j]).sum::<f64>())
            .collect()
    }
}

/// Runs the sequential AC/DC power flow.
pub(crate) fn solve(case: &Case, opts: &Options, ws: &mut crate::newton::Workspace) -> PfResult {
    let base = case.base_mva;
    let mut prep = prepare(case, opts);
    let dc_index: BTreeMap<u32, usize> = case
        .dc_buses
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id, i))
        .collect();
    let nd = case.dc_buses.len();
    let convs: Vec<(usize, &Converter)> = case
        .converters
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.in_service && prep.index.contains(c.busac) && dc_index.contains_key(&c.busdc)
        })
        .collect();
    let stations: Vec<Station> = convs.iter().map(|(_, c)| Station::of(c, base)).collect();
    let ac_of: Vec<usize> = convs
        .iter()
        .filter_map(|(_, c)| prep.index.get(c.busac))
        .collect();
    let dc_of: Vec<usize> = convs.iter().map(|(_, c)| dc_index[&c.busdc]).collect();

    // DC conductances.
    let mut g: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new(); nd];
    for br in case.dc_branches.iter().filter(|b| b.in_service) {
        let (f, t) = (dc_index[&br.from], dc_index[&br.to]);
        let y = 1.0 / br.r_pu;
        *g[f].entry(f).or_default() += y;
        *g[t].entry(t).or_default() += y;
        *g[f].entry(t).or_default() -= y;
        *g[t].entry(f).or_default() -= y;
    }
    let dc = DcNet {
        g: g.into_iter().map(|r| r.into_iter().collect()).collect(),
        pol: f64::from(case.dcpol),
    };
    let mut vdc: Vec<f64> = case.dc_buses.iter().map(|b| b.vdc_pu).collect();
    let load: Vec<f64> = case.dc_buses.iter().map(|b| b.p_load_mw / base).collect();
    let dcdc: Vec<(usize, usize, &crate::case::DcDcConverter)> = case
        .dcdc
        .iter()
        .filter(|c| c.in_service && dc_index.contains_key(&c.from) && dc_index.contains_key(&c.to))
        .map(|c| (dc_index[&c.from], dc_index[&c.to], c))
        .collect();
    let slack: Vec<bool> = (0..nd)
        .map(|d| {
            convs
                .iter()
                .zip(&dc_of)
                .any(|((_, c), &k)| k == d && c.dc_control == DcControl::Slack)
                || dcdc.iter().any(|&(_, t, _)| t == d)
        })
        .collect();
    // Power each DC/DC converter delivers to its `to` bus, p.u.
    let mut dcdc_to = vec![0.0; dcdc.len()];
    // DC networks whose voltage nobody holds (`topology::reached`: no slack or droop converter
    // on an energised AC bus, no DC/DC converter from a held network; after an outage) are left
    // out, de-energised.
    let (_, held) = crate::topology::reached(case);
    let live: Vec<bool> = case.dc_buses.iter().map(|b| held.contains(&b.id)).collect();

    // Converters as AC injections; PV converters hold their AC bus.
    let mut ps: Vec<f64> = convs
        .iter()
        .map(|(_, c)| match c.dc_control {
            DcControl::Power => c.p_mw / base,
            DcControl::Slack => 0.0,
            DcControl::Droop => -c.pdcset_mw / base,
        })
        .collect();
    let mut qs: Vec<f64> = convs.iter().map(|(_, c)| c.q_mvar / base).collect();
    for ((_, c), &i) in convs.iter().zip(&ac_of) {
        if c.ac_control == AcControl::Pv {
            if prep.kind[i] == BusType::Pq {
                prep.kind[i] = BusType::Pv;
            }
            if prep.kind[i] == BusType::Pv {
                prep.vm[i] = c.vtar_pu;
            }
        }
    }
    let sbus0 = prep.sbus.clone();
    let mut iterations = 0;
    let mut out = NrOutcome {
        converged: false,
        iterations: 0,
        norm: f64::INFINITY,
    };
    let mut converged = false;
    let mut outer = 0;
    let mut states = vec![None; convs.len()];
    while outer < 30 {
        outer += 1;
        let mut sbus = sbus0.clone();
        for (k, &i) in ac_of.iter().enumerate() {
            let q = if convs[k].1.ac_control == AcControl::Pv {
                0.0
            } else {
                qs[k]
            };
            sbus[i] = sbus[i] + C::new(ps[k], q);
        }
        out = newton(
            &prep.net,
            &sbus,
            &prep.kind,
            &mut prep.vm,
            &mut prep.va,
            opts,
            ws,
        );
        iterations += out.iterations;
        if !out.converged {
            break;
        }
        let v: Vec<C> = (0..prep.vm.len())
            .map(|i| C::polar(prep.vm[i], prep.va[i]))
            .collect();
        let s = crate::newton::injections(&prep.net, &v);
        // Reactive power of voltage-controlling converters: what their bus needs.
        for (k, &i) in ac_of.iter().enumerate() {
            if convs[k].1.ac_control == AcControl::Pv && prep.kind[i] != BusType::Pq {
                let others: f64 = (0..convs.len())
                    .filter(|&m| m != k && ac_of[m] == i)
                    .map(|m| qs[m])
                    .sum();
                qs[k] = s[i].im - sbus0[i].im - others;
            }
        }
        // DC power of the converters at fixed AC power.
        let mut pdc = vec![0.0; convs.len()];
        for k in 0..convs.len() {
            let st = stations[k].solve(v[ac_of[k]], C::new(ps[k], qs[k]));
            pdc[k] = st.pc + st.loss;
            states[k] = Some(st);
        }
        // DC Newton: buses without a slack must balance.
        let droop_term = |d: usize, v: f64| -> (f64, f64) {
            // Σ over droop converters at d of the power they draw, and its derivative in v.
            (0..convs.len())
                .filter(|&k| dc_of[k] == d && convs[k].1.dc_control == DcControl::Droop)
                .map(|k| droop_draw(convs[k].1, v, base))
                .fold((0.0, 0.0), |(p, dp), (q, dq)| (p + q, dp + dq))
        };
        let free: Vec<usize> = (0..nd).filter(|&d| !slack[d] && live[d]).collect();
        // DC/DC converters: what each draws from its `from` bus, as a load there.
        let drawn = |to: &[f64]| -> Vec<f64> {
            let mut extra = vec![0.0; nd];
            for (k, &(f, t, c)) in dcdc.iter().enumerate() {
                let p = to[k];
                let from = if p >= 0.0 {
                    p / c.eta_forward
                } else {
                    p * c.eta_reverse
                };
                extra[f] += from;
                extra[t] -= p;
            }
            extra
        };
        for _pass in 0..50 {
            let extra = drawn(&dcdc_to);
            let fixed_inj = |d: usize, pdc: &[f64]| -> f64 {
                -load[d]
                    - extra[d]
                    - (0..convs.len())
                        .filter(|&k| dc_of[k] == d && convs[k].1.dc_control == DcControl::Power)
                        .map(|k| pdc[k])
                        .sum::<f64>()
            };
            for _ in 0..30 {
                let p = dc.p(&vdc);
                let mut f = vec![0.0; free.len()];
                for (r, &d) in free.iter().enumerate() {
                    let (pd, _) = droop_term(d, vdc[d]);
                    f[r] = p[d] - (fixed_inj(d, &pdc) - pd);
                }
                let norm = crate::newton::max_abs(&f);
                if norm < 1e-13 {
                    break;
                }
                let mut jac = faer::Mat::<f64>::zeros(free.len(), free.len());
                let pos: BTreeMap<usize, usize> =
                    free.iter().enumerate().map(|(r, &d)| (d, r)).collect();
                for (r, &d) in free.iter().enumerate() {
                    let row_sum: f64 = dc.g[d].iter().map(|&(j, gij)| gij * vdc[j]).sum();
                    for &(j, gij) in &dc.g[d] {
                        if let Some(&cidx) = pos.get(&j) {
                            jac[(r, cidx)] += dc.pol * vdc[d] * gij;
                        }
                    }
                    let (_, dpd) = droop_term(d, vdc[d]);
                    jac[(r, r)] += dc.pol * row_sum + dpd;
                }
                let rhs = faer::Mat::<f64>::from_fn(free.len(), 1, |r, _| -f[r]);
                let dx = jac.partial_piv_lu().solve(&rhs);
                for (r, &d) in free.iter().enumerate() {
                    vdc[d] += dx[(r, 0)];
                }
            }
            // What each DC/DC converter must deliver to hold its `to` bus: the bus's balance less
            // the other devices there.
            let p = dc.p(&vdc);
            let mut change = 0.0f64;
            let extra = drawn(&dcdc_to);
            for (k, &(_, t, _)) in dcdc.iter().enumerate() {
                let others_extra = extra[t] + dcdc_to[k];
                let conv_inj: f64 = (0..convs.len())
                    .filter(|&m| dc_of[m] == t)
                    .map(|m| -pdc[m])
                    .sum();
                let need = p[t] + load[t] + others_extra - conv_inj;
                change = change.max((need - dcdc_to[k]).abs());
                dcdc_to[k] = need;
            }
            if change < 1e-13 {
                break;
            }
        }
        let extra = drawn(&dcdc_to);
        // Slack and droop converters: the DC power they must draw, then their AC power.
        let p = dc.p(&vdc);
        let mut change = 0.0f64;
        for k in 0..convs.len() {
            let d = dc_of[k];
            let target = match convs[k].1.dc_control {
                DcControl::Power => continue,
                DcControl::Slack => {
                    // The bus's balance, less what other converters there draw.
                    let others: f64 = (0..convs.len())
                        .filter(|&m| m != k && dc_of[m] == d)
                        .map(|m| pdc[m])
                        .sum();
                    -p[d] - load[d] - extra[d] - others
                }
                DcControl::Droop => droop_draw(convs[k].1, vdc[d], base).0,
            };
            let new = stations[k].ps_for(v[ac_of[k]], qs[k], target, ps[k]);
            change = change.max((new - ps[k]).abs());
            ps[k] = new;
            let st = stations[k].solve(v[ac_of[k]], C::new(ps[k], qs[k]));
            states[k] = Some(st);
        }
        if change <= opts.tol_pu {
            converged = true;
            break;
        }
    }
    // The AC results, the converters' injections told apart from the generators'.
    for (k, &i) in ac_of.iter().enumerate() {
        prep.extra[i] = prep.extra[i] + C::new(ps[k], qs[k]);
    }
    let held = vec![None; case.gens.len()];
    // A station whose state is not a number (an AC bus at no voltage) lends no result.
    let finite = states
        .iter()
        .flatten()
        .all(|s| s.pc.is_finite() && s.loss.is_finite() && s.vc.is_finite());
    let mut res = results(
        case,
        &prep,
        &held,
        converged && out.converged && finite,
        iterations,
        out.norm,
    );
    res.outer_iterations = outer;
    let p = dc.p(&vdc);
    res.dc_buses = case
        .dc_buses
        .iter()
        .enumerate()
        .map(|(d, b)| DcBusResult {
            id: b.id,
            vdc_pu: vdc[d],
            p_mw: p[d] * base,
        })
        .collect();
    let mut dc_losses = 0.0;
    for br in case.dc_branches.iter().filter(|b| b.in_service) {
        let (f, t) = (dc_index[&br.from], dc_index[&br.to]);
        let i = (vdc[f] - vdc[t]) / br.r_pu;
        dc_losses += dc.pol * i * i * br.r_pu * base;
    }
    let mut station_losses = 0.0;
    res.converters = convs
        .iter()
        .enumerate()
        .map(|(k, (_, c))| {
            let st = states[k]
                .unwrap_or_else(|| stations[k].solve(C::polar(1.0, 0.0), C::new(ps[k], qs[k])));
            let p_dc = -(st.pc + st.loss);
            let loss = -(ps[k] + p_dc);
            station_losses += loss * base;
            ConverterResult {
                busdc: c.busdc,
                busac: c.busac,
                p_ac_mw: ps[k] * base,
                q_ac_mvar: qs[k] * base,
                p_dc_mw: p_dc * base,
                loss_mw: loss * base,
                loss_converter_mw: st.loss * base,
                ic_pu: st.ic,
                vm_c_pu: st.vc,
                over_limit: st.ic > c.i_max_pu + 1e-9
                    || st.vc > c.vm_max_pu + 1e-9
                    || st.vc < c.vm_min_pu - 1e-9,
            }
        })
        .collect();
    let mut dcdc_losses = 0.0;
    res.dcdc = dcdc
        .iter()
        .zip(&dcdc_to)
        .map(|(&(_, _, c), &p)| {
            let from = if p >= 0.0 {
                p / c.eta_forward
            } else {
                p * c.eta_reverse
            };
            dcdc_losses += (from - p) * base;
            DcDcResult {
                from: c.from,
                to: c.to,
                p_from_mw: -from * base,
                p_to_mw: p * base,
                loss_mw: (from - p) * base,
            }
        })
        .collect();
    res.losses_mw += dc_losses + station_losses + dcdc_losses;
    res
}
