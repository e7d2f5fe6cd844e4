//! `parkgrid info`: what a park holds, as text tables (the JSON form is
//! `parkgrid_engine::park::summary_json`).

use std::fmt::Write as _;

use parkgrid_engine::park::weather_source;
use parkgrid_engine::table;
use parkgrid_model::Park;
use parkgrid_resource::ParkProfiles;

use crate::table::render;

/// The text report; the demand comes from the park's profiles.
pub fn text(park: &Park, profiles: &ParkProfiles) -> String {
    let mut out = String::new();
    let s = &park.site;
    let _ = writeln!(out, "{}", s.name);
    let _ = writeln!(
        out,
        "  {:.3}° N, {:.3}° E, {} m, {}; heating season {} to {}",
        s.latitude_deg,
        s.longitude_deg,
        s.elevation_m,
        s.time_zone.name(),
        s.heating_season_start,
        s.heating_season_end
    );
    if let Some(axis) = park.time_axis() {
        let _ = writeln!(
            out,
            "  time axis: {} steps of {} min from {}",
            axis.n_steps,
            axis.step_min,
            axis.start.to_rfc3339()
        );
    }
    let _ = writeln!(out, "  weather: {}\n", weather_source(park));

    // A park without lines, transformers or converters has no network table.
    let network = Some(table::park_network(park)).filter(|t| !t.rows.is_empty());
    for (title, table) in [
        ("Buses", Some(table::park_buses(park))),
        ("\nAssets", Some(table::park_assets(park))),
        ("\nNetwork", network),
        (
            "\nCapacity per carrier (demand from the profiles, over the park's year)",
            Some(table::park_capacity(park, profiles)),
        ),
    ] {
        if let Some(table) = table {
            let _ = writeln!(out, "{title}");
            out.push_str(&render(&table));
        }
    }
    let _ = writeln!(
        out,
        "\n{} tariff(s), {} fuel(s), {} tenant(s), {} meter(s)",
        park.tariff.len(),
        park.fuel.len(),
        park.tenant.len(),
        park.meter.len()
    );
    out
}
