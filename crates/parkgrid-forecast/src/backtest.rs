//! Rolling-origin backtests: every model issues forecasts at origins through the data as it
//! would have live (from the values before each origin only), and is scored on what was then
//! measured.
//!
//! Scores (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., §5.8
//! and §5.9): MAE and RMSE of the median; the pinball (quantile) loss averaged over the 10 %,
//! 50 % and 90 % quantiles; the coverage of the P10–P90 interval (80 % nominal); the skill
//! `1 − RMSE / RMSE(baseline)` against persistence (the same step the day before) and the
//! seasonal naive forecast (the same step a week before). Every model is scored on the same
//! points: the steps with a measurement (not masked as stuck) of every scored origin.

use chrono::NaiveDateTime;

use crate::forecaster::{Forecast, Forecaster, QUANTILES};
use crate::models::{Inputs, Model};

/// How a backtest runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Steps forecast at each origin (96: a day at 15 minutes).
    pub horizon: usize,
    /// Steps between origins (96: one origin a day).
    pub every: usize,
    /// Days at the start used only as history: the first origins are issued after
    /// [`Options::first_origin_days`] and scored from this day on.
    pub warmup_days: usize,
    /// The first origin's day: models learn their errors (for the intervals) from here.
    pub first_origin_days: usize,
    /// The models scored (the two baselines are always added).
    pub models: Vec<Model>,
}

impl Options {
    /// A day-ahead backtest at midnight every day of `steps_per_day` steps, every model,
    /// four weeks of warm-up.
    pub fn day_ahead(steps_per_day: usize) -> Self {
        Options {
            horizon: steps_per_day,
            every: steps_per_day,
            warmup_days: 28,
            first_origin_days: 14,
            models: Model::ALL.to_vec(),
        }
    }
}

/// One model's scores.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    /// The model.
    pub model: Model,
    /// Mean absolute error of the median, in the series' units.
    pub mae: f64,
    /// Root-mean-square error of the median.
    pub rmse: f64,
    /// Pinball loss averaged over the 10 %, 50 % and 90 % quantiles.
    pub pinball: f64,
    /// Share of measurements within P10–P90, % (80 % nominal).
    pub coverage_pct: f64,
    /// `1 − RMSE / RMSE(persistence)`, % (NaN when either RMSE is not finite or the
    /// baseline's is zero).
    pub skill_vs_persistence_pct: f64,
    /// `1 − RMSE / RMSE(seasonal naive)`, % (NaN likewise).
    pub skill_vs_seasonal_naive_pct: f64,
    /// Share of forecast steps made by a fallback model or held, %.
    pub fallback_pct: f64,
}

/// A backtest's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    /// The series.
    pub series: String,
    /// Origins scored.
    pub origins: usize,
    /// First scored origin.
    pub first_origin: NaiveDateTime,
    /// Last scored origin.
    pub last_origin: NaiveDateTime,
    /// Points (origin × step with a measurement) each model was scored on.
    pub points: usize,
    /// Steps forecast at each origin.
    pub horizon_steps: usize,
    /// Step, minutes.
    pub step_min: u32,
    /// Steps masked as a stuck sensor.
    pub stuck_steps: usize,
    /// Scores per model, in [`Options::models`]' order with the baselines first.
    pub scores: Vec<Score>,
    /// The model with the lowest RMSE: the default for this series.
    pub best: Model,
}

impl Report {
    /// The score of `model`, if it was scored.
    pub fn score(&self, model: Model) -> Option<&Score> {
        self.scores.iter().find(|s| s.model == model)
    }
}

/// Why a backtest cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BacktestError {
    /// The series is shorter than the warm-up and one horizon.
    #[error(
        "the series covers {days:.1} days; a backtest needs {needed:.1} (the {warmup}-day warm-up and one horizon)"
    )]
    TooShort {
        /// Days in the series.
        days: f64,
        /// Days needed.
        needed: f64,
        /// Warm-up days.
        warmup: usize,
    },
    /// An option is out of range.
    #[error("{0}")]
    Options(String),
    /// No origin after the warm-up has a measured step within its horizon.
    #[error(
        "nothing to score: {origins} origin(s) after the warm-up, none with a measured step in its horizon (a shorter --every or --warmup-days, or a file with more measurements)"
    )]
    NothingScored {
        /// Origins issued after the warm-up.
        origins: usize,
    },
}

/// Sums of one model's errors.
#[derive(Debug, Clone, Default)]
struct Sums {
    abs: f64,
    sq: f64,
    pinball: f64,
    inside: usize,
    n: usize,
    fallback: usize,
    steps: usize,
}

fn pinball(q: f64, y: f64, f: f64) -> f64 {
    let e = y - f;
    (q * e).max((q - 1.0) * e)
}

/// Forecasts made at an origin whose errors are not all learnt yet.
struct Pending {
    origin: usize,
    forecasts: Vec<Forecast>,
    learnt: usize,
}

/// Runs the backtest of `opts.models` (with the baselines) on `inputs`.
///
/// # Errors
/// [`BacktestError::TooShort`] when the series covers less than the warm-up and one horizon;
/// [`BacktestError::Options`] for a zero horizon or step between origins.
pub fn backtest(inputs: &Inputs<'_>, opts: &Options) -> Result<Report, BacktestError> {
    if opts.horizon == 0 || opts.every == 0 {
        return Err(BacktestError::Options(
            "the horizon and the step between origins must be at least one step".into(),
        ));
    }
    let s = &inputs.series;
    let spd = s.steps_per_day();
    let mut models = vec![Model::Persistence, Model::SeasonalNaive];
    for m in &opts.models {
        if !models.contains(m) {
            models.push(*m);
        }
    }
    let score_from = usize::try_from(s.day_start(opts.warmup_days)).unwrap_or(0);
    // Origins every `every` steps from the end of the warm-up, and before it back to the first
    // origin's day (those only teach the models their errors).
    let earliest =
        usize::try_from(s.day_start(opts.first_origin_days.min(opts.warmup_days))).unwrap_or(0);
    let first = score_from - (score_from - earliest.min(score_from)) / opts.every * opts.every;
    if score_from + opts.horizon > s.len() {
        return Err(BacktestError::TooShort {
            days: s.len() as f64 / spd as f64,
            needed: (score_from + opts.horizon) as f64 / spd as f64,
            warmup: opts.warmup_days,
        });
    }
    let mut forecasters: Vec<Forecaster> = models.iter().map(|m| Forecaster::new(*m)).collect();
    let mut sums = vec![Sums::default(); models.len()];
    let mut pending: Vec<Pending> = Vec::new();
    let (mut origins, mut points) = (0, 0);
    let (mut first_scored, mut last_scored) = (None, None);
    let mut origin = first;
    while origin + opts.horizon <= s.len() {
        // Learn the errors of earlier forecasts at steps now measured (before this origin).
        for p in &mut pending {
            let upto = origin - p.origin;
            for (f, fc) in forecasters.iter_mut().zip(&p.forecasts) {
                f.learn(inputs, p.origin, fc, p.learnt, upto);
            }
            p.learnt = upto;
        }
        pending.retain(|p| p.learnt < opts.horizon);
        let forecasts: Vec<Forecast> = forecasters
            .iter()
            .map(|f| f.issue(inputs, origin, opts.horizon))
            .collect();
        if origin >= score_from {
            origins += 1;
            first_scored.get_or_insert(origin);
            last_scored = Some(origin);
            for k in 0..opts.horizon {
                let Some(y) = s.at((origin + k) as isize) else {
                    continue;
                };
                points += 1;
                for (sum, fc) in sums.iter_mut().zip(&forecasts) {
                    let (lo, m, hi) = (fc.p10[k], fc.p50[k], fc.p90[k]);
                    sum.abs += (y - m).abs();
                    sum.sq += (y - m) * (y - m);
                    sum.pinball += (pinball(QUANTILES[0], y, lo)
                        + pinball(QUANTILES[1], y, m)
                        + pinball(QUANTILES[2], y, hi))
                        / 3.0;
                    sum.inside += usize::from(lo <= y && y <= hi);
                    sum.n += 1;
                }
            }
            for (sum, fc) in sums.iter_mut().zip(&forecasts) {
                sum.steps += opts.horizon;
                sum.fallback += fc
                    .flags
                    .iter()
                    .map(|f| match f {
                        crate::Flag::Fallback { steps, .. } | crate::Flag::Held { steps } => *steps,
                        _ => 0,
                    })
                    .sum::<usize>();
            }
        }
        pending.push(Pending {
            origin,
            forecasts,
            learnt: 0,
        });
        origin += opts.every;
    }
    if points == 0 {
        return Err(BacktestError::NothingScored { origins });
    }
    let rmse = |s: &Sums| (s.sq / s.n.max(1) as f64).sqrt();
    let (r_pers, r_seas) = (rmse(&sums[0]), rmse(&sums[1]));
    // Undefined (NaN, `null` in JSON) when an RMSE is not finite or the baseline's is zero.
    let skill = |r: f64, base: f64| {
        if base > 0.0 && r.is_finite() && base.is_finite() {
            100.0 * (1.0 - r / base)
        } else {
            f64::NAN
        }
    };
    let scores: Vec<Score> = models
        .iter()
        .zip(&sums)
        .map(|(m, sum)| {
            let n = sum.n.max(1) as f64;
            Score {
                model: *m,
                mae: sum.abs / n,
                rmse: rmse(sum),
                pinball: sum.pinball / n,
                coverage_pct: 100.0 * sum.inside as f64 / n,
                skill_vs_persistence_pct: skill(rmse(sum), r_pers),
                skill_vs_seasonal_naive_pct: skill(rmse(sum), r_seas),
                fallback_pct: 100.0 * sum.fallback as f64 / sum.steps.max(1) as f64,
            }
        })
        .collect();
    let best = scores
        .iter()
        .filter(|s| s.rmse.is_finite())
        .min_by(|a, b| a.rmse.total_cmp(&b.rmse))
        .map_or(Model::Persistence, |s| s.model);
    let first_scored = first_scored.unwrap_or(score_from);
    Ok(Report {
        series: s.name.clone(),
        origins,
        first_origin: s.time(first_scored),
        last_origin: s.time(last_scored.unwrap_or(first_scored)),
        points,
        horizon_steps: opts.horizon,
        step_min: s.step_min,
        stuck_steps: inputs.stuck.len(),
        scores,
        best,
    })
}
