//! A synthetic weather year from a monthly climate table, deterministic for a seed.
//!
//! - Irradiance: clear-sky GHI (Ineichen–Perez with the month's Linke turbidity) scaled by a daily
//!   clearness factor (AR(1) day-to-day noise), rescaled so that each month's sum equals the
//!   table; DNI and DHI from the Erbs split.
//! - Temperature: the monthly means interpolated between mid-months, an AR(1) daily anomaly
//!   (σ 2.5 K, lag-1 0.7), a diurnal cycle of ±3.5 K with its minimum at 06:30 and maximum at
//!   14:30; each month shifted to its table mean.
//! - Wind at 10 m: a latent Gaussian AR(1) process (hourly lag-1 0.97) mapped to a Weibull
//!   distribution (shape 1.3), a diurnal cycle peaking at 14:00, each month scaled to its table
//!   mean. The same latent process drives wind farms with their own resource
//!   ([`SyntheticWeather::farm_wind`]), so park and farm winds are correlated.
//! - Pressure: the standard atmosphere at the site's elevation.

use chrono::{Datelike, FixedOffset, Timelike};
use parkgrid_model::TimeAxis;
use parkgrid_model::weather::MonthlyClimate;

use crate::irradiance::{clear_sky_ghi, erbs};
use crate::rng::{Rng, gamma, normal_cdf, weibull_quantile};
use crate::solar::{SolarError, extraterrestrial_at, pressure_at_elevation_pa, sun_position};
use crate::weather::WeatherSeries;

const T_ANOMALY_SD_K: f64 = 2.5;
const T_ANOMALY_LAG1: f64 = 0.7;
const T_DIURNAL_AMPLITUDE_K: f64 = 3.5;
const CLEARNESS_SD: f64 = 0.35;
const CLEARNESS_LAG1: f64 = 0.3;
const WIND_LAG1_PER_HOUR: f64 = 0.97;
const WIND_WEIBULL_K: f64 = 1.3;
const WIND_DIURNAL: f64 = 0.25;

/// A synthetic year: the weather, and the latent wind process for farms with their own resource.
#[derive(Debug, Clone)]
pub struct SyntheticWeather {
    /// The weather on the park's time axis.
    pub series: WeatherSeries,
    /// Standard-normal AR(1) process behind the 10 m wind, one value per step.
    pub wind_latent: Vec<f64>,
}

/// Site data the generator needs.
#[derive(Debug, Clone, Copy)]
pub struct SiteInfo {
    /// Latitude, degrees north.
    pub latitude_deg: f64,
    /// Longitude, degrees east.
    pub longitude_deg: f64,
    /// Elevation, m.
    pub elevation_m: f64,
}

/// Value of a monthly quantity on day-of-year `doy` of a year with `n_days`, interpolated
/// linearly between mid-months (cyclic over the new year).
pub fn daily_from_monthly(monthly: &[f64; 12], doy: usize, n_days: usize) -> f64 {
    let day = doy as f64 + 0.5;
    let mid = |m: usize| (m as f64 + 0.5) * n_days as f64 / 12.0;
    let pos = (0..12).rev().find(|&m| mid(m) <= day);
    let (a, b, frac) = match pos {
        Some(11) => (11, 0, (day - mid(11)) / (n_days as f64 - mid(11) + mid(0))),
        Some(m) => (m, m + 1, (day - mid(m)) / (mid(m + 1) - mid(m))),
        None => (
            11,
            0,
            (day + n_days as f64 - mid(11)) / (n_days as f64 - mid(11) + mid(0)),
        ),
    };
    monthly[a] + (monthly[b] - monthly[a]) * frac
}

fn column(climate: &[MonthlyClimate], f: impl Fn(&MonthlyClimate) -> f64) -> [f64; 12] {
    let mut out = [0.0; 12];
    for m in climate {
        if (1..=12).contains(&m.month) {
            out[m.month as usize - 1] = f(m);
        }
    }
    out
}

/// Generates the year on `axis` for `site` from `climate` (twelve months).
pub fn synthetic_year(
    site: SiteInfo,
    axis: &TimeAxis,
    climate: &[MonthlyClimate],
    seed: u64,
) -> Result<SyntheticWeather, SolarError> {
    let n = axis.n_steps;
    let step_h = axis.step_h();
    let steps_per_day = 24 * axis.steps_per_hour();
    let n_days = axis.n_days().max(1);
    let mut rng = Rng::new(seed);
    let t_mean = column(climate, |m| m.t_mean_c);
    let ghi_month = column(climate, |m| m.ghi_kwh_per_m2);
    let wind_month = column(climate, |m| m.wind_10m_m_per_s);
    let linke = column(climate, |m| m.linke_turbidity);
    let pressure = pressure_at_elevation_pa(site.elevation_m);

    let times: Vec<chrono::DateTime<FixedOffset>> =
        (0..n).map(|i| axis.time(i).fixed_offset()).collect();
    let month_of: Vec<usize> = times.iter().map(|t| t.month0() as usize).collect();
    let day_of = |i: usize| (i / steps_per_day).min(n_days - 1);
    let hour_of = |i: usize| {
        let t = times[i];
        f64::from(t.hour()) + f64::from(t.minute()) / 60.0 + step_h / 2.0
    };

    // Temperature.
    let mut anomaly = vec![0.0; n_days];
    let mut a = 0.0;
    for slot in &mut anomaly {
        a = T_ANOMALY_LAG1 * a
            + T_ANOMALY_SD_K * (1.0 - T_ANOMALY_LAG1 * T_ANOMALY_LAG1).sqrt() * rng.normal();
        *slot = a;
    }
    let mut t_air: Vec<f64> = (0..n)
        .map(|i| {
            let h = hour_of(i);
            let shape = if (6.5..14.5).contains(&h) {
                -(std::f64::consts::PI * (h - 6.5) / 8.0).cos()
            } else {
                let hh = (h - 14.5).rem_euclid(24.0);
                (std::f64::consts::PI * hh / 16.0).cos()
            };
            daily_from_monthly(&t_mean, day_of(i), n_days)
                + anomaly[day_of(i)]
                + T_DIURNAL_AMPLITUDE_K * shape
        })
        .collect();
    match_monthly_mean(&mut t_air, &month_of, &t_mean, true);

    // Irradiance: clear sky, then daily clearness scaled to the monthly sums.
    let mut clear = vec![0.0; n];
    let mut zenith = vec![90.0; n];
    let mut dni_extra = vec![0.0; n];
    let mids: Vec<chrono::DateTime<FixedOffset>> = times
        .iter()
        .map(|t| *t + chrono::Duration::seconds((step_h * 1800.0) as i64))
        .collect();
    // The solar positions of the year, on every core: each step is independent and the
    // algorithm is the bulk of a year's profiles.
    let suns = crate::solar::each_parallel(n, |i| {
        sun_position(
            &mids[i],
            site.latitude_deg,
            site.longitude_deg,
            site.elevation_m,
            pressure,
            t_air[i],
        )
    })?;
    for i in 0..n {
        let mid = mids[i];
        let sun = suns[i];
        zenith[i] = sun.apparent_zenith_deg;
        dni_extra[i] = extraterrestrial_at(&mid);
        let tl = daily_from_monthly(&linke, day_of(i), n_days);
        clear[i] = clear_sky_ghi(sun.apparent_zenith_deg, tl, site.elevation_m, dni_extra[i]);
    }
    let mut clear_day = vec![0.0; n_days];
    for (i, c) in clear.iter().enumerate() {
        clear_day[day_of(i)] += c * step_h / 1000.0;
    }
    let mut factor = vec![0.0; n_days];
    let mut x = 0.0;
    for f in &mut factor {
        x = CLEARNESS_LAG1 * x + (1.0 - CLEARNESS_LAG1 * CLEARNESS_LAG1).sqrt() * rng.normal();
        *f = (1.0 + CLEARNESS_SD * x).clamp(0.1, 1.6);
    }
    let day_month: Vec<usize> = (0..n_days)
        .map(|d| month_of[(d * steps_per_day).min(n - 1)])
        .collect();
    for (m, &target) in ghi_month.iter().enumerate() {
        let days: Vec<usize> = (0..n_days).filter(|&d| day_month[d] == m).collect();
        for _ in 0..50 {
            let sum: f64 = days.iter().map(|&d| factor[d] * clear_day[d]).sum();
            if sum <= 0.0 || (sum - target).abs() < 1e-9 * target.max(1.0) {
                break;
            }
            let r = target / sum;
            for &d in &days {
                factor[d] = (factor[d] * r).min(1.0);
            }
        }
    }
    let mut ghi = vec![0.0; n];
    let mut dni = vec![0.0; n];
    let mut dhi = vec![0.0; n];
    for i in 0..n {
        ghi[i] = clear[i] * factor[day_of(i)];
        let (b, d) = erbs(ghi[i], zenith[i], dni_extra[i]);
        dni[i] = b;
        dhi[i] = d;
    }

    // Wind.
    let lag = WIND_LAG1_PER_HOUR.powf(step_h);
    let mut z = 0.0;
    let wind_latent: Vec<f64> = (0..n)
        .map(|_| {
            z = lag * z + (1.0 - lag * lag).sqrt() * rng.normal();
            z
        })
        .collect();
    let mut wind: Vec<f64> = (0..n)
        .map(|i| {
            let diurnal = 1.0
                + WIND_DIURNAL * (2.0 * std::f64::consts::PI * (hour_of(i) - 14.0) / 24.0).cos();
            weibull_quantile(normal_cdf(wind_latent[i]), WIND_WEIBULL_K, 1.0) * diurnal
        })
        .collect();
    match_monthly_mean(&mut wind, &month_of, &wind_month, false);

    Ok(SyntheticWeather {
        series: WeatherSeries {
            latitude_deg: site.latitude_deg,
            longitude_deg: site.longitude_deg,
            elevation_m: site.elevation_m,
            step_min: axis.step_min,
            times,
            t_air_c: t_air,
            pressure_pa: vec![pressure; n],
            ghi_w_per_m2: ghi,
            dni_w_per_m2: dni,
            dhi_w_per_m2: dhi,
            wind_m_per_s: wind,
            wind_height_m: 10.0,
        },
        wind_latent,
    })
}

/// Shifts (`additive`) or scales each month so its mean equals `target`.
fn match_monthly_mean(values: &mut [f64], month_of: &[usize], target: &[f64; 12], additive: bool) {
    let mut sum = [0.0; 12];
    let mut count = [0usize; 12];
    for (v, &m) in values.iter().zip(month_of) {
        sum[m] += v;
        count[m] += 1;
    }
    let adjust: Vec<f64> = (0..12)
        .map(|m| {
            let mean = if count[m] > 0 {
                sum[m] / count[m] as f64
            } else {
                0.0
            };
            if additive {
                target[m] - mean
            } else if mean > 0.0 {
                target[m] / mean
            } else {
                1.0
            }
        })
        .collect();
    for (v, &m) in values.iter_mut().zip(month_of) {
        *v = if additive {
            *v + adjust[m]
        } else {
            *v * adjust[m]
        };
    }
}

impl SyntheticWeather {
    /// Wind speed of a farm whose long-term mean at `height_m` is `mean_m_per_s`, with Weibull
    /// shape `k`: the park's latent process mapped to the farm's distribution, with the park's
    /// seasonal variation and a weak diurnal cycle, scaled to the mean. Returns speeds at `height_m`.
    pub fn farm_wind(&self, mean_m_per_s: f64, k: f64) -> Vec<f64> {
        let s = &self.series;
        let n = s.len();
        let mut month_sum = [0.0; 12];
        let mut month_n = [0usize; 12];
        for i in 0..n {
            let m = s.times[i].month0() as usize;
            month_sum[m] += s.wind_m_per_s[i];
            month_n[m] += 1;
        }
        let annual = s.wind_m_per_s.iter().sum::<f64>() / n.max(1) as f64;
        let scale = mean_m_per_s / gamma(1.0 + 1.0 / k);
        let mut v: Vec<f64> = (0..n)
            .map(|i| {
                let m = s.times[i].month0() as usize;
                let seasonal = if annual > 0.0 && month_n[m] > 0 {
                    (month_sum[m] / month_n[m] as f64 / annual).sqrt()
                } else {
                    1.0
                };
                let h = f64::from(s.times[i].hour());
                let diurnal = 1.0 + 0.08 * (2.0 * std::f64::consts::PI * (h - 15.0) / 24.0).cos();
                weibull_quantile(normal_cdf(self.wind_latent[i]), k, scale) * seasonal * diurnal
            })
            .collect();
        let mean = v.iter().sum::<f64>() / n.max(1) as f64;
        if mean > 0.0 {
            for x in &mut v {
                *x *= mean_m_per_s / mean;
            }
        }
        v
    }
}

/// Monthly sums and means of a series, for checks against the climate table: per month
/// `(GHI kWh/m², mean temperature °C, mean wind m/s)`.
pub fn monthly_summary(s: &WeatherSeries) -> [(f64, f64, f64); 12] {
    let mut out = [(0.0, 0.0, 0.0); 12];
    let mut count = [0usize; 12];
    for i in 0..s.len() {
        let m = s.times[i].month0() as usize;
        out[m].0 += s.ghi_w_per_m2[i] * s.step_h() / 1000.0;
        out[m].1 += s.t_air_c[i];
        out[m].2 += s.wind_m_per_s[i];
        count[m] += 1;
    }
    for m in 0..12 {
        if count[m] > 0 {
            out[m].1 /= count[m] as f64;
            out[m].2 /= count[m] as f64;
        }
    }
    out
}
