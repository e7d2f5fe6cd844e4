//! Fuel-fired boilers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, HEAT, Port, Role};
use crate::common::Cx;
use crate::diag::FieldPath;

/// A boiler burning a fuel (natural gas) for heat: the old boiler house, kept as backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct GasBoiler {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Heat bus the boiler delivers to.
    pub bus: String,
    /// Fuel (id) burnt.
    pub fuel: String,
    /// Rated heat output in kW.
    pub heat_max_kw: f64,
    /// Efficiency (heat / fuel, LHV).
    #[serde(default = "default_eta")]
    pub eta: f64,
    /// Operation and maintenance cost per kWh of heat, CNY/kWh.
    #[serde(default)]
    pub om_cny_per_kwh: f64,
}

fn default_eta() -> f64 {
    0.92
}

impl AssetSpec for GasBoiler {
    fn kind(&self) -> AssetKind {
        AssetKind::GasBoiler
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
    fn fuel(&self) -> Option<&str> {
        Some(&self.fuel)
    }
    fn capacity(&self) -> Vec<Capacity> {
        vec![Capacity {
            port: "bus",
            role: Role::Supply,
            kw: Some(self.heat_max_kw),
            kwh: None,
        }]
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.positive(at, "heat_max_kw", self.heat_max_kw);
        cx.efficiency(at, "eta", self.eta);
        cx.non_negative(at, "om_cny_per_kwh", self.om_cny_per_kwh);
    }
}
