//! Grid connection: import at the time-of-use price (plus carbon), export at the export price,
//! an optional demand charge on each month's highest import.

use parkgrid_model::AssetKind;
use parkgrid_model::asset::Grid;

use crate::build::{Builder, Coef, Source};
use crate::key::Quantity;
use crate::lp::Sense;

/// Variables `grid.import[id,t]` ∈ [0, p_import_max], `grid.export[id,t]` ∈ [0, p_export_max];
/// export is valued at `min(export price, import price[t])`: a connection point meters one
/// direction at a time, and where the export price exceeds the import price (valley hours) an LP
/// would otherwise import and export at once for profit. The exact rule needs a binary per step;
/// the cap keeps the programme linear and errs on the side of less export revenue.
/// with a demand charge, `grid.peak[id,m]` ≥ 0 (≥ the peak already paid for, in a rolling
/// window) and rows `grid.peak[id,t]`: `import[t] − peak[month(t)] ≤ 0`.
pub fn add(b: &mut Builder<'_>, g: &Grid, peak_floor: Option<&[f64; 12]>) {
    let steps = b.steps.clone();
    let tariff = b.park.tariff(&g.tariff).cloned();
    let price: Vec<f64> = (0..steps.n)
        .map(|t| {
            tariff
                .as_ref()
                .and_then(|tf| tf.price_at(steps.month[t], steps.hour[t]))
                .unwrap_or(0.0)
        })
        .collect();
    let export_price = tariff.as_ref().map_or(0.0, |t| t.export_price_cny_per_kwh);
    let carbon = b.park.economics.carbon_price_cny_per_t / 1000.0 * g.co2_kg_per_kwh;
    let dt = steps.step_h;
    let imp = b.block(
        "grid.import",
        &g.id,
        |_| (0.0, g.p_import_max_kw),
        |t| (price[t] + carbon) * dt,
    );
    let exp = b.block(
        "grid.export",
        &g.id,
        |_| (0.0, g.p_export_max_kw),
        |t| (crate::build::TIE_BREAK_CNY_PER_KWH - export_price.min(price[t])) * dt,
    );
    b.tie_breaks.push(exp);
    b.output(
        &g.id,
        AssetKind::Grid,
        Quantity::ImportKw,
        Source::Vars(vec![(imp, Coef::Const(1.0))]),
    );
    b.output(
        &g.id,
        AssetKind::Grid,
        Quantity::ExportKw,
        Source::Vars(vec![(exp, Coef::Const(1.0))]),
    );
    let charge = tariff
        .as_ref()
        .map_or(0.0, |t| t.demand_charge_cny_per_kw_month);
    if charge > 0.0 {
        let floor = peak_floor.copied().unwrap_or([0.0; 12]);
        let peak = b.lp.add_block(
            "grid.peak",
            &g.id,
            12,
            |m| (floor[m], f64::INFINITY),
            |_| charge,
        );
        b.lp.constant -= charge * floor.iter().sum::<f64>();
        for t in 0..steps.n {
            let m = (steps.month[t] as usize).clamp(1, 12) - 1;
            b.lp.add_row(
                "grid.peak",
                &g.id,
                t,
                vec![(imp.at(t), 1.0), (peak.at(m), -1.0)],
                Sense::Le,
                0.0,
            );
        }
    }
}
