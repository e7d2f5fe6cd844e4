//! Photovoltaic arrays.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, ELECTRIC, Port, Role};
use crate::common::{Cx, Profile, ProfileUnit};
use crate::diag::{Diagnostic, FieldPath};

/// A PV array with its inverter (or DC/DC converter on a DC bus), modelled with PVWatts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Pv {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// AC or DC bus the array feeds.
    pub bus: String,
    /// DC rating at standard test conditions in kW (kWp).
    pub p_dc_kw: f64,
    /// Inverter (or DC/DC converter) output rating in kW; output is clipped here.
    /// Default: `p_dc_kw / 1.2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_ac_max_kw: Option<f64>,
    /// Module tilt from horizontal in degrees (fixed mounting).
    #[serde(default = "default_tilt")]
    pub tilt_deg: f64,
    /// Azimuth the modules face, degrees clockwise from north (180 = south).
    #[serde(default = "default_azimuth")]
    pub azimuth_deg: f64,
    /// `fixed` or `single_axis` (north–south axis, tracking east to west).
    #[serde(default)]
    pub tracking: Tracking,
    /// Power temperature coefficient per °C (PVWatts γ_pdc).
    #[serde(default = "default_gamma")]
    pub gamma_pdc_per_c: f64,
    /// DC system losses (soiling, wiring, mismatch, availability) as a fraction.
    #[serde(default = "default_losses")]
    pub system_losses_frac: f64,
    /// Nominal inverter efficiency.
    #[serde(default = "default_eta_inv")]
    pub eta_inverter: f64,
    /// Ground reflectance.
    #[serde(default = "default_albedo")]
    pub albedo: f64,
    /// Measured or external output instead of the PVWatts model (`kw` or `per_unit` of `p_dc_kw`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

/// How the modules are mounted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tracking {
    /// Fixed tilt and azimuth.
    #[default]
    Fixed,
    /// Horizontal north–south axis tracking the sun from east to west.
    SingleAxis,
}

fn default_tilt() -> f64 {
    30.0
}
fn default_azimuth() -> f64 {
    180.0
}
fn default_gamma() -> f64 {
    -0.0035
}
fn default_losses() -> f64 {
    0.14
}
fn default_eta_inv() -> f64 {
    0.96
}
fn default_albedo() -> f64 {
    0.2
}

impl Pv {
    /// Inverter output rating in kW.
    pub fn p_ac_max_kw(&self) -> f64 {
        self.p_ac_max_kw.unwrap_or(self.p_dc_kw / 1.2)
    }
}

impl AssetSpec for Pv {
    fn kind(&self) -> AssetKind {
        AssetKind::Pv
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
            kw: Some(self.p_ac_max_kw()),
            kwh: None,
        }]
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.positive(at, "p_dc_kw", self.p_dc_kw);
        cx.opt(at, "p_ac_max_kw", self.p_ac_max_kw, Cx::positive);
        cx.within(at, "tilt_deg", self.tilt_deg, 0.0, 90.0, "degrees");
        cx.within(at, "azimuth_deg", self.azimuth_deg, 0.0, 360.0, "degrees");
        cx.within(
            at,
            "gamma_pdc_per_c",
            self.gamma_pdc_per_c,
            -0.02,
            0.0,
            "1/°C",
        );
        if self.gamma_pdc_per_c < -0.02 && self.gamma_pdc_per_c >= -2.0 {
            cx.push(
                Diagnostic::error(
                    at.key("gamma_pdc_per_c"),
                    "temperature coefficient looks like a percentage",
                )
                .with_hint(format!(
                    "write {} for {} %/°C",
                    self.gamma_pdc_per_c / 100.0,
                    self.gamma_pdc_per_c
                )),
            );
        }
        cx.within(
            at,
            "system_losses_frac",
            self.system_losses_frac,
            0.0,
            0.99,
            "",
        );
        cx.efficiency(at, "eta_inverter", self.eta_inverter);
        cx.fraction(at, "albedo", self.albedo);
        let ratio = self.p_dc_kw / self.p_ac_max_kw();
        if self.p_dc_kw > 0.0 && ratio.is_finite() && !(0.8..=2.0).contains(&ratio) {
            cx.push(
                Diagnostic::warning(
                    at.key("p_ac_max_kw"),
                    format!("DC/AC ratio {ratio:.2} is unusual (1.1–1.5 is typical)"),
                )
                .with_hint("check that p_dc_kw and p_ac_max_kw are both in kW"),
            );
        }
    }
}
