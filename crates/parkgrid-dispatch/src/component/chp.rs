//! Combined heat and power: electricity with heat in a fixed ratio, fuel at the fuel's price.

use parkgrid_model::AssetKind;
use parkgrid_model::asset::Chp;

use super::{fuel_carbon, fuel_price};
use crate::build::{Builder, Coef, Source};
use crate::key::Quantity;
use crate::lp::Sense;

/// Variable `chp.p[id,t]` ∈ [0, p_max]; heat `eta_th/eta_el · p` into the heat bus; cost
/// `(fuel_price + carbon)/eta_el + om` per kWh. Variable `chp.dump[id,t]` ≥ 0: heat vented
/// (through its emergency cooler) at the park's heat-dump penalty, taken out of the heat bus; the
/// row `chp.heat[id,t]` ([`crate::component::chiller::limit_chp_heat`]) keeps what it vents and
/// what its absorption chillers take within the heat it makes. A CHP's heat is the only heat a
/// park can throw away: every other source can be turned down, so electricity can never be
/// turned into heat only to be dumped. With commitment (which needs a MILP solver):
/// binary `chp.on[id,t]` and rows `chp.max[id,t]`: `p − p_max·on ≤ 0`, `chp.min[id,t]`:
/// `p − p_min_frac·p_max·on ≥ 0`.
pub fn add(b: &mut Builder<'_>, c: &Chp) {
    let dt = b.steps.step_h;
    let price = fuel_price(b.park, &c.fuel, &b.steps.heating);
    let carbon = fuel_carbon(b.park, &c.fuel);
    let p = b.block(
        "chp.p",
        &c.id,
        |_| (0.0, c.p_max_kw),
        |t| ((price[t] + carbon) / c.eta_el + c.om_cny_per_kwh) * dt,
    );
    let ratio = c.eta_th / c.eta_el;
    let penalty = b.park.economics.heat_dump_penalty_cny_per_kwh * dt;
    let dump = b.block("chp.dump", &c.id, |_| (0.0, f64::INFINITY), |_| penalty);
    b.chp_heat.insert(c.id.clone(), (p, ratio, dump));
    if c.commitment {
        let on = b.block("chp.on", &c.id, |_| (0.0, 1.0), |_| 0.0);
        for v in on.start..on.start + on.len {
            b.lp.integer[v] = true;
        }
        for t in 0..b.steps.n {
            b.lp.add_row(
                "chp.max",
                &c.id,
                t,
                vec![(p.at(t), 1.0), (on.at(t), -c.p_max_kw)],
                Sense::Le,
                0.0,
            );
            b.lp.add_row(
                "chp.min",
                &c.id,
                t,
                vec![(p.at(t), 1.0), (on.at(t), -c.p_min_frac * c.p_max_kw)],
                Sense::Ge,
                0.0,
            );
        }
    }
    b.output(
        &c.id,
        AssetKind::Chp,
        Quantity::PKw,
        Source::Vars(vec![(p, Coef::Const(1.0))]),
    );
    b.output(
        &c.id,
        AssetKind::Chp,
        Quantity::HeatKw,
        Source::Vars(vec![(p, Coef::Const(ratio))]),
    );
    b.output(
        &c.id,
        AssetKind::Chp,
        Quantity::DumpedKw,
        Source::Vars(vec![(dump, Coef::Const(1.0))]),
    );
    b.output(
        &c.id,
        AssetKind::Chp,
        Quantity::FuelKw,
        Source::Vars(vec![(p, Coef::Const(1.0 / c.eta_el))]),
    );
}
