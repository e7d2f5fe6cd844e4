//! Data centres.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, ELECTRIC, Port, Role, WASTE_HEAT};
use crate::common::{Cx, Profile};
use crate::diag::{Diagnostic, FieldPath};
use crate::tenant::MeterCarrier;

/// A data centre: electric demand (IT load × PUE), most of which ends up as low-grade heat on
/// its waste-heat bus. Heat not recovered is rejected by the cooling towers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DataCentre {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Electric bus supplying the centre.
    pub bus: String,
    /// Waste-heat bus receiving the recoverable heat; without it all heat is rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waste_heat_bus: Option<String>,
    /// Installed IT capacity in kW.
    pub p_it_kw: f64,
    /// Mean IT load as a fraction of `p_it_kw`.
    #[serde(default = "default_utilisation")]
    pub it_utilisation: f64,
    /// Power usage effectiveness: total electric demand / IT demand (≥ 1).
    pub pue: f64,
    /// Share of the electric demand recoverable as heat on the waste-heat bus.
    #[serde(default = "default_recoverable")]
    pub recoverable_frac: f64,
    /// Tenant (id) operating the centre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Measured total electric demand in kW instead of the built-in flat profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

fn default_utilisation() -> f64 {
    0.8
}
fn default_recoverable() -> f64 {
    0.9
}

impl DataCentre {
    /// Mean electric demand in kW (IT × utilisation × PUE).
    pub fn p_mean_kw(&self) -> f64 {
        self.p_it_kw * self.it_utilisation * self.pue
    }
}

impl AssetSpec for DataCentre {
    fn kind(&self) -> AssetKind {
        AssetKind::DataCentre
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn ports(&self) -> Vec<Port<'_>> {
        let mut ports = vec![Port {
            field: "bus",
            bus: &self.bus,
            carriers: ELECTRIC,
        }];
        if let Some(w) = &self.waste_heat_bus {
            ports.push(Port {
                field: "waste_heat_bus",
                bus: w,
                carriers: WASTE_HEAT,
            });
        }
        ports
    }
    fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
    fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }
    fn metered(&self) -> Option<MeterCarrier> {
        Some(MeterCarrier::Electricity)
    }
    fn capacity(&self) -> Vec<Capacity> {
        let mut caps = vec![Capacity {
            port: "bus",
            role: Role::Demand,
            kw: Some(self.p_it_kw * self.pue),
            kwh: Some(self.p_mean_kw() * 8760.0),
        }];
        if self.waste_heat_bus.is_some() {
            caps.push(Capacity {
                port: "waste_heat_bus",
                role: Role::Supply,
                kw: Some(self.p_it_kw * self.pue * self.recoverable_frac),
                kwh: None,
            });
        }
        caps
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        cx.positive(at, "p_it_kw", self.p_it_kw);
        cx.efficiency(at, "it_utilisation", self.it_utilisation);
        cx.fraction(at, "recoverable_frac", self.recoverable_frac);
        if !(1.0..=3.0).contains(&self.pue) {
            cx.push(
                Diagnostic::error(at.key("pue"), format!("pue must be between 1 and 3, got {}", self.pue))
                    .with_hint("PUE is total facility power over IT power; new Beijing centres must reach ≤ 1.3"),
            );
        }
    }
}
