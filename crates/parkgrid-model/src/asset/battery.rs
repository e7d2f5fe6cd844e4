//! Battery energy storage.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, ELECTRIC, Port, Role, check_soc};
use crate::common::Cx;
use crate::diag::FieldPath;

/// A battery with its power converter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Battery {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Bus the battery is connected to.
    pub bus: String,
    /// Rated charge and discharge power in kW.
    pub p_max_kw: f64,
    /// Usable energy capacity in kWh (at 100 % state of charge).
    pub e_max_kwh: f64,
    /// Lowest state of charge as a fraction of `e_max_kwh`.
    #[serde(default = "default_soc_min")]
    pub soc_min_frac: f64,
    /// Highest state of charge as a fraction of `e_max_kwh`.
    #[serde(default = "default_soc_max")]
    pub soc_max_frac: f64,
    /// State of charge at the start and the end of the horizon; without it the two are equal but
    /// free (cyclic operation, the optimiser picks the level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soc_initial_frac: Option<f64>,
    /// Charging efficiency.
    #[serde(default = "default_eta")]
    pub eta_charge: f64,
    /// Discharging efficiency.
    #[serde(default = "default_eta")]
    pub eta_discharge: f64,
    /// Self-discharge per hour as a fraction of the stored energy.
    #[serde(default)]
    pub self_discharge_frac_per_h: f64,
    /// Wear cost per kWh discharged, CNY/kWh.
    #[serde(default)]
    pub degradation_cny_per_kwh: f64,
}

fn default_soc_min() -> f64 {
    0.1
}
fn default_soc_max() -> f64 {
    0.95
}
fn default_eta() -> f64 {
    0.95
}

impl AssetSpec for Battery {
    fn kind(&self) -> AssetKind {
        AssetKind::Battery
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn ports(&self) -> Vec<Port<'_>> {
        vec![Port {
            field: "bus",
            bus: &self.bus,
            carriers: ELECTRIC,
        }]
    }
    fn capacity(&self) -> Vec<Capacity> {
        vec![Capacity {
            port: "bus",
            role: Role::Storage,
            kw: Some(self.p_max_kw),
            kwh: Some(self.e_max_kwh),
        }]
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.positive(at, "p_max_kw", self.p_max_kw);
        cx.positive(at, "e_max_kwh", self.e_max_kwh);
        check_soc(
            cx,
            at,
            self.soc_min_frac,
            self.soc_max_frac,
            self.soc_initial_frac,
        );
        cx.efficiency(at, "eta_charge", self.eta_charge);
        cx.efficiency(at, "eta_discharge", self.eta_discharge);
        cx.within(
            at,
            "self_discharge_frac_per_h",
            self.self_discharge_frac_per_h,
            0.0,
            0.1,
            "per hour",
        );
        cx.non_negative(at, "degradation_cny_per_kwh", self.degradation_cny_per_kwh);
    }
}
