//! The network check of a run: a power flow of the park's electric network for every step of the
//! dispatch ([`NetworkMode::All`]) or for its peak-load, peak-PV and peak-export steps
//! ([`NetworkMode::Peak`]), and what it finds; and the bridge from a dispatch step to a power
//! flow ([`StepInjections`]) that N-1 studies share.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use parkgrid_dispatch::{Element as DispatchElement, Outcome, Quantity};
use parkgrid_model::AssetKind;
use parkgrid_model::{Park, TimeAxis};
use parkgrid_powerflow::{
    Element, Injections, IslandCheck, IslandState, Lowered, Options, StepCheck, Workspace,
    evaluate, lower, solve_in,
};
use parkgrid_report::{NetworkRow, NetworkRun};
use serde_json::{Value, json};

use crate::EngineError;

/// Which steps of a run the network check solves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkMode {
    /// Every step of the run.
    All,
    /// The peak-load, peak-PV and peak-export (or lowest-import) steps.
    Peak,
}

/// The network check of a run.
#[derive(Debug, Clone)]
pub struct NetworkCheck {
    /// Which steps were checked.
    pub mode: NetworkMode,
    /// `summary.json`'s `network` object: counts, losses, extreme voltages, worst loadings,
    /// islands, and the peak steps' figures.
    pub summary: Value,
    /// One row per step checked (`network.csv`).
    pub rows: NetworkRun,
    /// What it found, in lines for a terminal.
    pub text: String,
}

/// The injections of step `t` of a dispatch.
pub struct StepInjections<'a> {
    /// (bus, coef, series) for every series that feeds a bus, grid and branches left out.
    feeds: Vec<(String, f64, &'a [f64])>,
    /// VSC id → (forward, reverse, η_reverse).
    vsc: Vec<(String, &'a [f64], &'a [f64], f64)>,
    /// (bus, series) of the demand the dispatch left unserved.
    unserved: Vec<(String, &'a [f64])>,
}

impl<'a> StepInjections<'a> {
    /// The injections of every series of `o` that feeds a bus of `lowered`.
    pub fn new(park: &Park, o: &'a Outcome, lowered: &Lowered) -> Self {
        let columns = o.dispatch.series.iter().map(|s| {
            (
                s.kind.as_str(),
                s.quantity.as_str(),
                s.ports.clone(),
                s.values.as_slice(),
            )
        });
        // A schedule without a converter's flows (none in service there) leaves it idle.
        Self::from_columns(park, lowered, columns, |id, q| {
            Quantity::parse(q).and_then(|q| o.dispatch.get(id, q))
        })
        .0
    }

    /// The injections of a saved run of `park` (its columns and their ports, as `meta.json`
    /// describes them), for the network of `lowered`.
    ///
    /// # Errors
    /// [`EngineError::Input`] when the run is not of this park: another site, a step length
    /// other than the park's, or a converter without its flow columns.
    pub fn from_run(
        park: &Park,
        run: &'a parkgrid_report::Run,
        lowered: &Lowered,
    ) -> Result<Self, EngineError> {
        let meta = &run.meta;
        if meta.site != park.site.name || meta.step_min != park.time.step_min {
            return Err(EngineError::Input(format!(
                "the saved run is of '{}' at {} min; the park file is '{}' at {} min",
                meta.site, meta.step_min, park.site.name, park.time.step_min
            )));
        }
        let columns = meta.columns.iter().zip(&run.values).map(|(c, v)| {
            (
                c.kind.as_str(),
                c.quantity.as_str(),
                c.ports.iter().map(|p| (p.bus.clone(), p.coef)).collect(),
                v.as_slice(),
            )
        });
        let (inj, missing) = Self::from_columns(park, lowered, columns, |id, q| run.column(id, q));
        match missing.first() {
            Some(id) => Err(EngineError::Input(format!(
                "the saved run has no flows of converter '{id}' (columns {id}.forward_kw and {id}.reverse_kw)"
            ))),
            None => Ok(inj),
        }
    }

    /// The injections of result columns `(kind, quantity, ports, values)` (in the words of the
    /// saved files, which both a fresh outcome and a saved run speak) on the buses of `lowered`,
    /// each converter's from `flows(id, quantity)`; and the converters without flows.
    fn from_columns<'c>(
        park: &Park,
        lowered: &Lowered,
        columns: impl Iterator<Item = (&'c str, &'c str, Vec<(String, f64)>, &'a [f64])>,
        flows: impl Fn(&str, &str) -> Option<&'a [f64]>,
    ) -> (Self, Vec<String>) {
        let mut feeds = Vec::new();
        let mut unserved = Vec::new();
        for (kind, quantity, ports, values) in columns {
            // Links carry power between buses; the power flow finds their flows itself.
            if matches!(kind, "grid" | "line" | "transformer" | "converter") {
                continue;
            }
            for (bus, coef) in ports {
                // Only the electric network's buses take part in the power flow.
                if lowered.ac_bus.contains_key(&bus) || lowered.dc_bus.contains_key(&bus) {
                    if quantity == "unserved_kw" {
                        unserved.push((bus.clone(), values));
                    }
                    feeds.push((bus, coef, values));
                }
            }
        }
        let mut vsc = Vec::new();
        let mut missing = Vec::new();
        for (id, _) in lowered
            .elements
            .iter()
            .filter(|(_, e)| matches!(e, Element::Converter(_)))
        {
            let (Some(f), Some(r)) = (flows(id, "forward_kw"), flows(id, "reverse_kw")) else {
                missing.push(id.clone());
                continue;
            };
            let eta = park
                .converter
                .iter()
                .find(|c| &c.id == id)
                .map_or(1.0, |c| c.eta_reverse);
            vsc.push((id.clone(), f, r, eta));
        }
        (
            StepInjections {
                feeds,
                vsc,
                unserved,
            },
            missing,
        )
    }

    /// Islands are described by the demand on their buses: the dispatch's unserved demand there
    /// (which the power flow does not see as load) is added to each island's load, and to its
    /// lost load when it is de-energised.
    pub fn attribute_unserved(&self, t: usize, islands: &mut [IslandCheck]) {
        for island in islands {
            let kw: f64 = self
                .unserved
                .iter()
                .filter(|(bus, _)| island.buses.contains(bus))
                .map(|(_, v)| v[t].max(0.0))
                .sum();
            island.load_kw += kw;
            if island.state == IslandState::DeEnergised {
                island.lost_load_kw += kw;
            }
        }
    }

    /// The step of `n` with the most electric consumption (the sum of the buses drawing power).
    pub fn peak_load_step(&self, n: usize) -> Option<usize> {
        argmax((0..n).map(|t| self.at(t).bus_kw.values().map(|v| (-v).max(0.0)).sum()))
    }

    /// The network check of step `t`: its power flow judged, islands described by their demand.
    pub fn check(&self, lowered: &Lowered, t: usize, ws: &mut Workspace) -> StepCheck {
        let case = lowered.apply(&self.at(t));
        let mut check = evaluate(lowered, &solve_in(&case, &pf_options(), ws));
        self.attribute_unserved(t, &mut check.islands);
        check
    }

    /// The bus injections and converter set-points of step `t`.
    pub fn at(&self, t: usize) -> Injections {
        let mut inj = Injections::default();
        for (bus, coef, v) in &self.feeds {
            *inj.bus_kw.entry(bus.clone()).or_default() += coef * v[t];
        }
        for (id, f, r, eta) in &self.vsc {
            inj.vsc_from_ac_kw.insert(id.clone(), f[t] - eta * r[t]);
        }
        inj
    }
}

fn argmax(v: impl Iterator<Item = f64>) -> Option<usize> {
    v.enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

fn sum_of(o: &Outcome, kind: DispatchElement, quantity: Quantity, n: usize) -> Vec<f64> {
    let mut total = vec![0.0; n];
    for s in o
        .dispatch
        .series
        .iter()
        .filter(|s| s.kind == kind && s.quantity == quantity)
    {
        for (a, v) in total.iter_mut().zip(&s.values) {
            *a += v;
        }
    }
    total
}

/// Power-flow settings of the network check and N-1.
pub fn pf_options() -> Options {
    Options {
        max_iter: 20,
        ..Options::default()
    }
}

/// The check of every step of `o`, and the seconds it took; `ws` keeps the Jacobian's symbolic
/// analysis across steps (and across calls for the same network).
pub fn check_all(
    park: &Park,
    lowered: &Lowered,
    o: &Outcome,
    n: usize,
    ws: &mut Workspace,
) -> (Vec<StepCheck>, f64) {
    let inj = StepInjections::new(park, o, lowered);
    let start = std::time::Instant::now();
    let checks = (0..n).map(|t| inj.check(lowered, t, ws)).collect();
    (checks, start.elapsed().as_secs_f64())
}

/// The dispatch's own net import at each step, kW (all grid connections).
pub fn dispatch_import(o: &Outcome, n: usize) -> Vec<f64> {
    let import = sum_of(o, AssetKind::Grid.into(), Quantity::ImportKw, n);
    let export = sum_of(o, AssetKind::Grid.into(), Quantity::ExportKw, n);
    import.iter().zip(&export).map(|(i, e)| i - e).collect()
}

/// The park's electric network for the check, lowered before any solving so that a park the
/// power flow cannot take is refused at once.
pub fn lower_park(park: &Park) -> Result<Lowered, EngineError> {
    lower(park).map_err(|e| EngineError::Input(format!("network check: {e}")))
}

/// Runs the check of `o` (or takes `checked`: every step's check of `o` already made, with its
/// time in seconds) and tells what it found.
pub fn check_network(
    park: &Park,
    lowered: &Lowered,
    axis: &TimeAxis,
    o: &Outcome,
    mode: NetworkMode,
    checked: Option<(Vec<StepCheck>, f64)>,
) -> NetworkCheck {
    let inj = StepInjections::new(park, o, lowered);
    let n = axis.n_steps;
    let steps: Vec<(usize, &'static str)> = match mode {
        NetworkMode::All => (0..n).map(|t| (t, "")).collect(),
        NetworkMode::Peak => {
            let mut picks = Vec::new();
            if let Some(t) = inj.peak_load_step(n) {
                picks.push((t, "peak load"));
            }
            let pv = sum_of(o, AssetKind::Pv.into(), Quantity::OutputKw, n);
            if let Some(t) = argmax(pv.into_iter()) {
                picks.push((t, "peak PV"));
            }
            let export = sum_of(o, AssetKind::Grid.into(), Quantity::ExportKw, n);
            if export.iter().any(|&e| e > 1e-3) {
                if let Some(t) = argmax(export.into_iter()) {
                    picks.push((t, "peak export"));
                }
            } else {
                let import = sum_of(o, AssetKind::Grid.into(), Quantity::ImportKw, n);
                if let Some(t) = argmax(import.into_iter().map(|v| -v)) {
                    picks.push((t, "lowest import"));
                }
            }
            picks
        }
    };
    let mut rows = NetworkRun::default();
    let (computed, elapsed): (Vec<(usize, &str, StepCheck)>, f64) = match checked {
        Some((all, secs)) if mode == NetworkMode::All && all.len() == n => (
            all.into_iter()
                .enumerate()
                .map(|(t, c)| (t, "", c))
                .collect(),
            secs,
        ),
        _ => {
            let start = std::time::Instant::now();
            let mut ws = Workspace::default();
            let v = steps
                .iter()
                .map(|&(t, label)| (t, label, inj.check(lowered, t, &mut ws)))
                .collect();
            (v, start.elapsed().as_secs_f64())
        }
    };
    let mut checks: Vec<(usize, &str, StepCheck)> = Vec::with_capacity(computed.len());
    // Islands seen over the steps: buses → (state, steps, kWh of load lost).
    let mut islands: BTreeMap<Vec<String>, (IslandState, usize, f64)> = BTreeMap::new();
    for (t, label, check) in computed {
        for i in &check.islands {
            let e = islands.entry(i.buses.clone()).or_insert((i.state, 0, 0.0));
            e.1 += 1;
            e.2 += i.lost_load_kw * axis.step_h();
        }
        if !check.converged {
            // A power flow that did not converge has no figures to lend: empty cells.
            rows.rows.push(NetworkRow {
                time: axis.time(t).to_rfc3339(),
                label: label.to_string(),
                ..NetworkRow::default()
            });
            checks.push((t, label, check));
            continue;
        }
        let (max_id, max_pct) = check
            .max_loading()
            .map_or((String::new(), 0.0), |l| (l.id.clone(), l.fraction * 100.0));
        rows.rows.push(
            NetworkRow {
                time: axis.time(t).to_rfc3339(),
                label: label.to_string(),
                converged: true,
                import_kw: Some(check.import_kw),
                losses_kw: Some(check.losses_kw),
                v_min_pu: Some(check.v_min.1),
                v_min_bus: check.v_min.0.clone(),
                v_max_pu: Some(check.v_max.1),
                v_max_bus: check.v_max.0.clone(),
                max_loading_pct: Some(max_pct),
                max_loading_element: max_id,
                voltage_violations: check
                    .voltage_violations
                    .iter()
                    .map(|v| format!("{}={:.4}", v.bus, v.v_pu))
                    .collect::<Vec<_>>()
                    .join(" "),
                overloads: check
                    .overloads()
                    .map(|l| format!("{}={:.1}%", l.id, l.fraction * 100.0))
                    .collect::<Vec<_>>()
                    .join(" "),
            }
            .quantized(),
        );
        checks.push((t, label, check));
    }

    // The year (or the chosen steps) at a glance: figures from converged power flows only.
    let dt = axis.step_h();
    let not_converged = checks.iter().filter(|c| !c.2.converged).count();
    let all = checks;
    let checks: Vec<&(usize, &str, StepCheck)> = all.iter().filter(|c| c.2.converged).collect();
    let with_v = checks
        .iter()
        .filter(|c| !c.2.voltage_violations.is_empty())
        .count();
    let with_over = checks
        .iter()
        .filter(|c| c.2.overloads().next().is_some())
        .count();
    let losses_kwh: f64 = checks.iter().map(|c| c.2.losses_kw * dt).sum();
    let import_kwh: f64 = checks.iter().map(|c| c.2.import_kw.max(0.0) * dt).sum();
    let mut worst: BTreeMap<String, f64> = BTreeMap::new();
    for (_, _, c) in &checks {
        for l in &c.loadings {
            let e = worst.entry(l.id.clone()).or_insert(0.0);
            *e = e.max(l.fraction);
        }
    }
    let lowest = checks
        .iter()
        .min_by(|a, b| a.2.v_min.1.total_cmp(&b.2.v_min.1));
    let highest = checks
        .iter()
        .max_by(|a, b| a.2.v_max.1.total_cmp(&b.2.v_max.1));
    let summary = json!({
        "mode": match mode { NetworkMode::All => "all", NetworkMode::Peak => "peak" },
        "steps_checked": all.len(),
        "not_converged": not_converged,
        "steps_with_voltage_violations": with_v,
        "steps_with_overloads": with_over,
        "losses_kwh": losses_kwh,
        "losses_share_of_import": if import_kwh > 0.0 { losses_kwh / import_kwh } else { 0.0 },
        "v_min": lowest.map(|c| json!({"time": axis.time(c.0).to_rfc3339(), "bus": c.2.v_min.0, "v_pu": c.2.v_min.1})),
        "v_max": highest.map(|c| json!({"time": axis.time(c.0).to_rfc3339(), "bus": c.2.v_max.0, "v_pu": c.2.v_max.1})),
        "max_loading": worst,
        "islands": islands.iter().map(|(buses, (state, n, kwh))| json!({
            "buses": buses, "state": state.name(), "steps": n, "lost_load_kwh": kwh,
        })).collect::<Vec<_>>(),
        "steps": if mode == NetworkMode::Peak {
            all.iter().map(|(t, label, c)| if c.converged { json!({
                "label": label, "time": axis.time(*t).to_rfc3339(), "converged": true,
                "import_kw": c.import_kw, "losses_kw": c.losses_kw,
                "v_min_pu": c.v_min.1, "v_max_pu": c.v_max.1,
                "max_loading": c.max_loading().map(|l| json!({"element": l.id, "fraction": l.fraction})),
            }) } else { json!({
                "label": label, "time": axis.time(*t).to_rfc3339(), "converged": false,
            }) }).collect::<Vec<_>>()
        } else { Vec::new() },
        "time_s": elapsed,
    });
    let mut text = String::new();
    let _ = writeln!(
        text,
        "network check ({}): {} power flows in {:.2} s; {} not converged, {} with voltages out of band, {} with overloads",
        if mode == NetworkMode::All {
            "every step"
        } else {
            "peak steps"
        },
        all.len(),
        elapsed,
        not_converged,
        with_v,
        with_over
    );
    if mode == NetworkMode::All {
        let _ = writeln!(
            text,
            "  network losses {:.1} MWh ({:.2} % of the import){}",
            losses_kwh / 1000.0,
            if import_kwh > 0.0 {
                losses_kwh / import_kwh * 100.0
            } else {
                0.0
            },
            if not_converged > 0 {
                format!(" over the {} converged steps", checks.len())
            } else {
                String::new()
            }
        );
    } else {
        for (t, label, c) in &all {
            if !c.converged {
                let _ = writeln!(
                    text,
                    "  {label:<13} {}  power flow NOT converged: no figures",
                    axis.time(*t).format("%Y-%m-%d %H:%M"),
                );
                continue;
            }
            let _ = writeln!(
                text,
                "  {label:<13} {}  import {:>9.1} kW, losses {:>7.1} kW, V {:.4}–{:.4} p.u., most loaded {}",
                axis.time(*t).format("%Y-%m-%d %H:%M"),
                c.import_kw,
                c.losses_kw,
                c.v_min.1,
                c.v_max.1,
                c.max_loading()
                    .map_or("— (nothing rated)".to_string(), |l| format!(
                        "{} {:.0} %",
                        l.id,
                        l.fraction * 100.0
                    ))
            );
        }
    }
    if let (Some(lo), Some(hi)) = (lowest, highest) {
        let _ = writeln!(
            text,
            "  lowest voltage {:.4} p.u. at {} ({}), highest {:.4} p.u. at {} ({})",
            lo.2.v_min.1,
            lo.2.v_min.0,
            axis.time(lo.0).format("%Y-%m-%d %H:%M"),
            hi.2.v_max.1,
            hi.2.v_max.0,
            axis.time(hi.0).format("%Y-%m-%d %H:%M"),
        );
    }
    let mut by_load: Vec<(&String, &f64)> = worst.iter().collect();
    by_load.sort_by(|a, b| b.1.total_cmp(a.1));
    let top: Vec<String> = by_load
        .iter()
        .take(4)
        .map(|(id, f)| format!("{id} {:.0} %", **f * 100.0))
        .collect();
    if !top.is_empty() {
        let _ = writeln!(text, "  highest loading: {}", top.join(", "));
    }
    for (buses, (state, steps_in, kwh)) in &islands {
        let _ = writeln!(
            text,
            "  island {} {} at {steps_in} of the {} steps: {:.1} MWh of load lost",
            buses.join(", "),
            state.label(),
            all.len(),
            kwh / 1000.0
        );
    }
    NetworkCheck {
        mode,
        summary,
        rows,
        text,
    }
}
