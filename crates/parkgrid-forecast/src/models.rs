//! The point forecasts: two baselines and three models.
//!
//! Every model forecasts steps `origin .. origin + horizon` of a [`Series`] from its values
//! before `origin` only, and gives `None` for a step it has nothing to go on for (the
//! [`crate::Forecaster`] fills such steps from the next model down and flags them).

use chrono::NaiveDate;

use crate::calendar::{Calendar, DayClass};
use crate::series::Series;

/// A forecasting model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// The same step of the day before (the last day measured there): the day-ahead baseline.
    Persistence,
    /// The same step of the same weekday a week before: the seasonal naive baseline.
    SeasonalNaive,
    /// A profile per day class (working day, Saturday, Sunday or holiday) and step of the day
    /// from the last five days of the class, with the last day's level and a temperature term
    /// fitted by least squares when a temperature is given.
    Calendar,
    /// Double seasonal exponential smoothing (daily and weekly seasons, additive; Taylor 2003),
    /// run over the last eight weeks, its three smoothing constants chosen by the day-ahead
    /// errors of the last four.
    Smoothing,
    /// The clear-sky envelope of the last two weeks (each step of the day's highest value)
    /// times a clearness blended from the last day's and the fortnight's mean: PV without a
    /// weather forecast.
    Clearness,
}

impl Model {
    /// Every model, the baselines first.
    pub const ALL: [Model; 5] = [
        Model::Persistence,
        Model::SeasonalNaive,
        Model::Calendar,
        Model::Smoothing,
        Model::Clearness,
    ];

    /// The model's name as the command line and the JSON write it.
    pub fn name(self) -> &'static str {
        match self {
            Model::Persistence => "persistence",
            Model::SeasonalNaive => "seasonal_naive",
            Model::Calendar => "calendar",
            Model::Smoothing => "smoothing",
            Model::Clearness => "clearness",
        }
    }

    /// The model named `name`, if any.
    pub fn from_name(name: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The point forecast of steps `origin .. origin + horizon` from `inputs`' values before
    /// `origin`; `None` where the model has nothing to go on.
    pub fn point(self, inputs: &Inputs<'_>, origin: usize, horizon: usize) -> Vec<Option<f64>> {
        let spd = inputs.series.steps_per_day();
        match self {
            Model::Persistence => lagged(&inputs.series, origin, horizon, spd, 7),
            Model::SeasonalNaive => lagged(&inputs.series, origin, horizon, 7 * spd, 4),
            Model::Calendar => calendar(inputs, origin, horizon),
            Model::Smoothing => smoothing(&inputs.series, origin, horizon),
            Model::Clearness => clearness(&inputs.series, origin, horizon),
        }
    }
}

/// A run of the same non-zero value this long is a stuck sensor, not a measurement.
pub const STUCK_AFTER_H: u32 = 4;

/// A series prepared for forecasting: stuck runs masked, the day classes known.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    /// The series with stuck runs masked (`None`).
    pub series: Series,
    /// Air temperature on the series' axis (and beyond its end, up to the forecasts'
    /// horizon), °C: measured before an origin, the weather forecast after it.
    pub temperature: Option<&'a [Option<f64>]>,
    calendar: &'a Calendar,
    classes: Vec<DayClass>,
    /// Steps masked as stuck, in order.
    pub stuck: Vec<usize>,
}

impl<'a> Inputs<'a> {
    /// Prepares `series`: a stuck sensor masked ([`mask_stuck`], listed in
    /// [`Inputs::stuck`]); `calendar` gives the day classes.
    pub fn new(
        series: &Series,
        temperature: Option<&'a [Option<f64>]>,
        calendar: &'a Calendar,
    ) -> Self {
        let mut series = series.clone();
        let stuck = mask_stuck(&mut series.values, series.step_min);
        let days = series.day(series.len().saturating_sub(1)) + 8;
        let classes = (0..=days).map(|d| calendar.class(series.date(d))).collect();
        Inputs {
            series,
            temperature,
            calendar,
            classes,
            stuck,
        }
    }

    /// The class of day number `d`.
    pub fn class(&self, d: usize) -> DayClass {
        self.classes
            .get(d)
            .copied()
            .unwrap_or_else(|| self.calendar.class(self.day_date(d)))
    }

    fn day_date(&self, d: usize) -> NaiveDate {
        self.series.date(d)
    }

    fn temperature_at(&self, i: isize) -> Option<f64> {
        let t = self.temperature?;
        usize::try_from(i)
            .ok()
            .and_then(|i| t.get(i).copied().flatten())
    }
}

/// Masks a stuck sensor in `values` (steps of `step_min` minutes) as it would be seen live,
/// from the past only, and returns the steps masked: once the same non-zero value has held for
/// [`STUCK_AFTER_H`] hours, the steps from then on while it holds — provided the values before
/// the run change from step to step (in at least half of their consecutive pairs: a flat or
/// step-shaped series, a data centre's constant draw or an hourly profile at 15 minutes,
/// repeats its values by nature) and the value is below 99 % of the highest before it (an
/// output clipped at its rating holds its value too).
pub fn mask_stuck(values: &mut [Option<f64>], step_min: u32) -> Vec<usize> {
    let run_min = (STUCK_AFTER_H * 60 / step_min.max(1)).max(2) as usize;
    let mut stuck = Vec::new();
    let (mut pairs, mut equal) = (0usize, 0usize);
    let mut highest = f64::NEG_INFINITY;
    let mut run_start = 0;
    let read = values.to_vec();
    for i in 0..values.len() {
        let (prev, now) = (i.checked_sub(1).and_then(|p| read[p]), read[i]);
        let same = matches!((prev, now), (Some(a), Some(b)) if a == b && a != 0.0);
        if !same {
            run_start = i;
        }
        let run = i + 1 - run_start;
        if let Some(v) = now
            && same
            && run >= run_min
            && equal * 2 < pairs
            && v < 0.99 * highest
        {
            values[i] = None;
            stuck.push(i);
            continue;
        }
        if let (Some(a), Some(b)) = (prev, now) {
            pairs += 1;
            equal += usize::from(a == b && a != 0.0);
        }
        if let Some(v) = now {
            highest = highest.max(v);
        }
    }
    stuck
}

/// The value `period` steps back from each step (further periods back while that is at or
/// after the origin or missing, at most `tries` periods).
fn lagged(
    s: &Series,
    origin: usize,
    horizon: usize,
    period: usize,
    tries: usize,
) -> Vec<Option<f64>> {
    (origin..origin + horizon)
        .map(|t| {
            let k0 = (t - origin) / period + 1;
            (k0..k0 + tries).find_map(|k| s.at(t as isize - (k * period) as isize))
        })
        .collect()
}

/// Days of the class before the origin's day the calendar profile averages.
const PROFILE_DAYS: usize = 5;
/// How far back the profile looks for days of a class.
const PROFILE_LOOKBACK_DAYS: usize = 56;
/// The share of the last day's deviation from the profile carried into the forecast.
const LEVEL_WEIGHT: f64 = 0.5;
/// The days whose deviations fit the temperature coefficient.
const TEMPERATURE_FIT_DAYS: usize = 28;

/// A day-class profile: the mean per step of the day, and the mean temperature of the same
/// steps when a temperature is given.
struct Profile {
    value: Vec<Option<f64>>,
    temperature: Vec<Option<f64>>,
}

/// The profile of class `class` from the last [`PROFILE_DAYS`] days of the class before day
/// `before` (days with at least half of their steps measured); of any class when the class
/// has fewer than two such days.
fn profile(inp: &Inputs<'_>, class: DayClass, before: usize) -> Option<Profile> {
    let s = &inp.series;
    let spd = s.steps_per_day();
    let usable = |d: usize| {
        let d0 = s.day_start(d);
        (0..spd)
            .filter(|&k| s.at(d0 + k as isize).is_some())
            .count()
            * 2
            >= spd
    };
    let lookback = || (before.saturating_sub(PROFILE_LOOKBACK_DAYS)..before).rev();
    let mut days: Vec<usize> = lookback()
        .filter(|&d| inp.class(d) == class && usable(d))
        .take(PROFILE_DAYS)
        .collect();
    if days.len() < 2 {
        days = lookback()
            .filter(|&d| usable(d))
            .take(PROFILE_DAYS)
            .collect();
    }
    if days.is_empty() {
        return None;
    }
    let mut value = Vec::with_capacity(spd);
    let mut temperature = Vec::with_capacity(spd);
    for k in 0..spd {
        let mean = |f: &dyn Fn(isize) -> Option<f64>| {
            let (sum, n) = days
                .iter()
                .filter_map(|&d| f(s.day_start(d) + k as isize))
                .fold((0.0, 0usize), |(a, n), v| (a + v, n + 1));
            (n > 0).then(|| sum / n as f64)
        };
        value.push(mean(&|i| s.at(i)));
        temperature.push(mean(&|i| inp.temperature_at(i)));
    }
    Some(Profile { value, temperature })
}

/// Profiles by (class, day before which they were made), made once each.
struct Profiles<'i, 'a> {
    inp: &'i Inputs<'a>,
    made: Vec<(DayClass, usize, Option<Profile>)>,
}

impl<'i, 'a> Profiles<'i, 'a> {
    fn get(&mut self, class: DayClass, before: usize) -> Option<&Profile> {
        let k = match self
            .made
            .iter()
            .position(|(c, b, _)| *c == class && *b == before)
        {
            Some(k) => k,
            None => {
                self.made
                    .push((class, before, profile(self.inp, class, before)));
                self.made.len() - 1
            }
        };
        self.made[k].2.as_ref()
    }
}

/// The calendar model ([`Model::Calendar`]).
fn calendar(inp: &Inputs<'_>, origin: usize, horizon: usize) -> Vec<Option<f64>> {
    let s = &inp.series;
    let spd = s.steps_per_day();
    let today = s.day(origin);
    let mut profiles = Profiles {
        inp,
        made: Vec::new(),
    };
    // The level: the mean deviation of the last day's measurements from the profile each
    // step's day had (made from the days before it, so that the day is not its own profile).
    let (mut dev, mut n) = (0.0, 0usize);
    for t in origin.saturating_sub(spd)..origin {
        let day = s.day(t);
        let Some(y) = s.at(t as isize) else { continue };
        if let Some(p) = profiles
            .get(inp.class(day), day)
            .and_then(|p| p.value[s.slot(t)])
        {
            dev += y - p;
            n += 1;
        }
    }
    let level = if n * 4 >= spd {
        LEVEL_WEIGHT * dev / n as f64
    } else {
        0.0
    };
    // The temperature coefficient: least squares of the deviations from the profiles on the
    // temperature's deviation from the profile days' (through the origin, no intercept).
    let beta = if inp.temperature.is_some() {
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for day in today.saturating_sub(TEMPERATURE_FIT_DAYS)..today {
            let class = inp.class(day);
            let d0 = s.day_start(day);
            for k in 0..spd {
                let i = d0 + k as isize;
                let (Some(y), Some(t)) = (s.at(i), inp.temperature_at(i)) else {
                    continue;
                };
                let Some(p) = profiles.get(class, day) else {
                    break;
                };
                if let (Some(pv), Some(pt)) = (p.value[k], p.temperature[k]) {
                    sxy += (y - pv) * (t - pt);
                    sxx += (t - pt) * (t - pt);
                }
            }
        }
        if sxx > 0.0 { sxy / sxx } else { 0.0 }
    } else {
        0.0
    };
    (origin..origin + horizon)
        .map(|t| {
            let p = profiles.get(inp.class(s.day(t)), today)?;
            let k = s.slot(t);
            let v = p.value[k]?;
            let temp = match (inp.temperature_at(t as isize), p.temperature[k]) {
                (Some(t), Some(pt)) => beta * (t - pt),
                _ => 0.0,
            };
            Some(v + level + temp)
        })
        .collect()
}

/// Weeks of history the smoothing model fits and runs on.
const SMOOTHING_WEEKS: usize = 8;
/// The smoothing constants tried: level α, daily season δ, weekly season ω.
const ALPHAS: [f64; 2] = [0.01, 0.05];
const DELTAS: [f64; 3] = [0.05, 0.15, 0.3];
const OMEGAS: [f64; 3] = [0.05, 0.15, 0.3];

/// The state of double seasonal exponential smoothing: a level, and the latest value of each
/// phase of the daily and the weekly season.
struct Dshw {
    level: f64,
    daily: Vec<f64>,
    weekly: Vec<f64>,
}

impl Dshw {
    /// The forecast of step `t` (its phases `t mod` each season).
    fn predict(&self, t: usize) -> f64 {
        self.level + self.daily[t % self.daily.len()] + self.weekly[t % self.weekly.len()]
    }
}

/// Runs double seasonal Holt–Winters (additive, Taylor 2003, J. Oper. Res. Soc. 54:799–805)
/// from `from` to `to` with constants `(α, δ, ω)`; returns the state at `to` and the sum of
/// squared day-ahead errors of forecasts issued at each midnight of the run's second half.
fn run_dshw(s: &Series, from: usize, to: usize, c: (f64, f64, f64)) -> Option<(Dshw, f64)> {
    let spd = s.steps_per_day();
    let week = 7 * spd;
    // Start: the level is the mean of the first two weeks, the weekly season each phase's mean
    // deviation from it, the daily season zero.
    let init: Vec<f64> = (from..from + 2 * week)
        .filter_map(|i| s.at(i as isize))
        .collect();
    if init.len() < week {
        return None;
    }
    let level = init.iter().sum::<f64>() / init.len() as f64;
    let mut weekly = vec![0.0; week];
    for (phase, w) in weekly.iter_mut().enumerate() {
        let vals: Vec<f64> = (0..2)
            .filter_map(|k| {
                let i = from + k * week;
                // The phase of step i is i mod week; find the step of this phase.
                let base = i - i % week + phase;
                let j = if base < i { base + week } else { base };
                s.at(j as isize)
            })
            .collect();
        if !vals.is_empty() {
            *w = vals.iter().sum::<f64>() / vals.len() as f64 - level;
        }
    }
    let mut st = Dshw {
        level,
        daily: vec![0.0; spd],
        weekly,
    };
    let (alpha, delta, omega) = c;
    let score_from = from + (to - from) / 2;
    let mut sse = 0.0;
    let mut pending: Vec<f64> = Vec::new();
    let mut pending_at = 0usize;
    for t in from..to {
        if t >= score_from && s.slot(t) == 0 {
            pending = (t..t + spd).map(|k| st.predict(k)).collect();
            pending_at = t;
        }
        let Some(y) = s.at(t as isize) else { continue };
        if !pending.is_empty() && t < pending_at + spd {
            let e = y - pending[t - pending_at];
            sse += e * e;
        }
        let e = y - st.predict(t);
        st.level += alpha * e;
        st.daily[t % spd] += delta * e;
        st.weekly[t % week] += omega * e;
    }
    Some((st, sse))
}

/// The smoothing model ([`Model::Smoothing`]).
fn smoothing(s: &Series, origin: usize, horizon: usize) -> Vec<Option<f64>> {
    let week = 7 * s.steps_per_day();
    let from = origin.saturating_sub(SMOOTHING_WEEKS * week);
    if origin - from < 3 * week {
        return vec![None; horizon];
    }
    let mut best: Option<(f64, Dshw)> = None;
    for a in ALPHAS {
        for d in DELTAS {
            for o in OMEGAS {
                if let Some((st, sse)) = run_dshw(s, from, origin, (a, d, o))
                    && best.as_ref().is_none_or(|(b, _)| sse < *b)
                {
                    best = Some((sse, st));
                }
            }
        }
    }
    match best {
        Some((_, st)) => (origin..origin + horizon)
            .map(|t| Some(st.predict(t)))
            .collect(),
        None => vec![None; horizon],
    }
}

/// Days the clear-sky envelope and the mean clearness look back.
const CLEARNESS_DAYS: usize = 14;
/// The weight of the last day's clearness against the fortnight's mean.
const LAST_DAY_WEIGHT: f64 = 0.3;

/// The clearness model ([`Model::Clearness`]).
fn clearness(s: &Series, origin: usize, horizon: usize) -> Vec<Option<f64>> {
    let spd = s.steps_per_day();
    let today = s.day(origin);
    let days = today.saturating_sub(CLEARNESS_DAYS)..today;
    let mut envelope = vec![0.0f64; spd];
    let mut seen = false;
    for d in days.clone() {
        for (k, e) in envelope.iter_mut().enumerate() {
            if let Some(v) = s.at(s.day_start(d) + k as isize) {
                *e = e.max(v);
                seen = true;
            }
        }
    }
    if !seen || envelope.iter().all(|&e| e <= 0.0) {
        return vec![None; horizon];
    }
    // Each day's clearness: its energy over the envelope's on the steps it measured (a day
    // with less than nine tenths of the envelope's energy measured is left out).
    let total: f64 = envelope.iter().sum();
    let day_clearness = |d: usize| {
        let (mut got, mut env) = (0.0, 0.0);
        for (k, &e) in envelope.iter().enumerate() {
            if let Some(v) = s.at(s.day_start(d) + k as isize) {
                got += v.max(0.0);
                env += e;
            }
        }
        (env >= 0.9 * total).then(|| got / env)
    };
    let ks: Vec<(usize, f64)> = days
        .filter_map(|d| day_clearness(d).map(|k| (d, k)))
        .collect();
    if ks.is_empty() {
        return vec![None; horizon];
    }
    let mean = ks.iter().map(|(_, k)| k).sum::<f64>() / ks.len() as f64;
    let last = ks
        .last()
        .filter(|(d, _)| *d + 1 == today)
        .map_or(mean, |(_, k)| *k);
    let k = LAST_DAY_WEIGHT * last + (1.0 - LAST_DAY_WEIGHT) * mean;
    (origin..origin + horizon)
        .map(|t| Some(envelope[s.slot(t)] * k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// A synthetic series: a daily shape, lower at weekends, with a deterministic wobble.
    fn synthetic(days: usize) -> Series {
        let start = NaiveDate::from_ymd_opt(2025, 3, 3)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let values = (0..days * 24)
            .map(|i| {
                let h = (i % 24) as f64;
                let weekend = (i / 24) % 7 >= 5;
                let base = if weekend { 50.0 } else { 100.0 };
                Some(base + 30.0 * (std::f64::consts::PI * h / 24.0).sin())
            })
            .collect();
        Series::new("x", start, 60, values).unwrap()
    }

    #[test]
    fn each_model_reproduces_a_repeating_week_and_uses_no_future() {
        let s = synthetic(42);
        let cal = Calendar::Weekdays {
            holidays: Default::default(),
        };
        let inp = Inputs::new(&s, None, &cal);
        let origin = 35 * 24;
        for m in [
            Model::SeasonalNaive,
            Model::Calendar,
            Model::Smoothing,
            Model::Persistence,
        ] {
            let f = m.point(&inp, origin, 48);
            // Persistence misses the weekday/weekend change; the others carry the week.
            for (k, v) in f.iter().enumerate() {
                let v = v.expect("a value");
                let y = s.values[origin + k].unwrap();
                if m != Model::Persistence {
                    assert!((v - y).abs() < 1.0, "{m:?} step {k}: {v} vs {y}");
                }
            }
        }
        // The future is not read: the same forecast with everything from the origin removed.
        let mut cut = s.clone();
        cut.values.truncate(origin);
        let inp_cut = Inputs::new(&cut, None, &cal);
        for m in Model::ALL {
            assert_eq!(
                m.point(&inp, origin, 24),
                m.point(&inp_cut, origin, 24),
                "{m:?}"
            );
        }
    }

    #[test]
    fn a_flat_series_is_not_a_stuck_sensor() {
        let s = Series::new(
            "dc",
            NaiveDate::from_ymd_opt(2025, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            15,
            vec![Some(8000.0); 96 * 3],
        )
        .unwrap();
        let cal = Calendar::default();
        let inp = Inputs::new(&s, None, &cal);
        assert!(inp.stuck.is_empty());
        assert_eq!(
            Model::Persistence.point(&inp, 96 * 2, 4),
            vec![Some(8000.0); 4]
        );
    }

    #[test]
    fn a_stuck_sensor_is_masked() {
        let mut s = synthetic(3);
        for v in &mut s.values[10..16] {
            *v = Some(77.0);
        }
        let cal = Calendar::default();
        let inp = Inputs::new(&s, None, &cal);
        // Seen live, the run is a stuck sensor once it has held 4 h: its 4th hour on.
        assert_eq!(inp.stuck, (13..16).collect::<Vec<_>>());
        assert!(inp.series.values[13..16].iter().all(Option::is_none));
        assert_eq!(inp.series.values[10], Some(77.0));
    }
}
