//! EnergyPlus weather (EPW) files.
//!
//! Eight header lines (the first, `LOCATION`, gives latitude, longitude, time zone and elevation),
//! then 8760 hourly rows (8784 with 29 February) of 35 comma-separated fields. Hour `h` (1–24) of a row is the hour
//! *ending* at `h:00` local standard time, so its values are averages over `[h-1, h)`; this reader
//! stamps each row with the start of that hour. Missing-value codes (99.9 °C, 999999 Pa, 9999 W/m²,
//! 999 m/s) are filled by linear interpolation over gaps of up to six hours; a longer gap is an
//! error naming its first row.

use chrono::{FixedOffset, NaiveDate, TimeZone as _};

use crate::weather::{DataError, WeatherSeries};

/// Number of hourly rows in an EPW year.
pub const EPW_ROWS: usize = 8760;
const HEADER_LINES: usize = 8;
const FIELDS: usize = 35;
const MAX_GAP_H: usize = 6;

/// The EPW fields parkgrid reads: (index, name, lowest valid, highest valid, missing code).
const COLUMNS: [(usize, &str, f64, f64, f64); 7] = [
    (6, "dry_bulb_c", -70.0, 70.0, 99.9),
    (9, "pressure_pa", 31_000.0, 120_000.0, 999_999.0),
    (13, "ghi_w_per_m2", 0.0, 1_600.0, 9_999.0),
    (14, "dni_w_per_m2", 0.0, 1_600.0, 9_999.0),
    (15, "dhi_w_per_m2", 0.0, 1_000.0, 9_999.0),
    (20, "wind_dir_deg", 0.0, 360.0, 999.0),
    (21, "wind_m_per_s", 0.0, 40.0, 999.0),
];

/// The site of an EPW file, from its `LOCATION` line.
#[derive(Debug, Clone, PartialEq)]
pub struct EpwLocation {
    /// City as written in the file.
    pub city: String,
    /// Latitude, degrees north.
    pub latitude_deg: f64,
    /// Longitude, degrees east.
    pub longitude_deg: f64,
    /// Offset of local standard time from UTC, hours.
    pub tz_hours: f64,
    /// Elevation, m.
    pub elevation_m: f64,
}

/// A parsed EPW file.
#[derive(Debug, Clone)]
pub struct Epw {
    /// The site.
    pub location: EpwLocation,
    /// `(month, day, hour)` of each row, hour 1–24.
    pub stamps: Vec<(u32, u32, u32)>,
    /// Dry-bulb temperature, °C.
    pub t_air_c: Vec<f64>,
    /// Station pressure, Pa.
    pub pressure_pa: Vec<f64>,
    /// GHI, W/m².
    pub ghi_w_per_m2: Vec<f64>,
    /// DNI, W/m².
    pub dni_w_per_m2: Vec<f64>,
    /// DHI, W/m².
    pub dhi_w_per_m2: Vec<f64>,
    /// Wind direction, degrees.
    pub wind_dir_deg: Vec<f64>,
    /// Wind speed at 10 m, m/s.
    pub wind_m_per_s: Vec<f64>,
}

/// Parses EPW text; `file` names it in errors.
pub fn parse_epw(file: &str, text: &str) -> Result<Epw, DataError> {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    let location = parse_location(file, first)?;
    for n in 2..=HEADER_LINES {
        if lines.next().is_none() {
            return Err(DataError::at(
                file,
                n,
                "header",
                "the file ends inside the 8 header lines",
            ));
        }
    }
    let mut stamps = Vec::with_capacity(EPW_ROWS);
    let mut cols: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(EPW_ROWS); COLUMNS.len()];
    for (k, line) in lines.enumerate() {
        let line_no = HEADER_LINES + k + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() < FIELDS - 1 {
            return Err(DataError::at(
                file,
                line_no,
                "row",
                format!("expected {FIELDS} fields, found {}", fields.len()),
            ));
        }
        let int = |i: usize, name: &str| -> Result<u32, DataError> {
            fields[i].trim().parse::<u32>().map_err(|_| {
                DataError::at(
                    file,
                    line_no,
                    name,
                    format!("'{}' is not a whole number", fields[i].trim()),
                )
            })
        };
        let (month, day, hour) = (int(1, "month")?, int(2, "day")?, int(3, "hour")?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1..=24).contains(&hour) {
            return Err(DataError::at(
                file,
                line_no,
                "hour",
                format!("no such time: month {month}, day {day}, hour {hour}"),
            ));
        }
        if let Some(&(pm, pd, ph)) = stamps.last() {
            let next = if ph < 24 { (pm, pd, ph + 1) } else { (0, 0, 1) };
            let ok = if ph < 24 {
                (month, day, hour) == next
            } else {
                hour == 1 && (month, day) > (pm, pd)
            };
            if !ok {
                return Err(DataError::at(
                    file,
                    line_no,
                    "hour",
                    format!(
                        "time does not follow the previous row ({pm}/{pd} hour {ph} then {month}/{day} hour {hour})"
                    ),
                ));
            }
        }
        stamps.push((month, day, hour));
        for (c, &(idx, name, lo, hi, missing)) in COLUMNS.iter().enumerate() {
            let raw = fields.get(idx).map_or("", |s| s.trim());
            let v: f64 = raw.parse().map_err(|_| {
                DataError::at(file, line_no, name, format!("'{raw}' is not a number"))
            })?;
            if !v.is_finite() {
                return Err(DataError::at(
                    file,
                    line_no,
                    name,
                    format!("'{raw}' is not a finite number"),
                ));
            }
            if v >= missing {
                cols[c].push(None);
            } else if v < lo || v > hi {
                return Err(DataError::at(
                    file,
                    line_no,
                    name,
                    format!("{v} is outside {lo}–{hi}"),
                ));
            } else {
                cols[c].push(Some(v));
            }
        }
    }
    let leap_rows = stamps
        .iter()
        .filter(|&&(m, d, _)| (m, d) == (2, 29))
        .count();
    let rows_ok = stamps.len() == EPW_ROWS && leap_rows == 0
        || stamps.len() == EPW_ROWS + 24 && leap_rows == 24;
    if !rows_ok {
        return Err(DataError::at(
            file,
            HEADER_LINES + stamps.len(),
            "row",
            format!(
                "an EPW year has {EPW_ROWS} hourly rows ({} with 29 February), this file has {} \
                 ({leap_rows} of them on 29 February)",
                EPW_ROWS + 24,
                stamps.len()
            ),
        ));
    }
    let mut filled = Vec::with_capacity(COLUMNS.len());
    for (c, col) in cols.into_iter().enumerate() {
        filled.push(fill_gaps(file, COLUMNS[c].1, col)?);
    }
    let mut it = filled.into_iter();
    let mut next = || it.next().unwrap_or_default();
    Ok(Epw {
        location,
        stamps,
        t_air_c: next(),
        pressure_pa: next(),
        ghi_w_per_m2: next(),
        dni_w_per_m2: next(),
        dhi_w_per_m2: next(),
        wind_dir_deg: next(),
        wind_m_per_s: next(),
    })
}

fn parse_location(file: &str, line: &str) -> Result<EpwLocation, DataError> {
    let f: Vec<&str> = line.split(',').map(str::trim).collect();
    if f.first() != Some(&"LOCATION") || f.len() < 10 {
        return Err(DataError::at(
            file,
            1,
            "LOCATION",
            "the first line is not an EPW LOCATION line",
        ));
    }
    let num = |i: usize, name: &str| -> Result<f64, DataError> {
        f[i].parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| DataError::at(file, 1, name, format!("'{}' is not a number", f[i])))
    };
    let loc = EpwLocation {
        city: f[1].to_string(),
        latitude_deg: num(6, "latitude")?,
        longitude_deg: num(7, "longitude")?,
        tz_hours: num(8, "time zone")?,
        elevation_m: num(9, "elevation")?,
    };
    if !(-90.0..=90.0).contains(&loc.latitude_deg) || !(-180.0..=180.0).contains(&loc.longitude_deg)
    {
        return Err(DataError::at(
            file,
            1,
            "latitude",
            "latitude or longitude out of range",
        ));
    }
    if !(-12.0..=14.0).contains(&loc.tz_hours) {
        return Err(DataError::at(
            file,
            1,
            "time zone",
            format!("{} h is not a UTC offset", loc.tz_hours),
        ));
    }
    Ok(loc)
}

/// Fills `None` runs of up to [`MAX_GAP_H`] by linear interpolation (ends: nearest value).
fn fill_gaps(file: &str, name: &str, col: Vec<Option<f64>>) -> Result<Vec<f64>, DataError> {
    let n = col.len();
    let mut out = vec![0.0; n];
    let mut i = 0;
    while i < n {
        if let Some(v) = col[i] {
            out[i] = v;
            i += 1;
            continue;
        }
        let start = i;
        while i < n && col[i].is_none() {
            i += 1;
        }
        let len = i - start;
        if len > MAX_GAP_H {
            return Err(DataError::at(
                file,
                HEADER_LINES + start + 1,
                name,
                format!("{len} consecutive hours are missing (at most {MAX_GAP_H} are filled)"),
            ));
        }
        let before = start.checked_sub(1).and_then(|k| col[k]);
        let after = col.get(i).copied().flatten();
        for (k, slot) in out[start..i].iter_mut().enumerate() {
            let frac = (k + 1) as f64 / (len + 1) as f64;
            *slot = match (before, after) {
                (Some(a), Some(b)) => a + (b - a) * frac,
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (None, None) => 0.0,
            };
        }
    }
    Ok(out)
}

impl Epw {
    /// The weather as a series stamped in `year`. The rows are a typical year's: a file with 29
    /// February simulated in a common year drops that day; a file without it simulated in a leap
    /// year repeats 28 February as 29 February (the usual way to stretch a typical year).
    pub fn to_series(&self, year: i32, file: &str) -> Result<WeatherSeries, DataError> {
        let offset = FixedOffset::east_opt((self.location.tz_hours * 3600.0).round() as i32)
            .ok_or_else(|| DataError::at(file, 1, "time zone", "not a valid UTC offset"))?;
        let leap = NaiveDate::from_ymd_opt(year, 2, 29).is_some();
        // (row of the file, month, day, hour) of each step of the series.
        let mut rows: Vec<(usize, u32, u32, u32)> = Vec::with_capacity(EPW_ROWS + 24);
        for (k, &(m, d, h)) in self.stamps.iter().enumerate() {
            if (m, d) == (2, 29) && !leap {
                continue;
            }
            rows.push((k, m, d, h));
            let has_29 = self.stamps.len() > EPW_ROWS;
            if leap && !has_29 && (m, d, h) == (2, 28, 24) && rows.len() >= 24 {
                let day: Vec<(usize, u32, u32, u32)> = rows[rows.len() - 24..]
                    .iter()
                    .map(|&(src, _, _, hh)| (src, 2, 29, hh))
                    .collect();
                rows.extend(day);
            }
        }
        let mut times = Vec::with_capacity(rows.len());
        for &(k, m, d, h) in &rows {
            let date = NaiveDate::from_ymd_opt(year, m, d).ok_or_else(|| {
                DataError::at(
                    file,
                    HEADER_LINES + k + 1,
                    "day",
                    format!("{year}-{m:02}-{d:02} does not exist"),
                )
            })?;
            let local = date.and_hms_opt(h - 1, 0, 0).unwrap_or_default();
            let t = offset.from_local_datetime(&local).single().ok_or_else(|| {
                DataError::at(file, HEADER_LINES + k + 1, "hour", "ambiguous local time")
            })?;
            times.push(t);
        }
        let pick = |v: &[f64]| rows.iter().map(|&(k, ..)| v[k]).collect::<Vec<f64>>();
        Ok(WeatherSeries {
            latitude_deg: self.location.latitude_deg,
            longitude_deg: self.location.longitude_deg,
            elevation_m: self.location.elevation_m,
            step_min: 60,
            times,
            t_air_c: pick(&self.t_air_c),
            pressure_pa: pick(&self.pressure_pa),
            ghi_w_per_m2: pick(&self.ghi_w_per_m2),
            dni_w_per_m2: pick(&self.dni_w_per_m2),
            dhi_w_per_m2: pick(&self.dhi_w_per_m2),
            wind_m_per_s: pick(&self.wind_m_per_s),
            wind_height_m: 10.0,
        })
    }
}
