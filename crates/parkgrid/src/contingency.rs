//! `parkgrid contingency`: N-1 of a park (at its peak-load step, at one step, or at every step of
//! its optimal or rule-based dispatch) or of a MATPOWER / MATACDC case.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use parkgrid_dispatch::{Config, RunStatus, Strategy};
use parkgrid_powerflow::{
    Contingency, IslandCheck, Lowered, Options, Scan, StepCheck, lower, lowered_from_case,
    n_minus_1,
};
use serde_json::{Value, json};

use crate::InputError;
use crate::table::render;
use parkgrid_engine::StepInjections;

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
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// One step (0-based), overriding `steps`.
    pub step: Option<usize>,
    /// Peak or every step.
    pub steps: StepsArg,
    /// Which dispatch of a park (None: the optimal); refused with a case file.
    pub dispatch: Option<DispatchArg>,
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
        if req.dispatch.is_some() {
            return Err(InputError(
                "--dispatch applies to a park file; a case file carries its own injections".into(),
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
        let profiles = parkgrid_resource::park_profiles(park)?;
        let dispatch = req.dispatch.unwrap_or(DispatchArg::Optimal);
        if dispatch == DispatchArg::Optimal {
            parkgrid_engine::check_memory(park, &profiles)?;
        }
        let lowered = lower(park).map_err(|e| InputError(format!("contingency: {e}")))?;
        let (strategy, which) = match dispatch {
            DispatchArg::Optimal => (Strategy::Optimal, "optimal"),
            DispatchArg::Rule => (Strategy::Rule, "rule-based"),
        };
        let outcome = parkgrid_dispatch::run(
            park,
            &profiles,
            Config {
                strategy,
                solver: parkgrid_dispatch::SolverKind::best_available(),
                ..Config::default()
            },
        )?;
        match &outcome.status {
            RunStatus::Ok => {}
            RunStatus::Inexact(why) => {
                eprintln!(
                    "warning: the optimal dispatch is not proven optimal ({why}); checked as it is"
                );
            }
            other => anyhow::bail!(
                "the {which} dispatch has no schedule to check ({other:?}); `parkgrid simulate` says why, `--dispatch rule` checks the baseline"
            ),
        }
        let inj = StepInjections::new(park, &outcome, &lowered);
        let n = profiles.axis.n_steps;
        if req.step.is_none() && req.steps == StepsArg::All {
            return scan_year(park, &profiles.axis, &lowered, &inj, which, &opts, req);
        }
        let t = match req.step {
            Some(t) if t < n => t,
            Some(t) => {
                return Err(
                    InputError(format!("--step {t} is beyond the {n} steps of the year")).into(),
                );
            }
            None => inj.peak_load_step(n).unwrap_or(0),
        };
        let mut lowered = lowered;
        lowered.case = lowered.apply(&inj.at(t));
        let (mut intact, mut list) = n_minus_1(&lowered, &opts);
        inj.attribute_unserved(t, &mut intact.islands);
        for c in &mut list {
            inj.attribute_unserved(t, &mut c.check.islands);
        }
        checked = Some((intact, list));
        (
            format!(
                "{} at step {t} ({}{}) of the {which} dispatch",
                park.site.name,
                profiles.axis.time(t).format("%Y-%m-%d %H:%M"),
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
        let v = json!({
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
        });
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

/// Islands for `--json`.
pub(crate) fn islands_json(islands: &[IslandCheck]) -> Value {
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

/// One outage over the year.
#[derive(Default)]
struct OutageYear {
    kind: &'static str,
    not_solved: usize,
    islanding: usize,
    lost_mwh: f64,
    violating: usize,
    worst: Option<(f64, String, usize)>,
    v_min: Option<(f64, String, usize)>,
}

/// N-1 at every step of the year, each outage summarised: steps not solved, steps and energy of
/// lost load, steps with violations, its worst loading and lowest voltage.
fn scan_year(
    park: &parkgrid_model::Park,
    axis: &parkgrid_model::TimeAxis,
    lowered: &Lowered,
    inj: &StepInjections<'_>,
    which: &str,
    opts: &Options,
    req: Request,
) -> anyhow::Result<ExitCode> {
    let n = axis.n_steps;
    let dt = axis.step_h();
    let start = std::time::Instant::now();
    let mut scan = Scan::default();
    let mut year: std::collections::BTreeMap<String, OutageYear> = Default::default();
    let mut intact_bad = 0usize;
    let mut intact_lost_mwh = 0.0;
    let mut point = lowered.clone();
    let mut flows = 0usize;
    for t in 0..n {
        point.case = lowered.apply(&inj.at(t));
        let (mut intact, list): (StepCheck, Vec<Contingency>) = scan.step(&point, opts);
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
                y.islanding += 1;
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
    let elapsed = start.elapsed().as_secs_f64();
    let (analyses, refactorisations) = scan.factorisations();
    let mut ranked: Vec<(String, OutageYear)> = year.into_iter().collect();
    ranked.sort_by(|(_, a), (_, b)| {
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
    let time = |t: usize| axis.time(t).format("%Y-%m-%d %H:%M").to_string();
    if req.json {
        let v = json!({
            "title": format!("{} over every step of the {which} dispatch", park.site.name),
            "steps": n,
            "power_flows": flows,
            "time_s": elapsed,
            "symbolic_analyses": analyses,
            "numeric_refactorisations": refactorisations,
            "intact": {"steps_with_violations": intact_bad, "lost_load_mwh": intact_lost_mwh},
            "contingencies": ranked.iter().enumerate().map(|(rank, (id, y))| json!({
                "rank": rank + 1,
                "element": id,
                "kind": y.kind,
                "steps_not_solved": y.not_solved,
                "steps_losing_load": y.islanding,
                "lost_load_mwh": y.lost_mwh,
                "steps_with_violations": y.violating,
                "max_loading": y.worst.as_ref().map(|w| json!({"element": w.1, "loading": w.0, "time": axis.time(w.2).to_rfc3339()})),
                "v_min": y.v_min.as_ref().map(|v| json!({"bus": v.1, "v_pu": v.0, "time": axis.time(v.2).to_rfc3339()})),
            })).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&v).context("JSON")?)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "N-1 of {} at every step of the {which} dispatch: {n} steps, {flows} power flows in {elapsed:.2} s ({analyses} symbolic analyses, {refactorisations} numeric refactorisations)",
        park.site.name
    )?;
    outln!(
        "  intact: {intact_bad} steps with violations or not solved, {intact_lost_mwh:.3} MWh of load cut off"
    )?;
    let rows: Vec<Vec<String>> = ranked
        .iter()
        .take(req.top)
        .enumerate()
        .map(|(rank, (id, y))| {
            vec![
                (rank + 1).to_string(),
                id.clone(),
                y.kind.to_string(),
                y.not_solved.to_string(),
                y.islanding.to_string(),
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
