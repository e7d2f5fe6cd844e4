//! A run of a park over its time axis: the profiles, the dispatch by strategy, horizon and
//! solver, the rule-based baseline beside an optimum, the losses fed back and the network check.

use parkgrid_dispatch::{
    Config, Horizon, Outcome, Rules, RunStatus, SolveOptions, SolverKind, Strategy,
};
use parkgrid_model::{Park, TimeAxis};
use parkgrid_report::{BusMeta, ColumnMeta, META_FORMAT, Meta, PortMeta, Run, StoreMeta, quantize};
use parkgrid_resource::{ParkProfiles, park_profiles, park_profiles_window};
use serde_json::{Value, json};

use crate::EngineError;
use crate::losses::{LossFeedback, feed_back_losses};
use crate::network::{NetworkCheck, NetworkMode, check_network, lower_park};

/// Decimals a result series keeps in the run files (kW, kWh, CNY/kWh: 0.1 W at most).
pub const SERIES_DECIMALS: i32 = 4;

/// What a run is asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    /// The optimum (with the rule-based baseline beside it), or the baseline alone.
    pub strategy: Strategy,
    /// The LP/MILP solver of the optimum.
    pub solver: SolverKind,
    /// One programme over the run, or day by day.
    pub horizon: Horizon,
    /// Solver knobs and the certificate's tolerance.
    pub solve: SolveOptions,
    /// Power flows of the schedule: every step, the peak steps, or none.
    pub network_check: Option<NetworkMode>,
    /// With an every-step check, feed the network losses back into the dispatch until the
    /// imports agree (see [`crate::losses`]).
    pub loss_feedback: bool,
    /// Whole local days of the park's year to run instead of the year.
    pub window: Option<Window>,
    /// A step length to run at instead of the park file's `time.step_min` (one of
    /// [`parkgrid_model::STEPS_MIN`]).
    pub step_min: Option<u32>,
    /// The rules of the baseline: the merit order (the default) or no coordination.
    pub rules: Rules,
}

impl Default for Request {
    /// The optimum over the whole year with the best solver of the build, no network check,
    /// the park's own step and the merit-order baseline: `parkgrid simulate PARK`.
    fn default() -> Self {
        Request {
            strategy: Strategy::Optimal,
            solver: SolverKind::best_available(),
            horizon: Horizon::Year,
            solve: SolveOptions::default(),
            network_check: None,
            loss_feedback: true,
            window: None,
            step_min: None,
            rules: Rules::MeritOrder,
        }
    }
}

/// Whole local days of the park's year, in the site's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The first day.
    pub from: chrono::NaiveDate,
    /// How many days.
    pub days: u32,
}

impl Request {
    /// Refuses what cannot run on `park`, before any computation: a solver this build lacks, a
    /// step length not allowed, a window outside the park's year. Returns the park to run (with
    /// the step asked for: borrowed when the request keeps the park's step) and the steps of the
    /// window on its axis.
    ///
    /// # Errors
    /// [`EngineError::Solve`] naming the solver; [`EngineError::Input`] naming the step or the
    /// window and the axis.
    pub fn check<'p>(&self, park: &'p Park) -> Result<Checked<'p>, EngineError> {
        if self.strategy == Strategy::Optimal && !self.solver.available() {
            return Err(parkgrid_dispatch::SolveError::NotBuilt(self.solver.name()).into());
        }
        let mut park = std::borrow::Cow::Borrowed(park);
        if let Some(step) = self.step_min {
            if !parkgrid_model::STEPS_MIN.contains(&step) {
                return Err(EngineError::Input(format!(
                    "a step of {step} min is not one of {:?}",
                    parkgrid_model::STEPS_MIN
                )));
            }
            if step != park.time.step_min {
                park.to_mut().time.step_min = step;
            }
        }
        let axis = park
            .time_axis()
            .ok_or_else(|| EngineError::Input("the park's time axis is invalid".into()))?;
        let steps = self
            .window
            .map(|w| axis.day_range(w.from, w.days))
            .transpose()
            .map_err(EngineError::Input)?;
        Ok((park, steps))
    }

    fn config(&self, strategy: Strategy) -> Config {
        Config {
            strategy,
            solver: self.solver,
            horizon: self.horizon,
            solve: self.solve,
            rules: self.rules,
        }
    }
}

/// A request checked against its park: the park to run (borrowed unless the request changes its
/// step) and the steps `(offset, length)` of the window on its axis, if one was asked for.
pub type Checked<'p> = (std::borrow::Cow<'p, Park>, Option<(usize, usize)>);

/// What a run tells its caller while it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The optimisation starts; `windows` when it goes window by window (rolling horizon).
    Optimising {
        /// Whether progress comes as [`Progress::Window`].
        windows: bool,
    },
    /// Windows of a rolling horizon done, of `total`.
    Window {
        /// Done.
        done: usize,
        /// In all.
        total: usize,
    },
    /// The optimisation ended.
    Optimised,
}

/// A run's outcome: the schedules, how they were reached, and what the network made of them.
#[derive(Debug, Clone)]
pub struct YearRun {
    /// What was asked.
    pub request: Request,
    /// The time axis of the run.
    pub axis: TimeAxis,
    /// The schedule asked for (the optimum, or the baseline with `Strategy::Rule`).
    pub main: Outcome,
    /// The rule-based baseline (the same as `main` with `Strategy::Rule`).
    pub baseline: Outcome,
    /// The loss feedback of each schedule fed back ("dispatch", "baseline").
    pub feedback: Vec<(&'static str, LossFeedback)>,
    /// The network check of `main`.
    pub network: Option<NetworkCheck>,
}

/// Runs `park` as `req` says. `progress` hears of the optimisation's course.
///
/// # Errors
/// Input errors (a solver not built, a network the power flow cannot take, a programme larger
/// than the machine's memory, weather files), [`EngineError::Infeasible`] with the limits that had
/// to give, [`EngineError::SolverFailed`].
pub fn run_year(
    park: &Park,
    req: &Request,
    progress: &mut dyn FnMut(Progress),
) -> Result<YearRun, EngineError> {
    run_year_edited(park, req, &mut |_, _| Ok(()), progress)
}

/// [`run_year`] with the profiles changed by `edit` (given the park as run, with the request's
/// step) before anything is dispatched: the twin's measured series and physical faults
/// ([`crate::twin::play`]).
///
/// # Errors
/// Those of [`run_year`], and `edit`'s.
pub fn run_year_edited(
    park: &Park,
    req: &Request,
    edit: &mut dyn FnMut(&Park, &mut ParkProfiles) -> Result<(), EngineError>,
    progress: &mut dyn FnMut(Progress),
) -> Result<YearRun, EngineError> {
    let (park, steps) = req.check(park)?;
    let park: &Park = &park;
    let lowered = req.network_check.map(|_| lower_park(park)).transpose()?;
    // A window's profiles are the year's cut to it (demand scaled to its annual energy, the
    // weather of the whole year), with the PV arrays' solar geometry computed for it alone.
    let mut profiles = match steps {
        Some((offset, len)) => park_profiles_window(park, offset, len)?,
        None => park_profiles(park)?,
    };
    edit(park, &mut profiles)?;
    if req.strategy == Strategy::Optimal && req.horizon == Horizon::Year {
        check_memory(park, &profiles)?;
    }
    // The optimum first: the baseline's schedule need not be held while the solver has the
    // memory.
    let main = match req.strategy {
        Strategy::Rule => parkgrid_dispatch::run(park, &profiles, req.config(Strategy::Rule))?,
        Strategy::Optimal => {
            progress(Progress::Optimising {
                windows: req.horizon == Horizon::Rolling,
            });
            let outcome = parkgrid_dispatch::run_with_progress(
                park,
                &profiles,
                req.config(Strategy::Optimal),
                &mut |done, total| progress(Progress::Window { done, total }),
            );
            progress(Progress::Optimised);
            outcome?
        }
    };
    let baseline = match req.strategy {
        Strategy::Rule => main.clone(),
        Strategy::Optimal => parkgrid_dispatch::run(park, &profiles, req.config(Strategy::Rule))?,
    };
    // With a check of every step, the dispatch (and the baseline) buy the losses the network
    // really has.
    let mut feedback = Vec::new();
    let mut checked = None;
    let (main, baseline) = match (req.network_check, &lowered) {
        (Some(NetworkMode::All), Some(lowered)) if req.loss_feedback && main.has_schedule() => {
            let fed = feed_back_losses(park, lowered, &profiles, main, &mut |p| {
                Ok(parkgrid_dispatch::run(park, p, req.config(req.strategy))?)
            })?;
            feedback.push(("dispatch", fed.feedback));
            checked = Some(fed.checks);
            let baseline = if req.strategy == Strategy::Optimal {
                let b = feed_back_losses(park, lowered, &profiles, baseline, &mut |p| {
                    Ok(parkgrid_dispatch::run(park, p, req.config(Strategy::Rule))?)
                })?;
                feedback.push(("baseline", b.feedback));
                b.outcome
            } else {
                fed.outcome.clone()
            };
            (fed.outcome, baseline)
        }
        _ => (main, baseline),
    };
    match &main.status {
        RunStatus::Ok | RunStatus::Inexact(_) => {}
        RunStatus::Infeasible(rows) => {
            let list: String = rows
                .iter()
                .map(|(name, v)| format!("  {name}: short by {v:.3}\n"))
                .collect();
            return Err(EngineError::Infeasible(list));
        }
        RunStatus::Failed(why) => return Err(EngineError::SolverFailed(why.clone())),
    }
    let network = match (req.network_check, &lowered) {
        (Some(mode), Some(lowered)) => Some(check_network(
            park,
            lowered,
            &profiles.axis,
            &main,
            mode,
            checked,
        )),
        _ => None,
    };
    Ok(YearRun {
        request: *req,
        axis: profiles.axis,
        main,
        baseline,
        feedback,
        network,
    })
}

impl YearRun {
    /// `summary.json`: the KPIs and solver figures of `main`, the baseline's under `baseline`
    /// (with the optimum; its `rules` say which), the horizon, and the network check with its
    /// loss feedback.
    pub fn summary(&self) -> Value {
        let optimal = self.request.strategy == Strategy::Optimal;
        let mut summary = summary_json(&self.main, if optimal { "optimal" } else { "rule" });
        summary["horizon"] = json!(match self.request.horizon {
            Horizon::Year => "year",
            Horizon::Rolling => "rolling",
        });
        // The span the figures cover, so that runs of different spans are not compared blindly.
        summary["period"] = json!({
            "start": self.axis.time(0).to_rfc3339(),
            "n_steps": self.axis.n_steps,
            "step_min": self.axis.step_min,
        });
        // Which rules the baseline ran ("merit_order" or "uncoordinated").
        let rules = json!(self.request.rules.name());
        if optimal {
            summary["baseline"] = summary_json(&self.baseline, "rule");
            summary["baseline"]["rules"] = rules;
        } else {
            summary["rules"] = rules;
        }
        if let Some(net) = &self.network {
            let mut n = net.summary.clone();
            for (which, fb) in &self.feedback {
                n["loss_feedback"][*which] = fb.json();
                // The schedule's network figures beside its KPIs: the import its power flows
                // need and the losses fed back into it.
                let at = if *which == "baseline" {
                    &mut summary["baseline"]
                } else {
                    &mut summary
                };
                at["network_import_kwh"] = json!(fb.import_power_flow_kwh);
                at["network_losses_kwh"] = json!(fb.fed_back_kwh);
            }
            summary["network"] = n;
        }
        // Heat vented, by the CHP that vented it (the only heat a park can dump).
        let dt = self.axis.step_h();
        let by_origin = |o: &Outcome| -> serde_json::Map<String, Value> {
            o.dispatch
                .series
                .iter()
                .filter(|s| s.quantity == parkgrid_dispatch::Quantity::DumpedKw)
                .map(|s| (s.id.clone(), json!(s.values.iter().sum::<f64>() * dt)))
                .collect()
        };
        summary["heat_dumped_by_origin_kwh"] = Value::Object(by_origin(&self.main));
        if optimal {
            summary["baseline"]["heat_dumped_by_origin_kwh"] =
                Value::Object(by_origin(&self.baseline));
        }
        summary
    }

    /// The run as its files hold it (series at [`SERIES_DECIMALS`]), ready for the report.
    pub fn to_run(&self, park: &Park) -> Run {
        Run {
            summary: self.summary(),
            meta: meta(park, &self.axis, &self.main),
            times: (0..self.axis.n_steps)
                .map(|t| self.axis.time(t).to_rfc3339())
                .collect(),
            values: saved_values(&self.main.dispatch),
            network: self.network.as_ref().map(|n| n.rows.clone()),
        }
    }
}

/// A schedule's series as the run files keep them ([`SERIES_DECIMALS`]).
pub fn saved_values(dispatch: &parkgrid_dispatch::Dispatch) -> Vec<Vec<f64>> {
    dispatch
        .series
        .iter()
        .map(|s| {
            s.values
                .iter()
                .map(|&v| quantize(v, SERIES_DECIMALS))
                .collect()
        })
        .collect()
}

/// Refuses a programme over the whole axis that would not fit in the memory this machine has
/// available, before building it, with the way out.
///
/// # Errors
/// [`EngineError::Input`] with the estimate and what to do instead.
pub fn check_memory(park: &Park, profiles: &ParkProfiles) -> Result<(), EngineError> {
    let Some(available) = available_memory_bytes()? else {
        return Ok(());
    };
    let est = parkgrid_dispatch::estimate(park, profiles);
    if est.peak_bytes <= available {
        return Ok(());
    }
    let gb = |b: u64| b as f64 / 1e9;
    Err(EngineError::Input(format!(
        "the year's optimisation of this park is too large for this machine: about {} variables, {} rows and {} non-zeros, needing about {:.1} GB where {:.1} GB is available. Use `--horizon rolling` (one window at a time), a coarser `step_min`, or a shorter time window in the park file",
        est.n_variables,
        est.n_rows,
        est.n_nonzeros,
        gb(est.peak_bytes),
        gb(available)
    )))
}

/// `MemAvailable` of `/proc/meminfo` (Linux), bytes; `PARKGRID_MEMORY_BYTES` overrides it (for
/// tests and for machines shared with other work). None when neither is known.
fn available_memory_bytes() -> Result<Option<u64>, EngineError> {
    if let Ok(v) = std::env::var("PARKGRID_MEMORY_BYTES") {
        return v.trim().parse().map(Some).map_err(|_| {
            EngineError::Input(format!(
                "PARKGRID_MEMORY_BYTES must be a whole number of bytes (e.g. 8000000000), not '{v}'"
            ))
        });
    }
    let Ok(text) = std::fs::read_to_string("/proc/meminfo") else {
        return Ok(None);
    };
    let kb = text
        .lines()
        .find(|l| l.starts_with("MemAvailable:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok());
    Ok(kb.map(|kb| kb * 1024))
}

/// What each result column is and where it puts power, for reports rebuilt from files.
pub fn meta(park: &Park, axis: &TimeAxis, o: &Outcome) -> Meta {
    let name = |id: &str, name: &Option<String>| name.clone().unwrap_or_else(|| id.to_string());
    let stores = park
        .battery
        .iter()
        .map(|b| StoreMeta {
            id: b.id.clone(),
            name: name(&b.id, &b.name),
            kind: "battery".into(),
            e_max_kwh: b.e_max_kwh,
        })
        .chain(park.thermal_store.iter().map(|s| StoreMeta {
            id: s.id.clone(),
            name: name(&s.id, &s.name),
            kind: "thermal_store".into(),
            e_max_kwh: s.e_max_kwh,
        }))
        .collect();
    Meta {
        format: META_FORMAT,
        site: park.site.name.clone(),
        step_min: axis.step_min,
        buses: park
            .bus
            .iter()
            .map(|b| BusMeta {
                id: b.id.clone(),
                name: name(&b.id, &b.name),
                carrier: b.carrier.as_str().to_string(),
                v_band_pu: b
                    .carrier
                    .is_electric()
                    .then(|| [b.v_min_pu(), b.v_max_pu()]),
            })
            .collect(),
        stores,
        columns: o
            .dispatch
            .series
            .iter()
            .map(|s| ColumnMeta {
                id: s.id.clone(),
                kind: s.kind.to_string(),
                quantity: s.quantity.to_string(),
                ports: s
                    .ports
                    .iter()
                    .map(|(bus, coef)| PortMeta {
                        bus: bus.clone(),
                        coef: *coef,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Below this, in kWh over a run, unserved energy is the solver's rounding, not demand left
/// unserved (an interior-point solution leaves ≈ 10⁻⁶ kWh on bounds).
pub const UNSERVED_TOLERANCE_KWH: f64 = 1e-3;

/// The demand a run left unserved, in words (`12.3 MWh of heat (4.1 % of the heat demand)`,
/// carriers joined by `, `), or `None` when every carrier's is below
/// [`UNSERVED_TOLERANCE_KWH`].
pub fn unserved_text(k: &parkgrid_dispatch::Kpis) -> Option<String> {
    let parts: Vec<String> = [
        ("electricity", k.unserved_electric_kwh, None),
        ("heat", k.unserved_heat_kwh, Some(k.heat_demand_kwh)),
        (
            "cooling",
            k.unserved_cooling_kwh,
            Some(k.cooling_demand_kwh),
        ),
    ]
    .into_iter()
    .filter(|(_, v, _)| *v > UNSERVED_TOLERANCE_KWH)
    .map(|(what, v, demand)| {
        let share = demand
            .filter(|d| *d > 0.0)
            .map(|d| format!(" ({:.1} % of the {what} demand)", 100.0 * v / d))
            .unwrap_or_default();
        let mwh = parkgrid_report::format_number(v / 1000.0, 1);
        format!("{mwh} MWh of {what}{share}")
    })
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The KPIs of `o` with its status and solver figures, as `summary.json` holds them. The status
/// is `inexact` for a schedule not proven optimal, `unserved` for one that leaves demand unserved
/// (`status_detail` says how much of which), else `ok`; `unserved_detail` says what was left
/// unserved whatever the status.
pub fn summary_json(o: &Outcome, strategy: &str) -> Value {
    let mut v = serde_json::to_value(&o.kpis).unwrap_or_else(|_| json!({}));
    let s = &o.stats;
    let unserved = unserved_text(&o.kpis);
    match (&o.status, &unserved) {
        (RunStatus::Inexact(why), _) => {
            v["status"] = json!("inexact");
            v["status_detail"] = json!(why);
        }
        (_, Some(what)) => {
            v["status"] = json!("unserved");
            v["status_detail"] = json!(format!("demand left unserved: {what}"));
        }
        (_, None) => v["status"] = json!("ok"),
    }
    // Said apart from the status too, so that an inexact run does not hide it.
    if let Some(what) = &unserved {
        v["unserved_detail"] = json!(what);
    }
    v["strategy"] = json!(strategy);
    v["solver"] = json!(s.solver);
    v["solver_iterations"] = json!(s.iterations);
    v["certificate"] = json!(s.certificate);
    v["objective_cny"] = json!(s.objective_cny);
    v["n_variables"] = json!(s.n_variables);
    v["n_rows"] = json!(s.n_rows);
    v["n_nonzeros"] = json!(s.n_nonzeros);
    v["build_time_s"] = json!(s.build_time_s);
    v["solve_time_s"] = json!(s.solve_time_s);
    v
}
