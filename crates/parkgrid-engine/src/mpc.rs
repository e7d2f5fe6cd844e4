//! Model-predictive control of the park, evaluated in closed loop against its own "true"
//! profiles (`parkgrid mpc`).
//!
//! Every tick (one step, 15 minutes by default) the controller:
//! 1. **forecasts** the window ahead (`horizon_h`, 24 h by default) of every PV and wind
//!    availability, electric, heat and cooling demand and data-centre waste heat from the
//!    measurements before the tick (`parkgrid_forecast`, the model chosen per series by a
//!    backtest of the eight weeks before the run, its last error carried forward with a 2-hour
//!    decay); heat-pump COPs, chiller EERs and heat limits follow the weather, taken as
//!    forecast exactly; flexible loads' daily energy and the EV sessions are known;
//! 2. **plans** the window with the park's full LP from the state now — store levels, EV
//!    sessions and flexible loads under way, the month's import peak — in tiers:
//!    `optimal` → `priced_slack` (every row elastic, at 10⁶ CNY per unit) → `shifted_plan`
//!    (the last plan, one step on) → `safe_mode` (the merit-order rules); a tier that fails or
//!    overruns the tick's time budget hands over to the next;
//! 3. **operates** the step: the plant meets the step's *true* availability and demand with
//!    the stores steered to the plan's levels (each kWh off them priced at
//!    [`TARGET_PENALTY_CNY_PER_KWH`]), the EV hub and flexible loads at their planned power, the
//!    rest re-dispatched within the step — a one-step LP, as a real-time balancing layer would;
//!    the state advances by what was operated.
//!
//! Seasonal stores follow the guide curve of the year plan (the operator's annual plan made on
//! the park file's profiles), as in the rolling horizon: a day-ahead window cannot see a
//! season. The run is compared with perfect foresight (the LP over the same days on the true
//! profiles, from the same start levels and ending each store at least where the controller
//! left it) and with the merit-order rules.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Datelike, Timelike};
use parkgrid_dispatch::build::BuildOptions;
use parkgrid_dispatch::{
    Config, Dispatch, Kpis, Quantity, Series, SolveOptions, SolverKind, Steps, Strategy, kpis,
};
use parkgrid_forecast::{Calendar, Forecaster, Inputs, Model, Options};
use parkgrid_model::{AssetKind, Park};
use parkgrid_resource::calendar::{DayType, day_type};
use parkgrid_resource::{ParkProfiles, Quantity as Profile};

use crate::EngineError;

/// The price of a kWh that the plant's stores end off the plan's level, CNY: above any
/// step's arbitrage, below the value of lost load.
pub const TARGET_PENALTY_CNY_PER_KWH: f64 = 5.0;
/// The price of a unit of violation in the priced-slack tier, CNY.
pub const ELASTIC_CNY: f64 = 1e6;
/// The decay time of a forecast's last error carried into the next steps, h.
pub const ERROR_DECAY_H: f64 = 2.0;
/// Weeks of history before the run (the year wrapped: the weeks before 1 January are the
/// year's last) that the forecasters start from and choose their models on.
pub const HISTORY_WEEKS: usize = 8;

/// How the window ahead is forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForecastMode {
    /// Each series' model chosen by a backtest of the weeks before the run.
    Auto,
    /// One model for every series.
    Model(Model),
    /// The true profiles (perfect forecasts): what the controller loses to its window alone.
    Perfect,
}

/// Faults to inject: the faulted run of the issue's acceptance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Every forecast input drops out for 6 h every `n` days (staggered by series).
    pub dropout_every_days: Option<usize>,
    /// The largest electric load's meter sticks at its last value for 12 h every `n` days.
    pub stuck_every_days: Option<usize>,
    /// The LP tiers are taken as timed out on one tick in `n`.
    pub timeout_every_ticks: Option<usize>,
    /// Every store starts at this fraction of its capacity (above 1: outside its bounds).
    pub start_frac: Option<f64>,
}

/// A closed-loop MPC run.
#[derive(Debug, Clone)]
pub struct MpcRequest {
    /// The first day (local), and how many days; `None`: the whole year.
    pub window: Option<crate::year::Window>,
    /// The control step, minutes.
    pub step_min: u32,
    /// The window each tick plans, hours.
    pub horizon_h: u32,
    /// The forecasts.
    pub forecast: ForecastMode,
    /// The LP solver.
    pub solver: SolverKind,
    /// Wall time a tick may take to issue its setpoints (its forecasts and LP tiers), s: a tier
    /// is not started once it is spent, and the solver (Clarabel or HiGHS) stops at what is
    /// left of it.
    pub tick_budget_s: f64,
    /// Faults injected.
    pub faults: Faults,
}

impl Default for MpcRequest {
    fn default() -> Self {
        MpcRequest {
            window: None,
            step_min: 15,
            horizon_h: 24,
            forecast: ForecastMode::Auto,
            solver: SolverKind::best_available(),
            tick_budget_s: 60.0,
            faults: Faults::default(),
        }
    }
}

/// The tier that made a tick's setpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The window's LP, solved (optimal, or a schedule not proven optimal: see `why`).
    Optimal,
    /// The elastic LP (hard limits priced).
    PricedSlack,
    /// The last plan, one step on.
    ShiftedPlan,
    /// The merit-order rules on the forecasts.
    SafeMode,
}

impl Tier {
    /// Every tier, best first.
    pub const ALL: [Tier; 4] = [
        Tier::Optimal,
        Tier::PricedSlack,
        Tier::ShiftedPlan,
        Tier::SafeMode,
    ];

    /// The tier's name in the summary.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Optimal => "optimal",
            Tier::PricedSlack => "priced_slack",
            Tier::ShiftedPlan => "shifted_plan",
            Tier::SafeMode => "safe_mode",
        }
    }
}

/// One tick's record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Tick {
    /// Step of the run.
    pub step: usize,
    /// The tier whose setpoints were issued.
    pub tier: Tier,
    /// Why the tiers above it did not (empty for `optimal`).
    pub why: String,
    /// Wall time of the tick (forecasts, plan, operation), s.
    pub wall_s: f64,
    /// Forecast series with a quality flag this tick.
    pub flagged_forecasts: usize,
    /// Time building the window's programmes (and handing them to the solver), s.
    pub build_s: f64,
    /// Time in the solver for the window's programmes, s.
    pub solve_s: f64,
    /// Each store's setpoint: its level at the step's end, kWh.
    pub setpoints: Vec<(String, f64)>,
}

/// The outcome of a closed-loop run.
#[derive(Debug, Clone)]
pub struct MpcRun {
    /// Steps run (ticks).
    pub ticks: Vec<Tick>,
    /// The park as operated, step by step.
    pub dispatch: Dispatch,
    /// KPIs of the park as operated.
    pub kpis: Kpis,
    /// KPIs of perfect foresight over the same steps.
    pub perfect: Kpis,
    /// KPIs of the merit-order rules over the same steps.
    pub rule: Kpis,
    /// The rules' schedule (the report's baseline).
    pub rule_outcome: parkgrid_dispatch::Outcome,
    /// The model each forecast series used, and its RMSE over every tick's window relative
    /// to the series' mean (NaN with perfect forecasts or a series without energy).
    pub models: Vec<(String, String, f64)>,
    /// Step length, minutes.
    pub step_min: u32,
    /// First step of the run on the year's axis.
    pub offset: usize,
}

impl MpcRun {
    /// Ticks made by `tier`.
    pub fn count(&self, tier: Tier) -> usize {
        self.ticks.iter().filter(|t| t.tier == tier).count()
    }

    /// The `q` quantile of the ticks' wall times, s.
    pub fn tick_quantile_s(&self, q: f64) -> f64 {
        let mut w: Vec<f64> = self.ticks.iter().map(|t| t.wall_s).collect();
        if w.is_empty() {
            return 0.0;
        }
        w.sort_by(f64::total_cmp);
        w[((w.len() - 1) as f64 * q).round() as usize]
    }

    /// `summary.json`: the KPIs of the three runs, the cost ratios, the ticks per tier and
    /// their times.
    pub fn summary(&self) -> serde_json::Value {
        let ratio = |a: f64, b: f64| if b.abs() > 0.0 { a / b } else { f64::NAN };
        let tiers: serde_json::Map<String, serde_json::Value> = Tier::ALL
            .iter()
            .map(|t| (t.name().to_string(), self.count(*t).into()))
            .collect();
        let k = |k: &Kpis| {
            serde_json::json!({
                "total_cost_cny": k.total_cost_cny,
                "co2_t": k.co2_t,
                "renewable_absorption_ratio": k.renewable_absorption_ratio,
                "unserved_electric_kwh": k.unserved_electric_kwh,
                "unserved_heat_kwh": k.unserved_heat_kwh,
                "unserved_cooling_kwh": k.unserved_cooling_kwh,
                "grid_import_kwh": k.grid_import_kwh,
                "peak_import_kw": k.peak_import_kw,
                "curtailment_kwh": k.curtailment_kwh,
            })
        };
        serde_json::json!({
            "ticks": self.ticks.len(),
            "step_min": self.step_min,
            "tiers": tiers,
            "cost_ratio_to_perfect_foresight": ratio(self.kpis.total_cost_cny, self.perfect.total_cost_cny),
            "cost_ratio_to_rule": ratio(self.kpis.total_cost_cny, self.rule.total_cost_cny),
            "mpc": k(&self.kpis),
            "perfect_foresight": k(&self.perfect),
            "rule": k(&self.rule),
            "tick_s": {
                "p50": self.tick_quantile_s(0.5),
                "p99": self.tick_quantile_s(0.99),
                "max": self.tick_quantile_s(1.0),
                "mean_build": self.ticks.iter().map(|t| t.build_s).sum::<f64>() / self.ticks.len().max(1) as f64,
                "mean_solve": self.ticks.iter().map(|t| t.solve_s).sum::<f64>() / self.ticks.len().max(1) as f64,
            },
            "forecasts": self.models.iter().map(|(id, m, e)| serde_json::json!({"series": id, "model": m, "nrmse": e})).collect::<Vec<_>>(),
            "ticks_with_flagged_forecasts": self.ticks.iter().filter(|t| t.flagged_forecasts > 0).count(),
        })
    }
}

impl MpcRun {
    /// The run as `parkgrid simulate` saves one, for the year report and `parkgrid compare`:
    /// the park as operated (strategy `mpc`) with the rules as its baseline, and the figures of
    /// [`MpcRun::summary`] at the top of `summary.json`.
    ///
    /// # Errors
    /// [`EngineError::Input`] when the park's time axis is invalid.
    pub fn to_run(&self, park: &Park) -> Result<parkgrid_report::Run, EngineError> {
        let mut p = park.clone();
        p.time.step_min = self.step_min;
        let axis = p
            .time_axis()
            .ok_or_else(|| EngineError::Input("the park's time axis is invalid".into()))?
            .window(self.offset, self.ticks.len());
        let operated = parkgrid_dispatch::Outcome {
            status: parkgrid_dispatch::RunStatus::Ok,
            dispatch: self.dispatch.clone(),
            kpis: self.kpis.clone(),
            stats: parkgrid_dispatch::RunStats::default(),
        };
        let mut summary = crate::year::summary_json(&operated, "mpc");
        summary["horizon"] = serde_json::json!("mpc");
        summary["period"] = serde_json::json!({
            "start": axis.time(0).to_rfc3339(),
            "n_steps": axis.n_steps,
            "step_min": axis.step_min,
        });
        summary["baseline"] = crate::year::summary_json(&self.rule_outcome, "rule");
        summary["baseline"]["rules"] = serde_json::json!("merit_order");
        if let (Some(to), serde_json::Value::Object(from)) =
            (summary.as_object_mut(), self.summary())
        {
            to.extend(from);
        }
        Ok(parkgrid_report::Run {
            summary,
            meta: crate::year::meta(&p, &axis, &operated),
            times: (0..axis.n_steps)
                .map(|t| axis.time(t).to_rfc3339())
                .collect(),
            values: crate::year::saved_values(&self.dispatch),
            network: None,
        })
    }
}

/// The index in the year of step `i` of the `history` steps before it: the steps `week` whole
/// weeks of the same year later (the year's last weeks, moved back by 52 weeks so that the
/// weekdays stay theirs).
fn wrapped(i: usize, history: usize, week: usize, n: usize) -> usize {
    let shift = 52 * week;
    (i + shift)
        .checked_sub(history)
        .map_or(i % n, |j| j.min(n - 1))
}

/// A run status in words: the rows an infeasible programme could not meet, or why the solver
/// stopped.
fn status_text(status: &parkgrid_dispatch::RunStatus) -> String {
    match status {
        parkgrid_dispatch::RunStatus::Ok => "ok".into(),
        parkgrid_dispatch::RunStatus::Inexact(why) => format!("not proven optimal: {why}"),
        parkgrid_dispatch::RunStatus::Infeasible(rows) if rows.is_empty() => "infeasible".into(),
        parkgrid_dispatch::RunStatus::Infeasible(rows) => format!(
            "infeasible ({})",
            rows.iter()
                .map(|(r, by)| format!("{r} off by {by:.1}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        parkgrid_dispatch::RunStatus::Failed(why) => format!("solver failed: {why}"),
    }
}

/// A forecast series: an asset's profile the controller does not know ahead.
struct Forecast {
    id: String,
    quantity: Profile,
    /// Index into the profiles' series.
    index: usize,
    /// History and truth on one axis: the weeks before the run (the year wrapped), then the
    /// year; measured values with the faults applied.
    measured: parkgrid_forecast::Series,
    forecaster: Forecaster,
    /// The last tick's forecast of its first step, to carry its error.
    last_first: Option<f64>,
    /// Σ squared error, Σ truth, points: of every tick's window against the truth.
    score: (f64, f64, usize),
    /// The forecast issued at the last midnight, whose day-ahead errors the forecaster
    /// learns at the next (its intervals).
    midnight: Option<(usize, parkgrid_forecast::Forecast)>,
}

/// True for the profiles the controller forecasts.
fn forecast_quantity(kind: AssetKind, q: Profile) -> bool {
    match q {
        Profile::Available | Profile::HeatDemand | Profile::CoolingDemand | Profile::WasteHeat => {
            true
        }
        Profile::ElectricDemand => !matches!(kind, AssetKind::FlexibleLoad | AssetKind::EvCharging),
        Profile::Cop | Profile::Eer | Profile::HeatMax => false,
    }
}

/// State carried from tick to tick.
struct State {
    levels: HashMap<String, f64>,
    peaks: HashMap<String, [f64; 12]>,
    ev_open: HashMap<String, f64>,
    flexible_done: HashMap<String, f64>,
}

/// Runs the closed loop on `park`.
///
/// # Errors
/// [`EngineError::Input`] for a window outside the year or a step not allowed;
/// [`EngineError::Resource`] when the profiles cannot be made; [`EngineError::Solve`] when the
/// solver is not in the build; [`EngineError::SolverFailed`] when perfect foresight itself
/// finds no schedule (nothing to compare with).
pub fn run(park: &Park, req: &MpcRequest) -> Result<MpcRun, EngineError> {
    run_with_progress(park, req, &mut |_, _| {})
}

/// As [`run`], calling `progress(ticks done, ticks)` after each tick.
///
/// # Errors
/// Those of [`run`].
pub fn run_with_progress(
    park: &Park,
    req: &MpcRequest,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<MpcRun, EngineError> {
    if !req.solver.available() {
        return Err(parkgrid_dispatch::SolveError::NotBuilt(req.solver.name()).into());
    }
    if !parkgrid_model::STEPS_MIN.contains(&req.step_min) {
        return Err(EngineError::Input(format!(
            "a step of {} min is not one of {:?}",
            req.step_min,
            parkgrid_model::STEPS_MIN
        )));
    }
    // The annual plan at the park file's own step: the seasonal stores' guide curve and the
    // start levels of cyclic stores.
    let plan_step_min = park.time.step_min;
    let plan_truth = crate::profiles::park_profiles(park)?;
    let year_plan = parkgrid_dispatch::run(
        park,
        &plan_truth,
        Config {
            solver: req.solver,
            ..Config::default()
        },
    )?;
    if !year_plan.has_schedule() {
        return Err(EngineError::SolverFailed(format!(
            "the year plan has no schedule: {:?}",
            year_plan.status
        )));
    }
    let plan_n = plan_truth.axis.n_steps;
    let plan_level = |id: &str, t: usize| {
        let i = (t * req.step_min as usize) / plan_step_min as usize;
        year_plan
            .dispatch
            .get(id, Quantity::LevelKwh)
            .map_or(0.0, |v| v[i.min(plan_n - 1)])
    };
    let mut park = park.clone();
    park.time.step_min = req.step_min;
    let truth = crate::profiles::park_profiles(&park)?;
    let axis = truth.axis;
    let n_year = axis.n_steps;
    let (offset, n) = match req.window {
        Some(w) => axis.day_range(w.from, w.days).map_err(EngineError::Input)?,
        None => (0, n_year),
    };
    let per_h = axis.steps_per_hour();
    let horizon = (req.horizon_h as usize * per_h).max(1);
    let dt = axis.step_h();

    let start_level = |id: &str, e_max: f64, initial: Option<f64>| match req.faults.start_frac {
        Some(f) => f * e_max,
        None if offset == 0 => initial.map_or_else(|| plan_level(id, n_year - 1), |s| s * e_max),
        None => plan_level(id, offset - 1),
    };
    let mut state = State {
        levels: park
            .battery
            .iter()
            .map(|b| {
                (
                    b.id.clone(),
                    start_level(&b.id, b.e_max_kwh, b.soc_initial_frac),
                )
            })
            .chain(park.thermal_store.iter().map(|s| {
                (
                    s.id.clone(),
                    start_level(&s.id, s.e_max_kwh, s.soc_initial_frac),
                )
            }))
            .collect(),
        peaks: park
            .grid
            .iter()
            .map(|g| (g.id.clone(), [0.0; 12]))
            .collect(),
        ev_open: HashMap::new(),
        flexible_done: HashMap::new(),
    };

    // Perfect foresight and the rules over the run's steps, from the same start levels (within
    // the stores' bounds: a reference has no faults).
    let run_truth = truth.window(offset, n);
    let mut started = with_levels(&park, &state.levels);
    for b in &mut started.battery {
        b.soc_initial_frac = b
            .soc_initial_frac
            .map(|f| f.clamp(b.soc_min_frac, b.soc_max_frac));
    }
    for s in &mut started.thermal_store {
        s.soc_initial_frac = s
            .soc_initial_frac
            .map(|f| f.clamp(s.soc_min_frac, s.soc_max_frac));
    }
    let rule = parkgrid_dispatch::run(
        &started,
        &run_truth,
        Config {
            strategy: Strategy::Rule,
            ..Config::default()
        },
    )?;

    // The forecasters.
    let calendar = Calendar::default();
    let history = HISTORY_WEEKS * 7 * 24 * per_h;
    let mut forecasts = forecast_series(&truth, history, offset, &req.faults, &park);
    // The air temperature on the forecasters' axis: the weather, taken as forecast exactly
    // (the calendar model's temperature term).
    let temperature: Vec<Option<f64>> = (0..history)
        .map(|i| truth.weather.t_air_c[wrapped(i, history, 7 * 24 * per_h, n_year)])
        .chain(truth.weather.t_air_c.iter().copied())
        .map(Some)
        .collect();
    let mut models = Vec::new();
    for f in &mut forecasts {
        let model = match req.forecast {
            ForecastMode::Model(m) => m,
            ForecastMode::Perfect => Model::Persistence,
            ForecastMode::Auto => {
                choose_model(&f.measured, &temperature, history + offset, &calendar)
            }
        };
        f.forecaster = Forecaster::new(model);
        let shown = if req.forecast == ForecastMode::Perfect {
            "perfect".to_string()
        } else {
            model.name().to_string()
        };
        models.push((format!("{}/{}", f.id, f.quantity.suffix()), shown, f64::NAN));
    }
    let inputs: Vec<Inputs<'_>> = forecasts
        .iter()
        .map(|f| Inputs::new(&f.measured, Some(&temperature), &calendar))
        .collect();

    // The forecasters learn their day-ahead errors over the four weeks before the run.
    let spd = 24 * per_h;
    for (f, inp) in forecasts.iter_mut().zip(&inputs) {
        let end = history + offset;
        let mut origin = end.saturating_sub(28 * spd);
        origin -= origin % spd;
        while origin + spd <= end {
            let fc = f.forecaster.issue(inp, origin, spd);
            f.forecaster.learn(inp, origin, &fc, 0, spd);
            origin += spd;
        }
    }
    let mut ticks = Vec::with_capacity(n);
    let mut operated: Vec<Series> = Vec::new();
    let mut last_plan: Option<(usize, Dispatch)> = None;
    let phi = (-dt / ERROR_DECAY_H).exp();
    for k in offset..offset + n {
        let tick_start = Instant::now();
        let len = horizon.min(n_year - k);
        // 1. Forecasts of the window.
        let mut window = truth.window(k, len);
        let mut flagged = 0;
        if req.forecast != ForecastMode::Perfect {
            for (f, inp) in forecasts.iter_mut().zip(&inputs) {
                let origin = history + k;
                if origin % spd == 0 {
                    if let Some((o, prev)) = f.midnight.take() {
                        f.forecaster.learn(inp, o, &prev, 0, origin - o);
                    }
                }
                let fc = f.forecaster.issue(inp, origin, len);
                flagged += usize::from(!fc.is_good());
                if origin % spd == 0 {
                    f.midnight = Some((origin, fc.clone()));
                }
                let mut values = fc.p50.clone();
                // The last tick's error on the step just measured (its model's, before this
                // correction), carried with a decay.
                let raw_first = values.first().copied();
                if let (Some(prev), Some(y)) = (f.last_first, f.measured.at(origin as isize - 1)) {
                    let e = y - prev;
                    let mut w = phi;
                    for v in &mut values {
                        *v += e * w;
                        w *= phi;
                    }
                }
                f.last_first = raw_first;
                let rating = window.series[f.index].rating_kw;
                for v in &mut values {
                    *v = v.max(0.0);
                    if f.quantity == Profile::Available {
                        *v = v.min(rating.unwrap_or(f64::INFINITY));
                    }
                }
                for (v, y) in values.iter().zip(&window.series[f.index].values) {
                    f.score.0 += (v - y) * (v - y);
                    f.score.1 += y;
                    f.score.2 += 1;
                }
                window.series[f.index].values = values;
            }
        }
        // 2. The plan, tier by tier.
        let tick_park = with_levels(&park, &state.levels);
        let options = BuildOptions {
            store_end: Some(store_ends(&park, |id| plan_level(id, k + len - 1))),
            peak_floor: state.peaks.clone(),
            ev_open_kwh: state.ev_open.clone(),
            flexible_open: flexible_open(&park, &truth, k, &state.flexible_done),
            ..BuildOptions::default()
        };
        let timed_out = req
            .faults
            .timeout_every_ticks
            .is_some_and(|every| every > 0 && (k - offset) % every == every - 1);
        let mut why = Vec::new();
        let (mut build_s, mut solve_s) = (0.0, 0.0);
        let mut plan: Option<(Tier, Dispatch)> = None;
        for (tier, elastic) in [
            (Tier::Optimal, None),
            (Tier::PricedSlack, Some(ELASTIC_CNY)),
        ] {
            if timed_out {
                why.push(format!("{}: solver time-out (forced)", tier.name()));
                continue;
            }
            if tick_start.elapsed().as_secs_f64() > req.tick_budget_s {
                why.push(format!("{}: the tick's time budget is spent", tier.name()));
                continue;
            }
            // What is left of the budget, for the solver alone: no second attempt, no
            // diagnosis of an infeasible programme (the next tier is the elastic one).
            let left = req.tick_budget_s - tick_start.elapsed().as_secs_f64();
            let tier_solve = SolveOptions {
                time_limit_s: left,
                recover: false,
                diagnose: false,
                ..SolveOptions::default()
            };
            let out = parkgrid_dispatch::plan(
                &tick_park,
                &window,
                (req.solver, &tier_solve),
                BuildOptions {
                    elastic_cny: elastic,
                    ..options.clone()
                },
            )?;
            build_s += out.stats.build_time_s;
            solve_s += out.stats.solve_time_s;
            if tick_start.elapsed().as_secs_f64() > req.tick_budget_s {
                why.push(format!(
                    "{}: over the time budget ({:.1} s)",
                    tier.name(),
                    req.tick_budget_s
                ));
                continue;
            }
            if out.has_schedule() {
                if let parkgrid_dispatch::RunStatus::Inexact(_) = &out.status {
                    why.push(format!("{}: {}", tier.name(), status_text(&out.status)));
                }
                plan = Some((tier, out.dispatch));
                break;
            }
            why.push(format!("{}: {}", tier.name(), status_text(&out.status)));
        }
        let (tier, plan_dispatch, plan_step) = match plan {
            Some((tier, d)) => (tier, d, 0),
            None => match &last_plan {
                Some((start, d)) if k - start < series_len(d) => {
                    (Tier::ShiftedPlan, d.clone(), k - start)
                }
                _ => {
                    why.push("shifted_plan: no earlier plan covers this step".into());
                    let steps = Steps::of(&tick_park, &window);
                    let d = parkgrid_dispatch::rule::simulate(
                        &tick_park,
                        &window,
                        &steps,
                        parkgrid_dispatch::Rules::default(),
                    );
                    (Tier::SafeMode, d, 0)
                }
            },
        };
        if tier == Tier::Optimal || tier == Tier::PricedSlack {
            last_plan = Some((k, plan_dispatch.clone()));
        }
        // Setpoints: each store's level at the step's end, the EV hub's and flexible loads'
        // power.
        let setpoints: Vec<(String, f64)> = state
            .levels
            .keys()
            .filter_map(|id| {
                plan_dispatch
                    .get(id, Quantity::LevelKwh)
                    .and_then(|v| v.get(plan_step))
                    .map(|&l| (id.clone(), l))
            })
            .collect();
        let mut setpoints = setpoints;
        setpoints.sort_by(|a, b| a.0.cmp(&b.0));
        let power = |id: &str| {
            plan_dispatch
                .get(id, Quantity::PKw)
                .and_then(|v| v.get(plan_step).copied())
                .unwrap_or(0.0)
        };
        // 3. The step operated on the truth.
        let step_truth = truth.window(k, 1);
        let mut targets: HashMap<String, f64> = setpoints.iter().cloned().collect();
        targets.retain(|_, l| l.is_finite());
        let plant_options = BuildOptions {
            store_end: Some(store_ends(&park, |_| f64::NAN)),
            store_target: targets,
            target_penalty_cny_per_kwh: TARGET_PENALTY_CNY_PER_KWH,
            peak_floor: state.peaks.clone(),
            ev_open_kwh: park
                .ev_charging
                .iter()
                .map(|e| (e.id.clone(), power(&e.id) * dt))
                .collect(),
            flexible_open: park
                .flexible_load
                .iter()
                .map(|f| (f.id.clone(), (1, power(&f.id) * dt)))
                .collect(),
            ..BuildOptions::default()
        };
        let plant_solve = SolveOptions {
            diagnose: false,
            ..SolveOptions::default()
        };
        let plant = parkgrid_dispatch::plan(
            &tick_park,
            &step_truth,
            (req.solver, &plant_solve),
            plant_options.clone(),
        )?;
        let plant = if plant.has_schedule() {
            plant
        } else {
            // Nothing in the step can be left infeasible (a store found outside its bounds):
            // the elastic step, still steered to the plan.
            parkgrid_dispatch::plan(
                &tick_park,
                &step_truth,
                (req.solver, &plant_solve),
                BuildOptions {
                    elastic_cny: Some(ELASTIC_CNY),
                    ..plant_options
                },
            )?
        };
        advance(&mut state, &park, &truth, k, &plant.dispatch, dt);
        for s in plant.dispatch.series {
            let v = s.values.first().copied().unwrap_or(f64::NAN);
            match operated
                .iter_mut()
                .find(|x| x.id == s.id && x.quantity == s.quantity)
            {
                Some(x) => x.values.push(v),
                None => {
                    let mut values = vec![f64::NAN; k - offset];
                    values.push(v);
                    operated.push(Series { values, ..s });
                }
            }
        }
        progress(k - offset + 1, n);
        ticks.push(Tick {
            step: k - offset,
            tier,
            why: why.join("; "),
            wall_s: tick_start.elapsed().as_secs_f64(),
            flagged_forecasts: flagged,
            build_s,
            solve_s,
            setpoints,
        });
    }
    for (m, f) in models.iter_mut().zip(&forecasts) {
        let (sq, sum, n) = f.score;
        if n > 0 && sum > 0.0 {
            m.2 = (sq / n as f64).sqrt() / (sum / n as f64);
        }
    }
    // Perfect foresight over the same steps from the same start, ending with at least what
    // the controller left in each store (a store ended fuller is energy kept for later).
    let ends: HashMap<String, Option<f64>> = state
        .levels
        .iter()
        .map(|(id, l)| (id.clone(), Some(*l)))
        .collect();
    let perfect = parkgrid_dispatch::plan(
        &started,
        &run_truth,
        (req.solver, &SolveOptions::default()),
        BuildOptions {
            store_end: Some(ends),
            ..BuildOptions::default()
        },
    )?;
    if !perfect.has_schedule() {
        return Err(EngineError::SolverFailed(format!(
            "perfect foresight has no schedule: {:?}",
            perfect.status
        )));
    }
    let dispatch = Dispatch { series: operated };
    let run_steps = Steps::of(&park, &run_truth);
    let kpis = kpis(&park, &run_steps, &dispatch);
    Ok(MpcRun {
        ticks,
        dispatch,
        kpis,
        perfect: perfect.kpis,
        rule: rule.kpis.clone(),
        rule_outcome: rule,
        models,
        step_min: req.step_min,
        offset,
    })
}

/// The number of steps a dispatch's series cover.
fn series_len(d: &Dispatch) -> usize {
    d.series.first().map_or(0, |s| s.values.len())
}

/// `park` with every store starting at `levels` (kWh; a fraction above 1 or below 0 kept:
/// a store found outside its bounds).
fn with_levels(park: &Park, levels: &HashMap<String, f64>) -> Park {
    let mut p = park.clone();
    for b in &mut p.battery {
        if let Some(l) = levels.get(&b.id) {
            b.soc_initial_frac = Some(l / b.e_max_kwh);
        }
    }
    for s in &mut p.thermal_store {
        if let Some(l) = levels.get(&s.id) {
            s.soc_initial_frac = Some(l / s.e_max_kwh);
        }
    }
    p
}

/// The stores' ends in a window: seasonal stores at least at `guide(id)` (when finite), the
/// others free.
fn store_ends(park: &Park, guide: impl Fn(&str) -> f64) -> HashMap<String, Option<f64>> {
    park.battery
        .iter()
        .map(|b| (b.id.clone(), None))
        .chain(park.thermal_store.iter().map(|s| {
            let g = guide(&s.id);
            (s.id.clone(), (s.seasonal && g.is_finite()).then_some(g))
        }))
        .collect()
}

/// Flexible loads' shift windows under way at step `k` (the windows run from the year's
/// start): steps left and energy still owed (the window's baseline energy less what was
/// delivered in it so far).
fn flexible_open(
    park: &Park,
    truth: &ParkProfiles,
    k: usize,
    done: &HashMap<String, f64>,
) -> HashMap<String, (usize, f64)> {
    let per_h = truth.axis.steps_per_hour();
    let dt = truth.axis.step_h();
    park.flexible_load
        .iter()
        .filter_map(|f| {
            let per_window = (f.shift_window_h as usize * per_h).max(1);
            let into = k % per_window;
            if into == 0 {
                return None;
            }
            let start = k - into;
            let end = (start + per_window).min(truth.axis.n_steps);
            let base = truth.get(&f.id, Profile::ElectricDemand)?;
            let energy: f64 = base[start..end].iter().sum::<f64>() * dt;
            let delivered = done.get(&f.id).copied().unwrap_or(0.0);
            Some((f.id.clone(), (end - k, energy - delivered)))
        })
        .collect()
}

/// Moves the state past step `k` by what the plant did.
fn advance(
    state: &mut State,
    park: &Park,
    truth: &ParkProfiles,
    k: usize,
    operated: &Dispatch,
    dt: f64,
) {
    let first = |id: &str, q: Quantity| operated.get(id, q).and_then(|v| v.first().copied());
    for (id, level) in &mut state.levels {
        if let Some(l) = first(id, Quantity::LevelKwh) {
            *level = l;
        }
    }
    let month = truth.axis.time(k).month() as usize;
    for g in &park.grid {
        if let (Some(p), Some(peaks)) =
            (first(&g.id, Quantity::ImportKw), state.peaks.get_mut(&g.id))
        {
            let m = month.clamp(1, 12) - 1;
            peaks[m] = peaks[m].max(p);
        }
    }
    // EV sessions: opened at the arrival hour on a charging day, closed at departure.
    let next = truth.axis.time(k + 1);
    let now = truth.axis.time(k);
    for e in &park.ev_charging {
        if e.profile.is_some() {
            continue;
        }
        let p = first(&e.id, Quantity::PKw).unwrap_or(0.0);
        let charge_day = !e.working_days_only || day_type(now.date_naive()) == DayType::Working;
        let arrives = now.hour() == e.arrival_h && now.minute() == 0 && charge_day;
        if let Some(left) = state.ev_open.get_mut(&e.id) {
            *left -= p * dt;
        } else if arrives {
            state.ev_open.insert(e.id.clone(), e.e_daily_kwh - p * dt);
        }
        if next.hour() == e.departure_h % 24 && next.minute() == 0 {
            state.ev_open.remove(&e.id);
        }
    }
    let per_h = truth.axis.steps_per_hour();
    for f in &park.flexible_load {
        let per_window = (f.shift_window_h as usize * per_h).max(1);
        let p = first(&f.id, Quantity::PKw).unwrap_or(0.0);
        let done = state.flexible_done.entry(f.id.clone()).or_insert(0.0);
        *done += p * dt;
        if (k + 1) % per_window == 0 {
            *done = 0.0;
        }
    }
}

/// The series the controller forecasts, each with its measured history: the `history` steps
/// before the year (its last weeks, wrapped) then the year, with the faults applied.
fn forecast_series(
    truth: &ParkProfiles,
    history: usize,
    offset: usize,
    faults: &Faults,
    park: &Park,
) -> Vec<Forecast> {
    let n = truth.axis.n_steps;
    let per_day = 24 * truth.axis.steps_per_hour();
    let start = truth.axis.time(0).naive_local()
        - chrono::TimeDelta::minutes((history as i64) * i64::from(truth.axis.step_min));
    // The largest electric load (the meter that sticks).
    let largest = park
        .electric_load
        .iter()
        .filter_map(|l| {
            truth
                .get(&l.id, Profile::ElectricDemand)
                .map(|v| (l.id.clone(), v.iter().sum::<f64>()))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id);
    truth
        .series
        .iter()
        .enumerate()
        .filter(|(_, s)| forecast_quantity(s.kind, s.quantity))
        .enumerate()
        .map(|(j, (index, s))| {
            let mut values: Vec<Option<f64>> = (0..history)
                .map(|i| Some(s.values[wrapped(i, history, 7 * per_day, n)]))
                .chain(s.values.iter().map(|&v| Some(v)))
                .collect();
            let run_start = history + offset;
            if let Some(every) = faults.dropout_every_days.filter(|&d| d > 0) {
                // 6 h out every `every` days from the run's start, the series staggered by
                // 8 h (so that the first falls on the run's first day).
                let period = every * per_day;
                let shift = (j * per_day / 3) % period;
                for (i, v) in values.iter_mut().enumerate().skip(run_start) {
                    if (i - run_start + period - shift) % period < 6 * per_day / 24 {
                        *v = None;
                    }
                }
            }
            if let (Some(every), Some(id)) = (faults.stuck_every_days.filter(|&d| d > 0), &largest)
                && *id == s.id
                && s.quantity == Profile::ElectricDemand
            {
                // 12 h held every `every` days, from noon of the run's first day.
                let period = every * per_day;
                let mut i = run_start.max(1);
                while i < values.len() {
                    if (i - run_start) % period == per_day / 2 {
                        let held = values[i - 1];
                        for v in values.iter_mut().skip(i).take(12 * per_day / 24) {
                            *v = held;
                        }
                        i += 12 * per_day / 24;
                    } else {
                        i += 1;
                    }
                }
            }
            let measured = parkgrid_forecast::Series {
                name: format!("{}/{}", s.id, s.quantity.suffix()),
                start,
                step_min: truth.axis.step_min,
                values,
            };
            Forecast {
                id: s.id.clone(),
                quantity: s.quantity,
                index,
                measured,
                forecaster: Forecaster::new(Model::Calendar),
                last_first: None,
                score: (0.0, 0.0, 0),
                midnight: None,
            }
        })
        .collect()
}

/// The model with the lowest RMSE in a day-ahead backtest of the weeks before `origin`.
fn choose_model(
    measured: &parkgrid_forecast::Series,
    temperature: &[Option<f64>],
    origin: usize,
    calendar: &Calendar,
) -> Model {
    let spd = measured.steps_per_day();
    let from = origin.saturating_sub(HISTORY_WEEKS * 7 * spd);
    let mut cut = measured.clone();
    cut.values = measured.values[from..origin].to_vec();
    cut.start = measured.time(from);
    let inputs = Inputs::new(&cut, Some(&temperature[from..]), calendar);
    let opts = Options {
        warmup_days: 28,
        first_origin_days: 14,
        ..Options::day_ahead(spd)
    };
    parkgrid_forecast::backtest(&inputs, &opts).map_or(Model::Calendar, |r| r.best)
}
