//! Fixed electric demand.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, ELECTRIC, Port, Role, check_demand};
use crate::common::{Cx, LoadShape, Profile};
use crate::diag::FieldPath;
use crate::tenant::MeterCarrier;

/// Electric demand that must be served when it occurs: a built-in shape scaled to `annual_kwh`, or
/// a measured profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ElectricLoad {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Bus supplying the load.
    pub bus: String,
    /// Built-in demand shape (default `office`); not with `profile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<LoadShape>,
    /// Annual consumption in kWh. Required with a built-in shape; with a profile, rescales it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_kwh: Option<f64>,
    /// Tenant (id) owning the load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Measured demand in kW instead of a built-in shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

impl AssetSpec for ElectricLoad {
    fn kind(&self) -> AssetKind {
        AssetKind::ElectricLoad
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
        vec![Capacity {
            port: "bus",
            role: Role::Demand,
            kw: None,
            kwh: self.annual_kwh,
        }]
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        check_demand(
            cx,
            at,
            self.shape.is_some(),
            self.annual_kwh,
            self.profile.is_some(),
        );
    }
}
