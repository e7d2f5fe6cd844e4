//! Chillers: electricity or heat in, cooling out onto a chilled-water (cold) bus.

use parkgrid_model::AssetKind;
use parkgrid_model::asset::{AbsorptionChiller, ElectricChiller};
use parkgrid_resource::{ParkProfiles, Quantity as Profile};

use crate::build::{Builder, Coef, Source};
use crate::key::Quantity;
use crate::lp::Sense;

/// The chiller's EER at each of `n` steps: its profile (from the weather, or its fixed `eer`), or
/// without one (profiles built by hand) the fixed `eer`, else 4.
pub(crate) fn eer(profiles: &ParkProfiles, ch: &ElectricChiller, n: usize) -> Vec<f64> {
    profiles
        .get(&ch.id, Profile::Eer)
        .map(<[f64]>::to_vec)
        .unwrap_or_else(|| vec![ch.eer.unwrap_or(4.0); n])
}

/// Variable `electric_chiller.p[id,t]` ∈ [0, cold_max/eer[t]] (electric input); cooling
/// `eer[t]·p` into the cold bus.
pub fn add_electric(b: &mut Builder<'_>, ch: &ElectricChiller) {
    let eer = eer(b.profiles, ch, b.steps.n);
    // A tie-break on the electricity it draws: where electricity costs nothing (a surplus
    // that would be curtailed) it stays off rather than run for no use.
    let tie = crate::build::TIE_BREAK_CNY_PER_KWH * b.steps.step_h;
    let p = b.block(
        "electric_chiller.p",
        &ch.id,
        |t| (0.0, ch.cold_max_kw / eer[t]),
        |_| tie,
    );
    b.tie_breaks.push(p);
    b.output(
        &ch.id,
        AssetKind::ElectricChiller,
        Quantity::PKw,
        Source::Vars(vec![(p, Coef::Const(1.0))]),
    );
    b.output(
        &ch.id,
        AssetKind::ElectricChiller,
        Quantity::ColdKw,
        Source::Vars(vec![(p, Coef::Series(eer))]),
    );
}

/// Variable `absorption_chiller.heat[id,t]` ∈ [0, cold_max/cop] (drive heat taken from the heat
/// bus); cooling `cop·heat` into the cold bus. A chiller driven by a CHP is limited by that CHP's
/// recovered heat, in [`limit_chp_heat`].
pub fn add_absorption(b: &mut Builder<'_>, ac: &AbsorptionChiller) {
    let q = b.block(
        "absorption_chiller.heat",
        &ac.id,
        |_| (0.0, ac.cold_max_kw / ac.cop),
        |_| 0.0,
    );
    if let Some(chp) = &ac.chp {
        b.chp_drives.push((chp.clone(), q));
    }
    b.output(
        &ac.id,
        AssetKind::AbsorptionChiller,
        Quantity::HeatKw,
        Source::Vars(vec![(q, Coef::Const(1.0))]),
    );
    b.output(
        &ac.id,
        AssetKind::AbsorptionChiller,
        Quantity::ColdKw,
        Source::Vars(vec![(q, Coef::Const(ac.cop))]),
    );
}

/// Rows `chp.heat[chp,t]`: `dump + Σ heat of the chillers it drives − heat of the CHP ≤ 0` — what
/// a CHP vents and what its absorption chillers take (its recovered heat, not the heat
/// network's) come out of the heat it makes.
pub fn limit_chp_heat(b: &mut Builder<'_>) {
    let drives = std::mem::take(&mut b.chp_drives);
    let mut chps: Vec<(&String, &(crate::lp::Block, f64, crate::lp::Block))> =
        b.chp_heat.iter().collect();
    chps.sort_unstable_by_key(|(id, _)| id.as_str());
    let mut rows = Vec::new();
    for (chp, &(p, ratio, dump)) in chps {
        for t in 0..b.steps.n {
            let mut terms: Vec<(usize, f64)> = drives
                .iter()
                .filter(|(c, _)| c == chp)
                .map(|(_, q)| (q.at(t), 1.0))
                .collect();
            terms.push((dump.at(t), 1.0));
            terms.push((p.at(t), -ratio));
            rows.push((chp.clone(), t, terms));
        }
    }
    for (chp, t, terms) in rows {
        b.lp.add_row("chp.heat", &chp, t, terms, Sense::Le, 0.0);
    }
}
