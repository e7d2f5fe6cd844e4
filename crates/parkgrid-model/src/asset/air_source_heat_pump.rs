//! Air-source (air-to-water) heat pumps.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, ELECTRIC, HEAT, Port, Role};
use crate::common::Cx;
use crate::diag::FieldPath;

/// An air-source heat pump: lifts heat from the outdoor air to the heat network. Its COP and
/// its largest heat output follow the outdoor temperature (the weather) and the heat bus's supply
/// temperature: the When2Heat fit of air-source COP against the temperature lift, the
/// Afjei–Wetter–Glass frost factor for defrosting, and the capacity of an average residential
/// air-to-water unit relative to its A7/W35 rating (`parkgrid_resource::heat`, sources there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AirSourceHeatPump {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Electric bus the compressor draws from.
    pub bus: String,
    /// Heat bus the pump delivers to.
    pub heat_bus: String,
    /// Rated heat output in kW at 7 °C outdoor air and 35 °C supply (EN 14511's A7/W35); less
    /// is available in colder air.
    pub heat_max_kw: f64,
    /// Fixed coefficient of performance; default: from the outdoor air and the supply
    /// temperature, with defrost losses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cop: Option<f64>,
}

impl AssetSpec for AirSourceHeatPump {
    fn kind(&self) -> AssetKind {
        AssetKind::AirSourceHeatPump
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
        super::check_ratio(
            cx,
            at,
            "cop",
            self.cop,
            "a heat pump delivers more heat than the electricity it uses; 2–4 is typical of \
             air-source heat pumps over a heating season",
        );
    }
}
