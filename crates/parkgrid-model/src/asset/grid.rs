//! Connection to the public grid.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AC, AssetKind, AssetSpec, Capacity, Port, Role};
use crate::common::Cx;
use crate::diag::{Diagnostic, FieldPath};

/// The park's connection to the public grid: import at a time-of-use tariff, export at the
/// tariff's export price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Grid {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// AC bus at the point of connection.
    pub bus: String,
    /// Highest import in kW (contracted capacity).
    pub p_import_max_kw: f64,
    /// Highest export in kW; 0 forbids export.
    #[serde(default)]
    pub p_export_max_kw: f64,
    /// Tariff (id) for imports and exports.
    pub tariff: String,
    /// CO₂ emitted per kWh imported, kg/kWh (North China grid 2022: 0.6776).
    pub co2_kg_per_kwh: f64,
}

impl AssetSpec for Grid {
    fn kind(&self) -> AssetKind {
        AssetKind::Grid
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn ports(&self) -> Vec<Port<'_>> {
        vec![Port {
            field: "bus",
            bus: &self.bus,
            carriers: AC,
        }]
    }
    fn tariff(&self) -> Option<&str> {
        Some(&self.tariff)
    }
    fn capacity(&self) -> Vec<Capacity> {
        vec![Capacity {
            port: "bus",
            role: Role::Supply,
            kw: Some(self.p_import_max_kw),
            kwh: None,
        }]
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.positive(at, "p_import_max_kw", self.p_import_max_kw);
        cx.non_negative(at, "p_export_max_kw", self.p_export_max_kw);
        cx.within(
            at,
            "co2_kg_per_kwh",
            self.co2_kg_per_kwh,
            0.0,
            2.0,
            "kg/kWh",
        );
        if self.co2_kg_per_kwh > 2.0 && self.co2_kg_per_kwh < 2000.0 {
            cx.push(
                Diagnostic::error(
                    at.key("co2_kg_per_kwh"),
                    "grid emission factor is far too high",
                )
                .with_hint("the factor is in kg/kWh (= t/MWh): North China 2022 is 0.6776"),
            );
        }
    }
}
