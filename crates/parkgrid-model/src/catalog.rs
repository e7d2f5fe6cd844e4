//! Built-in equipment data that park files may name instead of spelling out.
//!
//! Turbine power curves are shipped as CSV files under `data/turbines/`, each with its source and
//! licence in its header comment lines.

use crate::asset::PowerCurve;

/// A built-in wind turbine type.
#[derive(Debug, Clone, PartialEq)]
pub struct TurbineType {
    /// The name a park file uses (`turbine = "DOE_GE_1.5MW_77"`).
    pub name: &'static str,
    /// Rated power in kW.
    pub p_rated_kw: f64,
    /// Rotor diameter in m.
    pub rotor_diameter_m: f64,
    /// Hub height in m.
    pub hub_height_m: f64,
    /// Power curve (wind speed at hub height → electric power).
    pub curve: PowerCurve,
}

struct TurbineFile {
    name: &'static str,
    p_rated_kw: f64,
    rotor_diameter_m: f64,
    hub_height_m: f64,
    csv: &'static str,
}

const TURBINE_FILES: &[TurbineFile] = &[TurbineFile {
    name: "DOE_GE_1.5MW_77",
    p_rated_kw: 1500.0,
    rotor_diameter_m: 77.0,
    hub_height_m: 80.0,
    csv: include_str!("../data/turbines/DOE_GE_1.5MW_77.csv"),
}];

/// Names of the built-in turbines.
pub fn turbine_names() -> impl Iterator<Item = &'static str> {
    TURBINE_FILES.iter().map(|t| t.name)
}

/// The built-in turbine called `name`.
pub fn turbine(name: &str) -> Option<TurbineType> {
    let file = TURBINE_FILES.iter().find(|t| t.name == name)?;
    Some(TurbineType {
        name: file.name,
        p_rated_kw: file.p_rated_kw,
        rotor_diameter_m: file.rotor_diameter_m,
        hub_height_m: file.hub_height_m,
        curve: parse_curve(file.csv)?,
    })
}

/// Reads `wind_speed_ms` and `power_kw_used` from a shipped curve file (comment lines start with
/// `#`). `None` only if a shipped file is malformed, which the tests rule out.
fn parse_curve(csv: &str) -> Option<PowerCurve> {
    let mut lines = csv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let header: Vec<&str> = lines.next()?.split(',').collect();
    let speed_col = header.iter().position(|h| *h == "wind_speed_ms")?;
    let power_col = header.iter().position(|h| *h == "power_kw_used")?;
    let mut curve = PowerCurve {
        wind_speed_m_per_s: Vec::new(),
        p_kw: Vec::new(),
    };
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        curve
            .wind_speed_m_per_s
            .push(cells.get(speed_col)?.trim().parse().ok()?);
        curve.p_kw.push(cells.get(power_col)?.trim().parse().ok()?);
    }
    Some(curve)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_turbine_parses() {
        for name in turbine_names() {
            let t = turbine(name);
            assert!(t.is_some(), "{name} does not parse");
            let t = t.unwrap_or_else(|| unreachable!());
            assert_eq!(t.curve.wind_speed_m_per_s.len(), t.curve.p_kw.len());
            let max = t.curve.p_kw.iter().copied().fold(0.0, f64::max);
            assert!(
                (max - t.p_rated_kw).abs() / t.p_rated_kw < 0.02,
                "{name}: max {max}"
            );
        }
        let ge = turbine("DOE_GE_1.5MW_77").map(|t| t.curve);
        assert_eq!(
            ge.as_ref().and_then(|c| c.wind_speed_m_per_s.last()),
            Some(&25.0)
        );
    }
}
