//! Electric-vehicle charging stations.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AssetKind, AssetSpec, Capacity, ELECTRIC, Port, Role};
use crate::common::{Cx, Profile};
use crate::diag::{Diagnostic, FieldPath};
use crate::tenant::MeterCarrier;

/// A charging station: vehicles arrive, need energy by their departure, and may be charged at
/// any time in between (smart charging).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EvCharging {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Bus supplying the chargers.
    pub bus: String,
    /// Number of charging points.
    pub n_chargers: u32,
    /// Rated power of one charging point, kW.
    pub p_charger_kw: f64,
    /// Energy the vehicles need per charging day, kWh (whole station).
    pub e_daily_kwh: f64,
    /// Hour most vehicles arrive (0–23).
    #[serde(default = "default_arrival")]
    pub arrival_h: u32,
    /// Hour by which the energy must be delivered (0–24); before `arrival_h` for overnight
    /// charging.
    #[serde(default = "default_departure")]
    pub departure_h: u32,
    /// True when vehicles charge on working days only.
    #[serde(default = "super::yes")]
    pub working_days_only: bool,
    /// Tenant (id) operating the station.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Measured charging demand in kW (then not shifted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

fn default_arrival() -> u32 {
    8
}
fn default_departure() -> u32 {
    18
}

impl EvCharging {
    /// Hours between arrival and departure.
    pub fn dwell_h(&self) -> u32 {
        (self.departure_h + 24 - self.arrival_h) % 24
    }

    /// Rated power of the station, kW.
    pub fn p_max_kw(&self) -> f64 {
        self.p_charger_kw * f64::from(self.n_chargers)
    }
}

impl AssetSpec for EvCharging {
    fn kind(&self) -> AssetKind {
        AssetKind::EvCharging
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
            kw: Some(self.p_max_kw()),
            kwh: None,
        }]
    }
    fn check(&self, cx: &mut Cx, at: &FieldPath) {
        if self.n_chargers == 0 {
            cx.error(at, "n_chargers", "n_chargers must be at least 1");
        }
        cx.positive(at, "p_charger_kw", self.p_charger_kw);
        cx.non_negative(at, "e_daily_kwh", self.e_daily_kwh);
        if self.arrival_h > 23 {
            cx.error(
                at,
                "arrival_h",
                format!("arrival_h must be 0–23, got {}", self.arrival_h),
            );
        }
        if self.departure_h > 24 {
            cx.error(
                at,
                "departure_h",
                format!("departure_h must be 0–24, got {}", self.departure_h),
            );
        }
        if self.arrival_h > 23 || self.departure_h > 24 {
            return;
        }
        if self.dwell_h() == 0 {
            cx.push(
                Diagnostic::error(at.key("departure_h"), "vehicles leave the hour they arrive")
                    .with_hint("departure_h is the hour the energy must be delivered by"),
            );
            return;
        }
        let deliverable = self.p_max_kw() * f64::from(self.dwell_h());
        if self.e_daily_kwh > deliverable {
            cx.push(
                Diagnostic::error(
                    at.key("e_daily_kwh"),
                    format!(
                        "vehicles need {} kWh a day but {} chargers × {} kW × {} h deliver at most {deliverable} kWh",
                        self.e_daily_kwh,
                        self.n_chargers,
                        self.p_charger_kw,
                        self.dwell_h()
                    ),
                )
                .with_hint("add chargers, raise their power, or lengthen the dwell time"),
            );
        }
    }
}
