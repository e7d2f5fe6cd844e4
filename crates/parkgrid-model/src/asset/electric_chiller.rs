//! Electric (vapour-compression) chillers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, COLD, Capacity, ELECTRIC, Port, Role, check_lift};
use crate::common::Cx;
use crate::diag::FieldPath;

/// A vapour-compression chiller: draws electricity, delivers cooling to a chilled-water bus at its
/// energy-efficiency ratio (EER = cooling / electricity), and rejects the sum as heat to the air
/// (air-cooled) or through cooling towers (water-cooled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ElectricChiller {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Electric bus the compressor draws from.
    pub bus: String,
    /// Cold (chilled-water) bus the chiller delivers to.
    pub cold_bus: String,
    /// Rated cooling output in kW.
    pub cold_max_kw: f64,
    /// Fixed energy-efficiency ratio (cooling / electricity); default: computed each step from
    /// the chilled-water supply temperature of `cold_bus` and the condensing temperature (outdoor
    /// air + `condenser_approach_k`) with `carnot_fraction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eer: Option<f64>,
    /// Share of the Carnot EER the machine reaches (0.55: a centrifugal chiller's rated COP of
    /// 5.1 between evaporating at 5 °C and condensing at 37 °C is 0.59 of Carnot). The EER is the
    /// chiller's own: chilled- and condenser-water pumps and cooling-tower fans (about 10–20 %
    /// more electricity) are not in it.
    #[serde(default = "default_carnot")]
    pub carnot_fraction: f64,
    /// Condensing temperature above the outdoor dry bulb, K: about 5 K for a water-cooled plant
    /// (condensing at 37–38 °C on Beijing's 33.5 °C design day), 12–15 K for air-cooled
    /// condensers. Condensing never falls below 25 °C (head-pressure control). A cooling tower
    /// really follows the wet bulb, which the weather series lack: on dry days a water-cooled
    /// plant's EER is understated.
    #[serde(default = "default_approach")]
    pub condenser_approach_k: f64,
}

fn default_carnot() -> f64 {
    0.55
}
fn default_approach() -> f64 {
    5.0
}

impl AssetSpec for ElectricChiller {
    fn kind(&self) -> AssetKind {
        AssetKind::ElectricChiller
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
        check_lift(
            cx,
            at,
            "eer",
            self.eer,
            self.carnot_fraction,
            "an electric chiller delivers 3–6 kW of cooling per kW of electricity (GB 19577 grades)",
        );
        cx.within(
            at,
            "condenser_approach_k",
            self.condenser_approach_k,
            2.0,
            30.0,
            "K",
        );
    }
}
