//! `parkgrid simulate`: the arguments, the progress bar and the terminal table of a run; the run
//! itself and its files are the engine's (`parkgrid_engine::run_year`, `write_run`,
//! `write_report`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use parkgrid_dispatch::{
    ClarabelSettings, Horizon, Outcome, Rules, RunStatus, SolveOptions, SolverKind, Strategy,
};
use parkgrid_engine::{
    Format, NetworkMode, Progress, Request, Window, YearRun, run_year, unserved_text, write_report,
    write_run,
};
use parkgrid_model::Park;

use crate::table::render;

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

impl From<StrategyArg> for Strategy {
    fn from(s: StrategyArg) -> Self {
        match s {
            StrategyArg::Optimal => Strategy::Optimal,
            StrategyArg::Rule => Strategy::Rule,
        }
    }
}

/// `--baseline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BaselineArg {
    /// The merit order an experienced operator runs without an optimiser: CHP when its
    /// electricity is worth more than it costs, then heat and cooling plant by the hour's cost of
    /// a kWh, stores before dearer heat, the battery on the time-of-use bands.
    MeritOrder,
    /// No coordination: CHP follows heat, boilers cover the rest, heat pumps and stores idle,
    /// the battery only absorbs surpluses (the boiler-house park before the energy internet).
    Uncoordinated,
}

impl From<BaselineArg> for Rules {
    fn from(b: BaselineArg) -> Self {
        match b {
            BaselineArg::MeritOrder => Rules::MeritOrder,
            BaselineArg::Uncoordinated => Rules::Uncoordinated,
        }
    }
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

/// `parkgrid simulate`'s arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The park file (TOML).
    pub park: PathBuf,
    /// Directory for the results (created if missing); default out/<park name>.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// How the park is run: `optimal` (least cost over the year) or `rule` (the baseline only).
    #[arg(long, value_enum, default_value_t = StrategyArg::Optimal)]
    pub strategy: StrategyArg,
    /// The rules of the baseline the optimum is compared with (or that `--strategy rule`
    /// runs): `merit-order` (a competent operator without an optimiser) or `uncoordinated`
    /// (the park before the energy internet). README, "The baseline".
    #[arg(long, value_enum, default_value_t = BaselineArg::MeritOrder)]
    pub baseline: BaselineArg,
    /// LP solver: `auto` (HiGHS when the build has it, else Clarabel), `clarabel` (pure Rust,
    /// always built) or `highs` (build with --features highs). Every answer is checked by an
    /// optimality certificate; one that fails it is written but flagged, with exit code 3.
    #[arg(long, value_enum, default_value_t = SolverArg::Auto)]
    pub solver: SolverArg,
    /// `year`: one programme over the year (perfect foresight); `rolling`: day by day with the
    /// next day in view, seasonal stores following the year plan.
    #[arg(long, value_enum, default_value_t = HorizonArg::Year)]
    pub horizon: HorizonArg,
    /// Print the summary as JSON on standard output instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Print nothing but errors (no progress bar, no table).
    #[arg(long, short)]
    pub quiet: bool,
    /// Language of the report's labels.
    #[arg(long, value_enum, default_value_t = crate::report::LangArg::En)]
    pub lang: crate::report::LangArg,
    /// File format of the time series: `csv`, or `parquet` (build with --features parquet).
    #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
    pub format: FormatArg,
    /// Run a power flow of the electric network for every step (`all`, the default when
    /// given without a value) or for the peak-load, peak-PV and peak-export steps (`peak`);
    /// writes DIR/network.csv and reports voltages out of band, loadings and losses.
    #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "all")]
    pub network_check: Option<NetworkCheckArg>,
    /// With --network-check=all, feed the network losses the power flow finds back into
    /// the dispatch (as demand at the grid connection) until the import the power flow needs
    /// and the import the dispatch buys agree within 0.1 % over the year (at most 6 rounds).
    /// On by default with --network-check=all; refused without it.
    #[arg(long, value_enum)]
    pub loss_feedback: Option<OnOff>,
    /// Run whole local days from this date (YYYY-MM-DD, in the park's year) instead of the
    /// year; with --days.
    #[arg(long, requires = "days", value_parser = crate::parse_date)]
    pub from: Option<chrono::NaiveDate>,
    /// How many days from --from (1–366).
    #[arg(long, requires = "from", value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days: Option<u32>,
    /// Run at this step length instead of the park file's `time.step_min` (5, 10, 15, 30 or
    /// 60 minutes).
    #[arg(long, value_parser = crate::parse_step)]
    pub step_min: Option<u32>,
    /// Interior-point iteration limit of Clarabel (1–10000). A solve cut short is not
    /// called optimal: its schedule is written with "status": "inexact" and exit code 3.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub solver_max_iter: u32,
    /// Exit with code 4 when the schedule (or the baseline it is compared with) leaves demand
    /// unserved; without it, the run warns, writes "status": "unserved" and exits 0.
    #[arg(long)]
    pub strict: bool,
}

/// Runs the simulation of `args.park` and writes its directory.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.loss_feedback.is_some() && args.network_check != Some(NetworkCheckArg::All) {
        return Err(crate::input_error(
            "--loss-feedback applies to --network-check=all (the losses of every step are what \
             is fed back)",
        ));
    }
    let park = crate::load(&args.park)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .park
            .file_stem()
            .map_or_else(|| "park".into(), |s| s.to_string_lossy());
        PathBuf::from("out").join(&*stem)
    });
    let format = match args.format {
        FormatArg::Csv => Format::Csv,
        FormatArg::Parquet => Format::Parquet,
    };
    format.check()?;
    let req = Request {
        strategy: args.strategy.into(),
        solver: match args.solver {
            SolverArg::Auto => SolverKind::best_available(),
            SolverArg::Clarabel => SolverKind::Clarabel,
            SolverArg::Highs => SolverKind::Highs,
        },
        horizon: match args.horizon {
            HorizonArg::Year => Horizon::Year,
            HorizonArg::Rolling => Horizon::Rolling,
        },
        solve: SolveOptions {
            clarabel: ClarabelSettings {
                max_iter: args.solver_max_iter,
                ..ClarabelSettings::default()
            },
            ..SolveOptions::default()
        },
        network_check: args.network_check.map(|n| match n {
            NetworkCheckArg::All => NetworkMode::All,
            NetworkCheckArg::Peak => NetworkMode::Peak,
        }),
        loss_feedback: args.loss_feedback != Some(OnOff::Off),
        window: args
            .from
            .zip(args.days)
            .map(|(from, days)| Window { from, days }),
        step_min: args.step_min,
        rules: args.baseline.into(),
    };
    let quiet = args.quiet;
    let mut bar = indicatif::ProgressBar::hidden();
    let outcome = run_year(&park, &req, &mut |p| match p {
        Progress::Optimising { .. } if quiet => {}
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
    let run = year.to_run(&park);
    let written = write_run(&run, &out, format)?;
    let report = write_report(&run, &out, args.lang.into())?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&run.summary)?)?;
    } else if !quiet {
        out!("{}", table(&park, &year, &run.summary))?;
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
    let unserved = unserved_warnings(&year);
    for w in &unserved {
        eprintln!("{w}");
    }
    if let RunStatus::Inexact(why) = &year.main.status {
        eprintln!("{}", inexact_warning(why, &year.main));
        return Ok(ExitCode::from(EXIT_INEXACT));
    }
    if args.strict && !unserved.is_empty() {
        return Ok(ExitCode::from(EXIT_UNSERVED));
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit code of `--strict` when demand is left unserved (a schedule not proven optimal exits
/// with [`EXIT_INEXACT`] first).
pub const EXIT_UNSERVED: u8 = 4;

/// A warning for each schedule of the run that leaves demand unserved: its costs leave that
/// demand out, so a comparison with it can mislead.
fn unserved_warnings(year: &YearRun) -> Vec<String> {
    let optimal = year.request.strategy == Strategy::Optimal;
    let mut out = Vec::new();
    if let Some(what) = unserved_text(&year.main.kpis) {
        out.push(format!(
            "warning: the {} schedule leaves demand unserved: {what}. Its costs do not include \
             that demand; summary.json says \"status\": \"unserved\". Add capacity where \
             `parkgrid validate` points (--strict exits 4).",
            if optimal { "optimal" } else { "rule-based" }
        ));
    }
    if optimal {
        if let Some(what) = unserved_text(&year.baseline.kpis) {
            out.push(format!(
                "warning: the rule-based baseline leaves demand unserved: {what}. Its costs do \
                 not include that demand, so the comparison with it flatters the baseline."
            ));
        }
    }
    out
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

/// The KPI table of a run (optimum against baseline: the rows `parkgrid compare` shows, from the
/// summary), with the solver's figures.
fn table(park: &Park, year: &YearRun, summary: &serde_json::Value) -> String {
    let main = &year.main;
    let rolling = year.request.horizon == Horizon::Rolling;
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
    let column = match (&main.status, year.request.strategy) {
        (_, Strategy::Rule) => "rule",
        (RunStatus::Inexact(_), _) => "NOT optimal",
        _ => "optimal",
    };
    text.push_str(&render(&parkgrid_engine::table::kpis(summary, column)));
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
