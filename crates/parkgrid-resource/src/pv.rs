//! PV output with the PVWatts chain: plane-of-array irradiance, SAPM cell temperature, PVWatts DC
//! power with a temperature coefficient, system losses, and the PVWatts inverter curve with
//! clipping. No incidence-angle or spectral modifier (as in pvlib's plain PVWatts chain).

use parkgrid_model::asset::{Pv, Tracking};

use crate::irradiance::{Plane, SkyModel, SkyState, poa, single_axis_plane};
use crate::solar::{SolarError, extraterrestrial_at, relative_airmass, sun_position};
use crate::weather::WeatherSeries;

/// SAPM cell-temperature parameters for glass/cell/polymer-sheet modules on an open rack.
pub const SAPM_A: f64 = -3.56;
/// SAPM wind coefficient, s/m.
pub const SAPM_B: f64 = -0.075;
/// SAPM cell–module temperature difference at 1000 W/m², K.
pub const SAPM_DELTA_T: f64 = 3.0;
/// Reference efficiency of the PVWatts inverter curve.
pub const ETA_INV_REF: f64 = 0.9637;
/// Rotation limit of single-axis trackers, degrees.
pub const TRACKER_MAX_ANGLE_DEG: f64 = 60.0;

/// The parameters of one PV system.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PvSystem {
    /// DC rating at STC, kW.
    pub p_dc_kw: f64,
    /// AC (inverter output) limit, kW.
    pub p_ac_max_kw: f64,
    /// Fixed orientation (ignored for trackers).
    pub plane: Plane,
    /// Single-axis tracking instead of the fixed plane.
    pub tracking: bool,
    /// Temperature coefficient, 1/°C.
    pub gamma_pdc_per_c: f64,
    /// DC losses as a fraction.
    pub system_losses_frac: f64,
    /// Nominal inverter efficiency.
    pub eta_inverter: f64,
    /// Ground reflectance.
    pub albedo: f64,
    /// Sky-diffuse model.
    pub sky_model: SkyModel,
}

impl PvSystem {
    /// The system of a park-file PV array, with the Perez sky.
    pub fn from_model(pv: &Pv) -> Self {
        Self {
            p_dc_kw: pv.p_dc_kw,
            p_ac_max_kw: pv.p_ac_max_kw(),
            plane: Plane {
                tilt_deg: pv.tilt_deg,
                azimuth_deg: pv.azimuth_deg,
            },
            tracking: pv.tracking == Tracking::SingleAxis,
            gamma_pdc_per_c: pv.gamma_pdc_per_c,
            system_losses_frac: pv.system_losses_frac,
            eta_inverter: pv.eta_inverter,
            albedo: pv.albedo,
            sky_model: SkyModel::Perez,
        }
    }
}

/// One step of PV output.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PvStep {
    /// Plane-of-array global irradiance, W/m².
    pub poa_w_per_m2: f64,
    /// Cell temperature, °C.
    pub t_cell_c: f64,
    /// DC power before losses, kW.
    pub p_dc_kw: f64,
    /// AC output, kW.
    pub p_ac_kw: f64,
}

/// SAPM cell temperature, °C.
pub fn sapm_cell_c(poa_w_per_m2: f64, t_air_c: f64, wind_m_per_s: f64) -> f64 {
    let t_module = poa_w_per_m2 * (SAPM_A + SAPM_B * wind_m_per_s).exp() + t_air_c;
    t_module + poa_w_per_m2 / 1000.0 * SAPM_DELTA_T
}

/// PVWatts inverter: AC output for DC input `p_dc_kw` of an inverter with AC limit `p_ac_max_kw`.
pub fn pvwatts_inverter_kw(p_dc_kw: f64, p_ac_max_kw: f64, eta_nom: f64) -> f64 {
    if p_dc_kw <= 0.0 {
        return 0.0;
    }
    let p_dc0 = p_ac_max_kw / eta_nom;
    let zeta = p_dc_kw / p_dc0;
    let eta = eta_nom / ETA_INV_REF * (-0.0162 * zeta - 0.0059 / zeta + 0.9858);
    (eta * p_dc_kw).clamp(0.0, p_ac_max_kw)
}

/// PV output for every step of `weather`.
pub fn pv_output(system: &PvSystem, weather: &WeatherSeries) -> Result<Vec<PvStep>, SolarError> {
    let mut out = Vec::with_capacity(weather.len());
    let suns = crate::solar::each_parallel(weather.len(), |i| {
        sun_position(
            &weather.mid(i),
            weather.latitude_deg,
            weather.longitude_deg,
            weather.elevation_m,
            weather.pressure_pa[i],
            weather.t_air_c[i],
        )
    })?;
    for (i, sun) in suns.into_iter().enumerate() {
        let t = weather.mid(i);
        let sky = SkyState {
            zenith_deg: sun.apparent_zenith_deg,
            azimuth_deg: sun.azimuth_deg,
            ghi: weather.ghi_w_per_m2[i],
            dni: weather.dni_w_per_m2[i],
            dhi: weather.dhi_w_per_m2[i],
            dni_extra: extraterrestrial_at(&t),
            airmass: relative_airmass(sun.apparent_zenith_deg),
        };
        let plane = if system.tracking {
            single_axis_plane(
                sun.apparent_zenith_deg,
                sun.azimuth_deg,
                TRACKER_MAX_ANGLE_DEG,
            )
        } else {
            system.plane
        };
        let e = poa(system.sky_model, plane, &sky, system.albedo).global;
        let t_cell = sapm_cell_c(e, weather.t_air_c[i], weather.wind_m_per_s[i]);
        let p_dc = e / 1000.0 * system.p_dc_kw * (1.0 + system.gamma_pdc_per_c * (t_cell - 25.0));
        let p_net = p_dc * (1.0 - system.system_losses_frac);
        out.push(PvStep {
            poa_w_per_m2: e,
            t_cell_c: t_cell,
            p_dc_kw: p_dc,
            p_ac_kw: pvwatts_inverter_kw(p_net, system.p_ac_max_kw, system.eta_inverter),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverter_clips_and_is_zero_at_night() {
        assert_eq!(pvwatts_inverter_kw(0.0, 100.0, 0.96), 0.0);
        assert_eq!(pvwatts_inverter_kw(500.0, 100.0, 0.96), 100.0);
        let half = pvwatts_inverter_kw(52.0, 100.0, 0.96);
        assert!(half > 0.95 * 52.0 && half < 52.0, "{half}");
    }

    #[test]
    fn cell_temperature_rises_with_sun_and_falls_with_wind() {
        assert_eq!(sapm_cell_c(0.0, 10.0, 3.0), 10.0);
        assert!(sapm_cell_c(1000.0, 25.0, 1.0) > sapm_cell_c(1000.0, 25.0, 5.0));
    }
}
