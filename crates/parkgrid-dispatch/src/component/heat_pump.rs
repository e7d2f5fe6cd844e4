//! Heat pumps: electricity (and, for waste-heat pumps, low-grade heat) in, heat out at the COP.

use parkgrid_model::AssetKind;
use parkgrid_model::asset::{AirSourceHeatPump, GroundHeatPump, WasteHeatPump};
use parkgrid_resource::Quantity as Profile;

use crate::build::{Builder, Coef, Source};
use crate::key::Quantity;

fn cop_series(b: &Builder<'_>, id: &str, fixed: Option<f64>) -> Vec<f64> {
    b.profiles
        .get(id, Profile::Cop)
        .map(<[f64]>::to_vec)
        .unwrap_or_else(|| vec![fixed.unwrap_or(3.0); b.steps.n])
}

/// Variable `ground_heat_pump.p[id,t]` ∈ [0, heat_max/cop[t]] (electric input); heat `cop[t]·p`
/// into the heat bus. The ground is an unlimited source.
pub fn add_ground(b: &mut Builder<'_>, hp: &GroundHeatPump) {
    let cop = cop_series(b, &hp.id, hp.cop);
    // A tie-break on the electricity it draws: where electricity costs nothing (a surplus
    // that would be curtailed) it stays off rather than run for no use.
    let tie = crate::build::TIE_BREAK_CNY_PER_KWH * b.steps.step_h;
    let p = b.block(
        "ground_heat_pump.p",
        &hp.id,
        |t| (0.0, hp.heat_max_kw / cop[t]),
        |_| tie,
    );
    b.tie_breaks.push(p);
    b.output(
        &hp.id,
        AssetKind::GroundHeatPump,
        Quantity::PKw,
        Source::Vars(vec![(p, Coef::Const(1.0))]),
    );
    b.output(
        &hp.id,
        AssetKind::GroundHeatPump,
        Quantity::HeatKw,
        Source::Vars(vec![(p, Coef::Series(cop))]),
    );
}

/// Variable `air_source_heat_pump.p[id,t]` ∈ [0, heat_max[t]/cop[t]] (electric input); heat
/// `cop[t]·p` into the heat bus. Both the COP and the largest heat output follow the outdoor air
/// (the profiles' `cop` and `heat_max_kw`); the air is an unlimited source.
pub fn add_air(b: &mut Builder<'_>, hp: &AirSourceHeatPump) {
    let cop = cop_series(b, &hp.id, hp.cop);
    let heat_max = b
        .profiles
        .get(&hp.id, Profile::HeatMax)
        .map_or_else(|| vec![hp.heat_max_kw; b.steps.n], <[f64]>::to_vec);
    // A tie-break on the electricity it draws: where electricity costs nothing (a surplus
    // that would be curtailed) it stays off rather than run for no use.
    let tie = crate::build::TIE_BREAK_CNY_PER_KWH * b.steps.step_h;
    let p = b.block(
        "air_source_heat_pump.p",
        &hp.id,
        |t| (0.0, heat_max[t] / cop[t]),
        |_| tie,
    );
    b.tie_breaks.push(p);
    b.output(
        &hp.id,
        AssetKind::AirSourceHeatPump,
        Quantity::PKw,
        Source::Vars(vec![(p, Coef::Const(1.0))]),
    );
    b.output(
        &hp.id,
        AssetKind::AirSourceHeatPump,
        Quantity::HeatKw,
        Source::Vars(vec![(p, Coef::Series(cop))]),
    );
}

/// Variable `waste_heat_pump.p[id,t]` ∈ [0, heat_max/cop[t]]; takes `source = (cop−1)·p` from the
/// waste-heat bus and delivers `heat = cop·p` to the heat bus.
pub fn add_waste(b: &mut Builder<'_>, hp: &WasteHeatPump) {
    let cop = cop_series(b, &hp.id, hp.cop);
    // A tie-break on the electricity it draws: where electricity costs nothing (a surplus
    // that would be curtailed) it stays off rather than run for no use.
    let tie = crate::build::TIE_BREAK_CNY_PER_KWH * b.steps.step_h;
    let p = b.block(
        "waste_heat_pump.p",
        &hp.id,
        |t| (0.0, hp.heat_max_kw / cop[t]),
        |_| tie,
    );
    b.tie_breaks.push(p);
    let source: Vec<f64> = cop.iter().map(|c| c - 1.0).collect();
    b.output(
        &hp.id,
        AssetKind::WasteHeatPump,
        Quantity::PKw,
        Source::Vars(vec![(p, Coef::Const(1.0))]),
    );
    b.output(
        &hp.id,
        AssetKind::WasteHeatPump,
        Quantity::HeatKw,
        Source::Vars(vec![(p, Coef::Series(cop))]),
    );
    b.output(
        &hp.id,
        AssetKind::WasteHeatPump,
        Quantity::SourceKw,
        Source::Vars(vec![(p, Coef::Series(source))]),
    );
}
