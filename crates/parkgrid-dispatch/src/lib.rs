//! Multi-energy dispatch of a park: the linear programme over the whole year (perfect foresight,
//! which values the seasonal heat store), its solution (Clarabel by default, HiGHS with the `highs`
//! feature) checked by an optimality certificate, and a rule-based baseline of how the park used
//! to be run.
//!
//! The programme is built per asset kind in `component/` (template: read the park; kernel: add
//! rows), with one generic nodal balance per bus and step whose dual is the bus's marginal price.
//! Unserved demand is priced at the value of lost load, so a schedule always comes back; an
//! infeasible programme (a hard limit that cannot be met) is a value that names the rows at fault.
//!
//! This crate does no IO and has no async runtime.

pub mod build;
pub mod component;
pub mod key;
pub mod lp;
pub mod result;
mod rolling;
pub mod rule;
pub mod solve;

use std::time::Instant;

use parkgrid_model::{AssetKind, Park};
use parkgrid_resource::ParkProfiles;

pub use build::{BuildOptions, Steps};
pub use key::{Element, Quantity};
pub use result::{Dispatch, Kpis, Series, kpis, ports};
pub use rule::Rules;
pub use solve::{Certificate, ClarabelSettings, LpStatus, SolveError, SolveOptions, SolverKind};

use crate::build::Source;
use crate::lp::Sense;

/// How the park is operated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Least cost over the year (linear programme).
    Optimal,
    /// Fixed priority rules, step by step (the baseline).
    Rule,
}

/// How far the optimiser sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Horizon {
    /// One programme over the whole year (perfect foresight).
    Year,
    /// Day by day: each day is planned with the next day in view, then fixed; seasonal stores
    /// follow the levels of the year plan.
    Rolling,
}

/// Settings of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Operation strategy.
    pub strategy: Strategy,
    /// LP solver (optimal strategy only).
    pub solver: SolverKind,
    /// Horizon (optimal strategy only).
    pub horizon: Horizon,
    /// Solver knobs and the certificate's tolerance (optimal strategy only).
    pub solve: SolveOptions,
    /// The rules of the baseline (rule strategy only).
    pub rules: Rules,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            strategy: Strategy::Optimal,
            solver: SolverKind::Clarabel,
            horizon: Horizon::Year,
            solve: SolveOptions::default(),
            rules: Rules::default(),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunStatus {
    /// Optimal, with a passing certificate (or, for the rule strategy, simulated).
    Ok,
    /// A schedule whose optimality is not proven: the solver's point failed its certificate even
    /// after the recovery steps. The schedule and KPIs are that point's; the text says how it
    /// ended and [`RunStats::certificate`] holds the figures.
    Inexact(String),
    /// A hard limit cannot be met; the rows that had to give, worst first, with how much.
    Infeasible(Vec<(String, f64)>),
    /// The solver gave up; why.
    Failed(String),
}

/// Size and timing of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunStats {
    /// Variables of the programme.
    pub n_variables: usize,
    /// Rows of the programme.
    pub n_rows: usize,
    /// Non-zero coefficients of its rows.
    pub n_nonzeros: usize,
    /// Time to build the programme and hand it to the solver, s.
    pub build_time_s: f64,
    /// Time in the solver, s.
    pub solve_time_s: f64,
    /// Objective value (costs plus penalties), CNY.
    pub objective_cny: Option<f64>,
    /// Solver whose answer was used, with the attempts before it after a fall-back.
    pub solver: Option<String>,
    /// Interior-point iterations of the answer used (Clarabel), summed over a rolling horizon's
    /// windows.
    pub iterations: Option<u32>,
    /// The optimality certificate of the answer used (for a rolling horizon: of the window with
    /// the largest relative gap).
    pub certificate: Option<Certificate>,
    /// Largest residual of a bus balance relative to the bus's scale (its largest demand or
    /// flow), over all buses and steps.
    pub max_balance_residual_rel: f64,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// How it ended.
    pub status: RunStatus,
    /// The schedule (empty unless the status is `Ok`).
    pub dispatch: Dispatch,
    /// Key figures of the schedule.
    pub kpis: Kpis,
    /// Size and timing.
    pub stats: RunStats,
}

impl Outcome {
    /// A finished schedule with its KPIs; `status` is `Ok` or `Inexact`.
    fn scheduled(
        status: RunStatus,
        park: &Park,
        steps: &Steps,
        mut dispatch: Dispatch,
        stats: RunStats,
    ) -> Self {
        let kpis = kpis(park, steps, &dispatch);
        // The import tariff each step, to set the internal prices against.
        for g in &park.grid {
            let tariff = park.tariff(&g.tariff);
            dispatch.series.push(Series {
                id: g.id.clone(),
                kind: Element::Asset(AssetKind::Grid),
                quantity: Quantity::TariffCnyPerKwh,
                ports: Vec::new(),
                values: (0..steps.n)
                    .map(|t| {
                        tariff
                            .and_then(|tf| tf.price_at(steps.month[t], steps.hour[t]))
                            .unwrap_or(f64::NAN)
                    })
                    .collect(),
            });
        }
        Self {
            status,
            dispatch,
            kpis,
            stats,
        }
    }

    /// True when the outcome holds a schedule (optimal, simulated or inexact).
    pub fn has_schedule(&self) -> bool {
        matches!(self.status, RunStatus::Ok | RunStatus::Inexact(_))
    }

    /// A run without a schedule.
    pub(crate) fn without_schedule(status: RunStatus, stats: RunStats) -> Self {
        Self {
            status,
            dispatch: Dispatch { series: Vec::new() },
            kpis: Kpis::default(),
            stats,
        }
    }
}

/// The size of the whole-horizon LP of a park, estimated before it is built: the LP of a two-day
/// window is built and scaled by the number of steps (every family of the LP grows linearly with
/// the steps; the few yearly rows are negligible), so a year that cannot fit in memory is refused
/// before it is attempted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LpEstimate {
    /// Variables.
    pub n_variables: usize,
    /// Rows.
    pub n_rows: usize,
    /// Non-zero coefficients of the rows.
    pub n_nonzeros: usize,
    /// Peak memory of building and solving it with Clarabel, bytes: [`BYTES_PER_NONZERO`] per
    /// non-zero.
    pub peak_bytes: u64,
}

/// Peak resident memory of an optimal year run per non-zero of its LP, bytes: measured on the
/// Yanqing year with `/usr/bin/time` (2026-11-30, BENCHMARKS.md) — 1.95 GB for 2.64 million
/// non-zeros at 15 minutes (737 B each), 0.49 GB for 0.66 million hourly (746 B each) — and
/// rounded up. It covers the LP, presolve, Clarabel's KKT factor, the schedule and the baseline.
pub const BYTES_PER_NONZERO: u64 = 800;

/// Estimates the year LP of `park` ([`LpEstimate`]).
pub fn estimate(park: &Park, profiles: &ParkProfiles) -> LpEstimate {
    let n = profiles.axis.n_steps;
    let per_day = (24 * 60 / profiles.axis.step_min.max(1)) as usize;
    let len = (2 * per_day).min(n).max(1);
    let window = profiles.window(0, len);
    let built = build::build(park, &window, BuildOptions::default());
    let nnz = built.lp.n_nonzeros();
    let scale = |x: usize| (x as f64 * n as f64 / len as f64).ceil() as usize;
    let n_nonzeros = scale(nnz);
    LpEstimate {
        n_variables: scale(built.lp.n_vars()),
        n_rows: scale(built.lp.rows.len()),
        n_nonzeros,
        peak_bytes: n_nonzeros as u64 * BYTES_PER_NONZERO,
    }
}

/// Runs `config`'s strategy on a validated park and its profiles.
pub fn run(park: &Park, profiles: &ParkProfiles, config: Config) -> Result<Outcome, SolveError> {
    run_with_progress(park, profiles, config, &mut |_, _| {})
}

/// As [`run`], calling `progress(done, total)` as a rolling horizon advances.
pub fn run_with_progress(
    park: &Park,
    profiles: &ParkProfiles,
    config: Config,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Outcome, SolveError> {
    let steps = Steps::of(park, profiles);
    match config.strategy {
        Strategy::Rule => {
            let start = Instant::now();
            let dispatch = rule::simulate(park, profiles, &steps, config.rules);
            let stats = RunStats {
                solve_time_s: start.elapsed().as_secs_f64(),
                ..RunStats::default()
            };
            Ok(Outcome::scheduled(
                RunStatus::Ok,
                park,
                &steps,
                dispatch,
                stats,
            ))
        }
        Strategy::Optimal => match config.horizon {
            Horizon::Year => optimal(
                park,
                profiles,
                &steps,
                (config.solver, &config.solve),
                BuildOptions::default(),
            ),
            Horizon::Rolling => rolling::run(
                park,
                profiles,
                &steps,
                (config.solver, &config.solve),
                progress,
            ),
        },
    }
}

/// The least-cost schedule of a window of `profiles` (a tick of a model-predictive controller,
/// or any window), built with `options` (the stores' start levels are the park's
/// `soc_initial_frac`; their ends, EV sessions and flexible loads under way, peaks paid for and
/// elasticity from `options`).
///
/// # Errors
/// [`SolveError`] when the solver is not in the build or the programme cannot be handed to it.
pub fn plan(
    park: &Park,
    profiles: &ParkProfiles,
    solver: (SolverKind, &SolveOptions),
    options: BuildOptions,
) -> Result<Outcome, SolveError> {
    let steps = Steps::of(park, profiles);
    optimal(park, profiles, &steps, solver, options)
}

fn optimal(
    park: &Park,
    profiles: &ParkProfiles,
    steps: &Steps,
    (solver, solve): (SolverKind, &SolveOptions),
    options: BuildOptions,
) -> Result<Outcome, SolveError> {
    let start = Instant::now();
    let elastic_price = options.elastic_cny;
    let built = build::build(park, profiles, options);
    let elastic_lp = elastic_price.map(|price| elastic(&built.lp, price).0);
    let build_time_s = start.elapsed().as_secs_f64();
    let solution = solve::solve_with(elastic_lp.as_ref().unwrap_or(&built.lp), solver, solve)?;
    let mut stats = RunStats {
        n_variables: built.lp.n_vars(),
        n_rows: built.lp.rows.len(),
        n_nonzeros: built.lp.n_nonzeros(),
        build_time_s: build_time_s + solution.translate_time_s,
        solve_time_s: solution.solve_time_s,
        objective_cny: None,
        solver: Some(solution.solver.clone()),
        iterations: solution.iterations,
        certificate: solution.certificate.clone(),
        max_balance_residual_rel: 0.0,
    };
    let status = match solution.status {
        LpStatus::Optimal => RunStatus::Ok,
        LpStatus::Inexact(why) => RunStatus::Inexact(why),
        LpStatus::Infeasible => {
            let rows = if solve.diagnose {
                diagnose(&built.lp, solver)
            } else {
                Vec::new()
            };
            return Ok(Outcome::without_schedule(
                RunStatus::Infeasible(rows),
                stats,
            ));
        }
        LpStatus::Failed(why) => {
            return Ok(Outcome::without_schedule(RunStatus::Failed(why), stats));
        }
    };
    let tie_cost: f64 = built
        .tie_breaks
        .iter()
        .map(|&(blk, c)| (0..blk.len).map(|t| c * solution.x[blk.at(t)]).sum::<f64>())
        .sum();
    stats.objective_cny = Some(solution.objective - tie_cost);
    let x = &solution.x;
    stats.max_balance_residual_rel = balance_residual(&built, x);
    let mut series: Vec<Series> = built
        .outputs
        .iter()
        .map(|o| Series {
            id: o.id.clone(),
            kind: o.kind,
            quantity: o.quantity,
            ports: o.ports.clone(),
            values: match &o.source {
                Source::Fixed(v) => v.clone(),
                Source::Vars(terms) => (0..built.n)
                    .map(|t| terms.iter().map(|(b, c)| c.at(t) * x[b.at(t)]).sum())
                    .collect(),
                Source::PositivePart(b, sign) => {
                    (0..built.n).map(|t| (sign * x[b.at(t)]).max(0.0)).collect()
                }
            },
        })
        .collect();
    for (bus, &first) in park.bus.iter().zip(&built.balance_rows) {
        series.push(Series {
            id: bus.id.clone(),
            kind: Element::Bus,
            quantity: Quantity::PriceCnyPerKwh,
            ports: Vec::new(),
            values: (0..built.n)
                .map(|t| solution.duals[first + t] / steps.step_h)
                .collect(),
        });
    }
    Ok(Outcome::scheduled(
        status,
        park,
        steps,
        Dispatch { series },
        stats,
    ))
}

/// The largest bus-balance residual relative to the bus's scale.
fn balance_residual(built: &build::Built, x: &[f64]) -> f64 {
    let mut worst = 0.0f64;
    for &first in &built.balance_rows {
        let rows = &built.lp.rows[first..first + built.n];
        let scale = rows
            .iter()
            .flat_map(|r| {
                r.terms
                    .iter()
                    .map(|&(v, a)| (a * x[v]).abs())
                    .chain(std::iter::once(r.rhs.abs()))
            })
            .fold(1.0f64, f64::max);
        for r in rows {
            let lhs: f64 = r.terms.iter().map(|&(v, a)| a * x[v]).sum();
            worst = worst.max((lhs - r.rhs).abs() / scale);
        }
    }
    worst
}

/// The price of a unit of violation in the programme that diagnoses an infeasible one, CNY.
const ELASTIC_CNY: f64 = 1e6;

/// The slack variables [`elastic`] added to each row: `(row, up, down)`.
type Slacks = Vec<(usize, Option<usize>, Option<usize>)>;

/// A copy of `lp` in which every row may give at `price` per unit of violation: `≥` rows up,
/// `≤` rows down, `=` rows both ways (the elastic programme, always feasible when the variables'
/// bounds are).
fn elastic(lp: &lp::Lp, price: f64) -> (lp::Lp, Slacks) {
    let mut elastic = lp.clone();
    let n_rows = elastic.rows.len();
    let mut slacks = Vec::new();
    for i in 0..n_rows {
        let sense = elastic.rows[i].sense;
        let mut elastic_var = |family: &str, coef: f64| {
            let v = elastic
                .add_block(family, "row", 1, |_| (0.0, f64::INFINITY), |_| price)
                .at(0);
            elastic.rows[i].terms.push((v, coef));
            v
        };
        let up = (sense != Sense::Le).then(|| elastic_var("elastic.up", 1.0));
        let down = (sense != Sense::Ge).then(|| elastic_var("elastic.down", -1.0));
        slacks.push((i, up, down));
    }
    (elastic, slacks)
}

/// For an infeasible programme: every row gets slacks at a high price; the rows whose slacks are
/// used are the limits that cannot be met.
fn diagnose(lp: &lp::Lp, solver: SolverKind) -> Vec<(String, f64)> {
    let (elastic, slacks) = elastic(lp, ELASTIC_CNY);
    let Ok(s) = solve::solve(&elastic, solver) else {
        return Vec::new();
    };
    if s.status != LpStatus::Optimal {
        return Vec::new();
    }
    let mut used: Vec<(String, f64)> = slacks
        .iter()
        .map(|&(i, u, d)| (i, u.map_or(0.0, |u| s.x[u]) + d.map_or(0.0, |d| s.x[d])))
        .filter(|&(_, v)| v > 1e-6)
        .map(|(i, v)| (lp.row_name(i), v))
        .collect();
    used.sort_by(|a, b| b.1.total_cmp(&a.1));
    used.truncate(20);
    used
}
