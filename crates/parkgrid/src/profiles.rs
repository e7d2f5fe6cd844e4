//! `parkgrid profiles`: every asset's series as CSV, and the annual summary.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use parkgrid_model::{AssetKind, Park};
use parkgrid_resource::{AssetSeries, ParkProfiles, Quantity, park_profiles};
use serde_json::json;

use crate::table::{render, thousands};

/// Annual figures of one series.
struct Annual {
    total: f64,
    peak: f64,
    mean: f64,
}

fn annual(s: &AssetSeries, step_h: f64) -> Annual {
    let n = s.values.len().max(1) as f64;
    Annual {
        total: s.values.iter().sum::<f64>() * step_h,
        peak: s.values.iter().copied().fold(0.0, f64::max),
        mean: s.values.iter().sum::<f64>() / n,
    }
}

/// The figure planners quote for a series: specific yield for PV, full-load hours for wind.
fn headline(s: &AssetSeries, a: &Annual) -> String {
    match (s.kind, s.quantity, s.rating_kw) {
        (AssetKind::Pv, Quantity::Available, Some(r)) if r > 0.0 => {
            format!("{:.0} kWh/kWp", a.total / r)
        }
        (AssetKind::Wind, Quantity::Available, Some(r)) if r > 0.0 => {
            format!("{:.0} full-load h", a.total / r)
        }
        _ => String::new(),
    }
}

/// Computes the profiles of `park`, writes them under `out` and prints the summary.
pub fn run(park: &Park, out: &Path, json_out: bool) -> anyhow::Result<ExitCode> {
    let p = park_profiles(park)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create '{}'", out.display()))?;
    write_profiles(&p, &out.join("profiles.csv"))?;
    write_weather(&p, &out.join("weather.csv"))?;
    let step_h = p.axis.step_h();
    let hours = p.axis.n_steps as f64 * step_h;
    if json_out {
        let rows: Vec<serde_json::Value> = p
            .series
            .iter()
            .map(|s| {
                let a = annual(s, step_h);
                json!({
                    "id": s.id,
                    "kind": s.kind.key(),
                    "quantity": s.quantity.suffix(),
                    "annual_kwh": (s.quantity != Quantity::Cop).then_some(a.total),
                    "peak": a.peak,
                    "mean": a.mean,
                    "capacity_factor": s.rating_kw.filter(|r| *r > 0.0 && s.quantity != Quantity::Cop).map(|r| a.total / (r * hours)),
                })
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "n_steps": p.axis.n_steps, "series": rows, "notes": p.notes })
            )?
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = p
        .series
        .iter()
        .map(|s| {
            let a = annual(s, step_h);
            if s.quantity == Quantity::Cop {
                let min = s.values.iter().copied().fold(f64::INFINITY, f64::min);
                let cop = format!("COP {:.2} mean, {min:.2}–{:.2}", a.mean, a.peak);
                return vec![
                    s.id.clone(),
                    s.kind.key().to_string(),
                    String::from("cop"),
                    String::new(),
                    String::new(),
                    String::new(),
                    cop,
                ];
            }
            let cf = s
                .rating_kw
                .filter(|r| *r > 0.0)
                .map(|r| format!("{:.1} %", a.total / (r * hours) * 100.0))
                .unwrap_or_default();
            vec![
                s.id.clone(),
                s.kind.key().to_string(),
                s.quantity
                    .suffix()
                    .trim_end_matches("_kw")
                    .replace('_', " "),
                thousands(a.total / 1000.0),
                thousands(a.peak),
                cf,
                headline(s, &a),
            ]
        })
        .collect();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: {} steps of {} min",
        park.site.name, p.axis.n_steps, p.axis.step_min
    );
    text.push_str(&render(
        &[
            "id",
            "kind",
            "series",
            "MWh/yr",
            "peak kW",
            "capacity factor",
            "",
        ],
        &rows,
    ));
    for note in &p.notes {
        let _ = writeln!(text, "note: {note}");
    }
    let _ = writeln!(
        text,
        "wrote {} and {}",
        out.join("profiles.csv").display(),
        out.join("weather.csv").display()
    );
    out!("{text}")?;
    Ok(ExitCode::SUCCESS)
}

fn create(path: &Path) -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
    let f = std::fs::File::create(path)
        .with_context(|| format!("cannot write '{}'", path.display()))?;
    Ok(std::io::BufWriter::new(f))
}

fn write_profiles(p: &ParkProfiles, path: &Path) -> anyhow::Result<()> {
    let mut w = create(path)?;
    let mut header = String::from("time");
    for s in &p.series {
        let _ = write!(header, ",{}.{}", s.id, s.quantity.suffix());
    }
    writeln!(w, "{header}")?;
    for i in 0..p.axis.n_steps {
        let mut line = p.axis.time(i).to_rfc3339();
        for s in &p.series {
            let _ = write!(line, ",{:.3}", s.values[i]);
        }
        writeln!(w, "{line}")?;
    }
    w.flush()
        .with_context(|| format!("cannot write '{}'", path.display()))
}

fn write_weather(p: &ParkProfiles, path: &Path) -> anyhow::Result<()> {
    let mut w = create(path)?;
    writeln!(
        w,
        "time,ghi_w_per_m2,dni_w_per_m2,dhi_w_per_m2,t_air_c,wind_m_per_s,pressure_pa"
    )?;
    let s = &p.weather;
    for i in 0..s.len() {
        writeln!(
            w,
            "{},{:.2},{:.2},{:.2},{:.2},{:.2},{:.0}",
            s.times[i].to_rfc3339(),
            s.ghi_w_per_m2[i],
            s.dni_w_per_m2[i],
            s.dhi_w_per_m2[i],
            s.t_air_c[i],
            s.wind_m_per_s[i],
            s.pressure_pa[i]
        )?;
    }
    w.flush()
        .with_context(|| format!("cannot write '{}'", path.display()))
}
