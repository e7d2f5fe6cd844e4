//! Irradiance on a tilted plane (isotropic, Hay–Davies, Perez), the diffuse split (Erbs), clear-sky
//! irradiance (Ineichen–Perez) and single-axis tracking. Angles in degrees, irradiance in W/m².

/// Sky-diffuse model for the plane of array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkyModel {
    /// Isotropic sky (Liu & Jordan).
    Isotropic,
    /// Hay & Davies (1980): circumsolar share by the anisotropy index.
    HayDavies,
    /// Perez et al. (1990), "all sites composite 1990" coefficients.
    Perez,
}

/// Orientation of a plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plane {
    /// Tilt from horizontal, degrees.
    pub tilt_deg: f64,
    /// Azimuth, degrees clockwise from north.
    pub azimuth_deg: f64,
}

/// Irradiance components on the plane of array.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Poa {
    /// Total, W/m².
    pub global: f64,
    /// Beam, W/m².
    pub direct: f64,
    /// Sky diffuse, W/m².
    pub sky_diffuse: f64,
    /// Ground-reflected, W/m².
    pub ground_diffuse: f64,
}

/// The sun and the sky at one instant, as the plane-of-array models need them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkyState {
    /// Solar zenith (apparent), degrees.
    pub zenith_deg: f64,
    /// Solar azimuth, degrees.
    pub azimuth_deg: f64,
    /// GHI, W/m².
    pub ghi: f64,
    /// DNI, W/m².
    pub dni: f64,
    /// DHI, W/m².
    pub dhi: f64,
    /// Extraterrestrial normal irradiance, W/m².
    pub dni_extra: f64,
    /// Relative air mass; `None` with the sun below the horizon.
    pub airmass: Option<f64>,
}

fn cosd(x: f64) -> f64 {
    x.to_radians().cos()
}
fn sind(x: f64) -> f64 {
    x.to_radians().sin()
}

/// Cosine of the angle of incidence of the sun on the plane (may be negative).
pub fn aoi_projection(plane: Plane, zenith_deg: f64, azimuth_deg: f64) -> f64 {
    let p = cosd(plane.tilt_deg) * cosd(zenith_deg)
        + sind(plane.tilt_deg) * sind(zenith_deg) * cosd(azimuth_deg - plane.azimuth_deg);
    p.clamp(-1.0, 1.0)
}

/// "All sites composite 1990" Perez coefficients: per clearness bin, F1 = (f11, f12, f13) and
/// F2 = (f21, f22, f23). Perez et al., Solar Energy 44 (1990) 271–289, as tabulated in pvlib.
const PEREZ_1990: [[f64; 6]; 8] = [
    [-0.0080, 0.5880, -0.0620, -0.0600, 0.0720, -0.0220],
    [0.1300, 0.6830, -0.1510, -0.0190, 0.0660, -0.0290],
    [0.3300, 0.4870, -0.2210, 0.0550, -0.0640, -0.0260],
    [0.5680, 0.1870, -0.2950, 0.1090, -0.1520, -0.0140],
    [0.8730, -0.3920, -0.3620, 0.2260, -0.4620, 0.0010],
    [1.1320, -1.2370, -0.4120, 0.2880, -0.8230, 0.0560],
    [1.0600, -1.6000, -0.3590, 0.2640, -1.1270, 0.1310],
    [0.6780, -0.3270, -0.2500, 0.1560, -1.3770, 0.2510],
];
/// Upper edges of the Perez sky-clearness bins (the last bin is open).
const PEREZ_EPS_EDGES: [f64; 7] = [1.065, 1.23, 1.5, 1.95, 2.8, 4.5, 6.2];

/// Sky-diffuse irradiance on the plane.
pub fn sky_diffuse(model: SkyModel, plane: Plane, s: &SkyState) -> f64 {
    match model {
        SkyModel::Isotropic => s.dhi * (1.0 + cosd(plane.tilt_deg)) / 2.0,
        SkyModel::HayDavies => {
            let cos_tt = aoi_projection(plane, s.zenith_deg, s.azimuth_deg).max(0.0);
            let rb = cos_tt / cosd(s.zenith_deg).max(0.01745);
            let ai = if s.dni_extra > 0.0 {
                s.dni / s.dni_extra
            } else {
                0.0
            };
            let iso = (s.dhi * (1.0 - ai) * 0.5 * (1.0 + cosd(plane.tilt_deg))).max(0.0);
            let circ = (s.dhi * ai * rb).max(0.0);
            iso + circ
        }
        SkyModel::Perez => {
            let Some(airmass) = s.airmass else { return 0.0 };
            if s.dhi <= 0.0 {
                return 0.0;
            }
            const KAPPA: f64 = 1.041;
            let z = s.zenith_deg.to_radians();
            let delta = s.dhi * airmass / s.dni_extra;
            let eps = ((s.dhi + s.dni) / s.dhi + KAPPA * z.powi(3)) / (1.0 + KAPPA * z.powi(3));
            let bin = PEREZ_EPS_EDGES.iter().take_while(|&&e| eps >= e).count();
            let c = PEREZ_1990[bin];
            let f1 = (c[0] + c[1] * delta + c[2] * z).max(0.0);
            let f2 = c[3] + c[4] * delta + c[5] * z;
            let a = aoi_projection(plane, s.zenith_deg, s.azimuth_deg).max(0.0);
            let b = cosd(s.zenith_deg).max(cosd(85.0));
            let term1 = 0.5 * (1.0 - f1) * (1.0 + cosd(plane.tilt_deg));
            let term2 = f1 * a / b;
            let term3 = f2 * sind(plane.tilt_deg);
            (s.dhi * (term1 + term2 + term3)).max(0.0)
        }
    }
}

/// Total plane-of-array irradiance: beam + sky diffuse + ground-reflected (albedo).
pub fn poa(model: SkyModel, plane: Plane, s: &SkyState, albedo: f64) -> Poa {
    let direct = (s.dni * aoi_projection(plane, s.zenith_deg, s.azimuth_deg)).max(0.0);
    let sky = sky_diffuse(model, plane, s);
    let ground = s.ghi * albedo * (1.0 - cosd(plane.tilt_deg)) * 0.5;
    Poa {
        global: direct + sky + ground,
        direct,
        sky_diffuse: sky,
        ground_diffuse: ground,
    }
}

/// Diffuse fraction of GHI from the clearness index, Erbs et al. (1982). Returns `(dni, dhi)`.
pub fn erbs(ghi: f64, zenith_deg: f64, dni_extra: f64) -> (f64, f64) {
    let cos_z = cosd(zenith_deg);
    if ghi <= 0.0 || cos_z <= 0.0 {
        return (0.0, ghi.max(0.0));
    }
    let kt = (ghi / (dni_extra * cos_z.max(0.065))).clamp(0.0, 1.0);
    let df = if kt <= 0.22 {
        1.0 - 0.09 * kt
    } else if kt <= 0.8 {
        0.9511 - 0.1604 * kt + 4.388 * kt.powi(2) - 16.638 * kt.powi(3) + 12.336 * kt.powi(4)
    } else {
        0.165
    };
    let dhi = df * ghi;
    let dni = if zenith_deg < 87.0 {
        ((ghi - dhi) / cos_z).max(0.0)
    } else {
        0.0
    };
    (dni, dhi)
}

/// Clear-sky GHI, Ineichen & Perez (2002), for the apparent zenith, Linke turbidity and site
/// altitude, W/m².
pub fn clear_sky_ghi(
    apparent_zenith_deg: f64,
    linke_turbidity: f64,
    altitude_m: f64,
    dni_extra: f64,
) -> f64 {
    let cos_z = cosd(apparent_zenith_deg);
    let Some(am_rel) = crate::solar::relative_airmass(apparent_zenith_deg) else {
        return 0.0;
    };
    if cos_z <= 0.0 {
        return 0.0;
    }
    let am = am_rel * crate::solar::pressure_at_elevation_pa(altitude_m) / 101_325.0;
    let fh1 = (-altitude_m / 8000.0).exp();
    let fh2 = (-altitude_m / 1250.0).exp();
    let cg1 = 5.09e-5 * altitude_m + 0.868;
    let cg2 = 3.92e-5 * altitude_m + 0.0387;
    let tl = linke_turbidity;
    (cg1 * dni_extra * cos_z * (-cg2 * am * (fh1 + fh2 * (tl - 1.0))).exp()).max(0.0)
}

/// The plane of a horizontal north–south single-axis tracker following the sun (rotation limited
/// to ±`max_angle_deg`, no backtracking).
pub fn single_axis_plane(zenith_deg: f64, azimuth_deg: f64, max_angle_deg: f64) -> Plane {
    if zenith_deg >= 90.0 {
        return Plane {
            tilt_deg: 0.0,
            azimuth_deg: 90.0,
        };
    }
    let x = sind(zenith_deg) * sind(azimuth_deg);
    let z = cosd(zenith_deg);
    let theta = x.atan2(z).to_degrees().clamp(-max_angle_deg, max_angle_deg);
    Plane {
        tilt_deg: theta.abs(),
        azimuth_deg: if theta >= 0.0 { 90.0 } else { 270.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sky() -> SkyState {
        SkyState {
            zenith_deg: 40.0,
            azimuth_deg: 160.0,
            ghi: 700.0,
            dni: 700.0,
            dhi: 160.0,
            dni_extra: 1400.0,
            airmass: Some(1.3),
        }
    }

    #[test]
    fn horizontal_plane_sees_ghi() {
        let plane = Plane {
            tilt_deg: 0.0,
            azimuth_deg: 180.0,
        };
        let s = SkyState {
            ghi: 700.0 * cosd(40.0) + 160.0,
            ..sky()
        };
        for model in [SkyModel::Isotropic, SkyModel::HayDavies] {
            let p = poa(model, plane, &s, 0.2);
            assert!((p.global - s.ghi).abs() < 1e-9, "{model:?}: {}", p.global);
        }
    }

    #[test]
    fn tracker_faces_the_sun_within_its_limit() {
        let p = single_axis_plane(50.0, 90.0, 60.0);
        assert!((p.tilt_deg - 50.0).abs() < 1e-9 && p.azimuth_deg == 90.0);
        let p = single_axis_plane(80.0, 270.0, 60.0);
        assert!((p.tilt_deg - 60.0).abs() < 1e-9 && p.azimuth_deg == 270.0);
    }

    #[test]
    fn erbs_splits_and_recombines() {
        let (dni, dhi) = erbs(600.0, 30.0, 1400.0);
        assert!((dni * cosd(30.0) + dhi - 600.0).abs() < 1e-9);
        assert!(dhi > 0.0 && dni > 0.0);
        assert_eq!(erbs(0.0, 100.0, 1400.0), (0.0, 0.0));
    }

    #[test]
    fn clear_sky_is_plausible() {
        let ghi = clear_sky_ghi(20.0, 3.0, 500.0, 1367.0);
        assert!((850.0..1050.0).contains(&ghi), "{ghi}");
        assert_eq!(clear_sky_ghi(95.0, 3.0, 500.0, 1367.0), 0.0);
    }
}
