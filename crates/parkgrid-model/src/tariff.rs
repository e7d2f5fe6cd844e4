//! Prices: time-of-use electricity tariffs, fuels and the carbon price.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::common::Cx;
use crate::diag::{Diagnostic, FieldPath, did_you_mean};

/// A time-of-use electricity tariff: named price bands, and periods that assign a band to each hour
/// of each month.
///
/// Periods without `overrides` must cover every hour of every month exactly once. Periods with
/// `overrides = true` (critical peak, holiday deep valley) replace the base band in their hours and
/// must not overlap each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Tariff {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Energy price of each band in CNY/kWh, e.g. `{ valley = 0.2, flat = 0.65, peak = 1.17 }`.
    pub price_cny_per_kwh: BTreeMap<String, f64>,
    /// Price paid for electricity exported to the grid, CNY/kWh.
    #[serde(default)]
    pub export_price_cny_per_kwh: f64,
    /// Demand (capacity) charge on each month's highest import, CNY/kW·month.
    #[serde(default)]
    pub demand_charge_cny_per_kw_month: f64,
    /// When each band applies.
    pub period: Vec<Period>,
}

/// The hours of some months in which a price band applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Period {
    /// Name of a band of `price_cny_per_kwh`.
    pub band: String,
    /// Months (1–12) the period applies in. Default: all twelve.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub months: Vec<u32>,
    /// Hour ranges `"H-H"`, start included, end excluded, local time: `"10-13"` is 10:00–13:00;
    /// `"23-7"` wraps midnight.
    pub hours: Vec<HourRange>,
    /// True for periods that replace the base band (critical peak).
    #[serde(default)]
    pub overrides: bool,
}

/// Hours `start..end` of a day, wrapping midnight when `end <= start`. Written `"10-13"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourRange {
    /// First hour (0–23).
    pub start: u32,
    /// Hour after the last (1–24).
    pub end: u32,
}

impl HourRange {
    /// The hours of the day (0–23) in the range.
    pub fn hours(&self) -> impl Iterator<Item = u32> + '_ {
        let len = (self.end + 24 - self.start - 1) % 24 + 1;
        (0..len).map(move |k| (self.start + k) % 24)
    }
}

impl fmt::Display for HourRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

impl FromStr for HourRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not an hour range such as \"10-13\" or \"23-7\"");
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let start: u32 = a.trim().parse().map_err(|_| bad())?;
        let end: u32 = b.trim().parse().map_err(|_| bad())?;
        if start > 23 {
            return Err(format!("'{s}': the first hour must be 0–23"));
        }
        if end > 24 {
            return Err(format!("'{s}': the end hour must be 0–24"));
        }
        if start == end % 24 && end != 24 {
            return Err(format!(
                "'{s}' is empty or the whole day; write \"0-24\" for the whole day"
            ));
        }
        Ok(Self { start, end })
    }
}

impl Serialize for HourRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HourRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for HourRange {
    fn schema_name() -> Cow<'static, str> {
        "HourRange".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[0-9]{1,2}-[0-9]{1,2}$",
            "description": "hours start-end, end excluded, e.g. 10-13 or 23-7"
        })
    }
}

impl Tariff {
    /// The band in force in `month` (1–12) at `hour` (0–23); `None` if the tariff does not cover it
    /// (validation rejects such tariffs).
    pub fn band_at(&self, month: u32, hour: u32) -> Option<&str> {
        let hit = |p: &&Period| {
            (p.months.is_empty() || p.months.contains(&month))
                && p.hours.iter().any(|r| r.hours().any(|h| h == hour))
        };
        let over = self.period.iter().filter(|p| p.overrides).find(hit);
        over.or_else(|| self.period.iter().filter(|p| !p.overrides).find(hit))
            .map(|p| p.band.as_str())
    }

    /// The import price in CNY/kWh in `month` at `hour`.
    pub fn price_at(&self, month: u32, hour: u32) -> Option<f64> {
        self.band_at(month, hour)
            .and_then(|b| self.price_cny_per_kwh.get(b).copied())
    }

    pub(crate) fn check(&self, cx: &mut Cx, at: &FieldPath) {
        if self.price_cny_per_kwh.is_empty() {
            cx.error(at, "price_cny_per_kwh", "the tariff defines no price band");
        }
        for (band, price) in &self.price_cny_per_kwh {
            cx.non_negative(&at.key("price_cny_per_kwh"), band, *price);
        }
        cx.non_negative(
            at,
            "export_price_cny_per_kwh",
            self.export_price_cny_per_kwh,
        );
        cx.non_negative(
            at,
            "demand_charge_cny_per_kw_month",
            self.demand_charge_cny_per_kw_month,
        );
        // Which period claims each (month, hour), for base and override layers.
        let mut base: [[Option<usize>; 24]; 12] = [[None; 24]; 12];
        let mut over: [[Option<usize>; 24]; 12] = [[None; 24]; 12];
        for (i, p) in self.period.iter().enumerate() {
            let pat = at.key("period").index(i);
            if !self.price_cny_per_kwh.contains_key(&p.band) {
                cx.push(
                    Diagnostic::error(
                        pat.key("band"),
                        format!("band '{}' has no price in price_cny_per_kwh", p.band),
                    )
                    .with_hint_opt(did_you_mean(
                        &p.band,
                        self.price_cny_per_kwh.keys().map(String::as_str),
                    )),
                );
            }
            for (k, m) in p.months.iter().enumerate() {
                if !(1..=12).contains(m) {
                    cx.push(Diagnostic::error(
                        pat.key("months").index(k),
                        format!("month {m} is not in 1–12"),
                    ));
                }
            }
            if p.hours.is_empty() {
                cx.error(&pat, "hours", "the period names no hours");
            }
            let months: Vec<u32> = if p.months.is_empty() {
                (1..=12).collect()
            } else {
                p.months
                    .iter()
                    .copied()
                    .filter(|m| (1..=12).contains(m))
                    .collect()
            };
            let layer = if p.overrides { &mut over } else { &mut base };
            let mut clashes: Vec<(usize, u32, u32)> = Vec::new();
            for (k, r) in p.hours.iter().enumerate() {
                for &m in &months {
                    for h in r.hours() {
                        let slot = &mut layer[m as usize - 1][h as usize];
                        match slot {
                            Some(other) if *other != i => clashes.push((k, m, h)),
                            _ => *slot = Some(i),
                        }
                    }
                }
            }
            if let Some(&(k, m, h)) = clashes.first() {
                let other = layer[m as usize - 1][h as usize].unwrap_or(i);
                cx.push(
                    Diagnostic::error(
                        pat.key("hours").index(k),
                        format!(
                            "period overlaps period {other} (band '{}') in {} hour(s), first in month {m} at {h}:00",
                            self.period.get(other).map_or("?", |o| o.band.as_str()),
                            clashes.len()
                        ),
                    )
                    .with_hint(if p.overrides {
                        "override periods must not overlap each other"
                    } else {
                        "each hour belongs to one base period; mark a critical-peak period with overrides = true"
                    }),
                );
            }
        }
        let gaps: Vec<(u32, u32)> = (0..12)
            .flat_map(|m| (0..24).map(move |h| (m, h)))
            .filter(|&(m, h)| base[m as usize][h as usize].is_none())
            .map(|(m, h)| (m + 1, h))
            .collect();
        if let Some(&(m, h)) = gaps.first() {
            cx.push(
                Diagnostic::error(
                    at.key("period"),
                    format!(
                        "tariff '{}' leaves {} month-hour(s) without a base band, first month {m} at {h}:00",
                        self.id,
                        gaps.len()
                    ),
                )
                .with_hint("the base periods (without overrides) must cover hours 0-24 of every month"),
            );
        }
    }
}

/// A fuel bought by the park (natural gas for boilers, biogas for CHP).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Fuel {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Price in CNY/m³.
    pub price_cny_per_m3: f64,
    /// Price in CNY/m³ inside the heating season; default: `price_cny_per_m3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heating_season_price_cny_per_m3: Option<f64>,
    /// Lower heating value in kWh/m³ (natural gas ≈ 10, biogas ≈ 6).
    pub lhv_kwh_per_m3: f64,
    /// Fossil CO₂ emitted per kWh of fuel burnt (LHV), kg/kWh; 0 for biogenic fuels.
    #[serde(default)]
    pub co2_kg_per_kwh: f64,
}

impl Fuel {
    /// Price per kWh of fuel (LHV), CNY/kWh, outside and inside the heating season.
    pub fn price_cny_per_kwh(&self, heating_season: bool) -> f64 {
        let per_m3 = if heating_season {
            self.heating_season_price_cny_per_m3
                .unwrap_or(self.price_cny_per_m3)
        } else {
            self.price_cny_per_m3
        };
        per_m3 / self.lhv_kwh_per_m3
    }

    pub(crate) fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.non_negative(at, "price_cny_per_m3", self.price_cny_per_m3);
        cx.opt(
            at,
            "heating_season_price_cny_per_m3",
            self.heating_season_price_cny_per_m3,
            Cx::non_negative,
        );
        cx.positive(at, "lhv_kwh_per_m3", self.lhv_kwh_per_m3);
        cx.within(
            at,
            "co2_kg_per_kwh",
            self.co2_kg_per_kwh,
            0.0,
            1.0,
            "kg/kWh",
        );
    }
}

/// Park-wide economic parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Economics {
    /// Carbon price in CNY per tonne of CO₂, added to the cost of emissions.
    #[serde(default)]
    pub carbon_price_cny_per_t: f64,
    /// Value of lost load for electricity, CNY/kWh: the price of demand left unserved.
    #[serde(default = "default_voll_electric")]
    pub voll_electric_cny_per_kwh: f64,
    /// Value of lost load for heat, CNY/kWh.
    #[serde(default = "default_voll_heat")]
    pub voll_heat_cny_per_kwh: f64,
    /// Penalty on curtailed PV and wind, CNY/kWh. Default 0: in a linear programme a penalty on
    /// curtailment is a reward on every kWh of PV and wind used, for any use, so the least-cost
    /// schedule would collect it by wasting electricity (a heat pump running while a CHP vents,
    /// stores charged and discharged at once for their losses). With 0, surplus that has no use
    /// is curtailed: every machine that draws electricity carries a tie-break cost of 10⁻⁵
    /// CNY/kWh. A positive value states that such waste is allowed (`validate` warns).
    #[serde(default = "default_curtailment_penalty")]
    pub curtailment_penalty_cny_per_kwh: f64,
    /// Cost of heat a CHP vents (recovered heat nobody needs, rejected through its emergency
    /// cooler), CNY/kWh. A CHP's heat is the only heat a park can dump: every other source can be
    /// turned down. Default 0: the fuel that made the heat is already paid for. Keep it below
    /// 10⁻⁴: a dearer vent makes the least-cost schedule burn the surplus in the losses of stores
    /// charged and discharged at once, which no operator would do.
    #[serde(default = "default_heat_dump_penalty")]
    pub heat_dump_penalty_cny_per_kwh: f64,
}

fn default_voll_electric() -> f64 {
    20.0
}
fn default_voll_heat() -> f64 {
    10.0
}
fn default_curtailment_penalty() -> f64 {
    0.0
}
fn default_heat_dump_penalty() -> f64 {
    0.0
}

impl Default for Economics {
    fn default() -> Self {
        Self {
            carbon_price_cny_per_t: 0.0,
            voll_electric_cny_per_kwh: default_voll_electric(),
            voll_heat_cny_per_kwh: default_voll_heat(),
            curtailment_penalty_cny_per_kwh: default_curtailment_penalty(),
            heat_dump_penalty_cny_per_kwh: default_heat_dump_penalty(),
        }
    }
}

impl Economics {
    pub(crate) fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.non_negative(at, "carbon_price_cny_per_t", self.carbon_price_cny_per_t);
        cx.positive(
            at,
            "voll_electric_cny_per_kwh",
            self.voll_electric_cny_per_kwh,
        );
        cx.positive(at, "voll_heat_cny_per_kwh", self.voll_heat_cny_per_kwh);
        cx.non_negative(
            at,
            "curtailment_penalty_cny_per_kwh",
            self.curtailment_penalty_cny_per_kwh,
        );
        cx.non_negative(
            at,
            "heat_dump_penalty_cny_per_kwh",
            self.heat_dump_penalty_cny_per_kwh,
        );
        if self.curtailment_penalty_cny_per_kwh > 0.0 {
            cx.warning(
                at,
                "curtailment_penalty_cny_per_kwh",
                "a penalty on curtailment rewards every kWh of PV and wind used, for any use: the \
                 optimal schedule may run electric heat or cooling while a CHP vents, or cycle \
                 stores for their losses, only to collect it; 0 (the default) curtails surplus \
                 that has no use",
            );
        }
        if self.heat_dump_penalty_cny_per_kwh > 1e-4 {
            cx.warning(
                at,
                "heat_dump_penalty_cny_per_kwh",
                "above 0.0001 CNY/kWh, surplus heat is cheaper to burn in the losses of heat stores \
                 charged and discharged at the same time than to dump; the optimal schedule will do so",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beijing() -> Tariff {
        let period = |band: &str, months: &[u32], hours: &[&str], overrides: bool| Period {
            band: band.to_string(),
            months: months.to_vec(),
            hours: hours.iter().filter_map(|h| h.parse().ok()).collect(),
            overrides,
        };
        Tariff {
            id: String::from("beijing"),
            name: None,
            price_cny_per_kwh: [
                ("valley", 0.195),
                ("flat", 0.65),
                ("peak", 1.17),
                ("critical_peak", 1.404),
            ]
            .into_iter()
            .map(|(b, p)| (b.to_string(), p))
            .collect(),
            export_price_cny_per_kwh: 0.36,
            demand_charge_cny_per_kw_month: 0.0,
            period: vec![
                period("valley", &[], &["23-7"], false),
                period("flat", &[], &["7-10", "13-17", "22-23"], false),
                period("peak", &[], &["10-13", "17-22"], false),
                period("critical_peak", &[7, 8], &["11-13", "16-17"], true),
                period("critical_peak", &[1, 12], &["18-21"], true),
            ],
        }
    }

    #[test]
    fn bands_follow_beijing_rules() {
        let t = beijing();
        let mut cx = Cx::default();
        t.check(&mut cx, &FieldPath::root().key("tariff").index(0));
        assert!(cx.diags.is_empty(), "{:?}", cx.diags);
        let cases = [
            (7, 10, "peak"),
            (7, 11, "critical_peak"),
            (7, 16, "critical_peak"),
            (6, 16, "flat"),
            (1, 19, "critical_peak"),
            (1, 21, "peak"),
            (3, 23, "valley"),
            (3, 0, "valley"),
            (3, 6, "valley"),
            (3, 7, "flat"),
        ];
        for (month, hour, band) in cases {
            assert_eq!(
                t.band_at(month, hour),
                Some(band),
                "month {month} hour {hour}"
            );
        }
        assert_eq!(t.price_at(8, 12), Some(1.404));
    }

    #[test]
    fn fuel_price_per_kwh_follows_the_season() {
        let gas = Fuel {
            id: String::from("gas"),
            name: None,
            price_cny_per_m3: 3.2,
            heating_season_price_cny_per_m3: Some(3.6),
            lhv_kwh_per_m3: 10.0,
            co2_kg_per_kwh: 0.202,
        };
        assert!((gas.price_cny_per_kwh(false) - 0.32).abs() < 1e-12);
        assert!((gas.price_cny_per_kwh(true) - 0.36).abs() < 1e-12);
    }

    #[test]
    fn hour_ranges_wrap_midnight() {
        let r: HourRange = "23-7".parse().unwrap_or(HourRange { start: 0, end: 1 });
        assert_eq!(r.hours().collect::<Vec<_>>(), vec![23, 0, 1, 2, 3, 4, 5, 6]);
        let d: HourRange = "0-24".parse().unwrap_or(HourRange { start: 0, end: 1 });
        assert_eq!(d.hours().count(), 24);
        assert!("7-7".parse::<HourRange>().is_err());
        assert!("25-3".parse::<HourRange>().is_err());
        assert!("morning".parse::<HourRange>().is_err());
    }
}
