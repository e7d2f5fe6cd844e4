//! Capacities per carrier, for `parkgrid info` and reports.

use std::collections::BTreeMap;

use crate::Park;
use crate::asset::Role;
use crate::network::Carrier;

/// Installed capacities on one carrier.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CarrierSummary {
    /// Number of buses of the carrier.
    pub n_buses: usize,
    /// Supply (grid import, generation), kW.
    pub supply_kw: f64,
    /// Conversion into this carrier (heat pumps, electric boilers, chillers), kW of output.
    pub conversion_kw: f64,
    /// Storage power, kW.
    pub storage_kw: f64,
    /// Storage energy, kWh.
    pub storage_kwh: f64,
    /// Rated or design demand where known without profiles, kW.
    pub demand_kw: f64,
    /// Annual demand where known without profiles, kWh.
    pub demand_kwh: f64,
    /// Number of assets whose demand comes from a profile (not counted above).
    pub n_profiles: usize,
}

/// Capacities of `park` per carrier (the carrier of the bus each capacity sits on).
pub fn summarize(park: &Park) -> BTreeMap<Carrier, CarrierSummary> {
    let mut out: BTreeMap<Carrier, CarrierSummary> = BTreeMap::new();
    for b in &park.bus {
        out.entry(b.carrier).or_default().n_buses += 1;
    }
    for (_, asset) in park.assets() {
        let spec = asset.spec();
        let ports = spec.ports();
        for cap in spec.capacity() {
            let Some(bus) = ports
                .iter()
                .find(|p| p.field == cap.port)
                .and_then(|p| park.bus(p.bus))
            else {
                continue;
            };
            let s = out.entry(bus.carrier).or_default();
            let kw = cap.kw.unwrap_or(0.0);
            match cap.role {
                Role::Supply => s.supply_kw += kw,
                Role::Conversion => s.conversion_kw += kw,
                Role::Storage => {
                    s.storage_kw += kw;
                    s.storage_kwh += cap.kwh.unwrap_or(0.0);
                }
                Role::Demand => {
                    s.demand_kw += kw;
                    s.demand_kwh += cap.kwh.unwrap_or(0.0);
                    if cap.kw.is_none() && cap.kwh.is_none() {
                        s.n_profiles += 1;
                    }
                }
            }
        }
    }
    out
}
