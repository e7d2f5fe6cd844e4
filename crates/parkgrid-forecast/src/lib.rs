//! Forecasts of a park's series — loads, PV, wind, heat — with quantiles and quality flags,
//! and the rolling-origin backtests that choose a series' model.
//!
//! Pure computation: no IO. A [`Series`] is a quantity on a regular axis in clock time
//! ([`series::read_csv`] reads one from a logger's CSV text); [`Inputs`] prepares it (stuck
//! runs masked, day classes from a [`Calendar`]); a [`Model`] makes a point forecast; a
//! [`Forecaster`] issues a [`Forecast`] — P10, P50, P90 per step, always, with [`Flag`]s saying
//! what was wrong with the inputs and which steps a fallback made; [`backtest`] scores models
//! against persistence and the seasonal naive forecast and picks the best.
//!
//! ```
//! use parkgrid_forecast::{Calendar, Inputs, Model, Options, Series, backtest};
//! # use chrono::NaiveDate;
//! let start = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap().and_hms_opt(0, 0, 0).unwrap();
//! // Six weeks of hourly values with a daily shape.
//! let values = (0..42 * 24).map(|i| Some(50.0 + (i % 24) as f64)).collect();
//! let series = Series::new("demand_kw", start, 60, values).unwrap();
//! let calendar = Calendar::default();
//! let inputs = Inputs::new(&series, None, &calendar);
//! let report = backtest(&inputs, &Options::day_ahead(24)).unwrap();
//! assert!(report.score(report.best).unwrap().rmse < 1e-6);
//! ```

pub mod backtest;
pub mod calendar;
pub mod forecaster;
pub mod models;
pub mod series;

pub use backtest::{BacktestError, Options, Report, Score, backtest};
pub use calendar::{Calendar, DayClass};
pub use forecaster::{Flag, Forecast, Forecaster, QUANTILES};
pub use models::{Inputs, Model};
pub use series::{ReadNotes, Series, SeriesError, Table, read_csv};
