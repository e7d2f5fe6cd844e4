//! The rolling horizon: the year planned day by day, each day with the next one in view.
//!
//! A year plan (the year LP) gives the seasonal stores' levels; each window of 48 hours then starts
//! from the levels the previous day left, ends its seasonal stores on the plan's level and its
//! other stores anywhere, and only its first 24 hours are kept. What the window cannot see (beyond
//! tomorrow) it cannot use: the cost is the year optimum's or more.

use parkgrid_model::Park;
use parkgrid_resource::ParkProfiles;
use std::collections::HashMap;

use crate::build::{BuildOptions, Steps};
use crate::key::Quantity;
use crate::result::{Dispatch, Series};
use crate::{Outcome, RunStats, RunStatus, SolveError, SolveOptions, SolverKind, optimal};

/// Hours fixed per window.
pub const WINDOW_H: usize = 24;
/// Hours seen beyond them.
pub const LOOKAHEAD_H: usize = 24;

/// Runs the rolling horizon.
pub(crate) fn run(
    park: &Park,
    profiles: &ParkProfiles,
    steps: &Steps,
    solver: (SolverKind, &SolveOptions),
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Outcome, SolveError> {
    let plan = optimal(park, profiles, steps, solver, BuildOptions::default())?;
    if !plan.has_schedule() {
        return Ok(plan);
    }
    let n = steps.n;
    let per_h = profiles.axis.steps_per_hour();
    let (window, span) = (WINDOW_H * per_h, (WINDOW_H + LOOKAHEAD_H) * per_h);
    let n_windows = n.div_ceil(window);
    let plan_level = |id: &str, t: usize| {
        plan.dispatch
            .get(id, Quantity::LevelKwh)
            .map_or(0.0, |v| v[t.min(n - 1)])
    };

    // Levels at the start of the next window: the park's start levels, or the plan's for cyclic
    // stores.
    let mut levels: HashMap<String, f64> = HashMap::new();
    for b in &park.battery {
        levels.insert(
            b.id.clone(),
            b.soc_initial_frac
                .map_or_else(|| plan_level(&b.id, n - 1), |s| s * b.e_max_kwh),
        );
    }
    for s in &park.thermal_store {
        levels.insert(
            s.id.clone(),
            s.soc_initial_frac
                .map_or_else(|| plan_level(&s.id, n - 1), |f| f * s.e_max_kwh),
        );
    }
    let mut peaks: HashMap<String, [f64; 12]> = park
        .grid
        .iter()
        .map(|g| (g.id.clone(), [0.0; 12]))
        .collect();
    let mut series: Vec<Series> = Vec::new();
    let mut stats = RunStats {
        solver: plan.stats.solver.clone(),
        iterations: plan.stats.iterations,
        certificate: plan.stats.certificate.clone(),
        ..RunStats::default()
    };
    // The first window or plan whose optimality is not proven makes the run inexact.
    let mut status = plan.status.clone();
    for k in 0..n_windows {
        progress(k, n_windows);
        let offset = k * window;
        let len = span.min(n - offset);
        let keep = window.min(n - offset);
        let sub = profiles.window(offset, len);
        let mut wpark = park.clone();
        for b in &mut wpark.battery {
            b.soc_initial_frac =
                Some((levels[&b.id] / b.e_max_kwh).clamp(b.soc_min_frac, b.soc_max_frac));
        }
        for s in &mut wpark.thermal_store {
            s.soc_initial_frac =
                Some((levels[&s.id] / s.e_max_kwh).clamp(s.soc_min_frac, s.soc_max_frac));
        }
        let mut end: HashMap<String, Option<f64>> = HashMap::new();
        for b in &park.battery {
            end.insert(b.id.clone(), None);
        }
        for s in &park.thermal_store {
            end.insert(
                s.id.clone(),
                s.seasonal.then(|| plan_level(&s.id, offset + len - 1)),
            );
        }
        let options = BuildOptions {
            store_end: Some(end),
            peak_floor: peaks.clone(),
            ..BuildOptions::default()
        };
        let wsteps = Steps::of(&wpark, &sub);
        let out = optimal(&wpark, &sub, &wsteps, solver, options)?;
        if !out.has_schedule() {
            return Ok(Outcome::without_schedule(out.status, out.stats));
        }
        if let (RunStatus::Ok, RunStatus::Inexact(why)) = (&status, &out.status) {
            status = RunStatus::Inexact(format!("window {} of {n_windows}: {why}", k + 1));
        }
        stats.iterations = Some(stats.iterations.unwrap_or(0) + out.stats.iterations.unwrap_or(0));
        if let Some(c) = out.stats.certificate {
            let worse = stats
                .certificate
                .as_ref()
                .is_none_or(|w| c.gap_rel > w.gap_rel);
            if worse {
                stats.certificate = Some(c);
            }
        }
        stats.n_variables = stats.n_variables.max(out.stats.n_variables);
        stats.n_rows = stats.n_rows.max(out.stats.n_rows);
        stats.n_nonzeros = stats.n_nonzeros.max(out.stats.n_nonzeros);
        stats.build_time_s += out.stats.build_time_s;
        stats.solve_time_s += out.stats.solve_time_s;
        stats.max_balance_residual_rel = stats
            .max_balance_residual_rel
            .max(out.stats.max_balance_residual_rel);
        for s in out.dispatch.series {
            let kept = &s.values[..keep];
            match series
                .iter_mut()
                .find(|x| x.id == s.id && x.quantity == s.quantity)
            {
                Some(x) => x.values.extend_from_slice(kept),
                None => series.push(Series {
                    values: kept.to_vec(),
                    ..s
                }),
            }
        }
        let last = offset + keep - 1;
        for (id, level) in &mut levels {
            if let Some(v) = series
                .iter()
                .find(|x| &x.id == id && x.quantity == Quantity::LevelKwh)
            {
                *level = v.values[last];
            }
        }
        for g in &park.grid {
            if let (Some(v), Some(p)) = (
                series
                    .iter()
                    .find(|x| x.id == g.id && x.quantity == Quantity::ImportKw),
                peaks.get_mut(&g.id),
            ) {
                for t in offset..=last {
                    let m = (steps.month[t] as usize).clamp(1, 12) - 1;
                    p[m] = p[m].max(v.values[t]);
                }
            }
        }
    }
    progress(n_windows, n_windows);
    // Windows overlap by their look-ahead, so their objectives do not add up to the year's: the
    // year's cost is in the KPIs.
    stats.objective_cny = None;
    stats.build_time_s += plan.stats.build_time_s;
    stats.solve_time_s += plan.stats.solve_time_s;
    Ok(Outcome::scheduled(
        status,
        park,
        steps,
        Dispatch { series },
        stats,
    ))
}
