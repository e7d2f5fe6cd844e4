//! Ground-source (geothermal) heat pumps.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, ELECTRIC, HEAT, Port, Role, check_cop};
use crate::common::Cx;
use crate::diag::FieldPath;

/// A ground-source heat pump: lifts heat from boreholes (at the ground temperature of the climate
/// table) to the heat network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct GroundHeatPump {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Electric bus the compressor draws from.
    pub bus: String,
    /// Heat bus the pump delivers to.
    pub heat_bus: String,
    /// Rated heat output in kW.
    pub heat_max_kw: f64,
    /// Fixed coefficient of performance; default: computed from the ground and supply
    /// temperatures with `carnot_fraction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cop: Option<f64>,
    /// Share of the Carnot COP the machine reaches.
    #[serde(default = "default_carnot")]
    pub carnot_fraction: f64,
}

fn default_carnot() -> f64 {
    0.45
}

impl AssetSpec for GroundHeatPump {
    fn kind(&self) -> AssetKind {
        AssetKind::GroundHeatPump
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn ports(&self) -> Vec<Port<'_>> {
        vec![
            Port {
                field: "bus",
                bus: &self.bus,
                carriers: ELECTRIC,
            },
            Port {
                field: "heat_bus",
                bus: &self.heat_bus,
                carriers: HEAT,
            },
        ]
    }
    fn capacity(&self) -> Vec<Capacity> {
        vec![Capacity {
            port: "heat_bus",
            role: Role::Conversion,
            kw: Some(self.heat_max_kw),
            kwh: None,
        }]
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.positive(at, "heat_max_kw", self.heat_max_kw);
        check_cop(cx, at, self.cop, self.carnot_fraction);
    }
}
