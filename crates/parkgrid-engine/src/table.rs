//! The tables a person reads — a park's buses, assets, network and capacities; a power flow's
//! buses and branches; an N-1 ranking; a run's KPIs; two runs compared; a park's profiles — as
//! rows of text cells, built once for every front end: the command line lays them out for a
//! terminal, the server for a page. Numbers are rounded and grouped as the report shows them
//! ([`format_number`]); a cell with nothing to say is `—` (a figure that does not exist) or empty.

use parkgrid_model::{Park, TimeAxis, summarize};
use parkgrid_powerflow::{Contingency, PfResult, StepCheck};
use parkgrid_report::{KpiDiff, format_number};
use parkgrid_resource::ParkProfiles;
use serde::Serialize;

use crate::contingency::N1Year;
use crate::park::{bus_level, rating};
use crate::profiles::SeriesSummary;

/// Column headers and rows of cells; every row has as many cells as there are headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Column headers (an empty header: a column of remarks).
    pub headers: Vec<&'static str>,
    /// The rows.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(headers: &[&'static str], rows: Vec<Vec<String>>) -> Self {
        Self {
            headers: headers.to_vec(),
            rows,
        }
    }
}

/// `n` with thousands separators, no decimals.
fn n0(v: f64) -> String {
    format_number(v, 0)
}

/// A park's buses: id, carrier, level (kV or °C), number of assets on it.
pub fn park_buses(park: &Park) -> Table {
    let rows = park.bus.iter().map(|b| {
        let n = park
            .assets()
            .filter(|(_, a)| a.spec().ports().iter().any(|p| p.bus == b.id))
            .count();
        vec![
            b.id.clone(),
            b.carrier.as_str().into(),
            bus_level(b),
            n.to_string(),
        ]
    });
    Table::new(&["id", "carrier", "level", "assets"], rows.collect())
}

/// A park's assets: id, kind, the buses it connects (`from → to`), rating, tenant.
pub fn park_assets(park: &Park) -> Table {
    let rows = park.assets().map(|(_, a)| {
        let spec = a.spec();
        let buses: Vec<String> = spec.ports().iter().map(|p| p.bus.to_string()).collect();
        let tenant = spec.tenant().unwrap_or("").to_string();
        vec![
            spec.id().into(),
            spec.kind().key().into(),
            buses.join(" → "),
            rating(a),
            tenant,
        ]
    });
    Table::new(&["id", "kind", "buses", "rating", "tenant"], rows.collect())
}

/// A park's lines, transformers and converters: id, kind, the buses between, rating.
pub fn park_network(park: &Park) -> Table {
    let row = |id: &str, kind: &str, a: &str, b: &str, rating: String| {
        vec![
            id.to_string(),
            kind.to_string(),
            format!("{a} – {b}"),
            rating,
        ]
    };
    let mut rows = Vec::new();
    for l in &park.line {
        let r = format!("{} km, {} A", l.length_km, n0(l.i_max_a));
        rows.push(row(&l.id, "line", &l.from_bus, &l.to_bus, r));
    }
    for t in &park.transformer {
        let r = format!("{} × {} kVA", t.parallel, n0(t.s_rated_kva));
        rows.push(row(&t.id, "transformer", &t.hv_bus, &t.lv_bus, r));
    }
    for c in &park.converter {
        let r = format!("{} kW", n0(c.p_max_kw));
        rows.push(row(&c.id, "converter", &c.from_bus, &c.to_bus, r));
    }
    Table::new(&["id", "kind", "between", "rating"], rows)
}

/// A park's capacities per carrier (kW, kWh) and the demand its profiles give: the coincident
/// peak (the largest sum of the carrier's demand series in one step, kW) and the energy over
/// the park's axis (MWh) — CSV profiles, weather-driven heating and cooling included.
pub fn park_capacity(park: &Park, profiles: &ParkProfiles) -> Table {
    let demand = crate::park::demand_by_carrier(park, profiles);
    let rows = summarize(park).into_iter().map(|(c, s)| {
        let (peak, energy) = demand.get(&c).copied().unwrap_or_default();
        vec![
            c.as_str().to_string(),
            s.n_buses.to_string(),
            n0(s.supply_kw),
            n0(s.conversion_kw),
            n0(s.storage_kw),
            n0(s.storage_kwh),
            n0(peak),
            n0(energy / 1e3),
        ]
    });
    let headers = [
        "carrier",
        "buses",
        "supply kW",
        "conversion kW",
        "storage kW",
        "storage kWh",
        "peak demand kW",
        "demand MWh",
    ];
    Table::new(&headers, rows.collect())
}

/// A power flow's buses (`vm_pu`, `va_deg`), branches (MW and MVAr at each end) and, with DC,
/// its DC buses and converters.
pub fn powerflow(res: &PfResult) -> Vec<Table> {
    let f4 = |v: f64| format!("{v:.4}");
    let f6 = |v: f64| format!("{v:.6}");
    let buses = res
        .buses
        .iter()
        .map(|b| vec![b.id.to_string(), f6(b.vm_pu), f6(b.va_deg)]);
    let branches = res.branches.iter().map(|b| {
        let ends = format!("{}-{}", b.from, b.to);
        vec![ends, f4(b.pf_mw), f4(b.qf_mvar), f4(b.pt_mw), f4(b.qt_mvar)]
    });
    let mut tables = vec![
        Table::new(&["bus", "vm_pu", "va_deg"], buses.collect()),
        Table::new(
            &["branch", "pf_mw", "qf_mvar", "pt_mw", "qt_mvar"],
            branches.collect(),
        ),
    ];
    if !res.dc_buses.is_empty() {
        let dc = res
            .dc_buses
            .iter()
            .map(|b| vec![b.id.to_string(), f6(b.vdc_pu), f4(b.p_mw)]);
        let conv = res.converters.iter().map(|c| {
            let limit = if c.over_limit { "over limit" } else { "" };
            let ends = format!("{}-{}", c.busac, c.busdc);
            let (p, q, pdc, loss) = (f4(c.p_ac_mw), f4(c.q_ac_mvar), f4(c.p_dc_mw), f4(c.loss_mw));
            vec![ends, p, q, pdc, loss, limit.into()]
        });
        let conv_headers = [
            "converter AC-DC",
            "p_ac_mw",
            "q_ac_mvar",
            "p_dc_mw",
            "loss_mw",
            "",
        ];
        tables.push(Table::new(&["DC bus", "vdc_pu", "p_mw"], dc.collect()));
        tables.push(Table::new(&conv_headers, conv.collect()));
    }
    tables
}

/// The cells a check lends: violations, overloads, the most loaded element and the lowest
/// voltage; `—` when its power flow did not converge.
fn figures(ch: &StepCheck) -> Vec<String> {
    if !ch.converged {
        return vec!["—".into(); 4];
    }
    let most = ch
        .max_loading()
        .map(|l| format!("{} {:.0} %", l.id, l.fraction * 100.0));
    let v_min = ch.v_min.1.is_finite().then(|| format!("{:.4}", ch.v_min.1));
    vec![
        ch.voltage_violations.len().to_string(),
        ch.overloads().count().to_string(),
        most.unwrap_or_else(|| "—".into()),
        v_min.unwrap_or_else(|| "—".into()),
    ]
}

/// The first `top` outages of an N-1 study of one operating point, worst first.
pub fn n1_step(outages: &[Contingency], top: usize) -> Table {
    let rows = outages.iter().take(top).enumerate().map(|(rank, c)| {
        let solved = if c.check.converged { "yes" } else { "NO" };
        let lost = format!("{:.3}", c.lost_load_mw);
        [
            (rank + 1).to_string(),
            c.element.clone(),
            c.kind.into(),
            solved.into(),
        ]
        .into_iter()
        .chain([c.islanded.len().to_string(), lost])
        .chain(figures(&c.check))
        .collect()
    });
    let headers = [
        "#",
        "out",
        "kind",
        "solved",
        "islanded",
        "lost MW",
        "V viol.",
        "overloads",
        "most loaded",
        "V min",
    ];
    Table::new(&headers, rows.collect())
}

/// The first `top` outages of an N-1 scan of every step of a run, worst first, with the time of
/// each one's highest loading and lowest voltage on `axis`.
pub fn n1_run(year: &N1Year, axis: &TimeAxis, top: usize) -> Table {
    let time = |t: usize| axis.time(t).format("%Y-%m-%d %H:%M").to_string();
    let rows = year.outages.iter().take(top).enumerate().map(|(rank, y)| {
        let worst = y
            .worst
            .as_ref()
            .map(|w| format!("{} {:.0} % ({})", w.1, w.0 * 100.0, time(w.2)));
        let v_min = y
            .v_min
            .as_ref()
            .map(|v| format!("{:.4} {} ({})", v.0, v.1, time(v.2)));
        vec![
            (rank + 1).to_string(),
            y.element.clone(),
            y.kind.to_string(),
            y.not_solved.to_string(),
            y.losing_load.to_string(),
            format!("{:.3}", y.lost_mwh),
            y.violating.to_string(),
            worst.unwrap_or_else(|| "—".into()),
            v_min.unwrap_or_else(|| "—".into()),
        ]
    });
    let headers = [
        "#",
        "out",
        "kind",
        "not solved",
        "losing load",
        "lost MWh",
        "violating",
        "worst loading",
        "lowest voltage",
    ];
    Table::new(&headers, rows.collect())
}

/// A run's KPIs as `summary.json` holds them, in the report's units: with a baseline (the
/// summary's `baseline`), the optimum, the baseline and the change; without, the run's figures
/// alone. `main` heads the run's column (`optimal`, `NOT optimal`, `rule`).
pub fn kpis(summary: &serde_json::Value, main: &'static str) -> Table {
    let baseline = summary.get("baseline");
    let diffs = parkgrid_report::compare(baseline.unwrap_or(summary), summary);
    let rows = diffs.iter().map(|d| {
        let k = d.shown;
        let mut row = vec![k.en.to_string(), k.unit_en.to_string(), k.display(d.b)];
        if baseline.is_some() {
            row.extend([k.display(d.a), k.change_text(d).unwrap_or_default()]);
        }
        row
    });
    let headers: &[&'static str] = if baseline.is_some() {
        &["", "unit", main, "rule", "change"]
    } else {
        &["", "unit", main]
    };
    Table::new(headers, rows.collect())
}

/// Two runs' KPIs: A, B, the difference B − A in display units, the relative change and the
/// verdict (`better`, `worse`, `changed`, `same`).
pub fn compare(diffs: &[KpiDiff]) -> Table {
    let rows = diffs.iter().map(|d| {
        let k = d.shown;
        let same = d.verdict == "same";
        let diff = (!same).then(|| {
            let s = k.display(d.diff);
            let shows_digits = s.chars().any(|c| c.is_ascii_digit() && c != '0');
            if d.diff > 0.0 && shows_digits {
                format!("+{s}")
            } else {
                s
            }
        });
        let rel = d
            .rel
            .filter(|_| !same)
            .map(|r| format!("{:+.2} %", r * 100.0));
        vec![
            k.en.to_string(),
            k.unit_en.to_string(),
            k.display(d.a),
            k.display(d.b),
            diff.unwrap_or_default(),
            rel.unwrap_or_default(),
            d.verdict.to_string(),
        ]
    });
    Table::new(
        &["", "unit", "A", "B", "B - A", "change", ""],
        rows.collect(),
    )
}

/// A park's profiles over the run: energy (MWh), peak (kW), capacity factor and the figure
/// planners quote; a COP series shows its mean and range instead.
pub fn profiles(figures: &[SeriesSummary]) -> Table {
    let rows = figures.iter().map(|f| {
        let (id, kind) = (f.id.clone(), f.kind.to_string());
        let Some(kwh) = f.annual_kwh else {
            let figures = if f.quantity.ends_with("_kw") {
                // A limit: heat a machine can give.
                format!("{} kW mean, {}–{}", n0(f.mean), n0(f.min), n0(f.peak))
            } else {
                let ratio = f.quantity.to_uppercase();
                let season = f
                    .heating_season_mean
                    .map(|m| format!(" ({m:.2} in the heating season)"))
                    .unwrap_or_default();
                format!(
                    "{ratio} {:.2} mean{season}, {:.2}–{:.2}",
                    f.mean, f.min, f.peak
                )
            };
            let blank = String::new;
            let series = f.quantity.trim_end_matches("_kw").replace('_', " ");
            return vec![id, kind, series, blank(), blank(), blank(), figures];
        };
        let cf = f.capacity_factor.map(|c| format!("{:.1} %", c * 100.0));
        vec![
            id,
            kind,
            f.quantity.trim_end_matches("_kw").replace('_', " "),
            n0(kwh / 1e3),
            n0(f.peak),
            cf.unwrap_or_default(),
            f.headline.clone().unwrap_or_default(),
        ]
    });
    let headers = [
        "id",
        "kind",
        "series",
        "MWh/yr",
        "peak kW",
        "capacity factor",
        "",
    ];
    Table::new(&headers, rows.collect())
}

/// `v` to four significant digits (at most six decimals), grouped.
fn sig4(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format_number(v, 0);
    }
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format_number(v, decimals)
}

/// A forecast backtest's scores: model, RMSE, MAE, pinball loss (in the series' units),
/// P10–P90 coverage, skill against persistence and the seasonal naive forecast (%), share of
/// steps made by a fallback; the best model marked.
pub fn backtest(report: &parkgrid_forecast::Report) -> Table {
    let rows = report.scores.iter().map(|s| {
        vec![
            s.model.name().to_string(),
            sig4(s.rmse),
            sig4(s.mae),
            sig4(s.pinball),
            format_number(s.coverage_pct, 1),
            format_number(s.skill_vs_persistence_pct, 1),
            format_number(s.skill_vs_seasonal_naive_pct, 1),
            format_number(s.fallback_pct, 1),
            if s.model == report.best {
                "best".into()
            } else {
                String::new()
            },
        ]
    });
    Table::new(
        &[
            "model",
            "RMSE",
            "MAE",
            "pinball",
            "P10-P90 %",
            "skill vs persistence %",
            "vs seasonal naive %",
            "fallback %",
            "",
        ],
        rows.collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rectangular(t: &Table) {
        for row in &t.rows {
            assert_eq!(row.len(), t.headers.len(), "{:?}: {row:?}", t.headers);
        }
    }

    #[test]
    fn the_examples_tables_are_rectangular_and_complete() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/yanqing.toml");
        let park = crate::park::load(&path).expect("example").0;
        let profiles = parkgrid_resource::park_profiles(&park).expect("profiles");
        let tables = [
            park_buses(&park),
            park_assets(&park),
            park_network(&park),
            park_capacity(&park, &profiles),
        ];
        for t in &tables {
            rectangular(t);
            assert!(!t.rows.is_empty(), "{:?}", t.headers);
        }
        assert_eq!(tables[0].rows.len(), park.bus.len());
        assert_eq!(tables[1].rows.len(), park.assets().count());
        let pv = tables[1]
            .rows
            .iter()
            .find(|r| r[1] == "pv")
            .expect("a PV row");
        assert!(pv[3].contains("kWp DC"), "{pv:?}");
        // The heat demand the profiles give: 24,566 MWh over the example's year, its peak the
        // largest hourly sum of the heat loads.
        let heat = row(&tables[3], "heat");
        let mwh: f64 = heat[7].replace(',', "").parse().expect("a number");
        assert!((mwh - 24_566.0).abs() < 1.0, "{heat:?}");
        let sum: Vec<f64> = (0..profiles.axis.n_steps)
            .map(|t| {
                park.heat_load
                    .iter()
                    .filter_map(|h| profiles.get(&h.id, parkgrid_resource::Quantity::HeatDemand))
                    .map(|v| v[t])
                    .sum()
            })
            .collect();
        assert_eq!(heat[6], n0(sum.iter().copied().fold(0.0, f64::max)));
    }

    /// The row labelled `label`.
    fn row<'a>(t: &'a Table, label: &str) -> &'a [String] {
        let found = t.rows.iter().find(|r| r[0] == label);
        found.unwrap_or_else(|| panic!("no row {label}"))
    }

    #[test]
    fn kpi_tables_show_the_change_against_the_baseline() {
        let summary = serde_json::json!({
            "total_cost_cny": 4.0e7, "co2_t": 100.0,
            "baseline": {"total_cost_cny": 5.0e7, "co2_t": 100.0},
        });
        let t = kpis(&summary, "optimal");
        rectangular(&t);
        assert_eq!(t.headers, ["", "unit", "optimal", "rule", "change"]);
        assert_eq!(
            row(&t, "Total cost")[2..],
            ["4,000.0", "5,000.0", "−20.0 %"]
        );
        assert_eq!(
            row(&t, "CO₂ emitted")[4],
            "",
            "no change where there is none"
        );
        let alone = kpis(&summary["baseline"], "rule");
        assert_eq!(alone.headers, ["", "unit", "rule"]);
        rectangular(&alone);

        let diffs = parkgrid_report::compare(&summary["baseline"], &summary);
        let c = compare(&diffs);
        rectangular(&c);
        assert_eq!(
            row(&c, "Total cost")[4..],
            ["−1,000.0", "-20.00 %", "better"]
        );
    }
}
