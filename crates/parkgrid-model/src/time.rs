//! The park's one time axis: a calendar year in the site's time zone, in steps of 1 h or less.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone as _};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::Cx;
use crate::diag::{Diagnostic, FieldPath};
use crate::site::TimeZone;

/// The time axis as written in the park file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TimeConfig {
    /// Calendar year simulated (local time, January 1 00:00 to December 31 24:00).
    pub year: i32,
    /// Length of one step in minutes: 5, 10, 15, 30 or 60 (60 or 15 in practice).
    #[serde(default = "default_step")]
    pub step_min: u32,
}

fn default_step() -> u32 {
    60
}

impl TimeConfig {
    pub(crate) fn check(&self, cx: &mut Cx, at: &FieldPath) {
        if !(1900..=2200).contains(&self.year) {
            cx.error(
                at,
                "year",
                format!("year {} is outside 1900–2200", self.year),
            );
        }
        if !STEPS_MIN.contains(&self.step_min) {
            cx.push(
                Diagnostic::error(
                    at.key("step_min"),
                    format!(
                        "a step of {} min is not one of 5, 10, 15, 30 or 60",
                        self.step_min
                    ),
                )
                .with_hint(
                    "use 60 (hourly) or 15 (quarter-hourly); 5, 10 and 30 also work; steps of 1 \
                     to 3 minutes would make a year of 175,000–525,600 steps",
                ),
            );
        }
    }
}

/// The step lengths a park may have, minutes: they divide the hour, and a year of the shortest
/// (105,120 steps) is the largest programme the dispatch is built for.
pub const STEPS_MIN: [u32; 5] = [5, 10, 15, 30, 60];

/// Start, step and length of every series of a park.
///
/// Step `i` covers `[start + i·step, start + (i+1)·step)`; values are averages over the step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeAxis {
    /// Local midnight at the start of January 1.
    pub start: DateTime<chrono_tz::Tz>,
    /// Step length in minutes.
    pub step_min: u32,
    /// Number of steps in the year.
    pub n_steps: usize,
}

impl TimeAxis {
    /// The axis of `config` in `tz`. `None` when the year or step is out of range (validation
    /// reports those).
    pub fn new(config: &TimeConfig, tz: TimeZone) -> Option<Self> {
        if config.step_min == 0 || 60 % config.step_min != 0 {
            return None;
        }
        let first = NaiveDate::from_ymd_opt(config.year, 1, 1)?;
        let next = NaiveDate::from_ymd_opt(config.year + 1, 1, 1)?;
        let start =
            tz.0.from_local_datetime(&first.and_hms_opt(0, 0, 0)?)
                .earliest()?;
        let end =
            tz.0.from_local_datetime(&next.and_hms_opt(0, 0, 0)?)
                .earliest()?;
        let minutes = (end - start).num_minutes();
        let n_steps = usize::try_from(minutes / i64::from(config.step_min)).ok()?;
        Some(Self {
            start,
            step_min: config.step_min,
            n_steps,
        })
    }

    /// Step length in hours.
    pub fn step_h(&self) -> f64 {
        f64::from(self.step_min) / 60.0
    }

    /// Steps per hour.
    pub fn steps_per_hour(&self) -> usize {
        (60 / self.step_min) as usize
    }

    /// Start of step `i`.
    pub fn time(&self, i: usize) -> DateTime<chrono_tz::Tz> {
        self.start + Duration::minutes(i as i64 * i64::from(self.step_min))
    }

    /// Number of days in the year.
    pub fn n_days(&self) -> usize {
        self.n_steps / (24 * self.steps_per_hour())
    }

    /// The year of the axis.
    pub fn year(&self) -> i32 {
        self.start.year()
    }

    /// The steps of the local days `from` to `from + days` (exclusive), as `(offset, len)` on this
    /// axis: what [`Self::window`] takes.
    ///
    /// # Errors
    /// A message naming the window and the axis when `days` is 0 or the window reaches outside
    /// the axis.
    pub fn day_range(&self, from: NaiveDate, days: u32) -> Result<(usize, usize), String> {
        let tz = self.start.timezone();
        let midnight = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .and_then(|t| tz.from_local_datetime(&t).earliest())
        };
        let last = self.time(self.n_steps);
        let outside = || {
            format!(
                "the window of {days} day{} from {from} is not within the run's time axis ({} to {})",
                if days == 1 { "" } else { "s" },
                self.start.format("%Y-%m-%d %H:%M"),
                last.format("%Y-%m-%d %H:%M")
            )
        };
        if days == 0 {
            return Err("a window must be at least 1 day long".into());
        }
        let (Some(a), Some(b)) = (
            midnight(from),
            from.checked_add_days(chrono::Days::new(u64::from(days)))
                .and_then(midnight),
        ) else {
            return Err(outside());
        };
        if a < self.start || b > last {
            return Err(outside());
        }
        let step = i64::from(self.step_min);
        let offset =
            usize::try_from((a - self.start).num_minutes() / step).map_err(|_| outside())?;
        let end = usize::try_from((b - self.start).num_minutes() / step).map_err(|_| outside())?;
        Ok((offset, end - offset))
    }

    /// The axis of steps `offset .. offset + len` of this one.
    pub fn window(&self, offset: usize, len: usize) -> TimeAxis {
        TimeAxis {
            start: self.time(offset),
            step_min: self.step_min,
            n_steps: len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(year: i32, step_min: u32) -> Option<TimeAxis> {
        let tz = TimeZone(chrono_tz::Asia::Shanghai);
        TimeAxis::new(&TimeConfig { year, step_min }, tz)
    }

    #[test]
    fn hourly_and_quarter_hourly_years() {
        assert_eq!(axis(2025, 60).map(|a| a.n_steps), Some(8760));
        assert_eq!(axis(2024, 60).map(|a| a.n_steps), Some(8784));
        assert_eq!(axis(2025, 15).map(|a| a.n_steps), Some(35040));
        assert_eq!(axis(2025, 7), None);
        let a = axis(2025, 15).map(|a| a.time(4).to_rfc3339());
        assert_eq!(a.as_deref(), Some("2025-01-01T01:00:00+08:00"));
    }

    #[test]
    fn windows_of_whole_local_days() {
        let day = |m, d| NaiveDate::from_ymd_opt(2024, m, d).unwrap_or_default();
        let a = axis(2024, 15).expect("axis");
        assert_eq!(a.day_range(day(1, 1), 2), Ok((0, 192)));
        // 29 February of a leap year, and the last day.
        assert_eq!(a.day_range(day(2, 29), 1), Ok((59 * 96, 96)));
        assert_eq!(a.day_range(day(12, 31), 1), Ok((365 * 96, 96)));
        let w = a.window(59 * 96, 96);
        assert_eq!(w.time(0).to_rfc3339(), "2024-02-29T00:00:00+08:00");
        assert_eq!(w.n_steps, 96);
        let err = a.day_range(day(12, 31), 2).expect_err("past the end");
        assert!(err.contains("2 days from 2024-12-31"), "{err}");
        assert!(a.day_range(day(3, 1), 0).is_err());
        let before = NaiveDate::from_ymd_opt(2023, 12, 31).unwrap_or_default();
        assert!(a.day_range(before, 1).is_err());
    }
}
