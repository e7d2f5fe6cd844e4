//! The PyPSA reference LP (tests/data/pypsa_ref), or any park file, timed: profiles, programme
//! build (including the hand-over to the solver), solve, iterations, the optimality certificate
//! and peak memory. The peer is the reference's own script, `python dispatch_refs.py run --copies
//! 1`, and HiGHS on the same programme, run in the same session.
//! Run: `cargo bench -p parkgrid-dispatch [--features highs] --bench pypsa_lp [-- clarabel|highs]
//! [PARK.toml]`.

use std::path::Path;
use std::time::Instant;

use parkgrid_dispatch::{Config, SolverKind, Strategy, run};
use parkgrid_model::load;
use parkgrid_resource::park_profiles;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let solver = if std::env::args().any(|a| a == "highs") {
        SolverKind::Highs
    } else {
        SolverKind::Clarabel
    };
    let path = std::env::args()
        .skip(1)
        .find(|a| a.ends_with(".toml"))
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pypsa_ref/park.toml"),
            std::path::PathBuf::from,
        );
    let t0 = Instant::now();
    let loaded = load(&path).unwrap_or_else(|e| panic!("{e}"));
    let park = loaded
        .park
        .unwrap_or_else(|| panic!("{}", loaded.report.render()));
    let profiles = park_profiles(&park).unwrap_or_else(|e| panic!("{e}"));
    let read_s = t0.elapsed().as_secs_f64();
    let out = run(
        &park,
        &profiles,
        Config {
            strategy: Strategy::Optimal,
            solver,
            ..Config::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let s = &out.stats;
    println!(
        "parkgrid {}: {:?}, park + profiles {read_s:.3} s, build {:.3} s, solve {:.2} s, {} iterations, objective {:.2} CNY, {} variables, {} rows, peak RSS {:.0} MB\n  certificate: {}",
        s.solver.as_deref().unwrap_or("-"),
        out.status,
        s.build_time_s,
        s.solve_time_s,
        s.iterations
            .map_or_else(|| "-".to_string(), |i| i.to_string()),
        s.objective_cny.unwrap_or(f64::NAN),
        s.n_variables,
        s.n_rows,
        peak_rss_mb(),
        s.certificate
            .as_ref()
            .map_or_else(|| "none".to_string(), |c| c.summary()),
    );
}
