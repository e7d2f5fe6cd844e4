//! Measured series: a column of a plant's or a meter's logged data, placed on a park's time axis
//! so that it can be played instead of the modelled series (the twin's `--replay`).
//!
//! Logged data is not a profile: rows come at whatever interval the logger kept, with gaps,
//! empty cells and `NaN`s, sometimes out of order or repeated across a clock change, and from
//! another year and place than the park's. So:
//! - the first column is the time: ISO 8601 / RFC 3339 with or without an offset
//!   (`2016-07-01 00:15:00-07:00`, `2016-07-01T00:15:00Z`, `2016-07-01 00:15`); the **clock
//!   time as written** is used and the offset ignored, so that a plant's solar day keeps its
//!   hours when it is played at another longitude;
//! - an empty cell or `NaN` is a gap; any other value that is not a finite number is an error
//!   naming the file, line and column;
//! - rows are sorted by time; a repeated time keeps its first row;
//! - each row stands for the interval from its time to the next row's, at most the file's usual
//!   spacing (the median), so that a gap in the log is not bridged;
//! - the log's year that covers most of the run is moved, by whole years, onto the run's
//!   (29 February dropped when the run's year has none);
//! - each step of the axis takes the time-weighted mean of the rows that cover it, and has no
//!   value ([`None`]) when they cover less than half of it.

use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta};

use crate::weather::DataError;

/// One column of a log, in the file's clock time, sorted, without gaps' rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// The file, for messages.
    pub file: String,
    /// The column read.
    pub column: String,
    /// `(clock time, value)`, sorted by time, one per time.
    pub samples: Vec<(NaiveDateTime, f64)>,
    /// The usual spacing of the rows (the median), seconds.
    pub spacing_s: i64,
    /// Rows whose cell was empty or `NaN`.
    pub gaps: usize,
    /// Rows dropped because their time was already there.
    pub repeated: usize,
}

/// How a measured column landed on a run's steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// One value per step, in the file's units; `None` where the log covers less than half
    /// of the step.
    pub values: Vec<Option<f64>>,
    /// The log's year that was played.
    pub source_year: i32,
}

/// Parses a time as the twin's logs write it: RFC 3339 (offset ignored, `T` or a space) or a
/// naive date and time to the minute or second.
pub fn clock_time(raw: &str) -> Option<NaiveDateTime> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.naive_local());
    }
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
}

/// A logged cell: `None` for a gap (an empty cell or `NaN`), else a finite number.
///
/// # Errors
/// [`DataError::Value`] naming the file, line and column of anything else.
pub fn gap_or_value(
    file: &str,
    line: usize,
    column: &str,
    raw: &str,
) -> Result<Option<f64>, DataError> {
    if raw.is_empty() || raw.eq_ignore_ascii_case("nan") {
        return Ok(None);
    }
    raw.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or_else(|| {
            DataError::at(
                file,
                line,
                column,
                format!("'{raw}' is not a finite number (an empty cell or NaN is a gap)"),
            )
        })
}

impl Measured {
    /// Reads column `column` (default: the only value column) of the CSV text `text`; `file`
    /// names it in errors.
    ///
    /// # Errors
    /// [`DataError::Value`] naming the file, line and column: no such column (the columns are
    /// listed), a time that is not one, a value that is not a finite number, fewer than two
    /// values.
    pub fn parse(file: &str, text: &str, column: Option<&str>) -> Result<Measured, DataError> {
        let (mut reader, headers) = crate::csvdata::reader(file, text)?;
        let values_named = headers.get(1..).unwrap_or_default().join(", ");
        let col = match column {
            Some(c) => headers
                .iter()
                .skip(1)
                .position(|h| h == c)
                .map(|i| i + 1)
                .ok_or_else(|| {
                    DataError::at(
                        file,
                        1,
                        c,
                        format!("no such column; the file's value columns: {values_named}"),
                    )
                })?,
            None if headers.len() == 2 => 1,
            None => {
                return Err(DataError::at(
                    file,
                    1,
                    "header",
                    format!(
                        "{} value columns ({values_named}): name one as FILE#COLUMN",
                        headers.len().saturating_sub(1)
                    ),
                ));
            }
        };
        let time_name = headers.first().cloned().unwrap_or_default();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| crate::csvdata::row_error(file, &e))?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            let raw_t = record.get(0).unwrap_or("");
            let t = clock_time(raw_t).ok_or_else(|| {
                DataError::at(
                    file,
                    line,
                    &time_name,
                    format!("'{raw_t}' is not a time like 2016-07-01 00:15:00-07:00"),
                )
            })?;
            let v = gap_or_value(file, line, &headers[col], record.get(col).unwrap_or(""))?;
            rows.push((t, v));
        }
        Self::from_rows(file, &headers[col], rows)
    }

    /// A log from rows already read (a Parquet file's, say): `(clock time, value)`, `None` or
    /// NaN a gap, in the file's order.
    ///
    /// # Errors
    /// [`DataError::Value`] naming the file and column: an infinite value (with its row),
    /// fewer than two values.
    pub fn from_rows(
        file: &str,
        column: &str,
        rows: Vec<(NaiveDateTime, Option<f64>)>,
    ) -> Result<Measured, DataError> {
        let mut samples = Vec::with_capacity(rows.len());
        let mut gaps = 0;
        for (i, (t, v)) in rows.into_iter().enumerate() {
            match v {
                Some(v) if v.is_finite() => samples.push((t, v)),
                Some(v) if !v.is_nan() => {
                    return Err(DataError::at(
                        file,
                        0,
                        column,
                        format!("row {}: {v} is not a finite number", i + 1),
                    ));
                }
                _ => gaps += 1,
            }
        }
        // Sorted, the first row of a repeated time kept (a stable sort keeps file order).
        samples.sort_by_key(|s| s.0);
        let before = samples.len();
        samples.dedup_by_key(|s| s.0);
        let repeated = before - samples.len();
        if samples.len() < 2 {
            return Err(DataError::at(
                file,
                2,
                column,
                format!("{} value(s): a log needs at least two", samples.len()),
            ));
        }
        let mut spacings: Vec<i64> = samples
            .windows(2)
            .map(|w| (w[1].0 - w[0].0).num_seconds())
            .collect();
        spacings.sort_unstable();
        let spacing_s = spacings[spacings.len() / 2].max(1);
        Ok(Measured {
            file: file.to_string(),
            column: column.to_string(),
            samples,
            spacing_s,
            gaps,
            repeated,
        })
    }

    /// The first and last clock time of the log.
    pub fn span(&self) -> (NaiveDateTime, NaiveDateTime) {
        (self.samples[0].0, self.samples[self.samples.len() - 1].0)
    }

    /// The log on steps of `step_min` minutes starting at the clock times `starts` (the park's
    /// local time of each step: in a zone with daylight saving they are not evenly spaced),
    /// moved onto the first step's year from its own year that covers most of them (see the
    /// module's documentation).
    pub fn on_axis(&self, starts: &[NaiveDateTime], step_min: u32) -> Placed {
        let step = TimeDelta::minutes(i64::from(step_min));
        let n = starts.len();
        let (Some(&first), Some(&last)) = (starts.iter().min(), starts.iter().max()) else {
            return Placed {
                values: Vec::new(),
                source_year: 0,
            };
        };
        let end = last + step;
        let target = first.year();
        // The log's years, and how many of each one's rows fall in the run once moved.
        let mut years: Vec<(i32, usize)> = Vec::new();
        for &(t, _) in &self.samples {
            let Some(m) = moved(t, target) else { continue };
            let inside = usize::from(m >= first && m < end);
            match years.iter_mut().find(|(y, _)| *y == t.year()) {
                Some((_, c)) => *c += inside,
                None => years.push((t.year(), inside)),
            }
        }
        // Most rows in the run; the earliest year on a tie.
        let source_year = years
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map_or(target, |y| y.0);
        let moved_rows: Vec<(NaiveDateTime, f64)> = self
            .samples
            .iter()
            .filter(|(t, _)| t.year() == source_year)
            .filter_map(|&(t, v)| moved(t, target).map(|m| (m, v)))
            .collect();
        // Each row covers [t, until): to the next row, at most the usual spacing.
        let usual = TimeDelta::seconds(self.spacing_s);
        let rows: Vec<(NaiveDateTime, NaiveDateTime, f64)> = moved_rows
            .iter()
            .enumerate()
            .map(|(i, &(t, v))| {
                let until = moved_rows
                    .get(i + 1)
                    .map_or(t + usual, |r| r.0.min(t + usual));
                (t, until, v)
            })
            .collect();
        let mut sum = vec![0.0; n];
        let mut covered_s = vec![0.0; n];
        for (k, &a) in starts.iter().enumerate() {
            let b = a + step;
            // The rows that overlap [a, b): from the first that ends after a.
            let from = rows.partition_point(|r| r.1 <= a);
            for &(t, until, v) in rows[from..].iter().take_while(|r| r.0 < b) {
                let overlap = (until.min(b) - t.max(a)).num_milliseconds() as f64 / 1000.0;
                if overlap > 0.0 {
                    sum[k] += v * overlap;
                    covered_s[k] += overlap;
                }
            }
        }
        let half = step.num_seconds() as f64 / 2.0;
        let values = sum
            .iter()
            .zip(&covered_s)
            .map(|(&s, &c)| (c >= half).then(|| s / c))
            .collect();
        Placed {
            values,
            source_year,
        }
    }
}

/// `t` moved onto `year` (the same month, day and clock time); `None` for 29 February in a year
/// without one.
fn moved(t: NaiveDateTime, year: i32) -> Option<NaiveDateTime> {
    t.with_year(year)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        clock_time(s).unwrap()
    }

    /// `n` evenly spaced step starts from `start`.
    fn steps(start: &str, step_min: i64, n: i64) -> Vec<NaiveDateTime> {
        (0..n)
            .map(|k| at(start) + TimeDelta::minutes(step_min * k))
            .collect()
    }

    #[test]
    fn reads_a_log_with_gaps_repeats_and_disorder() {
        let text = "measured_on,ac_power\n\
                    2016-07-01 00:15:00-07:00,2\n\
                    2016-07-01 00:00:00-07:00,1\n\
                    2016-07-01 00:30:00-07:00,\n\
                    2016-07-01 00:45:00-07:00,NaN\n\
                    2016-07-01 00:15:00-06:00,9\n\
                    2016-07-01 01:00:00-07:00,4\n";
        let m = Measured::parse("log.csv", text, None).unwrap();
        assert_eq!(m.gaps, 2);
        assert_eq!(m.repeated, 1);
        assert_eq!(
            m.samples,
            vec![
                (at("2016-07-01 00:00"), 1.0),
                (at("2016-07-01 00:15"), 2.0),
                (at("2016-07-01 01:00"), 4.0)
            ]
        );
        assert_eq!(m.spacing_s, 2700, "median of 15 and 45 minutes' spacings");
    }

    #[test]
    fn bad_logs_say_where() {
        for (text, col, says) in [
            (
                "t,a,b\n2016-07-01 00:00,1,2\n",
                None,
                "name one as FILE#COLUMN",
            ),
            (
                "t,a\n2016-07-01 00:00,1\n",
                Some("p"),
                "log.csv:1: column 'p': no such column; the file's value columns: a",
            ),
            (
                "t,a\n2016-07-01 00:00,1\nyesterday,2\n",
                None,
                "log.csv:3: column 't': 'yesterday' is not a time",
            ),
            (
                "t,a\n2016-07-01 00:00,1\n2016-07-01 00:15,inf\n",
                None,
                "log.csv:3: column 'a': 'inf' is not a finite number",
            ),
            ("t,a\n2016-07-01 00:00,1\n", None, "1 value(s)"),
        ] {
            let e = Measured::parse("log.csv", text, col)
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{e}");
        }
    }

    #[test]
    fn quarter_hours_averaged_into_hours_and_gaps_left_empty() {
        // 15-minute rows for an hour, one in the second hour, one alone at 03:00 (each covers
        // a quarter of its hour: too little).
        let text = "t,p\n2016-03-01 00:00,1\n2016-03-01 00:15,2\n2016-03-01 00:30,3\n\
                    2016-03-01 00:45,4\n2016-03-01 01:00,10\n2016-03-01 03:00,7\n";
        let m = Measured::parse("log.csv", text, None).unwrap();
        let placed = m.on_axis(&steps("2025-03-01 00:00", 60, 4), 60);
        assert_eq!(placed.source_year, 2016);
        assert_eq!(placed.values, vec![Some(2.5), None, None, None]);
        // Hours onto quarter hours: each row held over the steps it covers.
        let text = "t,p\n2016-03-01 00:00,1\n2016-03-01 01:00,2\n";
        let m = Measured::parse("log.csv", text, None).unwrap();
        let placed = m.on_axis(&steps("2025-03-01 00:00", 15, 8), 15);
        assert_eq!(placed.values[..4], [Some(1.0); 4]);
        assert_eq!(placed.values[4..], [Some(2.0); 4]);
    }

    /// Steps of a zone with daylight saving: the clock jumps from 02:00 to 03:00; each step
    /// takes the log's rows at its own clock time.
    #[test]
    fn steps_take_the_rows_at_their_own_clock_time() {
        let text = "t,p\n2016-03-27 00:00,0\n2016-03-27 01:00,1\n2016-03-27 02:00,2\n\
                    2016-03-27 03:00,3\n2016-03-27 04:00,4\n";
        let m = Measured::parse("log.csv", text, None).unwrap();
        let starts = [
            at("2025-03-27 01:00"),
            at("2025-03-27 03:00"),
            at("2025-03-27 04:00"),
        ];
        let placed = m.on_axis(&starts, 60);
        assert_eq!(placed.values, vec![Some(1.0), Some(3.0), Some(4.0)]);
    }

    #[test]
    fn the_year_that_covers_the_run_is_played() {
        let text = "t,p\n2015-07-01 00:00,1\n2015-07-01 01:00,1\n\
                    2016-07-01 00:00,2\n2016-07-01 01:00,2\n2016-02-29 00:00,5\n2016-02-29 01:00,5\n";
        let m = Measured::parse("log.csv", text, None).unwrap();
        let july = m.on_axis(&steps("2025-07-01 00:00", 60, 2), 60);
        assert_eq!(july.source_year, 2015, "the earliest of equally good years");
        assert_eq!(july.values, vec![Some(1.0), Some(1.0)]);
        // 29 February has no place in 2025: March 1 finds nothing.
        let march = m.on_axis(&steps("2025-03-01 00:00", 60, 2), 60);
        assert_eq!(march.values, vec![None, None]);
        let leap = m.on_axis(&steps("2028-02-29 00:00", 60, 2), 60);
        assert_eq!((leap.source_year, leap.values[0]), (2016, Some(5.0)));
    }
}
