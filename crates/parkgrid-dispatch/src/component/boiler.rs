//! Boilers: fuel-fired and electric.

use parkgrid_model::AssetKind;
use parkgrid_model::asset::{ElectricBoiler, GasBoiler};

use super::{fuel_carbon, fuel_price};
use crate::build::{Builder, Coef, Source};
use crate::key::Quantity;

/// Variable `gas_boiler.heat[id,t]` ∈ [0, heat_max]; cost `(fuel_price + carbon)/eta + om` per kWh
/// of heat.
pub fn add_gas(b: &mut Builder<'_>, g: &GasBoiler) {
    let dt = b.steps.step_h;
    let price = fuel_price(b.park, &g.fuel, &b.steps.heating);
    let carbon = fuel_carbon(b.park, &g.fuel);
    let h = b.block(
        "gas_boiler.heat",
        &g.id,
        |_| (0.0, g.heat_max_kw),
        |t| ((price[t] + carbon) / g.eta + g.om_cny_per_kwh) * dt,
    );
    b.output(
        &g.id,
        AssetKind::GasBoiler,
        Quantity::HeatKw,
        Source::Vars(vec![(h, Coef::Const(1.0))]),
    );
    b.output(
        &g.id,
        AssetKind::GasBoiler,
        Quantity::FuelKw,
        Source::Vars(vec![(h, Coef::Const(1.0 / g.eta))]),
    );
}

/// Variable `electric_boiler.p[id,t]` ∈ [0, heat_max/eta]; heat `eta·p`.
pub fn add_electric(b: &mut Builder<'_>, e: &ElectricBoiler) {
    // A tie-break on the electricity it draws: where electricity costs nothing (a surplus
    // that would be curtailed) it stays off rather than run for no use.
    let tie = crate::build::TIE_BREAK_CNY_PER_KWH * b.steps.step_h;
    let p = b.block(
        "electric_boiler.p",
        &e.id,
        |_| (0.0, e.heat_max_kw / e.eta),
        |_| tie,
    );
    b.tie_breaks.push(p);
    b.output(
        &e.id,
        AssetKind::ElectricBoiler,
        Quantity::PKw,
        Source::Vars(vec![(p, Coef::Const(1.0))]),
    );
    b.output(
        &e.id,
        AssetKind::ElectricBoiler,
        Quantity::HeatKw,
        Source::Vars(vec![(p, Coef::Const(e.eta))]),
    );
}
