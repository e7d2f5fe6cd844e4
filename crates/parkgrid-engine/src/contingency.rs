//! N-1 of a park on a schedule: the operating point of one step (the peak-load step by default)
//! with every line, transformer and converter out in turn, or every step of the run with each
//! outage summarised over it. The schedule is a fresh dispatch ([`dispatch_schedule`]) or a saved
//! run ([`StepInjections::from_run`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use parkgrid_dispatch::{Config, Outcome, RunStatus, SolverKind, Strategy};
use parkgrid_model::{Park, TimeAxis};
use parkgrid_powerflow::{
    Contingency, Lowered, Options, Scan, StepCheck, lower, lowered_from_case, n_minus_1,
};
use parkgrid_resource::park_profiles;
use serde_json::{Value, json};

use crate::EngineError;
use crate::network::{StepInjections, pf_options};
use crate::year::check_memory;

/// Which schedule of a park an N-1 study puts on the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleSource {
    /// A fresh dispatch by this strategy.
    Dispatch(Strategy),
    /// A run `parkgrid simulate` saved of the park (its directory).
    Saved(PathBuf),
}

/// Which steps of a park's run an N-1 study checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum N1Steps {
    /// The peak-load step: the most electric consumption on the network's buses.
    Peak,
    /// One step (0-based).
    At(usize),
    /// Every step, each outage summarised over the run.
    All,
}

/// An N-1 study and what it was of.
#[derive(Debug, Clone, PartialEq)]
pub enum N1Study {
    /// One operating point: a park's step or a case as given.
    Step {
        /// What was checked: `Yanqing at step 4212 (2025-06-25 12:00, peak load) of the optimal
        /// dispatch`, or `case9.m: 9 buses, …`.
        title: String,
        /// The intact network.
        intact: StepCheck,
        /// Every outage, worst first.
        outages: Vec<Contingency>,
    },
    /// Every step of a park's run.
    Run {
        /// The park's name.
        site: String,
        /// Which schedule: `optimal dispatch`, `saved run out/yanqing`.
        schedule: String,
        /// The run's time axis.
        axis: TimeAxis,
        /// The scan.
        year: N1Year,
    },
}

/// N-1 of a MATPOWER / MATACDC case as given.
///
/// # Errors
/// [`EngineError::Input`] when the file cannot be read, [`EngineError::Case`] when it is
/// malformed.
pub fn case_study(path: &Path) -> Result<N1Study, EngineError> {
    let case = crate::powerflow::read_case(path)?;
    let (intact, outages) = n_minus_1(&lowered_from_case(&case), &pf_options());
    Ok(N1Study::Step {
        title: format!("{}: {case}", path.display()),
        intact,
        outages,
    })
}

/// N-1 of `park` on a schedule at the `steps` asked; with the reason the schedule is not proven
/// optimal, when it is not (the study is made on it as it is).
///
/// # Errors
/// [`EngineError::Input`] for a step beyond the run, a network that cannot be lowered or a saved
/// run that does not fit the park; the dispatch's errors ([`dispatch_schedule`]).
pub fn park_study(
    park: &Park,
    source: &ScheduleSource,
    steps: N1Steps,
) -> Result<(N1Study, Option<String>), EngineError> {
    let lowered = lower(park).map_err(|e| EngineError::Input(format!("contingency: {e}")))?;
    let beyond = |t: usize, n: usize| {
        EngineError::Input(format!("--step {t} is beyond the {n} steps of the run"))
    };
    // A step outside the park's year is refused before anything is computed.
    if let (N1Steps::At(t), Some(axis)) = (steps, park.time_axis()) {
        if t >= axis.n_steps {
            return Err(beyond(t, axis.n_steps));
        }
    }
    let (saved, schedule);
    let (inj, axis, which, inexact) = match source {
        ScheduleSource::Saved(dir) => {
            saved = crate::read_run(dir)?;
            let axis = saved_run_axis(park, &saved)?;
            let inj = StepInjections::from_run(park, &saved, &lowered)?;
            (inj, axis, format!("saved run {}", dir.display()), None)
        }
        ScheduleSource::Dispatch(strategy) => {
            schedule = dispatch_schedule(park, *strategy)?;
            let inj = StepInjections::new(park, &schedule.outcome, &lowered);
            let which = match strategy {
                Strategy::Optimal => "optimal dispatch",
                Strategy::Rule => "rule-based dispatch",
            };
            let axis = schedule.axis;
            (inj, axis, which.to_string(), schedule.inexact.clone())
        }
    };
    let n = axis.n_steps;
    let opts = pf_options();
    let t = match steps {
        N1Steps::All => {
            let year = n_minus_1_year(&lowered, &inj, &axis, &opts);
            let study = N1Study::Run {
                site: park.site.name.clone(),
                schedule: which,
                axis,
                year,
            };
            return Ok((study, inexact));
        }
        N1Steps::At(t) if t >= n => return Err(beyond(t, n)),
        N1Steps::At(t) => t,
        N1Steps::Peak => inj.peak_load_step(n).unwrap_or(0),
    };
    let (intact, outages) = n_minus_1_at(&lowered, &inj, t, &opts);
    let title = format!(
        "{} at step {t} ({}{}) of the {which}",
        park.site.name,
        axis.time(t).format("%Y-%m-%d %H:%M"),
        if steps == N1Steps::Peak {
            ", peak load"
        } else {
            ""
        }
    );
    let study = N1Study::Step {
        title,
        intact,
        outages,
    };
    Ok((study, inexact))
}

impl N1Study {
    /// The study as JSON (`contingency --json`).
    pub fn json(&self) -> Value {
        match self {
            Self::Step {
                title,
                intact,
                outages,
            } => n_minus_1_json(title, intact, outages),
            Self::Run {
                site,
                schedule,
                axis,
                year,
            } => year.json(&format!("{site} over every step of the {schedule}"), axis),
        }
    }
}

/// A dispatch to study: its time axis and outcome, and a warning when it is not proven optimal.
pub struct Schedule {
    /// The run's time axis.
    pub axis: TimeAxis,
    /// The dispatch.
    pub outcome: Outcome,
    /// Why the schedule is not proven optimal, when it is not.
    pub inexact: Option<String>,
}

/// The dispatch of `park` by `strategy` (the best solver of the build) for an N-1 study.
///
/// # Errors
/// Input errors (weather, a programme larger than the machine); [`EngineError::SolverFailed`] when
/// the dispatch has no schedule.
pub fn dispatch_schedule(park: &Park, strategy: Strategy) -> Result<Schedule, EngineError> {
    let profiles = park_profiles(park)?;
    if strategy == Strategy::Optimal {
        check_memory(park, &profiles)?;
    }
    let outcome = parkgrid_dispatch::run(
        park,
        &profiles,
        Config {
            strategy,
            solver: SolverKind::best_available(),
            ..Config::default()
        },
    )?;
    let inexact = match &outcome.status {
        RunStatus::Ok => None,
        RunStatus::Inexact(why) => Some(why.clone()),
        other => {
            return Err(EngineError::SolverFailed(format!(
                "the dispatch has no schedule to check ({other:?}); `parkgrid simulate` says why"
            )));
        }
    };
    Ok(Schedule {
        axis: profiles.axis,
        outcome,
        inexact,
    })
}

/// N-1 at step `t`: the intact network's check and every outage, ranked worst first; the
/// schedule's unserved demand counted in each island's load.
pub fn n_minus_1_at(
    lowered: &Lowered,
    inj: &StepInjections<'_>,
    t: usize,
    opts: &Options,
) -> (StepCheck, Vec<Contingency>) {
    let mut point = lowered.clone();
    point.case = lowered.apply(&inj.at(t));
    let (mut intact, mut list) = n_minus_1(&point, opts);
    inj.attribute_unserved(t, &mut intact.islands);
    for c in &mut list {
        inj.attribute_unserved(t, &mut c.check.islands);
    }
    (intact, list)
}

/// One outage over every step of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutageYear {
    /// The element taken out.
    pub element: String,
    /// `line`, `transformer`, `dc line`, `converter`, `dc/dc`.
    pub kind: &'static str,
    /// Steps whose power flow did not converge with it out.
    pub not_solved: usize,
    /// Steps at which it loses load.
    pub losing_load: usize,
    /// Load it loses over the run, MWh.
    pub lost_mwh: f64,
    /// Steps with voltages out of band or overloads.
    pub violating: usize,
    /// Its highest loading: (fraction, element, step).
    pub worst: Option<(f64, String, usize)>,
    /// Its lowest voltage: (p.u., bus, step).
    pub v_min: Option<(f64, String, usize)>,
}

/// N-1 at every step of a run, each outage summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct N1Year {
    /// Steps scanned.
    pub steps: usize,
    /// Power flows solved (intact and outages).
    pub power_flows: usize,
    /// Seconds the scan took.
    pub time_s: f64,
    /// Symbolic analyses of the Jacobian (one per topology).
    pub symbolic_analyses: usize,
    /// Numeric refactorisations along them.
    pub numeric_refactorisations: usize,
    /// Steps at which the intact network has violations or does not solve.
    pub intact_bad_steps: usize,
    /// Load the intact network cuts off over the run, MWh.
    pub intact_lost_mwh: f64,
    /// The outages, worst first: not solved, load lost, violations, highest loading.
    pub outages: Vec<OutageYear>,
}

/// N-1 at every step of `axis`, reusing each topology's symbolic analysis across steps.
pub fn n_minus_1_year(
    lowered: &Lowered,
    inj: &StepInjections<'_>,
    axis: &TimeAxis,
    opts: &Options,
) -> N1Year {
    let n = axis.n_steps;
    let dt = axis.step_h();
    let start = std::time::Instant::now();
    let mut scan = Scan::default();
    let mut year: BTreeMap<String, OutageYear> = BTreeMap::new();
    let mut intact_bad = 0usize;
    let mut intact_lost_mwh = 0.0;
    let mut point = lowered.clone();
    let mut flows = 0usize;
    for t in 0..n {
        point.case = lowered.apply(&inj.at(t));
        let (mut intact, list) = scan.step(&point, opts);
        inj.attribute_unserved(t, &mut intact.islands);
        flows += 1 + list.len();
        if intact.violated() {
            intact_bad += 1;
        }
        intact_lost_mwh += intact.islands.iter().map(|i| i.lost_load_kw).sum::<f64>() / 1000.0 * dt;
        for c in list {
            let y = year.entry(c.element.clone()).or_default();
            y.kind = c.kind;
            if !c.check.converged {
                y.not_solved += 1;
                continue;
            }
            if c.lost_load_mw > 0.0 {
                y.losing_load += 1;
                y.lost_mwh += c.lost_load_mw * dt;
            }
            if c.check.violated() {
                y.violating += 1;
            }
            if let Some(l) = c.check.max_loading() {
                if y.worst.as_ref().is_none_or(|w| l.fraction > w.0) {
                    y.worst = Some((l.fraction, l.id.clone(), t));
                }
            }
            if c.check.v_min.1.is_finite() && y.v_min.as_ref().is_none_or(|v| c.check.v_min.1 < v.0)
            {
                y.v_min = Some((c.check.v_min.1, c.check.v_min.0.clone(), t));
            }
        }
    }
    let (analyses, refactorisations) = scan.factorisations();
    let mut outages: Vec<OutageYear> = year
        .into_iter()
        .map(|(element, y)| OutageYear { element, ..y })
        .collect();
    outages.sort_by(|a, b| {
        b.not_solved
            .cmp(&a.not_solved)
            .then(b.lost_mwh.total_cmp(&a.lost_mwh))
            .then(b.violating.cmp(&a.violating))
            .then(
                b.worst
                    .as_ref()
                    .map_or(0.0, |w| w.0)
                    .total_cmp(&a.worst.as_ref().map_or(0.0, |w| w.0)),
            )
    });
    N1Year {
        steps: n,
        power_flows: flows,
        time_s: start.elapsed().as_secs_f64(),
        symbolic_analyses: analyses,
        numeric_refactorisations: refactorisations,
        intact_bad_steps: intact_bad,
        intact_lost_mwh,
        outages,
    }
}

impl N1Year {
    /// The scan as JSON (`contingency --steps all --json`), times on `axis`.
    pub fn json(&self, title: &str, axis: &TimeAxis) -> Value {
        json!({
            "title": title,
            "steps": self.steps,
            "power_flows": self.power_flows,
            "time_s": self.time_s,
            "symbolic_analyses": self.symbolic_analyses,
            "numeric_refactorisations": self.numeric_refactorisations,
            "intact": {"steps_with_violations": self.intact_bad_steps, "lost_load_mwh": self.intact_lost_mwh},
            "contingencies": self.outages.iter().enumerate().map(|(rank, y)| json!({
                "rank": rank + 1,
                "element": y.element,
                "kind": y.kind,
                "steps_not_solved": y.not_solved,
                "steps_losing_load": y.losing_load,
                "lost_load_mwh": y.lost_mwh,
                "steps_with_violations": y.violating,
                "max_loading": y.worst.as_ref().map(|w| json!({"element": w.1, "loading": w.0, "time": axis.time(w.2).to_rfc3339()})),
                "v_min": y.v_min.as_ref().map(|v| json!({"bus": v.1, "v_pu": v.0, "time": axis.time(v.2).to_rfc3339()})),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Islands as JSON.
pub fn islands_json(islands: &[parkgrid_powerflow::IslandCheck]) -> Value {
    Value::Array(
        islands
            .iter()
            .map(|i| {
                json!({
                    "buses": i.buses,
                    "load_kw": i.load_kw,
                    "generation_kw": i.generation_kw,
                    "lost_load_kw": i.lost_load_kw,
                    "state": i.state.name(),
                    "reference_bus": i.reference,
                })
            })
            .collect(),
    )
}

/// N-1 of one step as JSON (`contingency --json`).
pub fn n_minus_1_json(title: &str, intact: &StepCheck, list: &[Contingency]) -> Value {
    json!({
        "title": title,
        "intact": {"converged": intact.converged, "voltage_violations": intact.voltage_violations.len(),
                   "overloads": intact.overloads().count(), "losses_kw": intact.losses_kw,
                   "islands": islands_json(&intact.islands)},
        "contingencies": list.iter().enumerate().map(|(rank, c)| json!({
            "rank": rank + 1,
            "element": c.element,
            "kind": c.kind,
            "islanded": c.islanded,
            "lost_load_mw": c.lost_load_mw,
            "islands": islands_json(&c.check.islands),
            "converged": c.check.converged,
            "voltage_violations": c.check.voltage_violations.iter().map(|v| json!({"bus": v.bus, "v_pu": v.v_pu})).collect::<Vec<_>>(),
            "overloads": c.check.overloads().map(|l| json!({"element": l.id, "loading": l.fraction})).collect::<Vec<_>>(),
            "max_loading": c.check.max_loading().map(|l| json!({"element": l.id, "loading": l.fraction})),
            "v_min_pu": c.check.v_min.1,
            "v_max_pu": c.check.v_max.1,
        })).collect::<Vec<_>>(),
    })
}

/// The time axis of a saved run of `park`: the steps of the park's year from the run's first
/// time, as many as the run holds (a year or a window).
///
/// # Errors
/// [`EngineError::Input`] when the run's first time is no step of the park's year, or its steps
/// reach past the year.
pub fn saved_run_axis(park: &Park, run: &parkgrid_report::Run) -> Result<TimeAxis, EngineError> {
    let year = park
        .time_axis()
        .ok_or_else(|| EngineError::Input("the park's time axis is invalid".into()))?;
    let first = run.times.first().map(String::as_str).unwrap_or_default();
    let not_a_step = || {
        EngineError::Input(format!(
            "the saved run starts at '{first}', which is no step of the park's year {}",
            year.year()
        ))
    };
    let start = chrono::DateTime::parse_from_rfc3339(first).map_err(|_| not_a_step())?;
    let minutes = (start - year.start.fixed_offset()).num_minutes();
    let step = i64::from(year.step_min);
    let offset = usize::try_from(minutes / step)
        .ok()
        .filter(|&t| minutes % step == 0 && t < year.n_steps)
        .ok_or_else(not_a_step)?;
    if offset + run.times.len() > year.n_steps {
        return Err(EngineError::Input(format!(
            "the saved run's {} steps from '{first}' reach past the park's year",
            run.times.len()
        )));
    }
    Ok(year.window(offset, run.times.len()))
}
