//! Space cooling demand.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, COLD, Capacity, Port, Role};
use crate::common::{Cx, Profile};
use crate::diag::{Diagnostic, FieldPath};
use crate::tenant::MeterCarrier;

/// Cooling demand of buildings from the weather's cooling degree hours: zero at the balance
/// temperature, the design load at the design temperature, in occupied hours (working days
/// 08:00–18:00 for offices, every hour for `continuous`); or a measured profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CoolingLoad {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Cold (chilled-water) bus supplying the load.
    pub bus: String,
    /// Cooled floor area in m². Give this or `profile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor_area_m2: Option<f64>,
    /// Cooling load per m² at the design temperature, W/m² (offices 90–120 in Chinese design
    /// practice).
    #[serde(default = "default_design_load")]
    pub design_w_per_m2: f64,
    /// Outdoor design dry-bulb temperature for cooling, °C (Beijing: 33.5).
    #[serde(default = "default_t_design")]
    pub t_design_c: f64,
    /// Outdoor temperature above which the building needs cooling, °C (below the indoor set point
    /// by what people, lights and the sun add; 18 °C is the usual cooling-degree base).
    #[serde(default = "default_t_balance")]
    pub t_balance_c: f64,
    /// True for a building cooled every hour (hotel, laboratory); false for an office cooled in
    /// working hours only.
    #[serde(default)]
    pub continuous: bool,
    /// Tenant (id) owning the load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Measured cooling demand in kW instead of the degree-hour model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

fn default_design_load() -> f64 {
    100.0
}
fn default_t_design() -> f64 {
    33.5
}
fn default_t_balance() -> f64 {
    18.0
}

impl CoolingLoad {
    /// Cooling design load in kW, when modelled from the floor area.
    pub fn design_kw(&self) -> Option<f64> {
        self.floor_area_m2
            .map(|a| a * self.design_w_per_m2 / 1000.0)
    }
}

impl AssetSpec for CoolingLoad {
    fn kind(&self) -> AssetKind {
        AssetKind::CoolingLoad
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn ports(&self) -> Vec<Port<'_>> {
        vec![Port {
            field: "bus",
            bus: &self.bus,
            carriers: COLD,
        }]
    }
    fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
    fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }
    fn metered(&self) -> Option<MeterCarrier> {
        Some(MeterCarrier::Cooling)
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
            10.0,
            400.0,
            "W/m²",
        );
        cx.within(at, "t_design_c", self.t_design_c, 20.0, 50.0, "°C");
        cx.within(at, "t_balance_c", self.t_balance_c, 5.0, 30.0, "°C");
        if self.t_balance_c >= self.t_design_c {
            cx.push(
                Diagnostic::error(
                    at.key("t_balance_c"),
                    format!(
                        "balance temperature {} °C is not below the design temperature {} °C",
                        self.t_balance_c, self.t_design_c
                    ),
                )
                .with_hint(
                    "t_design_c is the hottest outdoor temperature the cooling is sized for",
                ),
            );
        }
    }
}
