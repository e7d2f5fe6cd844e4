//! Where the park's weather comes from, and the built-in monthly climate of Yanqing.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::Cx;
use crate::diag::{Diagnostic, FieldPath};

/// The weather source of the park.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Weather {
    /// `synthetic` (a year generated from a monthly climate table), `epw` or `csv`.
    #[serde(default)]
    pub source: WeatherSource,
    /// Weather file, relative to the park file (`epw` and `csv` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// Seed of the synthetic year: the same seed gives the same year (`synthetic` only).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Monthly climate for the synthetic year, twelve entries; default: the built-in Yanqing table
    /// (`synthetic` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub climate: Vec<MonthlyClimate>,
}

impl Default for Weather {
    fn default() -> Self {
        Self {
            source: WeatherSource::Synthetic,
            file: None,
            seed: default_seed(),
            climate: Vec::new(),
        }
    }
}

fn default_seed() -> u64 {
    1
}

/// Kinds of weather source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WeatherSource {
    /// Generated from the monthly climate table, deterministic for a seed.
    #[default]
    Synthetic,
    /// An EnergyPlus weather file (8760 hourly rows, or 8784 with 29 February).
    Epw,
    /// A CSV file with a timestamp column and weather columns.
    Csv,
}

/// One month of the climate table that drives the synthetic weather year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct MonthlyClimate {
    /// Month, 1–12.
    pub month: u32,
    /// Mean air temperature in °C.
    pub t_mean_c: f64,
    /// Global horizontal irradiation in kWh/m² over the month.
    pub ghi_kwh_per_m2: f64,
    /// Mean wind speed at 10 m in m/s.
    pub wind_10m_m_per_s: f64,
    /// Linke turbidity factor (clear-sky model input).
    pub linke_turbidity: f64,
    /// Ground temperature at 2 m depth in °C (source of ground-source heat pumps on horizontal
    /// collectors).
    pub t_ground_c: f64,
}

const fn month(
    month: u32,
    t_mean_c: f64,
    ghi_kwh_per_m2: f64,
    wind_10m_m_per_s: f64,
    linke_turbidity: f64,
    t_ground_c: f64,
) -> MonthlyClimate {
    MonthlyClimate {
        month,
        t_mean_c,
        ghi_kwh_per_m2,
        wind_10m_m_per_s,
        linke_turbidity,
        t_ground_c,
    }
}

/// Latitude of the built-in climate's place, Yanqing, Beijing, degrees north.
pub const BUILT_IN_CLIMATE_LATITUDE_DEG: f64 = 40.457;
/// Longitude of the built-in climate's place, degrees east.
pub const BUILT_IN_CLIMATE_LONGITUDE_DEG: f64 = 115.975;
/// How far from Yanqing a site may be before the built-in climate is no longer its own, km: the
/// distance over which monthly means of temperature and irradiation change by more than the
/// table's own uncertainty on the North China Plain (an assumption; the warning says so).
pub const BUILT_IN_CLIMATE_RADIUS_KM: f64 = 300.0;

/// The built-in climate of Yanqing, Beijing (40.457 °N, 115.975 °E).
///
/// Temperature, irradiation, 10 m wind and Linke turbidity are derived from a Beijing typical-year
/// file shifted to Yanqing; ground temperature at 2 m is Beijing's, 2 K lower for Yanqing (an
/// assumption). Sources in `docs/park-file.md`, section "Built-in data".
pub const YANQING_CLIMATE: [MonthlyClimate; 12] = [
    month(1, -6.8, 69.1, 2.58, 1.78, 3.1),
    month(2, -3.9, 83.0, 2.37, 1.82, 0.9),
    month(3, 2.2, 120.9, 3.61, 2.27, 1.4),
    month(4, 10.4, 159.6, 2.59, 2.90, 3.1),
    month(5, 16.5, 178.0, 2.12, 3.44, 8.9),
    month(6, 21.3, 173.1, 2.61, 3.60, 14.1),
    month(7, 22.5, 160.5, 2.03, 3.71, 18.3),
    month(8, 21.1, 146.6, 1.76, 3.74, 20.5),
    month(9, 16.5, 125.6, 1.88, 3.17, 20.0),
    month(10, 9.8, 96.5, 2.16, 2.65, 17.1),
    month(11, 0.9, 65.2, 1.92, 2.15, 12.4),
    month(12, -4.4, 56.3, 2.14, 1.77, 7.3),
];

impl Weather {
    /// The climate table in force: the file's, or the built-in Yanqing table.
    pub fn climate(&self) -> &[MonthlyClimate] {
        if self.climate.is_empty() {
            &YANQING_CLIMATE
        } else {
            &self.climate
        }
    }

    /// True when the weather is the synthetic year made from the built-in Yanqing table.
    pub fn is_built_in_climate(&self) -> bool {
        self.source == WeatherSource::Synthetic && self.climate.is_empty()
    }

    /// Warnings about the climate table and the site: the built-in Yanqing table standing in for
    /// a site more than [`BUILT_IN_CLIMATE_RADIUS_KM`] away (for the whole weather, or — with an
    /// EPW or CSV file — for the ground temperature of ground-source heat pumps), reported at the
    /// site's latitude; a table that nothing reads.
    pub(crate) fn check_place(&self, park: &crate::Park, cx: &mut Cx, at: &FieldPath) {
        // Ground-source heat pumps on horizontal collectors without a fixed COP read t_ground_c
        // from the table in force, whatever the weather source.
        let ground: Vec<&str> = park
            .ground_heat_pump
            .iter()
            .filter(|h| h.cop.is_none() && h.collector == crate::asset::Collector::Horizontal)
            .map(|h| h.id.as_str())
            .collect();
        if self.source != WeatherSource::Synthetic && !self.climate.is_empty() && ground.is_empty()
        {
            cx.push(
                Diagnostic::warning(
                    at.key("weather").key("climate"),
                    "the climate table is not used: with a weather file only its ground \
                     temperatures are read, by ground-source heat pumps on horizontal collectors",
                )
                .with_hint("remove it, or set source = \"synthetic\""),
            );
        }
        let users = if self.is_built_in_climate() {
            park.weather_users()
        } else if self.climate.is_empty() {
            ground
        } else {
            Vec::new()
        };
        if users.is_empty() {
            return;
        }
        let site = &park.site;
        let km = crate::site::great_circle_km(
            site.latitude_deg,
            site.longitude_deg,
            BUILT_IN_CLIMATE_LATITUDE_DEG,
            BUILT_IN_CLIMATE_LONGITUDE_DEG,
        );
        if !(km.is_finite() && km > BUILT_IN_CLIMATE_RADIUS_KM) {
            return;
        }
        let (what, hint) = if self.is_built_in_climate() {
            (
                "the weather",
                "give the site's weather: [weather] source = \"epw\" with file = \"site.epw\" (a \
                 typical year, e.g. from climate.onebuilding.org), or a twelve-month \
                 [[weather.climate]] table of the site's means",
            )
        } else {
            (
                "the ground temperature (t_ground_c)",
                "give a twelve-month [[weather.climate]] table with the site's ground temperature \
                 at 2 m (with a weather file only t_ground_c is read), or a fixed cop",
            )
        };
        cx.push(
            Diagnostic::warning(
                at.key("site").key("latitude_deg"),
                format!(
                    "the site is {km:.0} km from Yanqing ({BUILT_IN_CLIMATE_LATITUDE_DEG:.2} °N, \
                     {BUILT_IN_CLIMATE_LONGITUDE_DEG:.2} °E), more than the \
                     {BUILT_IN_CLIMATE_RADIUS_KM:.0} km within which its built-in climate stands \
                     in for a site's (an assumption): {what} of {} will be Yanqing's",
                    users.join(", ")
                ),
            )
            .with_hint(hint),
        );
    }

    pub(crate) fn check(&self, cx: &mut Cx, at: &FieldPath) {
        match self.source {
            WeatherSource::Synthetic => {
                if self.file.is_some() {
                    cx.push(
                        Diagnostic::error(at.key("file"), "a synthetic weather year reads no file")
                            .with_hint(
                                "set source = \"epw\" or \"csv\" to read the file, or remove file",
                            ),
                    );
                }
            }
            WeatherSource::Epw | WeatherSource::Csv => {
                if self.file.is_none() {
                    cx.push(
                        Diagnostic::error(at.key("source"), "this weather source needs a file")
                            .with_hint(
                                "add file = \"weather/site.epw\" (relative to the park file)",
                            ),
                    );
                }
            }
        }
        if self.climate.is_empty() {
            return;
        }
        let mut seen = [false; 12];
        for (i, m) in self.climate.iter().enumerate() {
            let at = at.key("climate").index(i);
            if !(1..=12).contains(&m.month) {
                cx.error(&at, "month", format!("month {} is not in 1–12", m.month));
                continue;
            }
            let slot = &mut seen[m.month as usize - 1];
            if *slot {
                cx.error(
                    &at,
                    "month",
                    format!("month {} appears twice in the climate table", m.month),
                );
            }
            *slot = true;
            cx.within(&at, "t_mean_c", m.t_mean_c, -60.0, 50.0, "°C");
            cx.within(
                &at,
                "ghi_kwh_per_m2",
                m.ghi_kwh_per_m2,
                0.0,
                350.0,
                "kWh/m²",
            );
            cx.within(
                &at,
                "wind_10m_m_per_s",
                m.wind_10m_m_per_s,
                0.0,
                30.0,
                "m/s",
            );
            cx.within(&at, "linke_turbidity", m.linke_turbidity, 1.0, 10.0, "");
            cx.within(&at, "t_ground_c", m.t_ground_c, -30.0, 40.0, "°C");
        }
        let missing: Vec<String> = (1..=12)
            .filter(|m| !seen[*m as usize - 1])
            .map(|m| m.to_string())
            .collect();
        if !missing.is_empty() {
            cx.push(
                Diagnostic::error(
                    at.key("climate"),
                    format!("the climate table lacks month(s) {}", missing.join(", ")),
                )
                .with_hint("give all twelve months, or remove the table to use the built-in Yanqing climate"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in table against the annual figures of `yanqing-example.md`: mean 8.9 °C,
    /// ≈ 1434 kWh/m², 2.31 m/s.
    #[test]
    fn yanqing_table_matches_its_annual_figures() {
        let t_mean = YANQING_CLIMATE.iter().map(|m| m.t_mean_c).sum::<f64>() / 12.0;
        let ghi: f64 = YANQING_CLIMATE.iter().map(|m| m.ghi_kwh_per_m2).sum();
        let wind = YANQING_CLIMATE
            .iter()
            .map(|m| m.wind_10m_m_per_s)
            .sum::<f64>()
            / 12.0;
        assert!((t_mean - 8.9).abs() < 0.1, "{t_mean}");
        assert!((ghi - 1434.0).abs() < 1.0, "{ghi}");
        assert!((wind - 2.31).abs() < 0.01, "{wind}");
        assert!(
            YANQING_CLIMATE
                .iter()
                .enumerate()
                .all(|(i, m)| m.month as usize == i + 1)
        );
    }
}
