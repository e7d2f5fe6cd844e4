//! `parkgrid contingency`: N-1 of a park (at its peak-load step, at one step, or at every step of
//! its optimal or rule-based dispatch) or of a MATPOWER / MATACDC case.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use parkgrid_engine::contingency::{
    N1Steps, N1Study, N1Year, ScheduleSource, case_study, park_study,
};
use parkgrid_engine::table;
use parkgrid_model::TimeAxis;
use parkgrid_powerflow::{Contingency, IslandCheck, StepCheck};

use crate::out::StdoutError;
use crate::simulate::StrategyArg;
use crate::table::render;

/// `parkgrid contingency`'s arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A park file (TOML) or a case file (.m).
    pub input: PathBuf,
    /// One step of the year (0-based) to check a park at, instead of --steps.
    #[arg(long, conflicts_with = "steps")]
    pub step: Option<usize>,
    /// Which steps of a park's year: the peak-load step, or every step (summarised per
    /// outage over the year).
    #[arg(long, value_enum, default_value_t = StepsArg::Peak)]
    pub steps: StepsArg,
    /// Which dispatch of a park the network carries (default: optimal). A case file
    /// carries its own injections, so this is refused with one.
    #[arg(long, value_enum, conflicts_with = "run")]
    pub dispatch: Option<StrategyArg>,
    /// Take the schedule from a run `parkgrid simulate` saved of this park (its directory)
    /// instead of dispatching again.
    #[arg(long)]
    pub run: Option<PathBuf>,
    /// Rows shown in the table.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Print the ranking as JSON.
    #[arg(long)]
    pub json: bool,
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

/// Runs N-1 on `args.input` (a park file, or a case file ending in `.m`) and prints it.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let study = if args.input.extension().is_some_and(|e| e == "m") {
        if args.dispatch.is_some() || args.run.is_some() {
            return Err(crate::input_error(
                "--dispatch and --run apply to a park file; a case file carries its own injections",
            ));
        }
        if args.step.is_some() || args.steps == StepsArg::All {
            return Err(crate::input_error(
                "--step and --steps apply to a park file; a case file is checked as given",
            ));
        }
        case_study(&args.input)?
    } else {
        let park = crate::load(&args.input)?;
        let source = match &args.run {
            Some(dir) => ScheduleSource::Saved(dir.clone()),
            None => ScheduleSource::Dispatch(args.dispatch.unwrap_or(StrategyArg::Optimal).into()),
        };
        let steps = match (args.step, args.steps) {
            (Some(t), _) => N1Steps::At(t),
            (None, StepsArg::Peak) => N1Steps::Peak,
            (None, StepsArg::All) => N1Steps::All,
        };
        let (study, inexact) = park_study(&park, &source, steps)?;
        if let Some(why) = inexact {
            eprintln!(
                "warning: the optimal dispatch is not proven optimal ({why}); checked as it is"
            );
        }
        study
    };
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&study.json()).context("JSON")?
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    match &study {
        N1Study::Step {
            title,
            intact,
            outages,
        } => print_step(title, intact, outages, args.top)?,
        N1Study::Run {
            site,
            schedule,
            axis,
            year,
        } => print_run(site, schedule, axis, year, args.top)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// N-1 of one operating point, printed.
fn print_step(
    title: &str,
    intact: &StepCheck,
    list: &[Contingency],
    top: usize,
) -> Result<(), StdoutError> {
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
    out!("{}", render(&table::n1_step(list, top)))?;
    more(list.len(), top)?;
    for c in list.iter().take(top) {
        out!("{}", islands_text(&c.element, &c.check.islands))?;
    }
    if list.is_empty() {
        outln!("  no line, transformer or converter in service to take out")?;
    }
    Ok(())
}

/// `… 12 more (--top 32 shows all)` under a table cut at `top` rows of `n`.
fn more(n: usize, top: usize) -> Result<(), StdoutError> {
    if n > top {
        outln!("  … {} more (--top {n} shows all)", n - top)?;
    }
    Ok(())
}

/// One line per island that does not hang on the reference: its buses, load and state.
pub(crate) fn islands_text(what: &str, islands: &[IslandCheck]) -> String {
    let mut text = String::new();
    for i in islands {
        let _ = writeln!(text, "  {what}: {}", i.describe());
    }
    text
}

/// The N-1 scan of every step of a park's run, printed.
fn print_run(
    site: &str,
    which: &str,
    axis: &TimeAxis,
    year: &N1Year,
    top: usize,
) -> Result<(), StdoutError> {
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
        "N-1 of {site} at every step of the {which}: {n} steps, {flows} power flows in {elapsed:.2} s ({analyses} symbolic analyses, {refactorisations} numeric refactorisations)"
    )?;
    outln!(
        "  intact: {intact_bad} steps with violations or not solved, {intact_lost_mwh:.3} MWh of load cut off"
    )?;
    out!("{}", render(&table::n1_run(year, axis, top)))?;
    more(ranked.len(), top)
}
