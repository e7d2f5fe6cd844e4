//! `parkgrid simulate`: a year of dispatch, its KPIs against the baseline, and the result files.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use parkgrid_dispatch::{
    ClarabelSettings, Config, Horizon, Kpis, Outcome, RunStatus, SolveOptions, SolverKind,
    Strategy, ports,
};
use parkgrid_model::Park;
use parkgrid_powerflow::StepCheck;
use parkgrid_report::{BusMeta, ColumnMeta, Lang, META_FORMAT, Meta, PortMeta, Run, StoreMeta};
use parkgrid_resource::park_profiles;
use serde_json::{Value, json};

use crate::table::{render, thousands};

/// `--format`: how the time series are saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// `timeseries.csv`.
    Csv,
    /// `timeseries.parquet` (needs a build with --features parquet).
    Parquet,
}

/// `--strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StrategyArg {
    /// Least cost over the year.
    Optimal,
    /// The rule-based baseline only.
    Rule,
}

/// `--solver`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SolverArg {
    /// HiGHS when the build has it, Clarabel otherwise.
    Auto,
    /// Clarabel, pure Rust interior point (LP).
    Clarabel,
    /// HiGHS, simplex and MILP (needs a build with --features highs).
    Highs,
}

/// Refuses a year LP that would not fit in the memory this machine has available, before
/// building it, with the way out.
pub(crate) fn check_memory(
    park: &Park,
    profiles: &parkgrid_resource::ParkProfiles,
) -> anyhow::Result<()> {
    let Some(available) = available_memory_bytes()? else {
        return Ok(());
    };
    let est = parkgrid_dispatch::estimate(park, profiles);
    if est.peak_bytes <= available {
        return Ok(());
    }
    let gb = |b: u64| b as f64 / 1e9;
    Err(crate::InputError(format!(
        "the year's optimisation of this park is too large for this machine: about {} variables, {} rows and {} non-zeros, needing about {:.1} GB where {:.1} GB is available. Use `--horizon rolling` (one window at a time), a coarser `step_min`, or a shorter time window in the park file",
        est.n_variables,
        est.n_rows,
        est.n_nonzeros,
        gb(est.peak_bytes),
        gb(available)
    ))
    .into())
}

/// `MemAvailable` of `/proc/meminfo` (Linux), bytes; `PARKGRID_MEMORY_BYTES` overrides it (for
/// tests and for machines shared with other work). None when neither is known.
fn available_memory_bytes() -> Result<Option<u64>, crate::InputError> {
    if let Ok(v) = std::env::var("PARKGRID_MEMORY_BYTES") {
        return v.trim().parse().map(Some).map_err(|_| {
            crate::InputError(format!(
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

/// A switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    /// On.
    On,
    /// Off.
    Off,
}

/// How the dispatch and the power flow were brought to agree on the import.
#[derive(Debug, Clone, PartialEq)]
struct LossFeedback {
    /// Dispatch runs after the first.
    rounds: usize,
    /// Import the power flow needs over its converged steps, kWh.
    import_power_flow_kwh: f64,
    /// Import the dispatch buys over the same steps, kWh.
    import_dispatch_kwh: f64,
    /// Losses fed back as demand at the grid connection, kWh.
    fed_back_kwh: f64,
    /// The disagreement before any feedback (relative to the dispatch's import).
    initial_disagreement_rel: f64,
    /// Why it stopped before agreeing, if it did.
    stopped: Option<String>,
}

/// How close the power flow's and the dispatch's annual imports must come, relative.
const LOSS_TOLERANCE_REL: f64 = 1e-3;

impl LossFeedback {
    fn disagreement(&self) -> f64 {
        (self.import_power_flow_kwh - self.import_dispatch_kwh).abs()
            / self.import_dispatch_kwh.abs().max(1.0)
    }

    fn json(&self) -> Value {
        json!({
            "rounds": self.rounds,
            "import_power_flow_kwh": self.import_power_flow_kwh,
            "import_dispatch_kwh": self.import_dispatch_kwh,
            "disagreement_rel": self.disagreement(),
            "fed_back_kwh": self.fed_back_kwh,
            "initial_disagreement_rel": self.initial_disagreement_rel,
            "stopped": self.stopped,
        })
    }
}

/// Runs `dispatch` until the import the power flow of its schedule needs and the import it buys
/// agree within 0.1 % over the year: each round adds the difference, step by step, to a demand
/// at the grid connection's bus (an outer iteration on the losses the dispatch does not model).
fn feed_back_losses(
    park: &Park,
    lowered: &parkgrid_powerflow::Lowered,
    profiles: &parkgrid_resource::ParkProfiles,
    first: Outcome,
    dispatch: &mut dyn FnMut(&parkgrid_resource::ParkProfiles) -> anyhow::Result<Outcome>,
) -> anyhow::Result<(Outcome, LossFeedback, (Vec<StepCheck>, f64))> {
    const MAX_ROUNDS: usize = 6;
    let n = profiles.axis.n_steps;
    let dt = profiles.axis.step_h();
    let Some(bus) = park.grid.first().map(|g| g.bus.clone()) else {
        anyhow::bail!("loss feedback needs a grid connection");
    };
    let mut extra = vec![0.0; n];
    let mut with_losses = profiles.clone();
    let mut current = first;
    let mut ws = parkgrid_powerflow::Workspace::default();
    let mut initial = None;
    let mut rounds = 0;
    loop {
        let (checks, secs) = crate::network::check_all(park, lowered, &current, n, &mut ws);
        let disp = crate::network::dispatch_import(&current, n);
        let mut fb = LossFeedback {
            rounds,
            import_power_flow_kwh: 0.0,
            import_dispatch_kwh: 0.0,
            fed_back_kwh: extra.iter().sum::<f64>() * dt,
            initial_disagreement_rel: 0.0,
            stopped: None,
        };
        for (c, d) in checks.iter().zip(&disp).filter(|(c, _)| c.converged) {
            fb.import_power_flow_kwh += c.import_kw * dt;
            fb.import_dispatch_kwh += d * dt;
        }
        fb.initial_disagreement_rel = *initial.get_or_insert(fb.disagreement());
        if fb.disagreement() <= LOSS_TOLERANCE_REL {
            return Ok((current, fb, (checks, secs)));
        }
        if rounds == MAX_ROUNDS {
            fb.stopped = Some(format!("not settled after {MAX_ROUNDS} rounds"));
            return Ok((current, fb, (checks, secs)));
        }
        for ((e, c), d) in extra.iter_mut().zip(&checks).zip(&disp) {
            if c.converged {
                *e += c.import_kw - d;
            }
        }
        with_losses.extra_demand_kw = vec![(bus.clone(), extra.clone())];
        let next = dispatch(&with_losses)?;
        if !next.has_schedule() {
            // The park cannot carry its losses as well: keep the last schedule, and say so.
            fb.stopped = Some(format!(
                "round {} has no schedule: {:?}",
                rounds + 1,
                next.status
            ));
            return Ok((current, fb, (checks, secs)));
        }
        current = next;
        rounds += 1;
    }
}

/// `--horizon`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HorizonArg {
    /// One programme over the whole year.
    Year,
    /// Day by day with a day of look-ahead.
    Rolling,
}

/// What `simulate` was asked for.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// `--strategy`.
    pub strategy: StrategyArg,
    /// `--solver`.
    pub solver: SolverArg,
    /// `--horizon`.
    pub horizon: HorizonArg,
    /// `--json`.
    pub json: bool,
    /// `--quiet`: no progress, no table.
    pub quiet: bool,
    /// `--lang` of the report.
    pub lang: Lang,
    /// `--format` of the time series.
    pub format: FormatArg,
    /// `--network-check`.
    pub network_check: Option<crate::network::NetworkCheckArg>,
    /// `--loss-feedback`.
    pub loss_feedback: bool,
    /// `--solver-max-iter`.
    pub solver_max_iter: u32,
}

/// The programme has no solution: the limits that cannot be met.
#[derive(Debug, thiserror::Error)]
#[error("the park cannot be operated within its hard limits; the limits that had to give:\n{0}")]
pub struct Infeasible(String);

/// Runs the simulation and writes `out`.
pub fn run(park: &Park, out: &Path, opts: Options) -> anyhow::Result<ExitCode> {
    let Options {
        strategy,
        solver,
        horizon,
        json: json_out,
        quiet,
        lang,
        format,
        network_check,
        loss_feedback,
        solver_max_iter,
    } = opts;
    if format == FormatArg::Parquet && !crate::parquet::ENABLED {
        return Err(crate::parquet::disabled().into());
    }
    let lowered = network_check
        .map(|_| crate::network::lower_park(park))
        .transpose()?;
    let profiles = park_profiles(park)?;
    let solver = match solver {
        SolverArg::Auto => SolverKind::best_available(),
        SolverArg::Clarabel => SolverKind::Clarabel,
        SolverArg::Highs => SolverKind::Highs,
    };
    let horizon = match horizon {
        HorizonArg::Year => Horizon::Year,
        HorizonArg::Rolling => Horizon::Rolling,
    };
    let solve = SolveOptions {
        clarabel: ClarabelSettings {
            max_iter: solver_max_iter,
            ..ClarabelSettings::default()
        },
        ..SolveOptions::default()
    };
    let config = |strategy| Config {
        strategy,
        solver,
        horizon,
        solve,
    };
    if strategy == StrategyArg::Optimal && horizon == Horizon::Year {
        check_memory(park, &profiles)?;
    }
    // The optimum first: the baseline's schedule need not be held while the solver has the
    // memory.
    let main = match strategy {
        StrategyArg::Rule => parkgrid_dispatch::run(park, &profiles, config(Strategy::Rule))?,
        StrategyArg::Optimal => {
            let bar = if quiet {
                indicatif::ProgressBar::hidden()
            } else if horizon == Horizon::Rolling {
                let bar = indicatif::ProgressBar::new(0);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg} {wide_bar} {pos}/{len} days, {eta} left",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar.set_message("rolling horizon");
                bar
            } else {
                let bar = indicatif::ProgressBar::new_spinner();
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                );
                bar.set_message("optimal dispatch of the year");
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                bar
            };
            let outcome = parkgrid_dispatch::run_with_progress(
                park,
                &profiles,
                config(Strategy::Optimal),
                &mut |done, total| {
                    if horizon == Horizon::Rolling {
                        bar.set_length(total as u64);
                        bar.set_position(done as u64);
                    }
                },
            );
            bar.finish_and_clear();
            outcome?
        }
    };
    let baseline = match strategy {
        StrategyArg::Rule => main.clone(),
        StrategyArg::Optimal => parkgrid_dispatch::run(park, &profiles, config(Strategy::Rule))?,
    };
    // With a check of every step, the dispatch (and the baseline) buy the losses the network
    // really has.
    let mut feedback = Vec::new();
    let mut checked = None;
    let (main, baseline) = match (network_check, &lowered) {
        (Some(crate::network::NetworkCheckArg::All), Some(lowered))
            if loss_feedback && main.has_schedule() =>
        {
            let main_strategy = match strategy {
                StrategyArg::Optimal => Strategy::Optimal,
                StrategyArg::Rule => Strategy::Rule,
            };
            let (main, fb, checks) = feed_back_losses(park, lowered, &profiles, main, &mut |p| {
                Ok(parkgrid_dispatch::run(park, p, config(main_strategy))?)
            })?;
            feedback.push(("dispatch", fb));
            checked = Some(checks);
            let baseline = if strategy == StrategyArg::Optimal {
                let (b, fb, _) = feed_back_losses(park, lowered, &profiles, baseline, &mut |p| {
                    Ok(parkgrid_dispatch::run(park, p, config(Strategy::Rule))?)
                })?;
                feedback.push(("baseline", fb));
                b
            } else {
                main.clone()
            };
            (main, baseline)
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
            return Err(Infeasible(list).into());
        }
        RunStatus::Failed(why) => anyhow::bail!("the solver stopped without a schedule: {why}"),
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create '{}'", out.display()))?;
    let strategy_name = match strategy {
        StrategyArg::Optimal => "optimal",
        StrategyArg::Rule => "rule",
    };
    let mut summary = summary_json(&main, strategy_name);
    summary["horizon"] = json!(match horizon {
        Horizon::Year => "year",
        Horizon::Rolling => "rolling",
    });
    if strategy == StrategyArg::Optimal {
        summary["baseline"] = summary_json(&baseline, "rule");
    }
    let network_text = match (network_check, &lowered) {
        (Some(mode), Some(lowered)) => {
            let (mut net, mut text) =
                crate::network::run(park, lowered, &profiles.axis, &main, mode, out, checked)?;
            for (which, fb) in &feedback {
                net["loss_feedback"][*which] = fb.json();
                let _ = writeln!(
                    text,
                    "  losses fed back into the {which}: {:.1} MWh in {} round{}; the power flow's import {:.1} MWh, the {which}'s {:.1} MWh: {:.3} % apart (before: {:.2} %){}",
                    fb.fed_back_kwh / 1000.0,
                    fb.rounds,
                    if fb.rounds == 1 { "" } else { "s" },
                    fb.import_power_flow_kwh / 1000.0,
                    fb.import_dispatch_kwh / 1000.0,
                    fb.disagreement() * 100.0,
                    fb.initial_disagreement_rel * 100.0,
                    match (&fb.stopped, fb.disagreement() > LOSS_TOLERANCE_REL) {
                        (Some(why), _) => format!(", NOT within 0.1 % ({why})"),
                        (None, true) => ", NOT within 0.1 %".to_string(),
                        (None, false) => String::new(),
                    }
                );
            }
            let _ = writeln!(text, "  wrote {}", out.join("network.csv").display());
            summary["network"] = net;
            text
        }
        _ => String::new(),
    };
    let summary_path = out.join("summary.json");
    std::fs::write(
        &summary_path,
        serde_json::to_string_pretty(&summary)? + "\n",
    )
    .with_context(|| format!("cannot write '{}'", summary_path.display()))?;
    let meta = meta(park, &profiles.axis, &main);
    std::fs::write(
        out.join("meta.json"),
        serde_json::to_string_pretty(&meta)? + "\n",
    )
    .with_context(|| format!("cannot write '{}'", out.join("meta.json").display()))?;
    let series_file = match format {
        FormatArg::Csv => {
            let path = out.join("timeseries.csv");
            write_timeseries(&profiles.axis, &main, &path)?;
            remove_stale(&out.join("timeseries.parquet"))?;
            path
        }
        FormatArg::Parquet => {
            let path = out.join("timeseries.parquet");
            let axis = &profiles.axis;
            let times: Vec<(i64, String)> = (0..axis.n_steps)
                .map(|t| {
                    let time = axis.time(t);
                    (time.timestamp_millis(), time.to_rfc3339())
                })
                .collect();
            let names: Vec<String> = meta.columns.iter().map(ColumnMeta::name).collect();
            let values: Vec<&[f64]> = main
                .dispatch
                .series
                .iter()
                .map(|s| s.values.as_slice())
                .collect();
            crate::parquet::write(&path, &times, &names, &values)?;
            remove_stale(&out.join("timeseries.csv"))?;
            path
        }
    };
    let mut run = Run {
        summary: summary.clone(),
        meta,
        times: (0..profiles.axis.n_steps)
            .map(|t| profiles.axis.time(t).to_rfc3339())
            .collect(),
        values: main
            .dispatch
            .series
            .iter()
            .map(|s| s.values.clone())
            .collect(),
        network: None,
    };
    if network_check.is_some() {
        run.network = crate::report::load_network(out, profiles.axis.n_steps)?;
    }
    let report = crate::report::write_report(&run, out, lang)?;
    if json_out {
        outln!("{}", serde_json::to_string_pretty(&summary)?)?;
    } else if !quiet {
        out!(
            "{}",
            table(
                park,
                &main,
                (strategy == StrategyArg::Optimal).then_some(&baseline),
                horizon == Horizon::Rolling
            )
        )?;
        out!("{network_text}")?;
        outln!(
            "wrote {}, {}, {} and {}",
            summary_path.display(),
            out.join("meta.json").display(),
            series_file.display(),
            report.display()
        )?;
    }
    if let RunStatus::Inexact(why) = &main.status {
        eprintln!("{}", inexact_warning(why, &main));
        return Ok(ExitCode::from(EXIT_INEXACT));
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit code of a run whose schedule was written but is not proven optimal.
pub const EXIT_INEXACT: u8 = 3;

/// The warning printed for a schedule that failed its optimality certificate.
fn inexact_warning(why: &str, o: &Outcome) -> String {
    let figures = o
        .stats
        .certificate
        .as_ref()
        .map(|c| c.summary())
        .unwrap_or_else(|| String::from("no certificate"));
    format!(
        "warning: the schedule is NOT proven optimal ({why}): {figures}. The results were written \
         with \"status\": \"inexact\" in summary.json; treat costs and prices as approximate \
         (exit code {EXIT_INEXACT})."
    )
}

/// A time-series file of the other format left by an earlier run would no longer match
/// `meta.json`.
fn remove_stale(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove '{}'", path.display()))
        }
        _ => Ok(()),
    }
}

/// What each result column is and where it puts power, for reports rebuilt from files.
fn meta(park: &Park, axis: &parkgrid_model::TimeAxis, o: &Outcome) -> Meta {
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
                ports: ports(park, s.kind, &s.id, s.quantity)
                    .into_iter()
                    .map(|(bus, coef)| PortMeta { bus, coef })
                    .collect(),
            })
            .collect(),
    }
}

fn summary_json(o: &Outcome, strategy: &str) -> Value {
    let mut v = serde_json::to_value(&o.kpis).unwrap_or_else(|_| json!({}));
    let s = &o.stats;
    v["status"] = json!(match o.status {
        RunStatus::Inexact(_) => "inexact",
        _ => "ok",
    });
    if let RunStatus::Inexact(why) = &o.status {
        v["status_detail"] = json!(why);
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

fn table(park: &Park, main: &Outcome, baseline: Option<&Outcome>, rolling: bool) -> String {
    let rows_of = |k: &Kpis| -> Vec<(&'static str, f64, &'static str)> {
        vec![
            ("total cost", k.total_cost_cny / 1e4, "10⁴ CNY"),
            ("grid import", k.grid_import_kwh / 1e3, "MWh"),
            ("grid export", k.grid_export_kwh / 1e3, "MWh"),
            ("peak import", k.peak_import_kw, "kW"),
            ("PV used", k.pv_generation_kwh / 1e3, "MWh"),
            ("wind used", k.wind_generation_kwh / 1e3, "MWh"),
            ("curtailed", k.curtailment_kwh / 1e3, "MWh"),
            (
                "renewable absorption",
                k.renewable_absorption_ratio * 100.0,
                "%",
            ),
            ("CO₂", k.co2_t, "t"),
            (
                "waste heat recovered",
                k.waste_heat_recovered_kwh / 1e3,
                "MWh",
            ),
            ("boiler heat", k.boiler_heat_kwh / 1e3, "MWh"),
            ("heat demand", k.heat_demand_kwh / 1e3, "MWh"),
            ("unserved electricity", k.unserved_electric_kwh / 1e3, "MWh"),
            ("unserved heat", k.unserved_heat_kwh / 1e3, "MWh"),
        ]
    };
    let fmt = |v: f64, unit: &str| {
        if unit == "%" {
            format!("{v:.2}")
        } else {
            thousands(v)
        }
    };
    let main_rows = rows_of(&main.kpis);
    let base_rows = baseline.map(|b| rows_of(&b.kpis));
    let rows: Vec<Vec<String>> = main_rows
        .iter()
        .enumerate()
        .map(|(i, (name, v, unit))| {
            let mut row = vec![name.to_string(), unit.to_string(), fmt(*v, unit)];
            if let Some(base) = &base_rows {
                let b = base[i].1;
                row.push(fmt(b, unit));
                // Nothing to compare with where the baseline shows 0.
                row.push(if b.abs() > 1e-9 && fmt(b, unit) != "0" {
                    format!("{:+.1} %", (v - b) / b.abs() * 100.0)
                } else {
                    String::new()
                });
            }
            row
        })
        .collect();
    let mut text = String::new();
    let s = &main.stats;
    let _ = writeln!(text, "{}", park.site.name);
    if let Some(solver) = &s.solver {
        let what = if rolling {
            "rolling horizon, day by day with a day of look-ahead, after a year plan: windows up to"
        } else {
            "optimal dispatch over the year:"
        };
        let _ = writeln!(
            text,
            "  {what} {} variables, {} rows; build {:.2} s, {solver} {:.2} s",
            s.n_variables, s.n_rows, s.build_time_s, s.solve_time_s
        );
        if let Some(c) = &s.certificate {
            let verdict = match main.status {
                RunStatus::Ok => "optimal",
                _ => "NOT proven optimal",
            };
            let _ = writeln!(
                text,
                "  {verdict}: duality gap {:.1e}, largest violations {:.1e} primal, {:.1e} dual (relative){}",
                c.gap_rel,
                c.primal_viol_rel,
                c.dual_viol_rel,
                s.iterations
                    .map(|i| format!("; {i} iterations"))
                    .unwrap_or_default()
            );
        }
    }
    let headers: &[&str] = if baseline.is_some() {
        if matches!(main.status, RunStatus::Inexact(_)) {
            &["", "unit", "NOT optimal", "rule", "change"]
        } else {
            &["", "unit", "optimal", "rule", "change"]
        }
    } else {
        &["", "unit", "rule"]
    };
    text.push_str(&render(headers, &rows));
    text
}

fn write_timeseries(
    axis: &parkgrid_model::TimeAxis,
    o: &Outcome,
    path: &Path,
) -> anyhow::Result<()> {
    let f = std::fs::File::create(path)
        .with_context(|| format!("cannot write '{}'", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    let mut header = String::from("time");
    for s in &o.dispatch.series {
        let _ = write!(header, ",{}.{}", s.id, s.quantity);
    }
    writeln!(w, "{header}")?;
    for t in 0..axis.n_steps {
        let mut line = axis.time(t).to_rfc3339();
        for s in &o.dispatch.series {
            let _ = write!(line, ",{:.4}", s.values.get(t).copied().unwrap_or(f64::NAN));
        }
        writeln!(w, "{line}")?;
    }
    w.flush()
        .with_context(|| format!("cannot write '{}'", path.display()))
}
