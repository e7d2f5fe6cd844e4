//! Thermal stores: short-term hot-water tanks and seasonal stores.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, Port, Role, check_soc};
use crate::common::Cx;
use crate::diag::{Diagnostic, FieldPath};
use crate::network::Carrier;

/// A heat store on a heat (or waste-heat) bus, or a chilled-water (cold) store on a cold bus:
/// on a cold bus "heat" in the field names reads as cooling (charging stores cold water).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ThermalStore {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Heat, waste-heat or cold bus the store is connected to.
    pub bus: String,
    /// True for a seasonal store (pit, borehole or aquifer: a heat store charged in summer and
    /// discharged in winter, a cold store the other way round); false for a short-term tank.
    #[serde(default)]
    pub seasonal: bool,
    /// Heat capacity in kWh between the return and supply temperatures.
    pub e_max_kwh: f64,
    /// Highest charging power in kW.
    pub heat_charge_max_kw: f64,
    /// Highest discharging power in kW.
    pub heat_discharge_max_kw: f64,
    /// Standing loss per hour as a fraction of the stored heat.
    #[serde(default)]
    pub loss_frac_per_h: f64,
    /// Lowest state of charge as a fraction of `e_max_kwh`.
    #[serde(default)]
    pub soc_min_frac: f64,
    /// Highest state of charge as a fraction of `e_max_kwh`.
    #[serde(default = "one")]
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
}

fn one() -> f64 {
    1.0
}
fn default_eta() -> f64 {
    0.98
}

impl AssetSpec for ThermalStore {
    fn kind(&self) -> AssetKind {
        AssetKind::ThermalStore
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn ports(&self) -> Vec<Port<'_>> {
        vec![Port {
            field: "bus",
            bus: &self.bus,
            carriers: &[Carrier::Heat, Carrier::WasteHeat, Carrier::Cold],
        }]
    }
    fn capacity(&self) -> Vec<Capacity> {
        vec![Capacity {
            port: "bus",
            role: Role::Storage,
            kw: Some(self.heat_discharge_max_kw),
            kwh: Some(self.e_max_kwh),
        }]
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.positive(at, "e_max_kwh", self.e_max_kwh);
        cx.positive(at, "heat_charge_max_kw", self.heat_charge_max_kw);
        cx.positive(at, "heat_discharge_max_kw", self.heat_discharge_max_kw);
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
            "loss_frac_per_h",
            self.loss_frac_per_h,
            0.0,
            0.2,
            "per hour",
        );
        // Half the content lost within a season (≈ 4000 h) makes a seasonal store pointless.
        if self.seasonal && self.loss_frac_per_h > 1.7e-4 {
            let kept = (1.0 - self.loss_frac_per_h).powf(4000.0) * 100.0;
            cx.push(
                Diagnostic::warning(
                    at.key("loss_frac_per_h"),
                    format!("a seasonal store losing {} per hour keeps only {kept:.1} % over 4000 h", self.loss_frac_per_h),
                )
                .with_hint("large pit stores lose 10–40 % over a season, i.e. about 3e-5 to 1.3e-4 per hour"),
            );
        }
    }
}
