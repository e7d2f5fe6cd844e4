//! Demand: fixed loads, the data centre (and its waste heat), EV charging with energy by
//! departure, and loads with a shiftable share.

use chrono::Timelike;
use parkgrid_model::AssetKind;
use parkgrid_model::asset::{DataCentre, EvCharging, FlexibleLoad};
use parkgrid_resource::Quantity as Profile;
use parkgrid_resource::calendar::{DayType, day_type};

use crate::build::{Builder, Coef, Source};
use crate::key::Quantity;
use crate::lp::Sense;

fn series(b: &Builder<'_>, id: &str, q: Profile) -> Vec<f64> {
    b.profiles
        .get(id, q)
        .map(<[f64]>::to_vec)
        .unwrap_or_else(|| vec![0.0; b.steps.n])
}

/// A fixed demand (the asset's `profile` series) on the balance's right-hand side, through the
/// ports of its result `quantity`; no variables.
pub fn add_fixed(
    b: &mut Builder<'_>,
    id: &str,
    kind: AssetKind,
    quantity: Quantity,
    profile: Profile,
) {
    let d = series(b, id, profile);
    b.output(id, kind, quantity, Source::Fixed(d));
}

/// The data centre's electric demand, and its recoverable heat as a fixed supply on the waste-heat
/// bus (what no heat pump takes is rejected by the bus's cooling towers).
pub fn add_data_centre(b: &mut Builder<'_>, dc: &DataCentre) {
    let d = series(b, &dc.id, Profile::ElectricDemand);
    b.output(
        &dc.id,
        AssetKind::DataCentre,
        Quantity::PKw,
        Source::Fixed(d),
    );
    if dc.waste_heat_bus.is_some() {
        let heat = series(b, &dc.id, Profile::WasteHeat);
        b.output(
            &dc.id,
            AssetKind::DataCentre,
            Quantity::WasteHeatKw,
            Source::Fixed(heat),
        );
    }
}

/// Smart charging: `ev_charging.p[id,t]` ∈ [0, p_max] while vehicles are plugged in (0 otherwise),
/// and per charging day a row `ev_charging.energy[id,day]`: `Σ p·Δt = e_daily` over the plug-in
/// window (less where the window is cut by the end of the year). With a profile the demand is
/// fixed. `open_kwh`: a session under way at the first step (a window that starts after the
/// vehicles arrived), with the energy still to deliver before departure. A session the window's
/// end cuts owes in the window its share, pro rata of its steps to departure.
pub fn add_ev(b: &mut Builder<'_>, ev: &EvCharging, open_kwh: Option<f64>) {
    if ev.profile.is_some() {
        add_fixed(
            b,
            &ev.id,
            AssetKind::EvCharging,
            Quantity::PKw,
            Profile::ElectricDemand,
        );
        return;
    }
    let n = b.steps.n;
    let axis = b.profiles.axis;
    let mut window = vec![usize::MAX; n];
    let mut windows: Vec<Vec<usize>> = Vec::new();
    let mut open: Option<usize> = None;
    if open_kwh.is_some() {
        windows.push(Vec::new());
        open = Some(0);
    }
    for (t, slot) in window.iter_mut().enumerate() {
        let local = axis.time(t);
        let first_of_hour = local.minute() == 0;
        let hour = b.steps.hour[t];
        if open.is_some() && hour == ev.departure_h % 24 && first_of_hour {
            open = None;
        }
        let charge_day = !ev.working_days_only || day_type(local.date_naive()) == DayType::Working;
        if open.is_none() && hour == ev.arrival_h && first_of_hour && charge_day {
            windows.push(Vec::new());
            open = Some(windows.len() - 1);
        }
        if let Some(w) = open {
            *slot = w;
            windows[w].push(t);
        }
    }
    let p_max = ev.p_max_kw();
    let p = b.block(
        "ev_charging.p",
        &ev.id,
        |t| (0.0, if window[t] == usize::MAX { 0.0 } else { p_max }),
        |_| 0.0,
    );
    let dt = b.steps.step_h;
    // A session still open at the window's end owes in the window only its share of the
    // energy: the steps it has in the window over all its steps to departure.
    let after = {
        let end = axis.time(n);
        let minute = i64::from(end.hour() * 60 + end.minute());
        let departure = i64::from(ev.departure_h % 24) * 60;
        ((departure - minute).rem_euclid(1440) / i64::from(axis.step_min)) as usize
    };
    let cut = open;
    for (k, steps) in windows.iter().enumerate() {
        let due = match open_kwh {
            Some(e) if k == 0 => e.max(0.0),
            _ => ev.e_daily_kwh,
        };
        let due = if cut == Some(k) && after > 0 {
            due * steps.len() as f64 / (steps.len() + after) as f64
        } else {
            due
        };
        let need = due.min(p_max * dt * steps.len() as f64);
        let terms = steps.iter().map(|&t| (p.at(t), dt)).collect();
        b.lp.add_row("ev_charging.energy", &ev.id, k, terms, Sense::Eq, need);
    }
    b.output(
        &ev.id,
        AssetKind::EvCharging,
        Quantity::PKw,
        Source::Vars(vec![(p, Coef::Const(1.0))]),
    );
}

/// `flexible_load.p[id,t]` ∈ [(1−flexible_frac)·base[t], p_max], and per window of
/// `shift_window_h` a row `flexible_load.energy[id,k]`: `Σ p·Δt = Σ base·Δt`. `open`: a shift
/// window under way at the first step, `(steps left in it, energy still owed in it, kWh)`,
/// owed pro rata when it runs past the window's end.
pub fn add_flexible(b: &mut Builder<'_>, f: &FlexibleLoad, open: Option<(usize, f64)>) {
    let base = series(b, &f.id, Profile::ElectricDemand);
    let keep = 1.0 - f.flexible_frac;
    let p = b.block(
        "flexible_load.p",
        &f.id,
        |t| {
            (
                (keep * base[t]).min(f.p_max_kw),
                f.p_max_kw.max(keep * base[t]),
            )
        },
        |_| 0.0,
    );
    let dt = b.steps.step_h;
    let per_window = (f.shift_window_h as usize * b.profiles.axis.steps_per_hour()).max(1);
    let mut blocks: Vec<(usize, usize, Option<f64>)> = Vec::new();
    let mut start = 0;
    if let Some((left, owed)) = open {
        // A shift window longer than what is left of this one owes its share here.
        let end = left.clamp(1, b.steps.n);
        blocks.push((0, end, Some(owed * end as f64 / left.max(1) as f64)));
        start = end;
    }
    while start < b.steps.n {
        let end = (start + per_window).min(b.steps.n);
        blocks.push((start, end, None));
        start = end;
    }
    for (k, (start, end, owed)) in blocks.into_iter().enumerate() {
        let terms = (start..end).map(|t| (p.at(t), dt)).collect();
        // Energy owed in a window cut short is what its steps can carry between their bounds.
        let energy = match owed {
            Some(e) => {
                let lo: f64 = (start..end)
                    .map(|t| (keep * base[t]).min(f.p_max_kw))
                    .sum::<f64>()
                    * dt;
                let hi: f64 = (start..end)
                    .map(|t| f.p_max_kw.max(keep * base[t]))
                    .sum::<f64>()
                    * dt;
                e.clamp(lo, hi)
            }
            None => base[start..end].iter().sum::<f64>() * dt,
        };
        b.lp.add_row("flexible_load.energy", &f.id, k, terms, Sense::Eq, energy);
    }
    b.output(
        &f.id,
        AssetKind::FlexibleLoad,
        Quantity::PKw,
        Source::Vars(vec![(p, Coef::Const(1.0))]),
    );
    b.output(
        &f.id,
        AssetKind::FlexibleLoad,
        Quantity::BaselineKw,
        Source::Fixed(base),
    );
}
