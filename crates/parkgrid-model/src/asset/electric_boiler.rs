//! Electric boilers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, ELECTRIC, HEAT, Port, Role};
use crate::common::Cx;
use crate::diag::FieldPath;

/// An electric (resistive or electrode) boiler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ElectricBoiler {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Electric bus the boiler draws from.
    pub bus: String,
    /// Heat bus the boiler delivers to.
    pub heat_bus: String,
    /// Rated heat output in kW.
    pub heat_max_kw: f64,
    /// Efficiency (heat / electricity).
    #[serde(default = "default_eta")]
    pub eta: f64,
}

fn default_eta() -> f64 {
    0.99
}

impl AssetSpec for ElectricBoiler {
    fn kind(&self) -> AssetKind {
        AssetKind::ElectricBoiler
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
        cx.efficiency(at, "eta", self.eta);
    }
}
