//! A weather time series and the errors of reading one.

use chrono::{DateTime, Duration, FixedOffset};

/// Weather on a regular time axis. Each value is the mean over its step, which starts at
/// `times[i]` and lasts `step_min` minutes.
#[derive(Debug, Clone, PartialEq)]
pub struct WeatherSeries {
    /// Latitude of the weather data in degrees north (for solar geometry).
    pub latitude_deg: f64,
    /// Longitude in degrees east.
    pub longitude_deg: f64,
    /// Elevation in m.
    pub elevation_m: f64,
    /// Step length in minutes.
    pub step_min: u32,
    /// Start of each step.
    pub times: Vec<DateTime<FixedOffset>>,
    /// Air temperature at 2 m, °C.
    pub t_air_c: Vec<f64>,
    /// Station pressure, Pa.
    pub pressure_pa: Vec<f64>,
    /// Global horizontal irradiance, W/m².
    pub ghi_w_per_m2: Vec<f64>,
    /// Direct normal irradiance, W/m².
    pub dni_w_per_m2: Vec<f64>,
    /// Diffuse horizontal irradiance, W/m².
    pub dhi_w_per_m2: Vec<f64>,
    /// Wind speed at `wind_height_m`, m/s.
    pub wind_m_per_s: Vec<f64>,
    /// Height of the wind measurement, m (10 m for EPW and the synthetic year).
    pub wind_height_m: f64,
}

impl WeatherSeries {
    /// Number of steps.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// True for an empty series.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Middle of step `i`, where solar geometry is evaluated.
    pub fn mid(&self, i: usize) -> DateTime<FixedOffset> {
        self.times[i] + Duration::seconds(i64::from(self.step_min) * 30)
    }

    /// Step length in hours.
    pub fn step_h(&self) -> f64 {
        f64::from(self.step_min) / 60.0
    }

    /// The same site's weather on other steps: `times` and `step_min` given, every value series
    /// carried over by `f` (resampling, slicing).
    pub fn remapped(
        &self,
        times: Vec<DateTime<FixedOffset>>,
        step_min: u32,
        f: impl Fn(&[f64]) -> Vec<f64>,
    ) -> Self {
        Self {
            latitude_deg: self.latitude_deg,
            longitude_deg: self.longitude_deg,
            elevation_m: self.elevation_m,
            step_min,
            times,
            t_air_c: f(&self.t_air_c),
            pressure_pa: f(&self.pressure_pa),
            ghi_w_per_m2: f(&self.ghi_w_per_m2),
            dni_w_per_m2: f(&self.dni_w_per_m2),
            dhi_w_per_m2: f(&self.dhi_w_per_m2),
            wind_m_per_s: f(&self.wind_m_per_s),
            wind_height_m: self.wind_height_m,
        }
    }
}

/// A weather or profile file that cannot be used, with the place of the problem.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be read.
    #[error("cannot read '{path}': {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A value or row is wrong.
    #[error("{file}:{line}: column '{column}': {message}")]
    Value {
        /// The file.
        file: String,
        /// 1-based line in the file (0 when the problem is the file as a whole).
        line: usize,
        /// The column name.
        column: String,
        /// What is wrong.
        message: String,
    },
}

impl DataError {
    /// A problem at `line` and `column` of `file`.
    pub fn at(file: &str, line: usize, column: &str, message: impl Into<String>) -> Self {
        Self::Value {
            file: file.to_string(),
            line,
            column: column.to_string(),
            message: message.into(),
        }
    }
}

/// Reads a whole file as UTF-8 text.
pub fn read_text(path: &std::path::Path) -> Result<String, DataError> {
    parkgrid_model::read_text_file(path).map_err(|source| DataError::Io {
        path: path.display().to_string(),
        source,
    })
}
