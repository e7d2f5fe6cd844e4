//! Ground-source (geothermal) heat pumps.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, ELECTRIC, HEAT, Port, Role, check_cop};
use crate::common::Cx;
use crate::diag::FieldPath;

/// A ground-source heat pump: lifts heat from the ground to the heat network — from boreholes
/// (the undisturbed ground temperature, steady through the year) or from a horizontal collector
/// (the climate table's 2 m ground temperature, which follows the seasons).
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
    /// Share of the Carnot COP the machine reaches (the brine's approach to the ground, a few
    /// kelvin under load, is part of it).
    #[serde(default = "default_carnot")]
    pub carnot_fraction: f64,
    /// Where the heat comes from: `borehole` (vertical ground heat exchangers, tens to hundreds of
    /// metres deep) or `horizontal` (a collector 1.5–2 m deep).
    #[serde(default)]
    pub collector: Collector,
    /// Undisturbed ground temperature at the boreholes, °C (`borehole` only); default: the
    /// weather's mean air temperature over the year — below about 10 m the ground stays near it
    /// (Hart & Couvillion 1986, *Earth-coupled heat transfer*, NWWA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_ground_c: Option<f64>,
}

/// The ground heat exchanger of a ground-source heat pump.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Collector {
    /// Vertical boreholes: the undisturbed ground temperature, the same all year.
    #[default]
    Borehole,
    /// A horizontal collector near the surface: the climate table's ground temperature at 2 m,
    /// day by day.
    Horizontal,
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
        if let Some(t) = self.t_ground_c {
            cx.within(at, "t_ground_c", t, -10.0, 40.0, "°C");
        }
        if self.collector == Collector::Horizontal && self.t_ground_c.is_some() {
            cx.push(
                crate::diag::Diagnostic::warning(
                    at.key("t_ground_c"),
                    "a horizontal collector follows the climate table's 2 m ground temperature; \
                     t_ground_c is for boreholes",
                )
                .with_hint("remove t_ground_c, or set collector = \"borehole\""),
            );
        }
    }
}
