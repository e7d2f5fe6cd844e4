//! Combined heat and power plants.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AC, AssetKind, AssetSpec, Capacity, HEAT, Port, Role};
use crate::common::Cx;
use crate::diag::{Diagnostic, FieldPath};

/// A CHP plant (biogas, biomass or gas engine): burns a fuel, makes electricity and heat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Chp {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// AC bus the generator feeds.
    pub bus: String,
    /// Heat bus the recovered heat feeds.
    pub heat_bus: String,
    /// Fuel (id) burnt.
    pub fuel: String,
    /// Rated electric output in kW.
    pub p_max_kw: f64,
    /// Minimum stable load as a fraction of `p_max_kw` while running.
    #[serde(default)]
    pub p_min_frac: f64,
    /// Electric efficiency (electric output / fuel input, LHV).
    pub eta_el: f64,
    /// Heat efficiency (useful heat / fuel input, LHV).
    pub eta_th: f64,
    /// Operation and maintenance cost per kWh of electricity, CNY/kWh.
    #[serde(default)]
    pub om_cny_per_kwh: f64,
    /// True to model on/off commitment with the minimum load (needs a MILP solver); false relaxes
    /// it to a linear model.
    #[serde(default)]
    pub commitment: bool,
}

impl AssetSpec for Chp {
    fn kind(&self) -> AssetKind {
        AssetKind::Chp
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn ports(&self) -> Vec<Port<'_>> {
        vec![
            Port {
                field: "bus",
                bus: &self.bus,
                carriers: AC,
            },
            Port {
                field: "heat_bus",
                bus: &self.heat_bus,
                carriers: HEAT,
            },
        ]
    }
    fn fuel(&self) -> Option<&str> {
        Some(&self.fuel)
    }
    fn capacity(&self) -> Vec<Capacity> {
        let heat = self.p_max_kw * self.eta_th / self.eta_el;
        vec![
            Capacity {
                port: "bus",
                role: Role::Supply,
                kw: Some(self.p_max_kw),
                kwh: None,
            },
            Capacity {
                port: "heat_bus",
                role: Role::Supply,
                kw: Some(heat),
                kwh: None,
            },
        ]
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.positive(at, "p_max_kw", self.p_max_kw);
        cx.fraction(at, "p_min_frac", self.p_min_frac);
        cx.efficiency(at, "eta_el", self.eta_el);
        cx.efficiency(at, "eta_th", self.eta_th);
        cx.non_negative(at, "om_cny_per_kwh", self.om_cny_per_kwh);
        let total = self.eta_el + self.eta_th;
        if total > 1.0 {
            cx.push(
                Diagnostic::error(
                    at.key("eta_th"),
                    format!("eta_el + eta_th = {total:.3} exceeds 1: the plant would make energy"),
                )
                .with_hint("both efficiencies refer to the fuel's lower heating value; 0.85–0.9 in total is typical"),
            );
        }
    }
}
