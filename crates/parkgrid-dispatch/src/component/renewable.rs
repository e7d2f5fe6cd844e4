//! PV arrays and wind farms: output up to the available power; what is not taken is curtailed,
//! at the park's curtailment penalty.

use parkgrid_model::AssetKind;
use parkgrid_resource::Quantity as Profile;

use crate::build::{Builder, Coef, Source};
use crate::key::Quantity;

/// Variable `{kind}.output[id,t]` ∈ [0, available[t]]; curtailment `available − output` costs the
/// penalty (a constant plus `−penalty·output`).
pub fn add(b: &mut Builder<'_>, id: &str, kind: AssetKind) {
    let avail: Vec<f64> = b
        .profiles
        .get(id, Profile::Available)
        .map(<[f64]>::to_vec)
        .unwrap_or_else(|| vec![0.0; b.steps.n]);
    let dt = b.steps.step_h;
    let penalty = b.park.economics.curtailment_penalty_cny_per_kwh;
    let family = if kind == AssetKind::Pv {
        "pv.output"
    } else {
        "wind.output"
    };
    let p = b.block(family, id, |t| (0.0, avail[t].max(0.0)), |_| -penalty * dt);
    b.lp.constant += penalty * dt * avail.iter().map(|a| a.max(0.0)).sum::<f64>();
    b.output(
        id,
        kind,
        Quantity::OutputKw,
        Source::Vars(vec![(p, Coef::Const(1.0))]),
    );
    b.output(id, kind, Quantity::AvailableKw, Source::Fixed(avail));
}
