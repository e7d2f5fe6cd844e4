//! Electric demand that can partly be shifted in time.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, ELECTRIC, Port, Role, check_demand};
use crate::common::{Cx, LoadShape, Profile};
use crate::diag::{Diagnostic, FieldPath};
use crate::tenant::MeterCarrier;

/// Electric demand of which a share may be moved within a window (e.g. a day), energy conserved:
/// pre-cooling, pumping, batch processes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct FlexibleLoad {
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
    /// Share of each window's energy that may be moved.
    pub flexible_frac: f64,
    /// Length of the window within which energy is conserved, in hours (24 = within each day).
    #[serde(default = "default_window")]
    pub shift_window_h: u32,
    /// Highest power the load may draw after shifting, kW.
    pub p_max_kw: f64,
    /// Tenant (id) owning the load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Measured baseline demand in kW instead of a built-in shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

fn default_window() -> u32 {
    24
}

impl AssetSpec for FlexibleLoad {
    fn kind(&self) -> AssetKind {
        AssetKind::FlexibleLoad
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
            kw: Some(self.p_max_kw),
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
        cx.fraction(at, "flexible_frac", self.flexible_frac);
        cx.positive(at, "p_max_kw", self.p_max_kw);
        if !(1..=168).contains(&self.shift_window_h) {
            cx.error(
                at,
                "shift_window_h",
                format!(
                    "shift_window_h must be 1–168 h, got {}",
                    self.shift_window_h
                ),
            );
        }
        if let Some(annual) = self.annual_kwh {
            let mean_kw = annual / 8760.0;
            if self.p_max_kw > 0.0 && self.p_max_kw < mean_kw {
                cx.push(
                    Diagnostic::error(
                        at.key("p_max_kw"),
                        format!("p_max_kw {} is below the mean demand {mean_kw:.1} kW: the energy cannot be served", self.p_max_kw),
                    )
                    .with_hint("raise p_max_kw above the demand's peak"),
                );
            }
        }
    }
}
