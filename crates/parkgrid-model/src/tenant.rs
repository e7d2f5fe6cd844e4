//! Tenants of the park and the meters the operator bills them by.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A customer of the park operator: owns loads (each load's `tenant` field) and meters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Tenant {
    /// Unique id.
    pub id: String,
    /// Display name (company or building).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Electricity tariff the tenant is billed by; default: the tariff of the park's grid
    /// connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tariff: Option<String>,
    /// Heat price in CNY/kWh of metered heat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heat_price_cny_per_kwh: Option<f64>,
    /// Cooling price in CNY/kWh of metered cooling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooling_price_cny_per_kwh: Option<f64>,
}

/// What a meter measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeterCarrier {
    /// Electric energy (kWh).
    Electricity,
    /// Heat energy (kWh).
    Heat,
    /// Cooling energy (kWh).
    Cooling,
}

impl MeterCarrier {
    /// The quantity of the meter's cumulative register in series names: `e_kwh`, `heat_kwh`
    /// or `cold_kwh`.
    pub fn register_quantity(self) -> &'static str {
        match self {
            MeterCarrier::Electricity => "e_kwh",
            MeterCarrier::Heat => "heat_kwh",
            MeterCarrier::Cooling => "cold_kwh",
        }
    }
}

/// A billing meter: the energy of one or more of a tenant's assets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Meter {
    /// Unique id (the meter's name on site).
    pub id: String,
    /// The tenant billed by this meter.
    pub tenant: String,
    /// What the meter measures.
    pub carrier: MeterCarrier,
    /// Ids of the assets whose consumption the meter measures.
    pub assets: Vec<String>,
}
