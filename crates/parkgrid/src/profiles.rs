//! `parkgrid profiles`: every asset's series as CSV, and their figures over the year.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use parkgrid_engine::profiles::{summarize, write_profiles};
use parkgrid_model::Park;
use parkgrid_resource::park_profiles;
use serde_json::json;

use crate::table::{render, thousands};

/// Computes the profiles of `park`, writes them under `out` and prints the summary.
pub fn run(park: &Park, out: &Path, json_out: bool) -> anyhow::Result<ExitCode> {
    let p = park_profiles(park)?;
    let (profiles_csv, weather_csv) = write_profiles(&p, out)?;
    let figures = summarize(&p);
    if json_out {
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "n_steps": p.axis.n_steps, "series": figures, "notes": p.notes })
            )?
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = figures
        .iter()
        .map(|f| {
            let Some(kwh) = f.annual_kwh else {
                let ratio = f.quantity.to_uppercase();
                let cop = format!("{ratio} {:.2} mean, {:.2}–{:.2}", f.mean, f.min, f.peak);
                return vec![
                    f.id.clone(),
                    f.kind.to_string(),
                    f.quantity.to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                    cop,
                ];
            };
            vec![
                f.id.clone(),
                f.kind.to_string(),
                f.quantity.trim_end_matches("_kw").replace('_', " "),
                thousands(kwh / 1000.0),
                thousands(f.peak),
                f.capacity_factor
                    .map(|c| format!("{:.1} %", c * 100.0))
                    .unwrap_or_default(),
                f.headline.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: {} steps of {} min",
        park.site.name, p.axis.n_steps, p.axis.step_min
    );
    let headers = [
        "id",
        "kind",
        "series",
        "MWh/yr",
        "peak kW",
        "capacity factor",
        "",
    ];
    text.push_str(&render(&headers, &rows));
    for note in &p.notes {
        let _ = writeln!(text, "note: {note}");
    }
    let _ = writeln!(
        text,
        "wrote {} and {}",
        profiles_csv.display(),
        weather_csv.display()
    );
    out!("{text}")?;
    Ok(ExitCode::SUCCESS)
}
