//! `parkgrid forecast`: forecasting a data file's series — the backtest that scores every model
//! against persistence and the seasonal naive forecast and picks the default.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use parkgrid_engine::forecast::{BacktestRequest, Calendar, Model, backtest_file};
use parkgrid_report::format_number;

use crate::table::render;

/// Forecasting commands.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Rolling-origin backtest of every model on a column of a data file.
    ///
    /// Issues a forecast at every origin (--every, from the end of --warmup-days) from the
    /// values before it only, and scores each model on what was then measured: MAE, RMSE,
    /// pinball loss over P10/P50/P90, the P10–P90 coverage (80 % nominal), and the skill
    /// against persistence (the same step the day before) and the seasonal naive forecast
    /// (the same step a week before). The model with the lowest RMSE is the series' default
    /// and is printed. Gaps (missing rows, empty cells, NaN) are left out of the scores; a
    /// sensor stuck at one non-zero value is masked once it has held 4 h (in a series that
    /// otherwise changes from step to step, below its highest value). Times with offsets are
    /// put on the file's standard time. Exit code 2 for a file that cannot be used (the line
    /// and column are named) or nothing to score.
    Backtest(BacktestArgs),
}

/// Which days are worked.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum CalendarArg {
    /// China's working calendar (official holidays and exchanged working days 2024–2026).
    China,
    /// Monday to Friday, with --holidays.
    Weekdays,
}

#[derive(Debug, clap::Args)]
struct BacktestArgs {
    /// The data file: CSV with a time column first (`2016-07-01 00:15[:00][±HH:MM]`, clock
    /// time kept, offset ignored) and one row per step.
    data: PathBuf,
    /// The column to forecast.
    #[arg(long)]
    target: String,
    /// A column of air temperature, °C, for the calendar model (taken as the weather
    /// forecast at each origin: give a forecast column for an honest score).
    #[arg(long)]
    temperature: Option<String>,
    /// Length forecast at each origin: minutes, hours or days (`90min`, `24h`, `2d`).
    #[arg(long, default_value = "24h", value_parser = parse_span)]
    horizon: u32,
    /// The data's step (`15min`); default: the file's usual spacing.
    #[arg(long, value_parser = parse_span)]
    step: Option<u32>,
    /// Time between origins (`24h`: one forecast a day at midnight; `15min`: every step).
    #[arg(long, default_value = "24h", value_parser = parse_span)]
    every: u32,
    /// Days at the start used as history only.
    #[arg(long, default_value_t = 28, value_parser = clap::value_parser!(u16).range(1..=3650))]
    warmup_days: u16,
    /// The working calendar for the day classes (working day, Saturday, Sunday or holiday).
    #[arg(long, value_enum, default_value_t = CalendarArg::China)]
    calendar: CalendarArg,
    /// Further holidays, `YYYY-MM-DD`, comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = crate::parse_date)]
    holidays: Vec<NaiveDate>,
    /// The models to score besides the baselines (default: all): persistence,
    /// seasonal_naive, calendar, smoothing, clearness.
    #[arg(long, value_delimiter = ',', value_parser = parse_model)]
    models: Vec<Model>,
    /// Print the scores as JSON on standard output.
    #[arg(long)]
    json: bool,
}

/// `15min`, `24h`, `2d` as minutes.
fn parse_span(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u32 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a whole number of min, h or d (15min, 24h, 2d)"))?;
    let factor = match unit {
        "min" | "m" => 1,
        "h" => 60,
        "d" => 1440,
        u if u.starts_with('.') => {
            return Err(format!("'{s}' is not a whole number: write 90min for 1.5h"));
        }
        _ => {
            return Err(format!(
                "'{s}': the unit must be min, h or d (15min, 24h, 2d)"
            ));
        }
    };
    n.checked_mul(factor)
        .filter(|&m| m > 0 && m <= 366 * 1440)
        .ok_or_else(|| format!("'{s}' must be longer than zero and at most a year"))
}

fn parse_model(s: &str) -> Result<Model, String> {
    Model::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Model::ALL.iter().map(|m| m.name()).collect();
        format!("'{s}' is not a model; the models: {}", names.join(", "))
    })
}

/// Runs `parkgrid forecast`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Backtest(a) => backtest(a),
    }
}

fn backtest(a: BacktestArgs) -> anyhow::Result<ExitCode> {
    let holidays = a.holidays.iter().copied().collect();
    let calendar = match a.calendar {
        CalendarArg::China => Calendar::China { extra: holidays },
        CalendarArg::Weekdays => Calendar::Weekdays { holidays },
    };
    let done = backtest_file(&BacktestRequest {
        data: &a.data,
        target: &a.target,
        temperature: a.temperature.as_deref(),
        step_min: a.step,
        horizon_min: a.horizon,
        every_min: a.every,
        warmup_days: usize::from(a.warmup_days),
        calendar,
        models: a.models,
    })?;
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&done)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let r = &done.report;
    let n = &done.read;
    let mut text = String::new();
    let count = |n: usize, word: &str| {
        let many = if n == 1 { "" } else { "s" };
        format!("{} {word}{many}", format_number(n as f64, 0))
    };
    let _ = writeln!(
        text,
        "{}#{}: {} of {} min ({}, {}, {}; {} masked as stuck)",
        a.data.display(),
        r.series,
        count(n.rows, "row"),
        r.step_min,
        count(n.empty_cells, "empty cell"),
        count(n.missing_rows, "missing row"),
        count(n.repeated, "repeated time"),
        count(r.stuck_steps, "step")
    );
    let _ = writeln!(
        text,
        "{} from {} to {}, {} ahead each; {} scored per model ({:.2} s)",
        count(r.origins, "origin"),
        r.first_origin.format("%Y-%m-%d %H:%M"),
        r.last_origin.format("%Y-%m-%d %H:%M"),
        count(r.horizon_steps, "step"),
        count(r.points, "point"),
        done.backtest_s
    );
    text.push_str(&render(&parkgrid_engine::table::backtest(r)));
    let _ = writeln!(text, "default model: {} (the lowest RMSE)", r.best.name());
    out!("{text}")?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::parse_span;

    #[test]
    fn spans_read_with_their_unit() {
        assert_eq!(parse_span("15min"), Ok(15));
        assert_eq!(parse_span("24h"), Ok(1440));
        assert_eq!(parse_span("2d"), Ok(2880));
        assert!(parse_span("15").is_err());
        assert!(parse_span("0h").is_err());
        assert!(parse_span("-1h").is_err());
        assert!(parse_span("99999999d").is_err());
    }
}
