//! The site: where the park is, its time zone and its heating season.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::common::Cx;
use crate::diag::{Diagnostic, FieldPath};

/// Where the park is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Site {
    /// Name of the park.
    pub name: String,
    /// Latitude in degrees, north positive.
    pub latitude_deg: f64,
    /// Longitude in degrees, east positive.
    pub longitude_deg: f64,
    /// Elevation above sea level in m.
    #[serde(default)]
    pub elevation_m: f64,
    /// IANA time zone name, e.g. `Asia/Shanghai`. Every time series of the park is in this zone.
    pub time_zone: TimeZone,
    /// First day of the heating season, `MM-DD` (Beijing: `11-15`).
    #[serde(default = "default_heating_start")]
    pub heating_season_start: MonthDay,
    /// Last day of the heating season, `MM-DD` (Beijing: `03-15`).
    #[serde(default = "default_heating_end")]
    pub heating_season_end: MonthDay,
}

fn default_heating_start() -> MonthDay {
    MonthDay { month: 11, day: 15 }
}
fn default_heating_end() -> MonthDay {
    MonthDay { month: 3, day: 15 }
}

/// Mean Earth radius, km (IUGG: R₁ = 6,371.0088 km).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The great-circle distance between two points given in degrees, km: the haversine formula on a
/// sphere of the mean Earth radius (within 0.5 % of the ellipsoidal distance).
pub fn great_circle_km(lat1_deg: f64, lon1_deg: f64, lat2_deg: f64, lon2_deg: f64) -> f64 {
    let (p1, p2) = (lat1_deg.to_radians(), lat2_deg.to_radians());
    let dp = p2 - p1;
    let dl = (lon2_deg - lon1_deg).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

impl Site {
    pub(crate) fn check(&self, cx: &mut Cx, at: &FieldPath) {
        if self.name.trim().is_empty() {
            cx.error(at, "name", "the site needs a name");
        }
        cx.within(
            at,
            "latitude_deg",
            self.latitude_deg,
            -90.0,
            90.0,
            "degrees",
        );
        cx.within(
            at,
            "longitude_deg",
            self.longitude_deg,
            -180.0,
            180.0,
            "degrees",
        );
        cx.within(at, "elevation_m", self.elevation_m, -500.0, 9000.0, "m");
        if self.heating_season_start == self.heating_season_end {
            cx.push(
                Diagnostic::error(
                    at.key("heating_season_end"),
                    "the heating season starts and ends on the same day",
                )
                .with_hint(
                    "a heating season that wraps the new year is written e.g. 11-15 … 03-15",
                ),
            );
        }
    }

    /// True when the day (month, day) is within the heating season (both ends included).
    pub fn in_heating_season(&self, month: u32, day: u32) -> bool {
        let d = (month, day);
        let s = (
            self.heating_season_start.month,
            self.heating_season_start.day,
        );
        let e = (self.heating_season_end.month, self.heating_season_end.day);
        if s <= e {
            s <= d && d <= e
        } else {
            d >= s || d <= e
        }
    }
}

/// An IANA time zone, written as its name (`Asia/Shanghai`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    /// The zone's IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl FromStr for TimeZone {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(tz) = s.parse::<chrono_tz::Tz>() {
            return Ok(Self(tz));
        }
        let hint = crate::diag::did_you_mean(s, chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()))
            .map(|h| format!("; {h}"))
            .unwrap_or_else(|| String::from("; use a name such as 'Asia/Shanghai'"));
        Err(format!("'{s}' is not an IANA time zone name{hint}"))
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for TimeZone {
    fn schema_name() -> Cow<'static, str> {
        "TimeZone".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "IANA time zone name, e.g. Asia/Shanghai",
            "examples": ["Asia/Shanghai"]
        })
    }
}

/// A day of the year without a year, written `MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MonthDay {
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, from 1.
    pub day: u32,
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl FromStr for MonthDay {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not a day written MM-DD, e.g. '11-15'");
        let (m, d) = s.split_once('-').ok_or_else(bad)?;
        let month: u32 = m.trim().parse().map_err(|_| bad())?;
        let day: u32 = d.trim().parse().map_err(|_| bad())?;
        const DAYS: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        if !(1..=12).contains(&month) {
            return Err(format!("'{s}': month {month} is not in 1–12"));
        }
        if day == 0 || day > DAYS[month as usize - 1] {
            return Err(format!("'{s}': month {month} has no day {day}"));
        }
        Ok(Self { month, day })
    }
}

impl Serialize for MonthDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for MonthDay {
    fn schema_name() -> Cow<'static, str> {
        "MonthDay".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[0-9]{2}-[0-9]{2}$",
            "description": "a day of the year, MM-DD"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_day_parses_and_rejects() {
        assert_eq!(
            "03-15".parse::<MonthDay>(),
            Ok(MonthDay { month: 3, day: 15 })
        );
        assert!("02-30".parse::<MonthDay>().is_err());
        assert!("13-01".parse::<MonthDay>().is_err());
        assert!("1115".parse::<MonthDay>().is_err());
    }

    #[test]
    fn heating_season_wraps_the_new_year() {
        let site = Site {
            name: String::from("x"),
            latitude_deg: 40.0,
            longitude_deg: 116.0,
            elevation_m: 0.0,
            time_zone: TimeZone(chrono_tz::Asia::Shanghai),
            heating_season_start: MonthDay { month: 11, day: 15 },
            heating_season_end: MonthDay { month: 3, day: 15 },
        };
        assert!(site.in_heating_season(11, 15));
        assert!(site.in_heating_season(1, 20));
        assert!(site.in_heating_season(3, 15));
        assert!(!site.in_heating_season(3, 16));
        assert!(!site.in_heating_season(7, 1));
        assert!(!site.in_heating_season(11, 14));
    }

    #[test]
    fn time_zone_suggests_a_near_name() {
        let err = "Asia/Shanghia"
            .parse::<TimeZone>()
            .err()
            .unwrap_or_default();
        assert!(err.contains("did you mean 'Asia/Shanghai'"), "{err}");
    }
}

#[cfg(test)]
mod distance_tests {
    use super::great_circle_km;

    /// Beijing (39.9042 °N, 116.4074 °E) to Shanghai (31.2304 °N, 121.4737 °E): 1,067 km on the
    /// sphere of mean radius (1,068 km on the WGS 84 ellipsoid, by Vincenty's formula); a
    /// quarter meridian is 10,007.5 km; a point is 0 km from itself.
    #[test]
    fn great_circle_distances() {
        let d = great_circle_km(39.9042, 116.4074, 31.2304, 121.4737);
        assert!((d - 1067.0).abs() < 2.0, "{d}");
        let quarter = great_circle_km(0.0, 0.0, 90.0, 0.0);
        assert!((quarter - 10_007.5).abs() < 0.1, "{quarter}");
        assert_eq!(great_circle_km(40.0, 116.0, 40.0, 116.0), 0.0);
    }
}
