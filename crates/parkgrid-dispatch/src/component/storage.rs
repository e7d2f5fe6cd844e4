//! Storage: batteries and heat stores share one energy-balance kernel.

use parkgrid_model::AssetKind;
use parkgrid_model::asset::{Battery, ThermalStore};

use crate::build::{Builder, Coef, Source};
use crate::key::Quantity;
use crate::lp::{Block, Sense};

/// How a store's level must end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum End {
    /// Where it started (cyclic when no start level is given).
    AsStart,
    /// Anywhere within its bounds (a window of a rolling horizon).
    Free,
    /// At least at this level, kWh (a seasonal store following the year plan).
    Level(f64),
    /// Near this level, kWh, each kWh above or below it costing the second figure, CNY.
    Target(f64, f64),
}

/// Numbers of one store, read from the park by the callers below.
struct StoreSpec<'s> {
    kind: AssetKind,
    id: &'s str,
    e_max_kwh: f64,
    soc_min: f64,
    soc_max: f64,
    soc_initial: Option<f64>,
    charge_max_kw: f64,
    discharge_max_kw: f64,
    eta_charge: f64,
    eta_discharge: f64,
    loss_per_h: f64,
    discharge_cost: f64,
    end: End,
}

/// Variables `{kind}.charge`, `{kind}.discharge` ∈ [0, rating], `{kind}.level` ∈ [min·E, max·E]
/// and rows `{kind}.energy[id,t]`:
/// `level[t] − (1−loss)^Δt·level[t−1] − η_c·Δt·charge[t] + Δt/η_d·discharge[t] = 0`,
/// with `level[−1] = level[T−1]` (cyclic) or, given a start level `s`, `level[−1] = s·E` and a row
/// `{kind}.end[id,T−1]`: `level[T−1] = s·E`. A lossless store (η_c = η_d = 1) has one two-way
/// variable `{kind}.power[id,t]` ∈ [−charge max, discharge max] instead: charging and discharging
/// at once would be free and leave the optimum degenerate.
fn add_store(b: &mut Builder<'_>, s: &StoreSpec<'_>) {
    let dt = b.steps.step_h;
    let n = b.steps.n;
    let (lo, hi) = (s.soc_min * s.e_max_kwh, s.soc_max * s.e_max_kwh);
    let fam = |name: &str| format!("{}.{name}", s.kind.key());
    let tie = crate::build::TIE_BREAK_CNY_PER_KWH * dt;
    let lossless = s.eta_charge == 1.0 && s.eta_discharge == 1.0;
    // Terms of the energy row per step, other than the levels: (block, coefficient).
    let flows: Vec<(Block, f64)> = if lossless {
        let p = b.block(
            &fam("power"),
            s.id,
            |_| (-s.charge_max_kw, s.discharge_max_kw),
            |_| s.discharge_cost * dt,
        );
        b.two_way(s.id, s.kind, p, Quantity::DischargeKw, Quantity::ChargeKw);
        vec![(p, dt)]
    } else {
        let ch = b.block(&fam("charge"), s.id, |_| (0.0, s.charge_max_kw), |_| tie);
        let dis = b.block(
            &fam("discharge"),
            s.id,
            |_| (0.0, s.discharge_max_kw),
            |_| s.discharge_cost * dt + tie,
        );
        b.tie_breaks.push(ch);
        b.tie_breaks.push(dis);
        b.output(
            s.id,
            s.kind,
            Quantity::ChargeKw,
            Source::Vars(vec![(ch, Coef::Const(1.0))]),
        );
        b.output(
            s.id,
            s.kind,
            Quantity::DischargeKw,
            Source::Vars(vec![(dis, Coef::Const(1.0))]),
        );
        vec![(ch, -s.eta_charge * dt), (dis, dt / s.eta_discharge)]
    };
    let level = b.block(&fam("level"), s.id, |_| (lo, hi), |_| 0.0);
    let keep = (1.0 - s.loss_per_h).powf(dt);
    let energy = fam("energy");
    for t in 0..n {
        let mut terms = vec![(level.at(t), 1.0)];
        terms.extend(flows.iter().map(|&(blk, a)| (blk.at(t), a)));
        let mut rhs = 0.0;
        match (t, s.soc_initial) {
            (0, Some(start)) => rhs = keep * start * s.e_max_kwh,
            (0, None) => terms.push((level.at(n - 1), -keep)),
            _ => terms.push((level.at(t - 1), -keep)),
        }
        b.lp.add_row(&energy, s.id, t, terms, Sense::Eq, rhs);
    }
    // A year ends where it started; a rolling window's seasonal store ends at least at the year
    // plan's level (with no heat dump, a window in which nothing can take the heat above that
    // level must be able to keep it).
    if let End::Target(l, price) = s.end {
        // level[T−1] − above + below = target, above and below priced.
        let above = b.lp.add_block(
            &fam("target_above"),
            s.id,
            1,
            |_| (0.0, f64::INFINITY),
            |_| price,
        );
        let below = b.lp.add_block(
            &fam("target_below"),
            s.id,
            1,
            |_| (0.0, f64::INFINITY),
            |_| price,
        );
        b.lp.add_row(
            &fam("target"),
            s.id,
            n - 1,
            vec![
                (level.at(n - 1), 1.0),
                (above.at(0), -1.0),
                (below.at(0), 1.0),
            ],
            Sense::Eq,
            l.clamp(lo, hi),
        );
    }
    let end_level = match (s.end, s.soc_initial) {
        (End::AsStart, Some(start)) => Some((start * s.e_max_kwh, Sense::Eq)),
        (End::Level(l), _) => Some((l.clamp(lo, hi), Sense::Ge)),
        (End::AsStart, None) | (End::Free, _) | (End::Target(..), _) => None,
    };
    if let Some((l, sense)) = end_level {
        b.lp.add_row(
            &fam("end"),
            s.id,
            n - 1,
            vec![(level.at(n - 1), 1.0)],
            sense,
            l,
        );
    }
    b.output(
        s.id,
        s.kind,
        Quantity::LevelKwh,
        Source::Vars(vec![(level, Coef::Const(1.0))]),
    );
}

/// A battery: the store kernel with the wear cost on discharge.
pub fn add_battery(b: &mut Builder<'_>, x: &Battery, end: End) {
    add_store(
        b,
        &StoreSpec {
            kind: AssetKind::Battery,
            id: &x.id,
            e_max_kwh: x.e_max_kwh,
            soc_min: x.soc_min_frac,
            soc_max: x.soc_max_frac,
            soc_initial: x.soc_initial_frac,
            charge_max_kw: x.p_max_kw,
            discharge_max_kw: x.p_max_kw,
            eta_charge: x.eta_charge,
            eta_discharge: x.eta_discharge,
            loss_per_h: x.self_discharge_frac_per_h,
            discharge_cost: x.degradation_cny_per_kwh,
            end,
        },
    );
}

/// A hot-water tank or seasonal store.
pub fn add_thermal(b: &mut Builder<'_>, x: &ThermalStore, end: End) {
    add_store(
        b,
        &StoreSpec {
            kind: AssetKind::ThermalStore,
            id: &x.id,
            e_max_kwh: x.e_max_kwh,
            soc_min: x.soc_min_frac,
            soc_max: x.soc_max_frac,
            soc_initial: x.soc_initial_frac,
            charge_max_kw: x.heat_charge_max_kw,
            discharge_max_kw: x.heat_discharge_max_kw,
            eta_charge: x.eta_charge,
            eta_discharge: x.eta_discharge,
            loss_per_h: x.loss_frac_per_h,
            discharge_cost: 0.0,
            end,
        },
    );
}
