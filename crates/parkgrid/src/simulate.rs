//! `parkgrid simulate`: the arguments, the progress bar and the terminal table of a run; the run
//! itself and its files are the engine's (`parkgrid_engine::run_year`, `write_run`).

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use parkgrid_dispatch::{
    ClarabelSettings, Horizon, Kpis, Outcome, RunStatus, SolveOptions, SolverKind, Strategy,
};
use parkgrid_engine::{
    Format, NetworkMode, Progress, Request, Window, YearRun, run_year, write_run,
};
use parkgrid_model::Park;
use parkgrid_report::Lang;

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

/// A switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    /// On.
    On,
    /// Off.
    Off,
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
    pub network_check: Option<NetworkCheckArg>,
    /// `--loss-feedback`.
    pub loss_feedback: bool,
    /// `--from` and `--days`.
    pub window: Option<(chrono::NaiveDate, u32)>,
    /// `--step-min`.
    pub step_min: Option<u32>,
    /// `--solver-max-iter`.
    pub solver_max_iter: u32,
}

/// Runs the simulation and writes `out`.
pub fn run(park: &Park, out: &Path, opts: Options) -> anyhow::Result<ExitCode> {
    let format = match opts.format {
        FormatArg::Csv => Format::Csv,
        FormatArg::Parquet => Format::Parquet,
    };
    format.check()?;
    let req = Request {
        strategy: match opts.strategy {
            StrategyArg::Optimal => Strategy::Optimal,
            StrategyArg::Rule => Strategy::Rule,
        },
        solver: match opts.solver {
            SolverArg::Auto => SolverKind::best_available(),
            SolverArg::Clarabel => SolverKind::Clarabel,
            SolverArg::Highs => SolverKind::Highs,
        },
        horizon: match opts.horizon {
            HorizonArg::Year => Horizon::Year,
            HorizonArg::Rolling => Horizon::Rolling,
        },
        solve: SolveOptions {
            clarabel: ClarabelSettings {
                max_iter: opts.solver_max_iter,
                ..ClarabelSettings::default()
            },
            ..SolveOptions::default()
        },
        network_check: opts.network_check.map(NetworkMode::from),
        loss_feedback: opts.loss_feedback,
        window: opts.window.map(|(from, days)| Window { from, days }),
        step_min: opts.step_min,
    };
    let mut bar = indicatif::ProgressBar::hidden();
    let outcome = run_year(park, &req, &mut |p| match p {
        Progress::Optimising { .. } if opts.quiet => {}
        Progress::Optimising { windows: true } => {
            bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} {wide_bar} {pos}/{len} days, {eta} left",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message("rolling horizon");
        }
        Progress::Optimising { windows: false } => {
            bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.set_message("optimal dispatch of the year");
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
        }
        Progress::Window { done, total } => {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
        Progress::Optimised => bar.finish_and_clear(),
    });
    bar.finish_and_clear();
    let year = outcome?;
    let run = year.to_run(park);
    let written = write_run(&run, out, format)?;
    let report = crate::report::write_report(&run, out, opts.lang)?;
    if opts.json {
        outln!("{}", serde_json::to_string_pretty(&run.summary)?)?;
    } else if !opts.quiet {
        out!("{}", table(park, &year))?;
        if let Some(net) = &year.network {
            out!("{}", net.text)?;
            for (which, fb) in &year.feedback {
                outln!("  {}", fb.describe(which))?;
            }
        }
        if let Some(path) = &written.network {
            outln!("  wrote {}", path.display())?;
        }
        outln!(
            "wrote {}, {}, {} and {}",
            written.summary.display(),
            written.meta.display(),
            written.series.display(),
            report.display()
        )?;
    }
    if let RunStatus::Inexact(why) = &year.main.status {
        eprintln!("{}", inexact_warning(why, &year.main));
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

/// The KPI table of a run (optimum against baseline), with the solver's figures.
fn table(park: &Park, year: &YearRun) -> String {
    let main = &year.main;
    let baseline = (year.request.strategy == Strategy::Optimal).then_some(&year.baseline);
    let rolling = year.request.horizon == Horizon::Rolling;
    let cooling = park
        .bus
        .iter()
        .any(|b| b.carrier == parkgrid_model::Carrier::Cold);
    let rows_of = |k: &Kpis| -> Vec<(&'static str, f64, &'static str)> {
        let mut rows = vec![
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
            ("heat dumped", k.heat_dumped_kwh / 1e3, "MWh"),
            ("cooling demand", k.cooling_demand_kwh / 1e3, "MWh"),
            (
                "cooling, electric chillers",
                k.cooling_electric_kwh / 1e3,
                "MWh",
            ),
            ("cooling, absorption", k.cooling_absorption_kwh / 1e3, "MWh"),
            ("unserved cooling", k.unserved_cooling_kwh / 1e3, "MWh"),
        ];
        rows.retain(|(name, _, _)| cooling || !name.contains("cooling"));
        rows
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
    let axis = &year.axis;
    let span = if year.request.window.is_some() {
        let days = axis.n_steps / (24 * axis.steps_per_hour()).max(1);
        format!(
            "{days} day{} from {}",
            if days == 1 { "" } else { "s" },
            axis.start.format("%Y-%m-%d")
        )
    } else {
        "the year".to_string()
    };
    let _ = writeln!(
        text,
        "{}: {span}, {} steps of {} min",
        park.site.name, axis.n_steps, axis.step_min
    );
    if let Some(solver) = &s.solver {
        let what = if rolling {
            "rolling horizon, day by day with a day of look-ahead, after a plan of the whole run: windows up to".to_string()
        } else {
            format!("optimal dispatch of {span}:")
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

/// `--network-check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NetworkCheckArg {
    /// Every step of the year.
    All,
    /// The peak-load, peak-PV and peak-export (or lowest-import) steps.
    Peak,
}

impl From<NetworkCheckArg> for NetworkMode {
    fn from(a: NetworkCheckArg) -> Self {
        match a {
            NetworkCheckArg::All => NetworkMode::All,
            NetworkCheckArg::Peak => NetworkMode::Peak,
        }
    }
}
