//! Space heating and domestic hot water.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, HEAT, Port, Role};
use crate::common::{Cx, Profile};
use crate::diag::{Diagnostic, FieldPath};
use crate::tenant::MeterCarrier;

/// Heat demand of buildings: space heating in the heating season from the outdoor temperature
/// (design load at the design temperature, zero at the indoor temperature), plus hot water; or a
/// measured profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HeatLoad {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Heat bus supplying the load.
    pub bus: String,
    /// Heated floor area in m². Give this or `profile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor_area_m2: Option<f64>,
    /// Space-heating load per m² at the design temperature, W/m².
    #[serde(default = "default_design_load")]
    pub design_w_per_m2: f64,
    /// Outdoor design temperature for heating in °C (Beijing: −7.6).
    #[serde(default = "default_t_design")]
    pub t_design_c: f64,
    /// Indoor temperature kept in the heating season, °C.
    #[serde(default = "default_t_indoor")]
    pub t_indoor_c: f64,
    /// Domestic hot-water demand over the year, kWh (spread over the year).
    #[serde(default)]
    pub dhw_annual_kwh: f64,
    /// Tenant (id) owning the load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Measured heat demand in kW instead of the temperature model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

fn default_design_load() -> f64 {
    40.0
}
fn default_t_design() -> f64 {
    -7.6
}
fn default_t_indoor() -> f64 {
    18.0
}

impl HeatLoad {
    /// Space-heating design load in kW, when modelled from the floor area.
    pub fn design_kw(&self) -> Option<f64> {
        self.floor_area_m2
            .map(|a| a * self.design_w_per_m2 / 1000.0)
    }
}

impl AssetSpec for HeatLoad {
    fn kind(&self) -> AssetKind {
        AssetKind::HeatLoad
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn ports(&self) -> Vec<Port<'_>> {
        vec![Port {
            field: "bus",
            bus: &self.bus,
            carriers: HEAT,
        }]
    }
    fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
    fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }
    fn metered(&self) -> Option<MeterCarrier> {
        Some(MeterCarrier::Heat)
    }
    fn capacity(&self) -> Vec<Capacity> {
        vec![Capacity {
            port: "bus",
            role: Role::Demand,
            kw: self.design_kw(),
            kwh: None,
        }]
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.either_or(
            at,
            ("floor_area_m2", self.floor_area_m2.is_some()),
            ("profile", self.profile.is_some()),
        );
        cx.opt(at, "floor_area_m2", self.floor_area_m2, Cx::positive);
        cx.within(
            at,
            "design_w_per_m2",
            self.design_w_per_m2,
            5.0,
            200.0,
            "W/m²",
        );
        cx.within(at, "t_design_c", self.t_design_c, -50.0, 15.0, "°C");
        cx.within(at, "t_indoor_c", self.t_indoor_c, 10.0, 30.0, "°C");
        cx.non_negative(at, "dhw_annual_kwh", self.dhw_annual_kwh);
        if self.t_design_c >= self.t_indoor_c {
            cx.push(
                Diagnostic::error(
                    at.key("t_design_c"),
                    format!(
                        "design temperature {} °C is not below the indoor temperature {} °C",
                        self.t_design_c, self.t_indoor_c
                    ),
                )
                .with_hint(
                    "t_design_c is the coldest outdoor temperature the heating is sized for",
                ),
            );
        }
    }
}
