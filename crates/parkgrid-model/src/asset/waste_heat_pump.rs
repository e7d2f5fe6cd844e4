//! Heat pumps lifting waste heat (e.g. a data centre's) to the heat network.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, ELECTRIC, HEAT, Port, Role, WASTE_HEAT, check_cop};
use crate::common::Cx;
use crate::diag::FieldPath;

/// A heat pump whose source is a waste-heat bus: delivers `heat` = waste heat taken + electricity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct WasteHeatPump {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Electric bus the compressor draws from.
    pub bus: String,
    /// Waste-heat bus the pump takes heat from.
    pub source_bus: String,
    /// Heat bus the pump delivers to.
    pub heat_bus: String,
    /// Rated heat output in kW.
    pub heat_max_kw: f64,
    /// Fixed coefficient of performance; default: computed from the waste-heat and supply
    /// temperatures with `carnot_fraction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cop: Option<f64>,
    /// Share of the Carnot COP the machine reaches (0.55 gives COP ≈ 4.9 from 18 °C to 55 °C).
    #[serde(default = "default_carnot")]
    pub carnot_fraction: f64,
}

fn default_carnot() -> f64 {
    0.55
}

impl AssetSpec for WasteHeatPump {
    fn kind(&self) -> AssetKind {
        AssetKind::WasteHeatPump
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
                field: "source_bus",
                bus: &self.source_bus,
                carriers: WASTE_HEAT,
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
