//! Wind-farm output: hub-height wind speed (log law or power law), air density at hub height,
//! power-curve interpolation with the density correction of IEC 61400-12 as windpowerlib applies
//! it, and a farm loss factor.

use parkgrid_model::asset::PowerCurve;

/// Standard air density, kg/m³.
pub const RHO_STANDARD: f64 = 1.225;

/// How wind speed is carried from the measurement height to the hub.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HeightLaw {
    /// `v·ln(h/z0)/ln(h_ref/z0)` with roughness length `z0` in m.
    Log {
        /// Roughness length, m.
        roughness_m: f64,
    },
    /// `v·(h/h_ref)^α` (Hellman).
    Power {
        /// Shear exponent.
        alpha: f64,
    },
}

impl HeightLaw {
    /// Wind speed at `hub_m` from `v` measured at `ref_m`.
    pub fn extrapolate(self, v: f64, ref_m: f64, hub_m: f64) -> f64 {
        match self {
            HeightLaw::Log { roughness_m } => {
                v * (hub_m / roughness_m).ln() / (ref_m / roughness_m).ln()
            }
            HeightLaw::Power { alpha } => v * (hub_m / ref_m).powf(alpha),
        }
    }
}

/// Air density at `hub_m` from temperature at 2 m and station pressure (barometric height
/// formula and a linear temperature gradient of −6.5 K/km, as windpowerlib), kg/m³.
pub fn air_density(t_air_c: f64, pressure_pa: f64, hub_m: f64) -> f64 {
    let t_hub_k = t_air_c + 273.15 - 0.0065 * (hub_m - 2.0);
    (pressure_pa / 100.0 - hub_m / 8.0) * RHO_STANDARD * 288.15 * 100.0 / (101_330.0 * t_hub_k)
}

/// Power of one turbine in kW at hub wind speed `v`: linear interpolation in the curve, zero
/// outside it. With `density`, the curve's speeds are scaled by `(ρ₀/ρ)^k`, `k` from 1/3 below
/// 7.5 m/s to 2/3 above 12.5 m/s.
pub fn turbine_kw(curve: &PowerCurve, v: f64, density: Option<f64>) -> f64 {
    let speeds = &curve.wind_speed_m_per_s;
    let p = &curve.p_kw;
    let n = speeds.len().min(p.len());
    if n < 2 || !v.is_finite() {
        return 0.0;
    }
    let shifted = |i: usize| -> f64 {
        let s = speeds[i];
        match density {
            None => s,
            Some(rho) => {
                let k = if s <= 7.5 {
                    1.0 / 3.0
                } else if s >= 12.5 {
                    2.0 / 3.0
                } else {
                    1.0 / 3.0 + (s - 7.5) / 5.0 * (1.0 / 3.0)
                };
                s * (RHO_STANDARD / rho).powf(k)
            }
        }
    };
    if v < shifted(0) || v > shifted(n - 1) {
        return 0.0;
    }
    let mut lo = 0;
    let mut hi = n - 1;
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if shifted(mid) <= v {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let (s0, s1) = (shifted(lo), shifted(hi));
    if s1 <= s0 {
        return p[hi];
    }
    p[lo] + (p[hi] - p[lo]) * (v - s0) / (s1 - s0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve() -> PowerCurve {
        PowerCurve {
            wind_speed_m_per_s: vec![3.0, 10.0, 25.0],
            p_kw: vec![0.0, 1000.0, 1000.0],
        }
    }

    #[test]
    fn interpolates_and_cuts_out() {
        assert_eq!(turbine_kw(&curve(), 6.5, None), 500.0);
        assert_eq!(turbine_kw(&curve(), 2.0, None), 0.0);
        assert_eq!(turbine_kw(&curve(), 26.0, None), 0.0);
        assert!(turbine_kw(&curve(), 6.5, Some(1.1)) < 500.0);
    }

    #[test]
    fn height_laws_match_windpowerlib_factors() {
        let log = HeightLaw::Log { roughness_m: 0.15 }.extrapolate(1.0, 10.0, 80.0);
        let pow = HeightLaw::Power { alpha: 1.0 / 7.0 }.extrapolate(1.0, 10.0, 80.0);
        assert!((log - 1.4951398975).abs() < 1e-9);
        assert!((pow - 1.3459001926).abs() < 1e-9);
    }
}
