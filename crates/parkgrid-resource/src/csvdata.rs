//! Time-series CSV files: weather and asset profiles.
//!
//! The first row names the columns; the first column is an ISO 8601 timestamp with offset (the
//! start of each step, e.g. `2025-01-01T00:00:00+08:00`), rows are evenly spaced and increasing;
//! lines starting with `#` are comments. Weather columns: `ghi_w_per_m2`, `t_air_c`,
//! `wind_m_per_s` (at 10 m) are required; `dni_w_per_m2` with `dhi_w_per_m2` (otherwise split with
//! Erbs) and `pressure_pa` (otherwise the standard atmosphere at the site) are optional.

use chrono::{DateTime, FixedOffset};

use crate::irradiance::erbs;
use crate::solar::{SolarError, extraterrestrial_at, pressure_at_elevation_pa, sun_position};
use crate::weather::{DataError, WeatherSeries};

/// A parsed time-series CSV.
#[derive(Debug, Clone)]
pub struct CsvTable {
    file: String,
    headers: Vec<String>,
    /// Start of each row's step.
    pub times: Vec<DateTime<FixedOffset>>,
    /// Step between rows, minutes.
    pub step_min: u32,
    rows: Vec<Vec<String>>,
    lines: Vec<usize>,
}

/// A reader of time-series CSV text as every reader of this crate takes it (`#` comments,
/// trimmed fields, rows of any length checked by the caller) and its header row; `file` names
/// it in errors.
pub fn reader<'t>(
    file: &str,
    text: &'t str,
) -> Result<(csv::Reader<&'t [u8]>, Vec<String>), DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| DataError::at(file, 1, "header", e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    Ok((reader, headers))
}

/// A CSV row's error, at its line.
pub fn row_error(file: &str, e: &csv::Error) -> DataError {
    let line = e.position().map_or(0, |p| p.line() as usize);
    DataError::at(file, line, "row", e.to_string())
}

/// A row of `fields` fields under a header of `header`: the same count or an error at `line`.
///
/// # Errors
/// [`DataError::Value`] naming the file, line and both counts.
pub fn check_fields(
    file: &str,
    line: usize,
    fields: usize,
    header: usize,
) -> Result<(), DataError> {
    if fields == header {
        return Ok(());
    }
    Err(DataError::at(
        file,
        line,
        "row",
        format!("{fields} fields, the header has {header}"),
    ))
}

/// Parses CSV text; `file` names it in errors.
pub fn parse_csv(file: &str, text: &str) -> Result<CsvTable, DataError> {
    let (mut reader, headers) = reader(file, text)?;
    if headers.len() < 2 {
        return Err(DataError::at(
            file,
            1,
            "header",
            "need a time column and at least one value column",
        ));
    }
    let mut times = Vec::new();
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| row_error(file, &e))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        check_fields(file, line, record.len(), headers.len())?;
        let raw = record.get(0).unwrap_or("");
        let t = DateTime::parse_from_rfc3339(raw).map_err(|_| {
            DataError::at(
                file,
                line,
                &headers[0],
                format!("'{raw}' is not an ISO 8601 timestamp with offset, e.g. 2025-01-01T00:00:00+08:00"),
            )
        })?;
        times.push(t);
        rows.push(record.iter().skip(1).map(str::to_string).collect());
        lines.push(line);
    }
    if times.len() < 2 {
        return Err(DataError::at(
            file,
            2,
            &headers[0],
            "the file has fewer than two rows",
        ));
    }
    let step = times[1] - times[0];
    let step_min = u32::try_from(step.num_minutes()).unwrap_or(0);
    if step_min == 0 || step.num_seconds() % 60 != 0 || 60 % step_min != 0 && step_min % 60 != 0 {
        return Err(DataError::at(
            file,
            lines[1],
            &headers[0],
            format!(
                "the first step is {} s; rows must be evenly spaced in minutes that divide the hour",
                step.num_seconds()
            ),
        ));
    }
    for k in 1..times.len() {
        if times[k] - times[k - 1] != step {
            return Err(DataError::at(
                file,
                lines[k],
                &headers[0],
                format!(
                    "time {} does not follow {} by the file's step of {step_min} min",
                    times[k],
                    times[k - 1]
                ),
            ));
        }
    }
    Ok(CsvTable {
        file: file.to_string(),
        headers,
        times,
        step_min,
        rows,
        lines,
    })
}

impl CsvTable {
    /// The column names, the time column first.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// True when the file has a column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.headers.iter().skip(1).any(|h| h == name)
    }

    /// The values of column `name` as finite numbers.
    pub fn column(&self, name: &str) -> Result<Vec<f64>, DataError> {
        let Some(idx) = self.headers.iter().skip(1).position(|h| h == name) else {
            return Err(DataError::at(
                &self.file,
                1,
                name,
                format!(
                    "no such column; the file has: {}",
                    self.headers[1..].join(", ")
                ),
            ));
        };
        self.rows
            .iter()
            .zip(&self.lines)
            .map(|(row, &line)| {
                let raw = row.get(idx).map_or("", String::as_str);
                raw.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        DataError::at(
                            &self.file,
                            line,
                            name,
                            format!("'{raw}' is not a finite number"),
                        )
                    })
            })
            .collect()
    }

    /// The values of column `name`, each within `lo ..= hi`; `what` says in the message what the
    /// column is (e.g. "a demand or an availability").
    pub fn column_within(
        &self,
        name: &str,
        lo: f64,
        hi: f64,
        what: &str,
    ) -> Result<Vec<f64>, DataError> {
        let values = self.column(name)?;
        if let Some(k) = values.iter().position(|v| !(lo..=hi).contains(v)) {
            let line = self.lines.get(k).copied().unwrap_or(0);
            return Err(DataError::at(
                &self.file,
                line,
                name,
                format!("{} is outside {lo}…{hi}: {what}", values[k]),
            ));
        }
        Ok(values)
    }

    /// Checks that the table starts at `start` and has `n` rows of `step_min` minutes.
    pub fn check_axis(
        &self,
        start: DateTime<FixedOffset>,
        step_min: u32,
        n: usize,
    ) -> Result<(), DataError> {
        let time_col = self.headers[0].as_str();
        if self.step_min != step_min {
            return Err(DataError::at(
                &self.file,
                self.lines.get(1).copied().unwrap_or(2),
                time_col,
                format!(
                    "rows are {} min apart; the park's time step is {step_min} min",
                    self.step_min
                ),
            ));
        }
        if self.times[0] != start {
            return Err(DataError::at(
                &self.file,
                self.lines[0],
                time_col,
                format!(
                    "the first row is at {}; the park's year starts at {start}",
                    self.times[0]
                ),
            ));
        }
        if self.times.len() != n {
            return Err(DataError::at(
                &self.file,
                self.lines.last().copied().unwrap_or(0),
                time_col,
                format!("{} rows; the park's year has {n} steps", self.times.len()),
            ));
        }
        Ok(())
    }
}

/// Where a CSV weather file's site is (the file has no location of its own).
#[derive(Debug, Clone, Copy)]
pub struct CsvSite {
    /// Latitude, degrees north.
    pub latitude_deg: f64,
    /// Longitude, degrees east.
    pub longitude_deg: f64,
    /// Elevation, m.
    pub elevation_m: f64,
}

/// A weather series from a CSV table.
pub fn weather_from_csv(table: &CsvTable, site: CsvSite) -> Result<WeatherSeries, WeatherCsvError> {
    let ghi = table.column("ghi_w_per_m2")?;
    let t_air = table.column("t_air_c")?;
    let wind = table.column("wind_m_per_s")?;
    let n = ghi.len();
    let pressure = if table.has("pressure_pa") {
        table.column("pressure_pa")?
    } else {
        vec![pressure_at_elevation_pa(site.elevation_m); n]
    };
    let mut series = WeatherSeries {
        latitude_deg: site.latitude_deg,
        longitude_deg: site.longitude_deg,
        elevation_m: site.elevation_m,
        step_min: table.step_min,
        times: table.times.clone(),
        t_air_c: t_air,
        pressure_pa: pressure,
        ghi_w_per_m2: ghi,
        dni_w_per_m2: vec![0.0; n],
        dhi_w_per_m2: vec![0.0; n],
        wind_m_per_s: wind,
        wind_height_m: 10.0,
    };
    match (table.has("dni_w_per_m2"), table.has("dhi_w_per_m2")) {
        (true, true) => {
            series.dni_w_per_m2 = table.column("dni_w_per_m2")?;
            series.dhi_w_per_m2 = table.column("dhi_w_per_m2")?;
        }
        (false, false) => {
            for i in 0..n {
                let t = series.mid(i);
                let sun = sun_position(
                    &t,
                    site.latitude_deg,
                    site.longitude_deg,
                    site.elevation_m,
                    series.pressure_pa[i],
                    series.t_air_c[i],
                )?;
                let (dni, dhi) = erbs(
                    series.ghi_w_per_m2[i],
                    sun.apparent_zenith_deg,
                    extraterrestrial_at(&t),
                );
                series.dni_w_per_m2[i] = dni;
                series.dhi_w_per_m2[i] = dhi;
            }
        }
        _ => {
            return Err(DataError::at(
                &table.file,
                1,
                "dni_w_per_m2",
                "give both dni_w_per_m2 and dhi_w_per_m2, or neither (then they are split from GHI)",
            )
            .into());
        }
    }
    for (name, values, lo, hi) in [
        ("ghi_w_per_m2", &series.ghi_w_per_m2, 0.0, 1600.0),
        ("t_air_c", &series.t_air_c, -70.0, 70.0),
        ("wind_m_per_s", &series.wind_m_per_s, 0.0, 60.0),
        ("pressure_pa", &series.pressure_pa, 31_000.0, 120_000.0),
    ] {
        if let Some(k) = values.iter().position(|v| !(lo..=hi).contains(v)) {
            return Err(DataError::at(
                &table.file,
                table.lines[k],
                name,
                format!("{} is outside {lo}–{hi}", values[k]),
            )
            .into());
        }
    }
    Ok(series)
}

/// Why a CSV weather file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WeatherCsvError {
    /// A data problem.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Solar geometry failed.
    #[error(transparent)]
    Solar(#[from] SolarError),
}
