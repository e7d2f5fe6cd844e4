//! `parkgrid mpc`: the park run by the model-predictive controller against its true profiles,
//! compared with perfect foresight and the rules; the run itself is the engine's
//! (`parkgrid_engine::mpc`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use parkgrid_dispatch::SolverKind;
use parkgrid_engine::Window;
use parkgrid_engine::forecast::Model;
use parkgrid_engine::mpc::{Faults, ForecastMode, MpcRequest, Tier, run_with_progress};
use parkgrid_report::format_number;

use crate::simulate::SolverArg;

/// `parkgrid mpc` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The park file (TOML).
    park: PathBuf,
    /// The first day (local), YYYY-MM-DD; with --days. Default: 1 January.
    #[arg(long, value_parser = crate::parse_date, requires = "days")]
    from: Option<chrono::NaiveDate>,
    /// Days to run; default: the whole year.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=366))]
    days: Option<u32>,
    /// The control step, minutes (5, 10, 15, 30 or 60): each tick plans and operates one step.
    #[arg(long, default_value = "15", value_parser = crate::parse_step)]
    step_min: u32,
    /// Hours each tick plans ahead.
    #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=168))]
    horizon_h: u32,
    /// The forecasts: `auto` (each series' model chosen by a backtest of the eight weeks
    /// before the run), `perfect` (the true profiles), or one model for every series:
    /// persistence, seasonal_naive, calendar, smoothing, clearness.
    #[arg(long, default_value = "auto")]
    forecast: String,
    /// The LP solver.
    #[arg(long, value_enum, default_value_t = SolverArg::Auto)]
    solver: SolverArg,
    /// Wall time a tick may take to issue its setpoints, s (forecasts and LP tiers): a tier is
    /// not started once it is spent, the solver stops at what is left, and the last plan or the
    /// rules issue the setpoints.
    #[arg(long, default_value_t = 60.0)]
    tick_budget_s: f64,
    /// Inject the faulted run's faults: every forecast input out for 6 h every 10 days (the
    /// first on the run's first day, the series 8 h apart), the largest electric load's meter
    /// stuck for 12 h every 20 days (from noon of the first day), the LP tiers timed out on
    /// every 100th tick, every store starting at 110 % of its capacity.
    #[arg(long)]
    faulted: bool,
    /// Directory for summary.json, ticks.csv, the run's series (timeseries.csv, meta.json) and
    /// report.html (created if missing).
    #[arg(long, short, default_value = "out/mpc")]
    out: PathBuf,
    /// Language of the report's labels.
    #[arg(long, value_enum, default_value_t = crate::report::LangArg::En)]
    lang: crate::report::LangArg,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    json: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

fn forecast_mode(s: &str) -> anyhow::Result<ForecastMode> {
    match s {
        "auto" => Ok(ForecastMode::Auto),
        "perfect" => Ok(ForecastMode::Perfect),
        m => Model::from_name(m).map(ForecastMode::Model).ok_or_else(|| {
            crate::input_error(format!(
                "--forecast '{m}' is not auto, perfect or a model ({})",
                Model::ALL.map(Model::name).join(", ")
            ))
        }),
    }
}

/// Runs `parkgrid mpc`.
pub fn run_cmd(a: Args) -> anyhow::Result<ExitCode> {
    let forecast = forecast_mode(&a.forecast)?;
    if !(a.tick_budget_s > 0.0 && a.tick_budget_s.is_finite()) {
        return Err(crate::input_error(format!(
            "--tick-budget-s {} must be a positive number of seconds",
            a.tick_budget_s
        )));
    }
    let park = crate::load(&a.park)?;
    let window = match (a.from, a.days) {
        (from, Some(days)) => Some(Window {
            from: from.unwrap_or_else(|| {
                chrono::NaiveDate::from_ymd_opt(park.time.year, 1, 1).unwrap_or_default()
            }),
            days,
        }),
        _ => None,
    };
    let solver = match a.solver {
        SolverArg::Auto => SolverKind::best_available(),
        SolverArg::Clarabel => SolverKind::Clarabel,
        SolverArg::Highs => SolverKind::Highs,
    };
    let faults = if a.faulted {
        Faults {
            dropout_every_days: Some(10),
            stuck_every_days: Some(20),
            timeout_every_ticks: Some(100),
            start_frac: Some(1.1),
        }
    } else {
        Faults::default()
    };
    let req = MpcRequest {
        window,
        step_min: a.step_min,
        horizon_h: a.horizon_h,
        forecast,
        solver,
        tick_budget_s: a.tick_budget_s,
        faults,
    };
    let bar = if a.quiet || a.json {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("mpc {wide_bar} {pos}/{len} ticks, {eta} left")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    };
    let done = run_with_progress(&park, &req, &mut |k, n| {
        bar.set_length(n as u64);
        bar.set_position(k as u64);
    })?;
    bar.finish_and_clear();
    // The operated park as a run: summary.json (with the MPC's figures), meta.json,
    // timeseries.csv and the year report against the rules.
    let saved = done.to_run(&park)?;
    parkgrid_engine::write_run(&saved, &a.out, parkgrid_engine::Format::Csv)?;
    let report_path = parkgrid_engine::write_report(&saved, &a.out, a.lang.into())?;
    let summary = done.summary();
    let summary_path = a.out.join("summary.json");
    let mut csv = String::from(
        "step,time,tier,wall_s,build_s,solve_s,flagged_forecasts,store_levels_kwh,why\n",
    );
    for t in &done.ticks {
        let sp: Vec<String> = t
            .setpoints
            .iter()
            .map(|(id, l)| format!("{id}={l:.1}"))
            .collect();
        let _ = writeln!(
            csv,
            "{},{},{},{:.4},{:.4},{:.4},{},\"{}\",\"{}\"",
            t.step,
            saved.times.get(t.step).map_or("", String::as_str),
            t.tier.name(),
            t.wall_s,
            t.build_s,
            t.solve_s,
            t.flagged_forecasts,
            sp.join(" "),
            t.why.replace('"', "'")
        );
    }
    let ticks_path = a.out.join("ticks.csv");
    std::fs::write(&ticks_path, csv)
        .with_context(|| format!("cannot write '{}'", ticks_path.display()))?;
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&summary)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.quiet {
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: {} ticks of {} min, {} h ahead each",
        park.site.name,
        done.ticks.len(),
        done.step_min,
        a.horizon_h
    );
    let row = |name: &str, k: &parkgrid_dispatch::Kpis| {
        format!(
            "  {name:<18} {:>14} CNY  {:>10} t CO2  absorption {:>6} %  unserved {:>8} kWh\n",
            format_number(k.total_cost_cny, 0),
            format_number(k.co2_t, 1),
            format_number(100.0 * k.renewable_absorption_ratio, 2),
            format_number(
                k.unserved_electric_kwh + k.unserved_heat_kwh + k.unserved_cooling_kwh,
                1
            ),
        )
    };
    text.push_str(&row("MPC", &done.kpis));
    text.push_str(&row("perfect foresight", &done.perfect));
    text.push_str(&row("rules", &done.rule));
    let _ = writeln!(
        text,
        "cost: {:.4} × perfect foresight, {:.4} × the rules",
        summary["cost_ratio_to_perfect_foresight"]
            .as_f64()
            .unwrap_or(f64::NAN),
        summary["cost_ratio_to_rule"].as_f64().unwrap_or(f64::NAN)
    );
    let tiers: Vec<String> = Tier::ALL
        .iter()
        .map(|t| format!("{} {}", t.name(), done.count(*t)))
        .collect();
    let _ = writeln!(text, "tiers: {}", tiers.join(", "));
    let _ = writeln!(
        text,
        "tick: p50 {:.3} s, p99 {:.3} s, max {:.3} s",
        done.tick_quantile_s(0.5),
        done.tick_quantile_s(0.99),
        done.tick_quantile_s(1.0)
    );
    let _ = writeln!(
        text,
        "wrote {}, {}, {} and the run's series (timeseries.csv, meta.json)",
        summary_path.display(),
        ticks_path.display(),
        report_path.display()
    );
    out!("{text}")?;
    Ok(ExitCode::SUCCESS)
}
