//! Where the sun is: NREL SPA (through the `solar-positioning` crate), extraterrestrial
//! irradiance and air mass.

use chrono::{DateTime, Datelike, FixedOffset};
use solar_positioning::{Location, RefractionCorrection, SolarPositions};

/// ΔT = TT − UT1 in seconds used for solar positions (the value NREL's SPA report and pvlib use by
/// default; within a few seconds of the true value for 2000–2030, i.e. < 0.001° of sun position).
pub const DELTA_T_S: f64 = 67.0;

/// Solar constant of the Spencer extraterrestrial model, W/m².
pub const SOLAR_CONSTANT_W_PER_M2: f64 = 1366.1;

/// The sun seen from a site at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SunPosition {
    /// Topocentric zenith angle without refraction, degrees.
    pub zenith_deg: f64,
    /// Zenith angle corrected for atmospheric refraction, degrees.
    pub apparent_zenith_deg: f64,
    /// Azimuth, degrees clockwise from north.
    pub azimuth_deg: f64,
}

/// An error of the solar-position algorithm (a time or place outside its range).
#[derive(Debug, thiserror::Error)]
#[error("solar position: {0}")]
pub struct SolarError(String);

/// The sun at `time` for a site, with refraction for `pressure_pa` and `t_air_c`.
pub fn sun_position(
    time: &DateTime<FixedOffset>,
    latitude_deg: f64,
    longitude_deg: f64,
    elevation_m: f64,
    pressure_pa: f64,
    t_air_c: f64,
) -> Result<SunPosition, SolarError> {
    let location = Location {
        latitude: latitude_deg,
        longitude: longitude_deg,
    };
    let prepared = SolarPositions::new()
        .for_time(time, DELTA_T_S)
        .map_err(|e| SolarError(e.to_string()))?;
    let geometric = prepared
        .at(location, elevation_m, None)
        .map_err(|e| SolarError(e.to_string()))?;
    let refraction = RefractionCorrection::new(pressure_pa / 100.0, t_air_c)
        .map_err(|e| SolarError(e.to_string()))?;
    let apparent = prepared
        .at(location, elevation_m, Some(refraction))
        .map_err(|e| SolarError(e.to_string()))?;
    Ok(SunPosition {
        zenith_deg: geometric.zenith_angle(),
        apparent_zenith_deg: apparent.zenith_angle(),
        azimuth_deg: geometric.azimuth(),
    })
}

/// `f(0), …, f(n − 1)` computed on the machine's cores (scoped threads over contiguous chunks,
/// results in order); the first error, if any.
///
/// # Errors
/// The error of the first failing index of the first failing chunk.
pub fn each_parallel<T: Send, E: Send>(
    n: usize,
    f: impl Fn(usize) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(8);
    // Small jobs are not worth a thread.
    if threads < 2 || n < 2048 {
        return (0..n).map(&f).collect();
    }
    let chunk = n.div_ceil(threads);
    let f = &f;
    let parts: Vec<Result<Vec<T>, E>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| scope.spawn(move || (start..(start + chunk).min(n)).map(f).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut out = Vec::with_capacity(n);
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// Extraterrestrial normal irradiance on day-of-year `doy` (1–366), Spencer (1971), W/m².
pub fn extraterrestrial_w_per_m2(doy: u32) -> f64 {
    let b = 2.0 * std::f64::consts::PI * (f64::from(doy) - 1.0) / 365.0;
    let r = 1.00011
        + 0.034221 * b.cos()
        + 0.00128 * b.sin()
        + 0.000719 * (2.0 * b).cos()
        + 0.000077 * (2.0 * b).sin();
    SOLAR_CONSTANT_W_PER_M2 * r
}

/// Extraterrestrial normal irradiance at `time` (its day of year).
pub fn extraterrestrial_at(time: &DateTime<FixedOffset>) -> f64 {
    extraterrestrial_w_per_m2(time.ordinal())
}

/// Relative optical air mass, Kasten & Young (1989); `None` with the sun below the horizon.
pub fn relative_airmass(apparent_zenith_deg: f64) -> Option<f64> {
    if apparent_zenith_deg > 90.0 {
        return None;
    }
    let z = apparent_zenith_deg;
    Some(1.0 / (z.to_radians().cos() + 0.50572 * (96.07995 - z).powf(-1.6364)))
}

/// Standard-atmosphere pressure at `elevation_m`, Pa.
pub fn pressure_at_elevation_pa(elevation_m: f64) -> f64 {
    101_325.0 * (1.0 - 2.25577e-5 * elevation_m).powf(5.25588)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of NREL's SPA report (Reda & Andreas 2008, table A4.1).
    #[test]
    fn nrel_spa_report_example() {
        let time: DateTime<FixedOffset> = "2003-10-17T12:30:30-07:00".parse().unwrap_or_default();
        let location = Location {
            latitude: 39.742476,
            longitude: -105.1786,
        };
        let refraction = RefractionCorrection::new(820.0, 11.0).ok();
        let pos = SolarPositions::new()
            .at(&time, location, 1830.14, 67.0, refraction)
            .map_err(|e| e.to_string());
        let pos = pos.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            (pos.zenith_angle() - 50.11162).abs() < 1e-4,
            "zenith {}",
            pos.zenith_angle()
        );
        assert!(
            (pos.azimuth() - 194.34024).abs() < 1e-4,
            "azimuth {}",
            pos.azimuth()
        );
        let ours = sun_position(&time, 39.742476, -105.1786, 1830.14, 82_000.0, 11.0)
            .map_err(|e| e.to_string());
        let ours = ours.unwrap_or_else(|e| panic!("{e}"));
        assert!((ours.apparent_zenith_deg - 50.11162).abs() < 1e-4);
        assert!((ours.azimuth_deg - 194.34024).abs() < 1e-4);
    }

    #[test]
    fn airmass_and_extraterrestrial() {
        assert!((relative_airmass(0.0).unwrap_or(0.0) - 1.0).abs() < 1e-3);
        assert!((relative_airmass(60.0).unwrap_or(0.0) - 1.995).abs() < 0.01);
        assert_eq!(relative_airmass(91.0), None);
        assert!((extraterrestrial_w_per_m2(1) - 1413.98).abs() < 0.05);
        assert!((pressure_at_elevation_pa(0.0) - 101_325.0).abs() < 1e-6);
    }
}
