//! A measured series on a regular time axis, and the reading of one from a CSV log.
//!
//! The axis is in the **clock time of the data** (the park's local time, or the logger's): day
//! types and times of day are what forecasting needs, and they are read off the clock. Times
//! written with offsets (`2016-07-01 00:15:00-07:00`) are put on the file's standard time (its
//! smallest offset): a file that follows a clock change (+01:00 in winter, +02:00 in summer)
//! reads as one regular axis in winter time.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Timelike};
use parkgrid_resource::DataError;
use parkgrid_resource::csvdata::{check_fields, reader, row_error};
use parkgrid_resource::measured::{clock_time, gap_or_value};

/// One quantity on a regular axis; a step without a measurement is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// What the series is (the file's column name, or the park's series).
    pub name: String,
    /// Clock time of the first step; on the step's grid from midnight.
    pub start: NaiveDateTime,
    /// Step between values, minutes; divides a day (1440).
    pub step_min: u32,
    /// One value per step, in the data's units; `None` where nothing was measured.
    pub values: Vec<Option<f64>>,
}

impl Series {
    /// A series of `values` from `start` every `step_min` minutes.
    ///
    /// # Errors
    /// [`SeriesError`] when `step_min` does not divide a day or `start` is not on the step's
    /// grid from midnight.
    pub fn new(
        name: impl Into<String>,
        start: NaiveDateTime,
        step_min: u32,
        values: Vec<Option<f64>>,
    ) -> Result<Self, SeriesError> {
        if step_min == 0 || 1440 % step_min != 0 {
            return Err(SeriesError(format!(
                "a step of {step_min} min does not divide a day"
            )));
        }
        let minute_of_day = start.hour() * 60 + start.minute();
        if minute_of_day % step_min != 0 || start.second() != 0 {
            return Err(SeriesError(format!(
                "the first time {start} is not on the {step_min}-minute grid from midnight"
            )));
        }
        Ok(Series {
            name: name.into(),
            start,
            step_min,
            values,
        })
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when the series has no step.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Steps per day (96 at 15 minutes).
    pub fn steps_per_day(&self) -> usize {
        (1440 / self.step_min) as usize
    }

    /// The step of the day of the first value (0 at midnight).
    fn first_slot(&self) -> usize {
        ((self.start.hour() * 60 + self.start.minute()) / self.step_min) as usize
    }

    /// The step of the day (0 … steps per day − 1) of step `i`.
    pub fn slot(&self, i: usize) -> usize {
        (self.first_slot() + i) % self.steps_per_day()
    }

    /// The day number of step `i`, 0 for the first step's day.
    pub fn day(&self, i: usize) -> usize {
        (self.first_slot() + i) / self.steps_per_day()
    }

    /// The date of day number `d`.
    pub fn date(&self, d: usize) -> NaiveDate {
        self.start.date() + TimeDelta::days(d as i64)
    }

    /// The clock time at the start of step `i`.
    pub fn time(&self, i: usize) -> NaiveDateTime {
        self.start + TimeDelta::minutes(i as i64 * i64::from(self.step_min))
    }

    /// The first step of day number `d` (may be before the series starts: then negative).
    pub fn day_start(&self, d: usize) -> isize {
        (d * self.steps_per_day()) as isize - self.first_slot() as isize
    }

    /// The value at step `i`, `None` outside the series or where nothing was measured.
    pub fn at(&self, i: isize) -> Option<f64> {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.values.get(i).copied().flatten())
    }
}

/// A series that cannot be made: why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct SeriesError(pub String);

/// What reading a log found besides its values.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ReadNotes {
    /// Data rows read.
    pub rows: usize,
    /// Cells of the target that were empty or `NaN`.
    pub empty_cells: usize,
    /// Steps of the axis that no row covers (gaps in the log's times).
    pub missing_rows: usize,
    /// Rows dropped because their time repeated the row before's (the first is kept).
    pub repeated: usize,
}

/// A forecasting data file read: the target and, when asked for, a temperature column.
#[derive(Debug, Clone)]
pub struct Table {
    /// The series to forecast.
    pub target: Series,
    /// The temperature on the same axis, °C, when a column was named: the regression's input.
    pub temperature: Option<Vec<Option<f64>>>,
    /// What reading found.
    pub notes: ReadNotes,
}

/// A row read: clock time, its offset from UTC in seconds when written, line, target value,
/// temperature.
type Row = (NaiveDateTime, Option<i32>, usize, Option<f64>, Option<f64>);

/// Where a column is: its index in the row.
fn column_index(file: &str, headers: &[String], name: &str) -> Result<usize, DataError> {
    headers
        .iter()
        .skip(1)
        .position(|h| h == name)
        .map(|i| i + 1)
        .ok_or_else(|| {
            DataError::at(
                file,
                1,
                name,
                format!(
                    "no such column; the file's value columns: {}",
                    headers.get(1..).unwrap_or_default().join(", ")
                ),
            )
        })
}

/// A cell as a value: `None` for an empty cell or `NaN` (`gap_or_value`), at most ±1e12.
fn cell(file: &str, line: usize, column: &str, raw: &str) -> Result<Option<f64>, DataError> {
    let Some(v) = gap_or_value(file, line, column, raw)? else {
        return Ok(None);
    };
    if v.abs() > MAX_ABS_VALUE {
        return Err(DataError::at(
            file,
            line,
            column,
            format!("{raw} is beyond ±1e12: not a measurement (a unit or a sentinel?)"),
        ));
    }
    Ok(Some(v))
}

/// The most steps a series may have: ten years of minutes.
const MAX_STEPS: usize = 10 * 366 * 1440;

/// The largest magnitude a value may have: a terawatt in watts; beyond it sums of squares
/// lose all precision.
const MAX_ABS_VALUE: f64 = 1e12;

/// The header's mistakes, named: an empty file, a file separated by something else than
/// commas, no header row, the target or temperature as the time column or named twice.
fn check_header(
    file: &str,
    text: &str,
    headers: &[String],
    target: &str,
    temperature: Option<&str>,
) -> Result<(), DataError> {
    if text.trim().is_empty() {
        return Err(DataError::at(file, 1, "header", "the file is empty"));
    }
    if headers.len() < 2 {
        let first = headers.first().map_or("", String::as_str);
        let hint = if first.contains(';') {
            "the file looks separated by ';': parkgrid reads comma-separated files"
        } else if first.contains('\t') {
            "the file looks separated by tabs: parkgrid reads comma-separated files"
        } else {
            "a time column and at least one value column are needed"
        };
        return Err(DataError::at(
            file,
            1,
            "header",
            format!("the header has one column ('{first}'): {hint}"),
        ));
    }
    if clock_time(&headers[0]).is_some() {
        return Err(DataError::at(
            file,
            1,
            "header",
            format!(
                "the first row starts with a time ('{}'): the file needs a header row naming \
                 its columns, the time first",
                headers[0]
            ),
        ));
    }
    for name in std::iter::once(target).chain(temperature) {
        if headers[0] == name {
            return Err(DataError::at(
                file,
                1,
                name,
                "is the first column, which must be the time",
            ));
        }
        if headers.iter().filter(|h| *h == name).count() > 1 {
            return Err(DataError::at(file, 1, name, "is named twice in the header"));
        }
    }
    if temperature == Some(target) {
        return Err(DataError::at(
            file,
            1,
            target,
            "is both the target and the temperature: the temperature must be another column",
        ));
    }
    Ok(())
}

/// Reads a forecasting data file: CSV, the first column a time, one row per step.
///
/// - Times as `parkgrid_resource::measured::clock_time` reads them (RFC 3339 or
///   `YYYY-MM-DD HH:MM[:SS]`), in clock time; times written with an offset are put on the
///   file's standard time (its smallest offset), so that a clock change neither repeats nor
///   skips an hour.
/// - Rows in time order; a time repeated from the row before is dropped (counted in
///   [`ReadNotes::repeated`]); a missing row or an empty / `NaN` cell is a gap (`None`).
/// - `step_min`: the step the caller expects; `None` takes the file's usual spacing (the
///   median of its rows' spacings).
///
/// `target` names the column to forecast, `temperature` an optional column of air temperature
/// (°C) on the same rows; `file` names the file in errors.
///
/// # Errors
/// [`DataError::Value`] naming the file, line and column: no such column (the file's columns
/// are listed), a time that is not one, a time before the row above's (the file is not sorted),
/// a value that is not a finite number, a time off the step's grid, a usual spacing different
/// from `step_min`, fewer than two rows.
pub fn read_csv(
    file: &str,
    text: &str,
    target: &str,
    temperature: Option<&str>,
    step_min: Option<u32>,
) -> Result<Table, DataError> {
    let (mut reader, headers) = reader(file, text)?;
    check_header(file, text, &headers, target, temperature)?;
    let time_name = match headers.first().map(String::as_str) {
        Some("") | None => "time".to_string(),
        Some(h) => h.to_string(),
    };
    let target_col = column_index(file, &headers, target)?;
    let temp_col = temperature
        .map(|t| column_index(file, &headers, t))
        .transpose()?;
    let mut notes = ReadNotes::default();
    let mut read: Vec<Row> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| row_error(file, &e))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        check_fields(file, line, record.len(), headers.len())?;
        let raw_t = record.get(0).unwrap_or("");
        let offset = DateTime::parse_from_rfc3339(raw_t)
            .ok()
            .map(|t| t.offset().local_minus_utc());
        let t = clock_time(raw_t).ok_or_else(|| {
            DataError::at(
                file,
                line,
                &time_name,
                format!(
                    "'{raw_t}' is not a time like 2016-07-01 00:15:00-07:00 or 2016-07-01 00:15 \
                     (year first)"
                ),
            )
        })?;
        let v = cell(file, line, target, record.get(target_col).unwrap_or(""))?;
        let temp = match (temp_col, temperature) {
            (Some(c), Some(name)) => cell(file, line, name, record.get(c).unwrap_or(""))?,
            _ => None,
        };
        read.push((t, offset, line, v, temp));
    }
    // Times written with offsets go onto the file's standard time (its smallest offset, the
    // winter's where clocks change): a clock change then neither repeats nor skips an hour.
    let standard = read.iter().filter_map(|r| r.1).min();
    let mut rows: Vec<(NaiveDateTime, usize, Option<f64>, Option<f64>)> = Vec::new();
    for (t, offset, line, v, temp) in read {
        let t = match (offset, standard) {
            (Some(o), Some(std)) => t - TimeDelta::seconds(i64::from(o - std)),
            _ => t,
        };
        notes.rows += 1;
        if let Some(&(prev, prev_line, _, _)) = rows.last() {
            if t < prev {
                return Err(DataError::at(
                    file,
                    line,
                    &time_name,
                    format!(
                        "{t} comes before line {prev_line}'s {prev}: rows must be in time order \
                         (a clock change in local time? write each time with its offset, \
                         e.g. +01:00 and +02:00, or all in standard time)"
                    ),
                ));
            }
            if t == prev {
                notes.repeated += 1;
                continue;
            }
        }
        if v.is_none() {
            notes.empty_cells += 1;
        }
        rows.push((t, line, v, temp));
    }
    if rows.len() < 2 {
        return Err(DataError::at(
            file,
            2,
            &time_name,
            format!("{} row(s): a series needs at least two", rows.len()),
        ));
    }
    if rows.iter().all(|r| r.2.is_none()) {
        return Err(DataError::at(
            file,
            rows[0].1,
            target,
            "no value: every cell is empty or NaN",
        ));
    }
    let mut spacings: Vec<i64> = rows
        .windows(2)
        .map(|w| (w[1].0 - w[0].0).num_seconds())
        .collect();
    spacings.sort_unstable();
    let usual_s = spacings[spacings.len() / 2];
    let step = match step_min {
        Some(s) => {
            if i64::from(s) * 60 != usual_s {
                return Err(DataError::at(
                    file,
                    rows[1].1,
                    &time_name,
                    format!(
                        "rows are mostly {} apart (the median of {} spacings); the step asked \
                         for is {s} min",
                        human_span(usual_s),
                        spacings.len()
                    ),
                ));
            }
            s
        }
        None => u32::try_from(usual_s / 60)
            .ok()
            .filter(|&m| m > 0 && usual_s % 60 == 0)
            .ok_or_else(|| {
                DataError::at(
                    file,
                    rows[1].1,
                    &time_name,
                    format!(
                        "rows are mostly {} apart: a step must be whole minutes",
                        human_span(usual_s)
                    ),
                )
            })?,
    };
    let start = rows[0].0;
    let name = target.to_string();
    let axis = Series::new(name, start, step, Vec::new()).map_err(|e| {
        DataError::at(
            file,
            rows[0].1,
            &time_name,
            format!("{}: round the times to the step", e.0),
        )
    })?;
    let step_s = i64::from(step) * 60;
    let last = rows[rows.len() - 1].0;
    let n = ((last - start).num_seconds() / step_s) as usize + 1;
    // A handful of rows years apart at a short step: an axis no memory holds, and no series.
    if n > MAX_STEPS || n > 100 * rows.len() {
        return Err(DataError::at(
            file,
            rows[rows.len() - 1].1,
            &time_name,
            format!(
                "the rows from {start} to {last} make {n} steps of {step} min for {} rows: \
                 too sparse to forecast (a time far from the others?)",
                rows.len()
            ),
        ));
    }
    let mut values = vec![None; n];
    let mut temps = temp_col.map(|_| vec![None; n]);
    let mut covered = 0;
    for &(t, line, v, temp) in &rows {
        let off = (t - start).num_seconds();
        if off % step_s != 0 {
            return Err(DataError::at(
                file,
                line,
                &time_name,
                format!(
                    "{t} is not on the {step}-minute grid that starts at {start}: round the \
                     times to the step"
                ),
            ));
        }
        let i = (off / step_s) as usize;
        values[i] = v;
        if let Some(ts) = temps.as_mut() {
            ts[i] = temp;
        }
        covered += 1;
    }
    notes.missing_rows = n - covered;
    Ok(Table {
        target: Series { values, ..axis },
        temperature: temps,
        notes,
    })
}

/// A span of seconds in words: "15 min", "1 h", "90 s".
fn human_span(s: i64) -> String {
    if s % 3600 == 0 {
        format!("{} h", s / 3600)
    } else if s % 60 == 0 {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &str = "log.csv";

    #[test]
    fn gaps_empty_cells_and_repeats_are_counted_not_bridged() {
        let text = "time,p_kw,t_c\n\
                    2025-01-01 00:00,1,5\n\
                    2025-01-01 00:15,,5\n\
                    2025-01-01 00:15,9,5\n\
                    2025-01-01 00:45,NaN,4\n\
                    2025-01-01 01:00,4,3\n";
        let t = read_csv(F, text, "p_kw", Some("t_c"), Some(15)).unwrap();
        assert_eq!(
            t.target.values,
            vec![Some(1.0), None, None, None, Some(4.0)]
        );
        assert_eq!(t.temperature.unwrap()[3], Some(4.0));
        assert_eq!(
            t.notes,
            ReadNotes {
                rows: 5,
                empty_cells: 2,
                missing_rows: 1,
                repeated: 1
            }
        );
    }

    #[test]
    fn unsorted_times_a_wrong_step_and_bad_values_name_the_line() {
        let unsorted = "time,p\n2025-01-01 00:00,1\n2025-01-01 00:30,2\n2025-01-01 00:15,3\n";
        let e = read_csv(F, unsorted, "p", None, None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("log.csv:4: column 'time'"), "{e}");
        assert!(e.contains("comes before line 3"), "{e}");

        let hourly = "time,p\n2025-01-01 00:00,1\n2025-01-01 01:00,2\n2025-01-01 02:00,3\n";
        let e = read_csv(F, hourly, "p", None, Some(15))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("mostly 1 h apart") && e.contains("15 min"),
            "{e}"
        );

        let off_grid = "time,p\n2025-01-01 00:00,1\n2025-01-01 00:15,2\n2025-01-01 00:20,3\n";
        let e = read_csv(F, off_grid, "p", None, Some(15))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("log.csv:4:") && e.contains("grid"), "{e}");

        let bad = "time,p\n2025-01-01 00:00,1\n2025-01-01 00:15,inf\n";
        let e = read_csv(F, bad, "p", None, None).unwrap_err().to_string();
        assert!(e.starts_with("log.csv:3: column 'p'"), "{e}");

        let e = read_csv(F, hourly, "q", None, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no such column") && e.contains(": p"), "{e}");

        let not_a_time = "time,p\nyesterday,1\n";
        let e = read_csv(F, not_a_time, "p", None, None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("log.csv:2:"), "{e}");
    }

    #[test]
    fn times_with_offsets_are_put_on_standard_time_across_a_clock_change() {
        // The last Sunday of October 2016 in Germany: 03:00 +02:00 becomes 02:00 +01:00.
        let text = "time,p\n\
                    2016-10-30 02:00:00+02:00,1\n\
                    2016-10-30 02:30:00+02:00,2\n\
                    2016-10-30 02:00:00+01:00,3\n\
                    2016-10-30 02:30:00+01:00,4\n\
                    2016-10-30 03:00:00+01:00,5\n";
        let t = read_csv(F, text, "p", None, Some(30)).unwrap();
        assert_eq!(t.target.start.to_string(), "2016-10-30 01:00:00");
        assert_eq!(
            t.target.values,
            vec![Some(1.0), Some(2.0), Some(3.0), Some(4.0), Some(5.0)]
        );
    }

    #[test]
    fn a_header_that_cannot_be_used_is_named() {
        let cases = [
            ("", "the file is empty"),
            ("time;p\n2025-01-01 00:00;1\n", "separated by ';'"),
            (
                "2025-01-01 00:00,1\n2025-01-01 00:15,2\n",
                "needs a header row",
            ),
            ("p,time\n1,2025-01-01 00:00\n", "is the first column"),
            ("time,p,p\n2025-01-01 00:00,1,2\n", "named twice"),
            (
                "time,p\n2025-01-01 00:00,1,9\n",
                "3 fields, the header has 2",
            ),
            ("time,p\n2025-01-01 00:00,1e300\n", "beyond ±1e12"),
        ];
        for (text, expected) in cases {
            let e = read_csv(F, text, "p", None, None).unwrap_err().to_string();
            assert!(e.contains(expected), "{text:?}: {e}");
        }
        let e = read_csv(F, "time,p\n2025-01-01 00:00,1\n", "p", Some("p"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("both the target and the temperature"), "{e}");
    }

    #[test]
    fn slots_and_days_follow_the_clock() {
        let s = Series::new(
            "x",
            NaiveDate::from_ymd_opt(2025, 1, 1)
                .unwrap()
                .and_hms_opt(23, 30, 0)
                .unwrap(),
            15,
            vec![Some(0.0); 4],
        )
        .unwrap();
        assert_eq!((s.slot(0), s.day(0)), (94, 0));
        assert_eq!((s.slot(2), s.day(2)), (0, 1));
        assert_eq!(s.day_start(1), 2);
        assert!(Series::new("x", s.start, 7, vec![]).is_err());
    }
}
