//! `parkgrid profiles`: every asset's series as CSV, and their figures over the year.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use parkgrid_engine::profiles::{park_profiles, summarize, write_profiles};
use parkgrid_model::Park;
use serde_json::json;

use crate::table::render;

/// Computes the profiles of `park`, writes them under `out` and prints the summary.
pub fn run(park: &Park, out: &Path, json_out: bool) -> anyhow::Result<ExitCode> {
    let p = park_profiles(park)?;
    let (profiles_csv, weather_csv) = write_profiles(&p, out)?;
    let figures = summarize(park, &p);
    if json_out {
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "n_steps": p.axis.n_steps, "series": figures, "notes": p.notes })
            )?
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: {} steps of {} min",
        park.site.name, p.axis.n_steps, p.axis.step_min
    );
    text.push_str(&render(&parkgrid_engine::table::profiles(&figures)));
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
