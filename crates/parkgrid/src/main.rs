//! The `parkgrid` command line. It parses arguments, calls the library crates and prints; the
//! work itself lives in the `parkgrid-*` crates.

#[macro_use]
mod out;

mod contingency;
mod info;
mod powerflow;
mod profiles;
mod report;
mod simulate;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use parkgrid_model::{Loaded, ModelError, Report};

/// parkgrid — the operating system of a park's energy internet.
///
/// Describe a park (site, buses, assets, network, tariffs, tenants) in one TOML file; parkgrid
/// validates it and, as it grows, simulates, dispatches and operates it.
#[derive(Debug, Parser)]
#[command(
    name = "parkgrid",
    version,
    about,
    long_about,
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a park file and report every problem with file, line, column and a hint.
    ///
    /// Exit code 0 when the park is valid (warnings allowed), 2 when it has errors.
    Validate {
        /// The park file (TOML).
        park: PathBuf,
        /// Print the findings as JSON on standard output instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show a park: site, time axis, buses, assets, network and capacities per carrier.
    Info {
        /// The park file (TOML).
        park: PathBuf,
        /// Print the summary as JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Simulate a year of the park: least-cost dispatch of every asset, against the rule-based
    /// baseline.
    ///
    /// Writes DIR/summary.json (status, costs, energies, CO2, absorption, timings),
    /// DIR/timeseries.csv (every asset's flows, storage levels, each bus's marginal price and the
    /// tariff per step; or timeseries.parquet with --format parquet), DIR/meta.json (what each
    /// column is and which buses it feeds) and DIR/report.html (the year report: open it in a
    /// browser, it works offline), and prints the KPIs of the optimal schedule next to the
    /// baseline's.
    Simulate {
        /// The park file (TOML).
        park: PathBuf,
        /// Directory for the results (created if missing); default out/<park name>.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// How the park is run: `optimal` (least cost over the year) or `rule` (the baseline only).
        #[arg(long, value_enum, default_value_t = simulate::StrategyArg::Optimal)]
        strategy: simulate::StrategyArg,
        /// LP solver: `auto` (HiGHS when the build has it, else Clarabel), `clarabel` (pure Rust,
        /// always built) or `highs` (build with --features highs). Every answer is checked by an
        /// optimality certificate; one that fails it is written but flagged, with exit code 3.
        #[arg(long, value_enum, default_value_t = simulate::SolverArg::Auto)]
        solver: simulate::SolverArg,
        /// `year`: one programme over the year (perfect foresight); `rolling`: day by day with the
        /// next day in view, seasonal stores following the year plan.
        #[arg(long, value_enum, default_value_t = simulate::HorizonArg::Year)]
        horizon: simulate::HorizonArg,
        /// Print the summary as JSON on standard output instead of the table.
        #[arg(long)]
        json: bool,
        /// Print nothing but errors (no progress bar, no table).
        #[arg(long, short)]
        quiet: bool,
        /// Language of the report's labels.
        #[arg(long, value_enum, default_value_t = report::LangArg::En)]
        lang: report::LangArg,
        /// File format of the time series: `csv`, or `parquet` (build with --features parquet).
        #[arg(long, value_enum, default_value_t = simulate::FormatArg::Csv)]
        format: simulate::FormatArg,
        /// Run a power flow of the electric network for every step (`all`, the default when
        /// given without a value) or for the peak-load, peak-PV and peak-export steps (`peak`);
        /// writes DIR/network.csv and reports voltages out of band, loadings and losses.
        #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "all")]
        network_check: Option<simulate::NetworkCheckArg>,
        /// With --network-check=all, feed the network losses the power flow finds back into
        /// the dispatch (as demand at the grid connection) until the import the power flow needs
        /// and the import the dispatch buys agree within 0.1 % over the year (at most 6 rounds).
        /// On by default with --network-check=all; refused without it.
        #[arg(long, value_enum)]
        loss_feedback: Option<simulate::OnOff>,
        /// Run whole local days from this date (YYYY-MM-DD, in the park's year) instead of the
        /// year; with --days.
        #[arg(long, requires = "days", value_parser = parse_date)]
        from: Option<chrono::NaiveDate>,
        /// How many days from --from (1–366).
        #[arg(long, requires = "from", value_parser = clap::value_parser!(u32).range(1..=366))]
        days: Option<u32>,
        /// Run at this step length instead of the park file's `time.step_min` (5, 10, 15, 30 or
        /// 60 minutes).
        #[arg(long, value_parser = parse_step)]
        step_min: Option<u32>,
        /// Interior-point iteration limit of Clarabel (1–10000). A solve cut short is not
        /// called optimal: its schedule is written with "status": "inexact" and exit code 3.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        solver_max_iter: u32,
    },
    /// Rebuild DIR/report.html from the results `simulate` saved in DIR.
    Report {
        /// A directory written by `parkgrid simulate`.
        dir: PathBuf,
        /// Language of the report's labels.
        #[arg(long, value_enum, default_value_t = report::LangArg::En)]
        lang: report::LangArg,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Compare the KPIs of two runs (what-if studies): B against A.
    ///
    /// Prints each KPI of A and B, the difference and whether B is better, and writes
    /// compare.json and compare.csv to --out (default: B's directory).
    Compare {
        /// The reference run (a directory written by `parkgrid simulate`).
        a: PathBuf,
        /// The run compared with it.
        b: PathBuf,
        /// Directory for compare.json and compare.csv; default B.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Print the comparison as JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Compute every asset's availability or demand per step and write them as CSV.
    ///
    /// Writes DIR/profiles.csv (one column per asset and quantity, kW or COP) and DIR/weather.csv
    /// (the weather used, in the CSV weather format), and prints annual totals and capacity
    /// factors.
    Profiles {
        /// The park file (TOML).
        park: PathBuf,
        /// Directory for the CSV files (created if missing).
        #[arg(long, short, default_value = "out/profiles")]
        out: PathBuf,
        /// Print the annual summary as JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// AC power flow of a MATPOWER case file (Newton–Raphson, sparse LU).
    ///
    /// Prints bus voltages and branch flows, or with --json the fields converged, iterations,
    /// max_mismatch_pu, losses_mw, buses, dc_buses and converters. Exit code 1 when the power flow
    /// does not converge, 2 for a malformed file.
    Powerflow {
        /// The MATPOWER case file (.m).
        case: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Start from |V| = 1 p.u. and angle 0 instead of the case's voltages.
        #[arg(long)]
        flat_start: bool,
        /// Largest power mismatch accepted, p.u. on the system base.
        #[arg(long, default_value_t = 1e-8)]
        tol: f64,
        /// Newton iterations at most (per solve).
        #[arg(long, default_value_t = 10)]
        max_iter: usize,
        /// Enforce generators' reactive limits (PV buses switch to PQ, the slack's too), as
        /// MATPOWER's enforce_q_lims = 1.
        #[arg(long)]
        q_limits: bool,
    },
    /// N-1: every line, transformer and converter out in turn, ranked worst first.
    ///
    /// For a park file, on its optimal dispatch (or --dispatch rule) at the peak-load step, at
    /// --step N, or at every step (--steps all, each outage summarised over the year); for a
    /// MATPOWER / MATACDC case (.m), as given. Reports the buses each outage leaves without
    /// generation and the load lost with them, islands that keep generation (solved with their own
    /// reference, shedding what it cannot carry), whether the rest solves, voltages out of band and
    /// elements over their rating. A power flow that does not converge lends no figures.
    Contingency {
        /// A park file (TOML) or a case file (.m).
        input: PathBuf,
        /// One step of the year (0-based) to check a park at, instead of --steps.
        #[arg(long, conflicts_with = "steps")]
        step: Option<usize>,
        /// Which steps of a park's year: the peak-load step, or every step (summarised per
        /// outage over the year).
        #[arg(long, value_enum, default_value_t = contingency::StepsArg::Peak)]
        steps: contingency::StepsArg,
        /// Which dispatch of a park the network carries (default: optimal). A case file
        /// carries its own injections, so this is refused with one.
        #[arg(long, value_enum, conflicts_with = "run")]
        dispatch: Option<contingency::DispatchArg>,
        /// Take the schedule from a run `parkgrid simulate` saved of this park (its directory)
        /// instead of dispatching again.
        #[arg(long)]
        run: Option<PathBuf>,
        /// Rows shown in the table.
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Print the ranking as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the JSON Schema of the park file, for editor completion and checking.
    Schema {
        /// Write the schema to this file instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).and_then(|code| out::flush().map(|()| code).map_err(Into::into)) {
        Ok(code) => code,
        Err(err) => {
            // The reader of a pipe has gone (`| head`): nothing more to say to anyone.
            if err
                .downcast_ref::<out::StdoutError>()
                .is_some_and(out::StdoutError::is_broken_pipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err:#}");
            let input_error = err.downcast_ref::<ModelError>().is_some()
                || err
                    .downcast_ref::<parkgrid_dispatch::SolveError>()
                    .is_some()
                || err
                    .downcast_ref::<parkgrid_engine::EngineError>()
                    .is_some_and(parkgrid_engine::EngineError::is_input)
                || err
                    .downcast_ref::<parkgrid_powerflow::CaseError>()
                    .is_some()
                || err.downcast_ref::<InputError>().is_some()
                || matches!(
                    err.downcast_ref::<parkgrid_resource::ResourceError>(),
                    Some(
                        parkgrid_resource::ResourceError::Data(_)
                            | parkgrid_resource::ResourceError::Park(_)
                    )
                );
            if input_error {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate { park, json } => {
            let loaded = parkgrid_model::load(&park)?;
            if json {
                print_json_report(&loaded.report)?;
            } else {
                eprint!("{}", loaded.report.render());
                print_verdict(&loaded.report)?;
            }
            Ok(exit_for(&loaded))
        }
        Command::Info { park, json } => {
            let loaded = parkgrid_model::load(&park)?;
            let Some(valid) = &loaded.park else {
                eprint!("{}", loaded.report.render());
                print_verdict(&loaded.report)?;
                return Ok(exit_for(&loaded));
            };
            if json {
                let summary = info::json(valid);
                outln!("{}", serde_json::to_string_pretty(&summary)?)?;
            } else {
                eprint!("{}", loaded.report.render());
                out!("{}", info::text(valid))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate {
            park,
            out,
            strategy,
            solver,
            horizon,
            json,
            quiet,
            lang,
            format,
            network_check,
            loss_feedback,
            from,
            days,
            step_min,
            solver_max_iter,
        } => {
            if loss_feedback.is_some() && network_check != Some(simulate::NetworkCheckArg::All) {
                return Err(InputError(
                    "--loss-feedback applies to --network-check=all (the losses of every step \
                     are what is fed back)"
                        .into(),
                )
                .into());
            }
            let loaded = parkgrid_model::load(&park)?;
            let Some(valid) = &loaded.park else {
                eprint!("{}", loaded.report.render());
                print_verdict(&loaded.report)?;
                return Ok(exit_for(&loaded));
            };
            eprint!("{}", loaded.report.render());
            let out = out.unwrap_or_else(|| {
                let stem = park
                    .file_stem()
                    .map_or_else(|| "park".into(), |s| s.to_string_lossy().into_owned());
                PathBuf::from("out").join(stem)
            });
            simulate::run(
                valid,
                &out,
                simulate::Options {
                    strategy,
                    solver,
                    horizon,
                    json,
                    quiet,
                    lang: lang.into(),
                    format,
                    network_check,
                    loss_feedback: loss_feedback != Some(simulate::OnOff::Off),
                    window: from.zip(days),
                    step_min,
                    solver_max_iter,
                },
            )
        }
        Command::Report { dir, lang, quiet } => report::report(&dir, lang.into(), quiet),
        Command::Compare { a, b, out, json } => {
            let out = out.unwrap_or_else(|| b.clone());
            report::compare(&a, &b, &out, json)
        }
        Command::Profiles { park, out, json } => {
            let loaded = parkgrid_model::load(&park)?;
            let Some(valid) = &loaded.park else {
                eprint!("{}", loaded.report.render());
                print_verdict(&loaded.report)?;
                return Ok(exit_for(&loaded));
            };
            eprint!("{}", loaded.report.render());
            profiles::run(valid, &out, json)
        }
        Command::Powerflow {
            case,
            json,
            flat_start,
            tol,
            max_iter,
            q_limits,
        } => powerflow::run(
            &case,
            json,
            parkgrid_powerflow::Options {
                tol_pu: tol,
                max_iter,
                flat_start,
                q_limits,
            },
        ),
        Command::Contingency {
            input,
            step,
            steps,
            dispatch,
            run,
            top,
            json,
        } => contingency::run(
            &input,
            contingency::Request {
                step,
                steps,
                dispatch,
                run,
                json,
                top,
            },
        ),
        Command::Schema { out } => {
            let text = serde_json::to_string_pretty(parkgrid_model::schema::json_schema())?;
            match out {
                Some(path) => std::fs::write(&path, text + "\n")
                    .with_context(|| format!("cannot write schema to '{}'", path.display()))?,
                None => outln!("{text}")?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Bad input found by the command line itself (an unreadable input file, an option value out of
/// range): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

fn exit_for(loaded: &Loaded) -> ExitCode {
    if loaded.park.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

fn print_verdict(report: &Report) -> Result<(), out::StdoutError> {
    let (e, w) = (report.n_errors(), report.n_warnings());
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if e == 0 {
        outln!("{}: valid ({})", report.source.name, plural(w, "warning"))?;
    } else {
        eprintln!(
            "{}: invalid ({}, {})",
            report.source.name,
            plural(e, "error"),
            plural(w, "warning")
        );
    }
    Ok(())
}

fn print_json_report(report: &Report) -> anyhow::Result<()> {
    let value = serde_json::json!({
        "file": report.source.name,
        "valid": !report.has_errors(),
        "errors": report.n_errors(),
        "warnings": report.n_warnings(),
        "diagnostics": report.to_json(),
    });
    outln!("{}", serde_json::to_string_pretty(&value)?)?;
    Ok(())
}

/// `--from`: a calendar date, `YYYY-MM-DD`.
fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| format!("'{s}' is not a date YYYY-MM-DD: {e}"))
}

/// `--step-min`: one of the step lengths a park may have.
fn parse_step(s: &str) -> Result<u32, String> {
    s.parse::<u32>()
        .ok()
        .filter(|m| parkgrid_model::STEPS_MIN.contains(m))
        .ok_or_else(|| format!("'{s}' is not one of 5, 10, 15, 30 or 60 (minutes)"))
}
