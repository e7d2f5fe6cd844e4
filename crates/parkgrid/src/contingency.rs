//! `parkgrid contingency`: N-1 of a park (at its peak-load step, at one step, or at every step of
//! its optimal or rule-based dispatch) or of a MATPOWER / MATACDC case.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use parkgrid_dispatch::Strategy;
use parkgrid_engine::StepInjections;
use parkgrid_engine::contingency::{
    N1Year, dispatch_schedule, n_minus_1_at, n_minus_1_json, n_minus_1_year, saved_run_axis,
};
use parkgrid_model::TimeAxis;
use parkgrid_powerflow::{IslandCheck, StepCheck, lower, lowered_from_case, n_minus_1};

use crate::InputError;
use crate::table::render;

/// `--dispatch`: which schedule of a park the network carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DispatchArg {
    /// The optimal dispatch (`simulate`'s default).
    Optimal,
    /// The rule-based baseline.
    Rule,
}

/// `--steps`: which steps of a park's year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StepsArg {
    /// The peak-load step: the most electric consumption on the network's buses (the same step
    /// as `simulate --network-check=peak` calls "peak load").
    Peak,
    /// Every step of the year, outages summarised over the year.
    All,
}

/// What to check.
#[derive(Debug, Clone)]
pub struct Request {
    /// One step (0-based), overriding `steps`.
    pub step: Option<usize>,
    /// Peak or every step.
    pub steps: StepsArg,
    /// Which dispatch of a park (None: the optimal); refused with a case file.
    pub dispatch: Option<DispatchArg>,
    /// A saved run of the park to take the schedule from, instead of a dispatch.
    pub run: Option<std::path::PathBuf>,
    /// Print JSON.
    pub json: bool,
    /// Rows shown.
    pub top: usize,
}

/// Runs N-1 on `path` (a park file, or a case file ending in `.m`).
pub fn run(path: &Path, req: Request) -> anyhow::Result<ExitCode> {
    let opts = parkgrid_engine::pf_options();
    let mut checked = None;
    let (title, base) = if path.extension().is_some_and(|e| e == "m") {
        if req.dispatch.is_some() || req.run.is_some() {
            return Err(InputError(
                "--dispatch and --run apply to a park file; a case file carries its own injections"
                    .into(),
            )
            .into());
        }
        if req.step.is_some() || req.steps == StepsArg::All {
            return Err(InputError(
                "--step and --steps apply to a park file; a case file is checked as given".into(),
            )
            .into());
        }
        let case = crate::powerflow::read_case(path)?;
        (
            format!("{}: {case}", path.display()),
            lowered_from_case(&case),
        )
    } else {
        let loaded = parkgrid_model::load(path)?;
        let Some(park) = &loaded.park else {
            eprint!("{}", loaded.report.render());
            return Ok(ExitCode::from(2));
        };
        let lowered = lower(park).map_err(|e| InputError(format!("contingency: {e}")))?;
        // A step outside the park's year is refused before anything is computed.
        if let (Some(t), Some(axis)) = (req.step, park.time_axis()) {
            if t >= axis.n_steps {
                return Err(InputError(format!(
                    "--step {t} is beyond the {} steps of the run",
                    axis.n_steps
                ))
                .into());
            }
        }
        // The schedule: a saved run's, or a fresh dispatch's.
        let saved;
        let schedule;
        let (inj, axis, which) = match &req.run {
            Some(dir) => {
                saved = parkgrid_engine::read_run(dir)?;
                let axis = saved_run_axis(park, &saved)?;
                let inj = StepInjections::from_run(park, &saved, &lowered)?;
                (inj, axis, format!("saved run {}", dir.display()))
            }
            None => {
                let (strategy, which) = match req.dispatch.unwrap_or(DispatchArg::Optimal) {
                    DispatchArg::Optimal => (Strategy::Optimal, "optimal dispatch"),
                    DispatchArg::Rule => (Strategy::Rule, "rule-based dispatch"),
                };
                schedule = dispatch_schedule(park, strategy)?;
                if let Some(why) = &schedule.inexact {
                    eprintln!(
                        "warning: the optimal dispatch is not proven optimal ({why}); checked as it is"
                    );
                }
                let inj = StepInjections::new(park, &schedule.outcome, &lowered);
                (inj, schedule.axis, which.to_string())
            }
        };
        let n = axis.n_steps;
        if req.step.is_none() && req.steps == StepsArg::All {
            let year = n_minus_1_year(&lowered, &inj, &axis, &opts);
            return print_year(park, &axis, &year, &which, req);
        }
        let t = match req.step {
            Some(t) if t < n => t,
            Some(t) => {
                return Err(
                    InputError(format!("--step {t} is beyond the {n} steps of the run")).into(),
                );
            }
            None => inj.peak_load_step(n).unwrap_or(0),
        };
        checked = Some(n_minus_1_at(&lowered, &inj, t, &opts));
        (
            format!(
                "{} at step {t} ({}{}) of the {which}",
                park.site.name,
                axis.time(t).format("%Y-%m-%d %H:%M"),
                if req.step.is_none() {
                    ", peak load"
                } else {
                    ""
                }
            ),
            lowered,
        )
    };
    let (json_out, top) = (req.json, req.top);
    let (intact, list) = match checked {
        Some(c) => c,
        None => n_minus_1(&base, &opts),
    };
    if json_out {
        let v = n_minus_1_json(&title, &intact, &list);
        outln!("{}", serde_json::to_string_pretty(&v).context("JSON")?)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("N-1 of {title}")?;
    outln!(
        "  intact: {}, {} voltages out of band, {} overloads, losses {:.1} kW",
        if intact.converged {
            "solved"
        } else {
            "NOT solved"
        },
        intact.voltage_violations.len(),
        intact.overloads().count(),
        intact.losses_kw
    )?;
    out!("{}", islands_text("intact", &intact.islands))?;
    let rows: Vec<Vec<String>> = list
        .iter()
        .take(top)
        .enumerate()
        .map(|(rank, c)| {
            let ch = &c.check;
            vec![
                (rank + 1).to_string(),
                c.element.clone(),
                c.kind.to_string(),
                if ch.converged {
                    "yes".into()
                } else {
                    "NO".into()
                },
                c.islanded.len().to_string(),
                format!("{:.3}", c.lost_load_mw),
            ]
            .into_iter()
            .chain(figures(ch))
            .collect()
        })
        .collect();
    out!(
        "{}",
        render(
            &[
                "#",
                "out",
                "kind",
                "solved",
                "islanded",
                "lost MW",
                "V viol.",
                "overloads",
                "most loaded",
                "V min"
            ],
            &rows
        )
    )?;
    if list.len() > top {
        outln!(
            "  … {} more (--top {} shows all)",
            list.len() - top,
            list.len()
        )?;
    }
    for c in list.iter().take(top) {
        out!("{}", islands_text(&c.element, &c.check.islands))?;
    }
    if list.is_empty() {
        outln!("  no line, transformer or converter in service to take out")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The table cells a check lends: none when its power flow did not converge.
fn figures(ch: &StepCheck) -> Vec<String> {
    if !ch.converged {
        return vec!["—".into(); 4];
    }
    vec![
        ch.voltage_violations.len().to_string(),
        ch.overloads().count().to_string(),
        ch.max_loading().map_or("—".into(), |l| {
            format!("{} {:.0} %", l.id, l.fraction * 100.0)
        }),
        if ch.v_min.1.is_finite() {
            format!("{:.4}", ch.v_min.1)
        } else {
            "—".into()
        },
    ]
}

/// One line per island that does not hang on the reference: its buses, load and state.
pub(crate) fn islands_text(what: &str, islands: &[IslandCheck]) -> String {
    let mut text = String::new();
    for i in islands {
        let _ = writeln!(text, "  {what}: {}", i.describe());
    }
    text
}

/// The N-1 scan of every step, printed (or as JSON).
fn print_year(
    park: &parkgrid_model::Park,
    axis: &TimeAxis,
    year: &N1Year,
    which: &str,
    req: Request,
) -> anyhow::Result<ExitCode> {
    let time = |t: usize| axis.time(t).format("%Y-%m-%d %H:%M").to_string();
    if req.json {
        let title = format!("{} over every step of the {which}", park.site.name);
        let v = year.json(&title, axis);
        outln!("{}", serde_json::to_string_pretty(&v).context("JSON")?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let N1Year {
        steps: n,
        power_flows: flows,
        time_s: elapsed,
        symbolic_analyses: analyses,
        numeric_refactorisations: refactorisations,
        intact_bad_steps: intact_bad,
        intact_lost_mwh,
        outages: ranked,
    } = year;
    outln!(
        "N-1 of {} at every step of the {which}: {n} steps, {flows} power flows in {elapsed:.2} s ({analyses} symbolic analyses, {refactorisations} numeric refactorisations)",
        park.site.name
    )?;
    outln!(
        "  intact: {intact_bad} steps with violations or not solved, {intact_lost_mwh:.3} MWh of load cut off"
    )?;
    let rows: Vec<Vec<String>> = ranked
        .iter()
        .take(req.top)
        .enumerate()
        .map(|(rank, y)| {
            vec![
                (rank + 1).to_string(),
                y.element.clone(),
                y.kind.to_string(),
                y.not_solved.to_string(),
                y.losing_load.to_string(),
                format!("{:.3}", y.lost_mwh),
                y.violating.to_string(),
                y.worst.as_ref().map_or("—".into(), |w| {
                    format!("{} {:.0} % ({})", w.1, w.0 * 100.0, time(w.2))
                }),
                y.v_min.as_ref().map_or("—".into(), |v| {
                    format!("{:.4} {} ({})", v.0, v.1, time(v.2))
                }),
            ]
        })
        .collect();
    out!(
        "{}",
        render(
            &[
                "#",
                "out",
                "kind",
                "not solved",
                "losing load",
                "lost MWh",
                "violating",
                "worst loading",
                "lowest voltage",
            ],
            &rows
        )
    )?;
    if ranked.len() > req.top {
        outln!(
            "  … {} more (--top {} shows all)",
            ranked.len() - req.top,
            ranked.len()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
