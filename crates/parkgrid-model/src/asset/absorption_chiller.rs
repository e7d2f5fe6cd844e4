//! Absorption chillers: cooling from heat (the cooling leg of combined cooling, heating and
//! power, 冷热电三联供).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, COLD, Capacity, HEAT, Port, Role};
use crate::common::Cx;
use crate::diag::{Diagnostic, FieldPath};

/// A hot-water-driven lithium-bromide absorption chiller: takes drive heat, delivers cooling at a
/// fixed COP (cooling / drive heat; ≈ 0.7 single effect, ≈ 1.2 double effect). The drive heat is
/// either a CHP's recovered heat (jacket water and exhaust, taken before it enters the heat
/// network: `chp`) or a heat network hot enough to drive the machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AbsorptionChiller {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Heat bus the drive heat is taken from.
    pub heat_bus: String,
    /// The CHP (id) whose recovered heat drives the chiller directly; the chiller then takes at
    /// most that CHP's heat output each step (from the CHP's `heat_bus`, which must be this
    /// `heat_bus`), at the engine's jacket-water temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chp: Option<String>,
    /// Cold (chilled-water) bus the chiller delivers to.
    pub cold_bus: String,
    /// Rated cooling output in kW.
    pub cold_max_kw: f64,
    /// Coefficient of performance: cooling / drive heat.
    #[serde(default = "default_cop")]
    pub cop: f64,
    /// Lowest drive-water temperature the machine runs on, °C (single effect: 70 °C; its
    /// capacity falls well below the rating under ≈ 90 °C, which is not modelled); without `chp`
    /// the heat bus's supply temperature must reach it.
    #[serde(default = "default_t_drive")]
    pub t_drive_min_c: f64,
}

fn default_cop() -> f64 {
    0.7
}
fn default_t_drive() -> f64 {
    70.0
}

impl AssetSpec for AbsorptionChiller {
    fn kind(&self) -> AssetKind {
        AssetKind::AbsorptionChiller
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn ports(&self) -> Vec<Port<'_>> {
        vec![
            Port {
                field: "heat_bus",
                bus: &self.heat_bus,
                carriers: HEAT,
            },
            Port {
                field: "cold_bus",
                bus: &self.cold_bus,
                carriers: COLD,
            },
        ]
    }
    fn capacity(&self) -> Vec<Capacity> {
        vec![Capacity {
            port: "cold_bus",
            role: Role::Conversion,
            kw: Some(self.cold_max_kw),
            kwh: None,
        }]
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.positive(at, "cold_max_kw", self.cold_max_kw);
        if !(self.cop.is_finite() && self.cop > 0.3 && self.cop <= 1.8) {
            cx.push(
                Diagnostic::error(
                    at.key("cop"),
                    format!("cop must be above 0.3 and at most 1.8, got {}", self.cop),
                )
                .with_hint("single-effect machines reach about 0.7, double-effect about 1.2"),
            );
        }
        cx.within(at, "t_drive_min_c", self.t_drive_min_c, 60.0, 200.0, "°C");
    }
}
