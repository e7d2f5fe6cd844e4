//! A park's profiles as files (`profiles.csv`, `weather.csv`) and their figures over the run:
//! energy, peak, mean, capacity factor, and the figure planners quote (PV specific yield, wind
//! full-load hours).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::Datelike;

use parkgrid_model::{AssetKind, Park};
use parkgrid_resource::{AssetSeries, ParkProfiles, Quantity};
use serde::Serialize;

use crate::EngineError;

/// The figures of one series over the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesSummary {
    /// Asset id.
    pub id: String,
    /// Asset kind (`pv`, `wind`, …).
    pub kind: &'static str,
    /// Quantity (`available_kw`, `electric_demand_kw`, `cop`, …).
    pub quantity: &'static str,
    /// Energy over the run, kWh (none for a COP).
    pub annual_kwh: Option<f64>,
    /// Highest value.
    pub peak: f64,
    /// Lowest value.
    pub min: f64,
    /// Mean value.
    pub mean: f64,
    /// Energy over rating × hours (none without a rating, or for a COP).
    pub capacity_factor: Option<f64>,
    /// A heat pump's mean COP over the steps of the site's heating season, when the run has any
    /// (what heating is done at; the annual mean includes the mild summer).
    pub heating_season_mean: Option<f64>,
    /// PV specific yield (kWh/kWp) or wind full-load hours, in words.
    pub headline: Option<String>,
}

/// Every asset's series of `park` over its time axis, with the weather they came from.
///
/// # Errors
/// [`EngineError::Resource`]: the weather or a profile file cannot be used.
pub fn park_profiles(park: &Park) -> Result<ParkProfiles, EngineError> {
    Ok(parkgrid_resource::park_profiles(park)?)
}

/// Adds `share × values` to the series summed under `key` in `sums` (a zero series of `n` steps
/// when the key is new): demand or supply pooled by carrier, bus or island.
pub(crate) fn accumulate<K: Ord>(
    sums: &mut BTreeMap<K, Vec<f64>>,
    key: K,
    n: usize,
    share: f64,
    values: &[f64],
) {
    let sum = sums.entry(key).or_insert_with(|| vec![0.0; n]);
    for (a, v) in sum.iter_mut().zip(values) {
        *a += share * v;
    }
}

/// The figures of every series of `p`, the profiles of `park`.
pub fn summarize(park: &Park, p: &ParkProfiles) -> Vec<SeriesSummary> {
    let step_h = p.axis.step_h();
    let hours = p.axis.n_steps as f64 * step_h;
    let heating: Vec<bool> = (0..p.axis.n_steps)
        .map(|t| {
            let day = p.axis.time(t).date_naive();
            park.site.in_heating_season(day.month(), day.day())
        })
        .collect();
    p.series
        .iter()
        .map(|s| {
            let n = s.values.len().max(1) as f64;
            let total = s.values.iter().sum::<f64>() * step_h;
            // Ratios and limits are no energies.
            let is_cop = matches!(
                s.quantity,
                Quantity::Cop | Quantity::Eer | Quantity::HeatMax
            );
            let season: Vec<f64> = s
                .values
                .iter()
                .zip(&heating)
                .filter(|(_, h)| **h)
                .map(|(v, _)| *v)
                .collect();
            let heating_season_mean = (s.quantity == Quantity::Cop && !season.is_empty())
                .then(|| season.iter().sum::<f64>() / season.len() as f64);
            SeriesSummary {
                id: s.id.clone(),
                kind: s.kind.key(),
                quantity: s.quantity.suffix(),
                heating_season_mean,
                annual_kwh: (!is_cop).then_some(total),
                peak: s.values.iter().copied().fold(0.0, f64::max),
                min: s.values.iter().copied().fold(f64::INFINITY, f64::min),
                mean: s.values.iter().sum::<f64>() / n,
                capacity_factor: s
                    .rating_kw
                    .filter(|r| *r > 0.0 && !is_cop)
                    .map(|r| total / (r * hours)),
                headline: headline(s, total),
            }
        })
        .collect()
}

/// The figure planners quote for a series: specific yield for PV, full-load hours for wind.
fn headline(s: &AssetSeries, total_kwh: f64) -> Option<String> {
    match (s.kind, s.quantity, s.rating_kw) {
        (AssetKind::Pv, Quantity::Available, Some(r)) if r > 0.0 => {
            Some(format!("{:.0} kWh/kWp", total_kwh / r))
        }
        (AssetKind::Wind, Quantity::Available, Some(r)) if r > 0.0 => {
            Some(format!("{:.0} full-load h", total_kwh / r))
        }
        _ => None,
    }
}

/// Writes `dir/profiles.csv` (every series, 3 decimals) and `dir/weather.csv` (the weather on
/// the run's steps); returns their paths.
///
/// # Errors
/// [`EngineError::Write`] naming the file.
pub fn write_profiles(p: &ParkProfiles, dir: &Path) -> Result<(PathBuf, PathBuf), EngineError> {
    std::fs::create_dir_all(dir).map_err(EngineError::write(dir))?;
    let profiles = dir.join("profiles.csv");
    let mut text = String::from("time");
    for s in &p.series {
        let _ = write!(text, ",{}.{}", s.id, s.quantity.suffix());
    }
    text.push('\n');
    write_lines(
        &profiles,
        text,
        (0..p.axis.n_steps).map(|i| {
            let mut line = p.axis.time(i).to_rfc3339();
            for s in &p.series {
                let _ = write!(line, ",{:.3}", s.values[i]);
            }
            line
        }),
    )?;
    let weather = dir.join("weather.csv");
    let s = &p.weather;
    write_lines(
        &weather,
        "time,ghi_w_per_m2,dni_w_per_m2,dhi_w_per_m2,t_air_c,wind_m_per_s,pressure_pa\n".into(),
        (0..s.len()).map(|i| {
            format!(
                "{},{:.2},{:.2},{:.2},{:.2},{:.2},{:.0}",
                s.times[i].to_rfc3339(),
                s.ghi_w_per_m2[i],
                s.dni_w_per_m2[i],
                s.dhi_w_per_m2[i],
                s.t_air_c[i],
                s.wind_m_per_s[i],
                s.pressure_pa[i]
            )
        }),
    )?;
    Ok((profiles, weather))
}

fn write_lines(
    path: &Path,
    header: String,
    lines: impl Iterator<Item = String>,
) -> Result<(), EngineError> {
    let f = std::fs::File::create(path).map_err(EngineError::write(path))?;
    let mut w = std::io::BufWriter::new(f);
    let write = || -> std::io::Result<()> {
        w.write_all(header.as_bytes())?;
        for line in lines {
            writeln!(w, "{line}")?;
        }
        w.flush()
    };
    write().map_err(EngineError::write(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example's heat pumps: the heating-season COP beside the annual mean — lower in the
    /// cold months for the air-source pump, the same for the ground-source ones on boreholes
    /// (the undisturbed ground holds one temperature all year); the air-source pump's heat limit
    /// is a limit, not an energy.
    #[test]
    fn heat_pumps_show_their_heating_season_cop() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/yanqing.toml");
        let park = crate::park::load(&path).expect("example").0;
        let p = park_profiles(&park).expect("profiles");
        let figures = summarize(&park, &p);
        let find = |id: &str, q: &str| {
            figures
                .iter()
                .find(|f| f.id == id && f.quantity == q)
                .unwrap_or_else(|| panic!("no {id}.{q}"))
        };
        let cop = find("ashp_housing", "cop");
        let season = cop.heating_season_mean.expect("a heating season");
        assert!(
            season < cop.mean,
            "{season} in the season, {} a year",
            cop.mean
        );
        assert_eq!(cop.annual_kwh, None);
        let cop = find("gshp_1", "cop");
        assert!((cop.peak - cop.min).abs() < 1e-12 && (cop.peak - cop.mean).abs() < 1e-9);
        let season = cop.heating_season_mean.expect("a heating season");
        assert!((season - cop.mean).abs() < 1e-12);
        let limit = find("ashp_housing", "heat_max_kw");
        assert_eq!((limit.annual_kwh, limit.capacity_factor), (None, None));
        assert!(limit.peak <= 600.0 + 1e-9 && limit.min < 600.0, "{limit:?}");
        assert_eq!(find("pv_roof", "available_kw").heating_season_mean, None);
        let table = crate::table::profiles(&figures);
        assert!(
            table
                .rows
                .iter()
                .any(|r| r[0] == "ashp_housing" && r[6].contains("in the heating season")),
            "{:?}",
            table.rows
        );
    }
}
