//! Wind farms.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, ELECTRIC, Port, Role};
use crate::catalog;
use crate::common::{Cx, Profile, ProfileUnit};
use crate::diag::{Diagnostic, FieldPath, did_you_mean};

/// A wind farm of identical turbines, from a built-in turbine type or a power curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Wind {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Bus the farm feeds.
    pub bus: String,
    /// Number of turbines.
    pub n_turbines: u32,
    /// Built-in turbine type, e.g. `DOE_GE_1.5MW_77`. Give this, `power_curve` or
    /// `power_curve_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turbine: Option<String>,
    /// Power curve of one turbine. Give this or `turbine`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_curve: Option<PowerCurve>,
    /// Power curve of one turbine from a CSV file (relative to the park file) with the columns
    /// `wind_speed_m_per_s` and `p_kw`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_curve_file: Option<std::path::PathBuf>,
    /// Hub height in m. Default: the built-in turbine's; required with a curve of one's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub_height_m: Option<f64>,
    /// Wake, availability and electrical losses of the farm as a fraction.
    #[serde(default = "default_losses")]
    pub losses_frac: f64,
    /// Long-term mean wind speed at the farm in m/s, measured at `wind_height_m`, when the farm's
    /// wind differs from the park's weather (synthetic weather only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wind_mean_m_per_s: Option<f64>,
    /// Height of `wind_mean_m_per_s` in m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wind_height_m: Option<f64>,
    /// Weibull shape factor of the farm's wind speeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weibull_k: Option<f64>,
    /// Measured or external output instead of the model (`kw` or `per_unit` of the rated power).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

/// A turbine power curve: electric power at hub-height wind speeds, interpolated linearly; zero
/// below the first and above the last point (cut-out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PowerCurve {
    /// Wind speeds in m/s, strictly increasing.
    pub wind_speed_m_per_s: Vec<f64>,
    /// Power of one turbine in kW at each speed.
    pub p_kw: Vec<f64>,
}

fn default_losses() -> f64 {
    0.10
}

impl Wind {
    /// Rated power of one turbine in kW (`None` when the turbine type is unknown).
    pub fn p_turbine_kw(&self) -> Option<f64> {
        match (&self.turbine, &self.power_curve) {
            (Some(name), _) => catalog::turbine(name).map(|t| t.p_rated_kw),
            (None, Some(c)) => Some(c.p_kw.iter().copied().fold(0.0, f64::max)),
            (None, None) => None,
        }
    }

    /// Rated power of the farm in kW.
    pub fn p_rated_kw(&self) -> Option<f64> {
        self.p_turbine_kw().map(|p| p * f64::from(self.n_turbines))
    }
}

impl AssetSpec for Wind {
    fn kind(&self) -> AssetKind {
        AssetKind::Wind
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn ports(&self) -> Vec<Port<'_>> {
        vec![Port {
            field: "bus",
            bus: &self.bus,
            carriers: ELECTRIC,
        }]
    }
    fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }
    fn profile_units(&self) -> &'static [ProfileUnit] {
        &[ProfileUnit::Kw, ProfileUnit::PerUnit]
    }
    fn capacity(&self) -> Vec<Capacity> {
        vec![Capacity {
            port: "bus",
            role: Role::Supply,
            kw: self.p_rated_kw(),
            kwh: None,
        }]
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        if self.n_turbines == 0 {
            cx.error(at, "n_turbines", "n_turbines must be at least 1");
        }
        let given: Vec<&str> = [
            ("turbine", self.turbine.is_some()),
            ("power_curve", self.power_curve.is_some()),
            ("power_curve_file", self.power_curve_file.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
        match given.as_slice() {
            [] => cx.push(
                Diagnostic::error(at.clone(), "the farm has no turbine")
                    .with_hint("give turbine (a built-in type), power_curve, or power_curve_file"),
            ),
            [_] => {}
            [first, rest @ ..] => cx.push(
                Diagnostic::error(
                    at.key(rest[0]),
                    format!(
                        "give one of turbine, power_curve and power_curve_file, not {first} and {}",
                        rest.join(" and ")
                    ),
                )
                .with_hint("each gives the turbine's power curve"),
            ),
        }
        if let Some(name) = &self.turbine {
            if catalog::turbine(name).is_none() {
                let known: Vec<&str> = catalog::turbine_names().collect();
                cx.push(
                    Diagnostic::error(at.key("turbine"), format!("no built-in turbine '{name}'"))
                        .with_hint(did_you_mean(name, known.iter().copied()).unwrap_or_else(
                            || {
                                format!(
                                    "built-in turbines: {}; or give a power_curve",
                                    known.join(", ")
                                )
                            },
                        )),
                );
            }
        }
        if let Some(curve) = &self.power_curve {
            check_curve(cx, &at.key("power_curve"), curve);
        }
        let own_curve = self.power_curve.is_some() || self.power_curve_file.is_some();
        if self.turbine.is_none() && own_curve && self.hub_height_m.is_none() {
            cx.push(Diagnostic::error(
                at.key("hub_height_m"),
                "a farm with its own power curve needs hub_height_m",
            ));
        }
        cx.opt(at, "hub_height_m", self.hub_height_m, |cx, at, f, v| {
            cx.within(at, f, v, 10.0, 250.0, "m")
        });
        cx.within(at, "losses_frac", self.losses_frac, 0.0, 0.9, "");
        cx.opt(
            at,
            "wind_mean_m_per_s",
            self.wind_mean_m_per_s,
            |cx, at, f, v| cx.within(at, f, v, 0.5, 20.0, "m/s"),
        );
        cx.opt(at, "wind_height_m", self.wind_height_m, |cx, at, f, v| {
            cx.within(at, f, v, 2.0, 250.0, "m")
        });
        cx.opt(at, "weibull_k", self.weibull_k, |cx, at, f, v| {
            cx.within(at, f, v, 1.0, 5.0, "")
        });
        if self.wind_mean_m_per_s.is_some() != self.wind_height_m.is_some() {
            cx.push(
                Diagnostic::error(
                    at.clone(),
                    "wind_mean_m_per_s and wind_height_m go together",
                )
                .with_hint("a mean wind speed means nothing without the height it was measured at"),
            );
        }
    }
}

impl PowerCurve {
    /// Reads a curve from CSV text with the columns `wind_speed_m_per_s` and `p_kw` (lines
    /// starting with `#` are comments). Errors carry the 1-based line.
    pub fn from_csv(text: &str) -> Result<Self, (usize, String)> {
        let mut rows = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        let Some((header_line, header)) = rows.next() else {
            return Err((1, String::from("the file is empty")));
        };
        let names: Vec<&str> = header
            .split(',')
            .map(|c| c.trim().trim_matches('"'))
            .collect();
        let col = |name: &str| {
            names.iter().position(|n| *n == name).ok_or_else(|| {
                (
                    header_line + 1,
                    format!("no column '{name}'; the header has: {}", names.join(", ")),
                )
            })
        };
        let (speed, power) = (col("wind_speed_m_per_s")?, col("p_kw")?);
        let mut curve = PowerCurve {
            wind_speed_m_per_s: Vec::new(),
            p_kw: Vec::new(),
        };
        for (i, line) in rows {
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            let num = |idx: usize, name: &str| {
                cells
                    .get(idx)
                    .and_then(|c| c.parse::<f64>().ok())
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        (
                            i + 1,
                            format!(
                                "{name}: '{}' is not a number",
                                cells.get(idx).unwrap_or(&"")
                            ),
                        )
                    })
            };
            curve
                .wind_speed_m_per_s
                .push(num(speed, "wind_speed_m_per_s")?);
            curve.p_kw.push(num(power, "p_kw")?);
        }
        Ok(curve)
    }
}

/// Checks a power curve (also one read from a file).
pub(crate) fn check_curve(cx: &mut Cx, at: &FieldPath, c: &PowerCurve) {
    if c.wind_speed_m_per_s.len() != c.p_kw.len() {
        cx.push(Diagnostic::error(
            at.key("p_kw"),
            format!(
                "the curve has {} wind speeds but {} powers",
                c.wind_speed_m_per_s.len(),
                c.p_kw.len()
            ),
        ));
    }
    if c.wind_speed_m_per_s.len() < 2 {
        cx.error(
            at,
            "wind_speed_m_per_s",
            "a power curve needs at least two points",
        );
    }
    for (i, w) in c.wind_speed_m_per_s.windows(2).enumerate() {
        if w[1] <= w[0] {
            cx.push(
                Diagnostic::error(
                    at.key("wind_speed_m_per_s").index(i + 1),
                    format!("wind speeds must increase: {} follows {}", w[1], w[0]),
                )
                .with_hint("list the curve from low to high wind speed"),
            );
            break;
        }
    }
    if let Some((i, v)) = c
        .wind_speed_m_per_s
        .iter()
        .enumerate()
        .find(|(_, v)| !(0.0..=60.0).contains(*v))
    {
        cx.push(Diagnostic::error(
            at.key("wind_speed_m_per_s").index(i),
            format!("wind speed {v} m/s is outside 0–60"),
        ));
    }
    if let Some((i, v)) = c
        .p_kw
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        cx.push(Diagnostic::error(
            at.key("p_kw").index(i),
            format!("turbine power {v} kW is negative or not a number"),
        ));
    }
    if c.p_kw.iter().all(|p| *p <= 0.0) {
        cx.error(at, "p_kw", "the power curve never produces power");
    }
}
