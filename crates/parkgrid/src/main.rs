//! The `parkgrid` command line. It parses arguments, calls the library crates and prints; the
//! work itself lives in the `parkgrid-*` crates.

#[macro_use]
mod out;

mod contingency;
mod forecast;
mod info;
mod live;
mod mpc;
mod powerflow;
mod profiles;
mod report;
mod simulate;
mod table;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use parkgrid_engine::EngineError;
use parkgrid_engine::error::plural;

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
    Simulate(simulate::Args),
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
    Powerflow(powerflow::Args),
    /// N-1: every line, transformer and converter out in turn, ranked worst first.
    ///
    /// For a park file, on its optimal dispatch (or --dispatch rule) at the peak-load step, at
    /// --step N, or at every step (--steps all, each outage summarised over the year); for a
    /// MATPOWER / MATACDC case (.m), as given. Reports the buses each outage leaves without
    /// generation and the load lost with them, islands that keep generation (solved with their own
    /// reference, shedding what it cannot carry), whether the rest solves, voltages out of band and
    /// elements over their rating. A power flow that does not converge lends no figures.
    Contingency(contingency::Args),
    /// The park run by the model-predictive controller against its true profiles.
    ///
    /// Every tick (15 min by default) forecasts the window ahead from the measurements before
    /// it, plans it with the park's LP from the state now (tiers: optimal, priced slack, the
    /// last plan shifted, the rules' safe mode), and operates the step on the true profiles
    /// with the stores steered to the plan. Compares the cost, CO2, renewable absorption and
    /// unserved energy with perfect foresight (from the same start, ending each store at least
    /// where the controller left it) and the rules; writes DIR/summary.json
    /// (cost_ratio_to_perfect_foresight, cost_ratio_to_rule, ticks, tiers, tick times, each
    /// forecast's model and nrmse: its RMSE over every tick's window over the series' mean),
    /// DIR/ticks.csv (each tick's time, tier, why, wall time and the stores' level setpoints),
    /// and the operated park as a run (timeseries.csv, meta.json, report.html against the
    /// rules).
    Mpc(mpc::Args),
    /// Forecasting: backtests that score the models on a data file and pick the default.
    Forecast(forecast::Args),
    /// The park's digital twin: plays days of the park and publishes what its devices and
    /// meters would measure over MQTT (SenML, QoS 1).
    ///
    /// Runs the park over the days (the merit-order rules by default), then publishes, frame
    /// by frame at --speed, one SenML pack per asset and branch (every measured quantity, with
    /// noise) and one per billing meter (its cumulative register), to
    /// <topic_prefix>/<asset> and <topic_prefix>/meter/<meter>. Faults can be injected and the
    /// ground truth written with --truth. Needs a build with --features live.
    Twin(live::TwinArgs),
    /// Runs the live park: the telemetry from the MQTT broker into the store.
    ///
    /// Subscribes to <topic_prefix>/# at QoS 1 on a persistent session and acknowledges each
    /// message only after its points are committed; the park's billing meters are stored as
    /// readings, from which consumption intervals are derived; what cannot be decoded goes to
    /// the quarantine with the reason. Needs a build with --features live.
    Serve(live::ServeArgs),
    /// The API's tokens: create (shown once), list, revoke — in the store serve uses.
    ///
    /// Every route of `serve` that answers with data takes a token (`Authorization: Bearer
    /// pgt_…`); /health, /api/v1/openapi.json and the pages of /api/v1/docs/ and /dashboard/
    /// do not. Roles: admin, operator, tenant (--tenant: its own meters and series only),
    /// auditor (read only), device (reads nothing). Needs a build with --features live.
    Token(token::Args),
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
            let engine = err.downcast_ref::<EngineError>();
            if let Some(EngineError::Invalid(report)) = engine {
                // Every finding, then the verdict.
                eprint!("{}", report.render());
                eprintln!("{err}");
            } else {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(if engine.is_some_and(EngineError::is_input) {
                2
            } else {
                1
            })
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate { park, json } => {
            let loaded = parkgrid_engine::park::check(&park)?;
            let report = &loaded.report;
            if json {
                let value = serde_json::json!({
                    "file": report.source.name,
                    "valid": !report.has_errors(),
                    "errors": report.n_errors(),
                    "warnings": report.n_warnings(),
                    "diagnostics": report.to_json(),
                });
                outln!("{}", serde_json::to_string_pretty(&value)?)?;
            } else if loaded.park.is_some() {
                eprint!("{}", report.render());
                let warnings = plural(report.n_warnings(), "warning");
                outln!("{}: valid ({warnings})", report.source.name)?;
            } else {
                return Err(EngineError::Invalid(Box::new(loaded.report)).into());
            }
            Ok(ExitCode::from(if loaded.park.is_some() { 0 } else { 2 }))
        }
        Command::Info { park, json } => {
            let park = load(&park)?;
            let profiles = parkgrid_engine::profiles::park_profiles(&park)?;
            if json {
                let summary = parkgrid_engine::park::summary_json(&park, &profiles);
                outln!("{}", serde_json::to_string_pretty(&summary)?)?;
            } else {
                out!("{}", info::text(&park, &profiles))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate(args) => simulate::run(args),
        Command::Report { dir, lang, quiet } => report::report(&dir, lang.into(), quiet),
        Command::Compare { a, b, out, json } => {
            let out = out.unwrap_or_else(|| b.clone());
            report::compare(&a, &b, &out, json)
        }
        Command::Profiles { park, out, json } => profiles::run(&load(&park)?, &out, json),
        Command::Powerflow(args) => powerflow::run(&args),
        Command::Contingency(args) => contingency::run(&args),
        Command::Forecast(args) => forecast::run(args),
        Command::Mpc(args) => mpc::run_cmd(args),
        Command::Twin(args) => live::twin(args),
        Command::Serve(args) => live::serve(args),
        Command::Token(args) => token::run(args),
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

/// Loads a valid park, its warnings printed on standard error.
pub(crate) fn load(path: &std::path::Path) -> anyhow::Result<parkgrid_model::Park> {
    let (park, report) = parkgrid_engine::park::load(path)?;
    eprint!("{}", report.render());
    Ok(park)
}

/// Bad input found by the command line itself (an option value that does not fit the others):
/// exit code 2.
pub(crate) fn input_error(message: impl Into<String>) -> anyhow::Error {
    EngineError::Input(message.into()).into()
}

/// `--from`: a calendar date, `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| format!("'{s}' is not a date YYYY-MM-DD: {e}"))
}

/// `--step-min`: one of the step lengths a park may have.
pub(crate) fn parse_step(s: &str) -> Result<u32, String> {
    s.parse::<u32>()
        .ok()
        .filter(|m| parkgrid_model::STEPS_MIN.contains(m))
        .ok_or_else(|| format!("'{s}' is not one of 5, 10, 15, 30 or 60 (minutes)"))
}
