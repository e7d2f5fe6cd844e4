//! Issuing forecasts: a model's point forecast filled from the baselines where it has nothing
//! to go on, quantiles from the model's own recent errors, and quality flags. A forecast is
//! always issued.

use std::collections::VecDeque;

use chrono::NaiveDateTime;

use crate::models::{Inputs, Model};

/// The quantiles every forecast carries.
pub const QUANTILES: [f64; 3] = [0.1, 0.5, 0.9];

/// What was wrong with the inputs of a forecast, or how it was made instead.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum Flag {
    /// The last measurement is `steps` steps before the origin (more than one).
    Delayed {
        /// Steps between the last measurement and the origin.
        steps: usize,
    },
    /// A share of the last week before the origin has no measurement (10 % or more).
    Missing {
        /// The share missing, %.
        percent: f64,
    },
    /// Steps in the last week before the origin masked as a stuck sensor (the same non-zero
    /// value for 4 h or more).
    Stuck {
        /// Steps masked.
        steps: usize,
    },
    /// Steps the model asked for could not forecast, made by `model` instead.
    Fallback {
        /// The model that made them.
        model: Model,
        /// How many.
        steps: usize,
    },
    /// Steps nothing could forecast: the last measured value (or zero) held.
    Held {
        /// How many.
        steps: usize,
    },
    /// The intervals come from too few of the model's own errors (fewer than 20 in an hour
    /// of the day): they are the spread of day-to-day differences instead.
    WideIntervals,
}

/// A forecast issued at an origin.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Forecast {
    /// Clock time of the first step forecast (the origin).
    pub start: NaiveDateTime,
    /// Step, minutes.
    pub step_min: u32,
    /// The model asked for.
    pub model: Model,
    /// 10 % quantile per step, in the series' units.
    pub p10: Vec<f64>,
    /// Median per step (the point forecast).
    pub p50: Vec<f64>,
    /// 90 % quantile per step.
    pub p90: Vec<f64>,
    /// What was wrong with the inputs or how steps were made; empty when all is well.
    pub flags: Vec<Flag>,
}

impl Forecast {
    /// True when no flag is raised.
    pub fn is_good(&self) -> bool {
        self.flags.is_empty()
    }
}

/// Errors per hour of the day kept for the intervals (about four weeks of day-ahead forecasts
/// at 15 minutes).
const RESIDUALS_PER_HOUR: usize = 112;
/// Errors an hour of the day needs before its own quantiles are used.
const MIN_RESIDUALS: usize = 20;

/// Issues forecasts of one series with one model, learning its errors for the intervals.
#[derive(Debug, Clone)]
pub struct Forecaster {
    model: Model,
    /// Errors (measured − median) of past forecasts per hour of the day of the step (per step
    /// of the day when steps are longer than an hour).
    residuals: Vec<VecDeque<f64>>,
}

/// The models tried, in order, for steps the asked-for model cannot forecast.
const FALLBACKS: [Model; 3] = [Model::Calendar, Model::SeasonalNaive, Model::Persistence];

/// The `q` quantile of `sorted` (linear between order statistics).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let x = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (x - lo as f64)
}

/// Buckets of the day the errors are kept in: each hour, or each step when steps are longer.
fn buckets(s: &crate::Series) -> usize {
    s.steps_per_day().min(24)
}

/// The bucket of step `i`: its hour of the day, or its step of the day when steps are longer.
fn bucket(s: &crate::Series, i: usize) -> usize {
    s.slot(i) * buckets(s) / s.steps_per_day()
}

impl Forecaster {
    /// A forecaster with `model` and no errors learnt yet.
    pub fn new(model: Model) -> Self {
        Forecaster {
            model,
            residuals: vec![VecDeque::new(); 24],
        }
    }

    /// The model asked for.
    pub fn model(&self) -> Model {
        self.model
    }

    /// The forecast of steps `origin .. origin + horizon` of `inputs` (which may end before
    /// the origin: a delayed feed).
    pub fn issue(&self, inputs: &Inputs<'_>, origin: usize, horizon: usize) -> Forecast {
        let s = &inputs.series;
        let spd = s.steps_per_day();
        let mut flags = Vec::new();
        // Inputs: delay, missing share, stuck steps over the last week.
        let week_from = origin.saturating_sub(7 * spd);
        let known = |i: usize| s.at(i as isize).is_some();
        if let Some(last) = (week_from..origin).rev().find(|&i| known(i)) {
            if origin - last > 1 {
                flags.push(Flag::Delayed {
                    steps: origin - last - 1,
                });
            }
        } else if origin > 0 {
            flags.push(Flag::Delayed {
                steps: origin - week_from,
            });
        }
        let window = origin - week_from;
        if window > 0 {
            let missing = (week_from..origin).filter(|&i| !known(i)).count();
            let percent = 100.0 * missing as f64 / window as f64;
            if percent >= 10.0 {
                flags.push(Flag::Missing {
                    percent: (percent * 10.0).round() / 10.0,
                });
            }
        }
        let stuck = inputs
            .stuck
            .iter()
            .filter(|&&i| (week_from..origin).contains(&i))
            .count();
        if stuck > 0 {
            flags.push(Flag::Stuck { steps: stuck });
        }
        // The point forecast, filled from the fallbacks (a baseline only from the other
        // baseline: it is scored as itself).
        let mut point = self.model.point(inputs, origin, horizon);
        let baseline = matches!(self.model, Model::Persistence | Model::SeasonalNaive);
        for fb in FALLBACKS
            .into_iter()
            .filter(|m| *m != self.model && !(baseline && *m == Model::Calendar))
        {
            let holes = point.iter().filter(|v| v.is_none()).count();
            if holes == 0 {
                break;
            }
            let other = fb.point(inputs, origin, horizon);
            let mut filled = 0;
            for (p, o) in point.iter_mut().zip(other) {
                if p.is_none() && o.is_some() {
                    *p = o;
                    filled += 1;
                }
            }
            if filled > 0 {
                flags.push(Flag::Fallback {
                    model: fb,
                    steps: filled,
                });
            }
        }
        let held_value = (0..origin)
            .rev()
            .take(7 * spd)
            .find_map(|i| s.at(i as isize))
            .unwrap_or(0.0);
        let held = point.iter().filter(|v| v.is_none()).count();
        if held > 0 {
            flags.push(Flag::Held { steps: held });
        }
        let p50: Vec<f64> = point.iter().map(|v| v.unwrap_or(held_value)).collect();
        // The lowest value of the last weeks bounds the quantiles below (a PV plant's night).
        let floor = (origin.saturating_sub(14 * spd)..origin)
            .filter_map(|i| s.at(i as isize))
            .fold(f64::INFINITY, f64::min);
        let spread = self.spread(inputs, origin);
        if spread.is_some() {
            flags.push(Flag::WideIntervals);
        }
        let bands: Vec<(f64, f64)> = match spread {
            Some(sp) => vec![sp; 24],
            None => self
                .residuals
                .iter()
                .map(|r| {
                    let mut r: Vec<f64> = r.iter().copied().collect();
                    r.sort_by(f64::total_cmp);
                    (quantile(&r, QUANTILES[0]), quantile(&r, QUANTILES[2]))
                })
                .collect(),
        };
        let (mut p10, mut p90) = (Vec::with_capacity(horizon), Vec::with_capacity(horizon));
        for (k, &m) in p50.iter().enumerate() {
            let (lo, hi) = bands[bucket(s, origin + k)];
            let bound = |v: f64| if floor.is_finite() { v.max(floor) } else { v };
            p10.push(bound(m + lo.min(0.0)));
            p90.push(bound(m + hi.max(0.0)));
        }
        let p50 = p50
            .into_iter()
            .map(|v| if floor.is_finite() { v.max(floor) } else { v })
            .collect();
        Forecast {
            start: s.time(origin),
            step_min: s.step_min,
            model: self.model,
            p10,
            p50,
            p90,
            flags,
        }
    }

    /// When an hour of the day has too few errors learnt: the 10 % and 90 % quantiles of the
    /// day-to-day differences of the last two weeks, halved in variance (√2), for every hour.
    fn spread(&self, inputs: &Inputs<'_>, origin: usize) -> Option<(f64, f64)> {
        let buckets = buckets(&inputs.series);
        if self.residuals[..buckets]
            .iter()
            .all(|r| r.len() >= MIN_RESIDUALS)
        {
            return None;
        }
        let s = &inputs.series;
        let spd = s.steps_per_day();
        let mut d: Vec<f64> = (origin.saturating_sub(14 * spd)..origin)
            .filter_map(|i| Some(s.at(i as isize)? - s.at(i as isize - spd as isize)?))
            .map(|x| x / std::f64::consts::SQRT_2)
            .collect();
        if d.is_empty() {
            return Some((0.0, 0.0));
        }
        d.sort_by(f64::total_cmp);
        Some((quantile(&d, QUANTILES[0]), quantile(&d, QUANTILES[2])))
    }

    /// Learns the errors of `forecast` (issued at step `origin` of `inputs`) at its steps
    /// `from .. to` (relative to the origin) that have a measurement.
    pub fn learn(
        &mut self,
        inputs: &Inputs<'_>,
        origin: usize,
        forecast: &Forecast,
        from: usize,
        to: usize,
    ) {
        let s = &inputs.series;
        for k in from..to.min(forecast.p50.len()) {
            let Some(y) = s.at((origin + k) as isize) else {
                continue;
            };
            let r = &mut self.residuals[bucket(s, origin + k)];
            if r.len() == RESIDUALS_PER_HOUR {
                r.pop_front();
            }
            r.push_back(y - forecast.p50[k]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Calendar, Series};
    use chrono::NaiveDate;

    fn hourly(days: usize) -> Series {
        let start = NaiveDate::from_ymd_opt(2025, 3, 3)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let values = (0..days * 24)
            .map(|i| Some(10.0 + (i % 24) as f64 + (i % 7) as f64 * 0.1))
            .collect();
        Series::new("x", start, 60, values).unwrap()
    }

    #[test]
    fn a_delayed_feed_still_gets_a_forecast_with_its_flags() {
        let mut s = hourly(30);
        let origin = 28 * 24;
        // The last 30 hours before the origin never arrived.
        for v in &mut s.values[origin - 30..] {
            *v = None;
        }
        let cal = Calendar::default();
        let inp = Inputs::new(&s, None, &cal);
        let f = Forecaster::new(Model::Smoothing).issue(&inp, origin, 24);
        assert_eq!(f.p50.len(), 24);
        assert!(
            f.flags.contains(&Flag::Delayed { steps: 30 }),
            "{:?}",
            f.flags
        );
        assert!(
            f.flags.contains(&Flag::Missing { percent: 17.9 }),
            "{:?}",
            f.flags
        );
        assert!(f.flags.contains(&Flag::WideIntervals), "{:?}", f.flags);
        for k in 0..24 {
            assert!(f.p10[k] <= f.p50[k] && f.p50[k] <= f.p90[k]);
            assert!(f.p50[k].is_finite());
        }
    }

    #[test]
    fn nothing_to_go_on_holds_the_last_value_and_says_so() {
        let mut s = hourly(2);
        for v in &mut s.values[..47] {
            *v = None;
        }
        let cal = Calendar::default();
        let inp = Inputs::new(&s, None, &cal);
        let f = Forecaster::new(Model::Calendar).issue(&inp, 48, 24);
        // Persistence has the last step (the day before's last hour); the rest is held.
        assert_eq!(f.p50, vec![s.values[47].unwrap(); 24]);
        assert!(f.flags.contains(&Flag::Held { steps: 23 }), "{:?}", f.flags);
        assert!(
            f.flags.contains(&Flag::Fallback {
                model: Model::Persistence,
                steps: 1
            }),
            "{:?}",
            f.flags
        );
        // A model that cannot forecast a step hands it to the next one down.
        let s = hourly(9);
        let inp = Inputs::new(&s, None, &cal);
        let f = Forecaster::new(Model::Smoothing).issue(&inp, 8 * 24, 24);
        assert!(
            f.flags.contains(&Flag::Fallback {
                model: Model::Calendar,
                steps: 24
            }),
            "{:?}",
            f.flags
        );
    }

    #[test]
    fn intervals_come_from_the_models_own_errors_once_learnt() {
        let s = hourly(40);
        let cal = Calendar::default();
        let inp = Inputs::new(&s, None, &cal);
        let mut fc = Forecaster::new(Model::Persistence);
        for day in 7..35 {
            let f = fc.issue(&inp, day * 24, 24);
            fc.learn(&inp, day * 24, &f, 0, 24);
        }
        let f = fc.issue(&inp, 35 * 24, 24);
        assert!(f.is_good(), "{:?}", f.flags);
        // Persistence's error here is the weekly wobble's day-to-day step: within ±0.6.
        for k in 0..24 {
            assert!(
                f.p90[k] - f.p10[k] <= 1.2 + 1e-9,
                "{k}: {} {}",
                f.p10[k],
                f.p90[k]
            );
        }
    }
}
