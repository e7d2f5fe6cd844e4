//! Forecasting through the engine: a data file's column backtested with every model, the best
//! chosen (`parkgrid forecast backtest`).

use std::path::Path;
use std::time::Instant;

pub use parkgrid_forecast::{Calendar, Model, ReadNotes, Report};
use parkgrid_forecast::{Inputs, Options, backtest, read_csv};

use crate::EngineError;

/// A backtest of one column of a data file.
#[derive(Debug, Clone)]
pub struct BacktestRequest<'a> {
    /// The CSV file: a time column first, one row per step.
    pub data: &'a Path,
    /// The column forecast.
    pub target: &'a str,
    /// A column of air temperature (°C) for the calendar model's temperature term, taken as
    /// the weather forecast at each origin.
    pub temperature: Option<&'a str>,
    /// The data's step, minutes (`None`: the file's usual spacing).
    pub step_min: Option<u32>,
    /// Minutes forecast at each origin.
    pub horizon_min: u32,
    /// Minutes between origins.
    pub every_min: u32,
    /// Days at the start used as history only.
    pub warmup_days: usize,
    /// The working calendar for the day classes.
    pub calendar: Calendar,
    /// The models scored besides the two baselines (empty: every model).
    pub models: Vec<Model>,
}

/// A backtest's outcome with what reading the file found and how long it took.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Backtested {
    /// Scores per model and the best.
    pub report: Report,
    /// Rows, gaps and repeats of the file.
    pub read: ReadNotes,
    /// Wall time of the backtest (reading excluded), s.
    pub backtest_s: f64,
}

/// Minutes as whole steps of `step_min`, or an input error naming `what`.
fn steps(minutes: u32, step_min: u32, what: &str) -> Result<usize, EngineError> {
    if minutes == 0 || minutes % step_min != 0 {
        return Err(EngineError::Input(format!(
            "{what} of {minutes} min is not a whole number of the data's {step_min}-minute steps"
        )));
    }
    Ok((minutes / step_min) as usize)
}

/// Reads `req.data` and backtests its column `req.target`.
///
/// # Errors
/// [`EngineError::Input`] (exit code 2): the file cannot be read, a row or value is wrong
/// (file, line and column named), the horizon or the step between origins is not whole
/// steps, the series is shorter than the warm-up and one horizon.
pub fn backtest_file(req: &BacktestRequest<'_>) -> Result<Backtested, EngineError> {
    let text = parkgrid_resource::weather::read_text(req.data)
        .map_err(|e| EngineError::Input(e.to_string()))?;
    let name = req.data.display().to_string();
    let table = read_csv(&name, &text, req.target, req.temperature, req.step_min)
        .map_err(|e| EngineError::Input(e.to_string()))?;
    let step = table.target.step_min;
    let opts = Options {
        horizon: steps(req.horizon_min, step, "the horizon")?,
        every: steps(req.every_min, step, "the step between origins")?,
        warmup_days: req.warmup_days,
        first_origin_days: 14.min(req.warmup_days),
        models: if req.models.is_empty() {
            Model::ALL.to_vec()
        } else {
            req.models.clone()
        },
    };
    let inputs = Inputs::new(&table.target, table.temperature.as_deref(), &req.calendar);
    let started = Instant::now();
    let report =
        backtest(&inputs, &opts).map_err(|e| EngineError::Input(format!("{name}: {e}")))?;
    Ok(Backtested {
        report,
        read: table.notes,
        backtest_s: started.elapsed().as_secs_f64(),
    })
}
