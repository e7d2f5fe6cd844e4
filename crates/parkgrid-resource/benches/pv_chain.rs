//! The PVWatts chain (Perez) on a year of hourly weather, timed; the peer is
//! `benches/pvlib_peer.py`. Run: `cargo bench -p parkgrid-resource --bench pv_chain`.

use std::time::Instant;

use parkgrid_resource::epw::parse_epw;
use parkgrid_resource::irradiance::{Plane, SkyModel};
use parkgrid_resource::pv::{PvSystem, pv_output};

fn main() {
    let text = include_str!("../tests/data/greensboro_tmy3.epw");
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10);
    let t0 = Instant::now();
    let epw = parse_epw("greensboro_tmy3.epw", text).unwrap_or_else(|e| panic!("{e}"));
    let weather = epw
        .to_series(1990, "greensboro_tmy3.epw")
        .unwrap_or_else(|e| panic!("{e}"));
    let parse_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let system = PvSystem {
        p_dc_kw: 10_000.0,
        p_ac_max_kw: 10_000.0 / 1.2,
        plane: Plane {
            tilt_deg: 30.0,
            azimuth_deg: 180.0,
        },
        tracking: false,
        gamma_pdc_per_c: -0.004,
        system_losses_frac: 0.140_756_606_882_644_69,
        eta_inverter: 0.96,
        albedo: 0.2,
        sky_model: SkyModel::Perez,
    };
    let _ = pv_output(&system, &weather);
    let mut times = Vec::with_capacity(runs);
    let mut mwh = 0.0;
    for _ in 0..runs {
        let t = Instant::now();
        let out = pv_output(&system, &weather).unwrap_or_else(|e| panic!("{e}"));
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        mwh = out.iter().map(|s| s.p_ac_kw).sum::<f64>() / 1000.0;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "parkgrid PVWatts chain, Perez, 8760 h: median {:.1} ms over {runs} runs ({mwh:.2} MWh); EPW parse {parse_ms:.1} ms",
        times[runs / 2]
    );
}
