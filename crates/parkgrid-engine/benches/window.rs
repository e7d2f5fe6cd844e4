//! The MPC-sized run: a 2-day window of a park at 15-minute steps — its profiles, the LP's build
//! and solve, and the rule-based baseline — timed in one process, median of the runs after a
//! warm-up. Prints each phase and the whole `run_year`.
//!
//! Run: `cargo bench -p parkgrid-engine --bench window [--features highs] -- [PARK] [FROM] [runs]`
//! (defaults: `examples/yanqing.toml`, 2025-01-15, 7 runs).

use std::path::Path;
use std::time::Instant;

use parkgrid_dispatch::{Config, Horizon, SolveOptions, SolverKind, Strategy};
use parkgrid_engine::{Request, Window, run_year};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let park_path = args
        .first()
        .map_or_else(|| root.join("examples/yanqing.toml"), Into::into);
    let from = args.get(1).map_or("2025-01-15", String::as_str);
    let runs: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(7);
    let from = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap_or_else(|e| {
        eprintln!("FROM must be YYYY-MM-DD: {e}");
        std::process::exit(2)
    });
    let park = parkgrid_model::load(&park_path)
        .ok()
        .and_then(|l| l.park)
        .unwrap_or_else(|| {
            eprintln!("{}: not a valid park", park_path.display());
            std::process::exit(2)
        });
    let solver = SolverKind::best_available();
    let req = Request {
        strategy: Strategy::Optimal,
        solver,
        horizon: Horizon::Year,
        solve: SolveOptions::default(),
        network_check: None,
        loss_feedback: false,
        window: Some(Window { from, days: 2 }),
        step_min: Some(15),
        rules: Default::default(),
    };
    let (stepped, steps) = req.check(&park).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let (offset, len) = steps.unwrap_or((0, 0));
    let mut whole = Vec::new();
    let mut profiles_t = Vec::new();
    let mut optimum_t = Vec::new();
    let mut last = None;
    for run in 0..=runs {
        let t = Instant::now();
        let year = run_year(&park, &req, &mut |_| {}).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1)
        });
        let w = t.elapsed().as_secs_f64();
        // The phases, again, one by one.
        let t = Instant::now();
        let profiles = parkgrid_resource::park_profiles_window(&stepped, offset, len)
            .unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(1)
            });
        let p = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let config = Config {
            strategy: Strategy::Optimal,
            solver,
            horizon: Horizon::Year,
            solve: SolveOptions::default(),
            ..Config::default()
        };
        let _ = parkgrid_dispatch::run(&stepped, &profiles, config);
        let o = t.elapsed().as_secs_f64();
        if run > 0 {
            whole.push(w);
            profiles_t.push(p);
            optimum_t.push(o);
        }
        last = Some(year);
    }
    let Some(year) = last else { return };
    let s = &year.main.stats;
    println!(
        "{}: 2 days from {from} at 15 min ({} steps), {}: run_year median {:.0} ms (min {:.0}) over {runs} runs; profiles {:.0} ms, optimum (build {:.0} ms + solve {:.0} ms) {:.0} ms; {} variables, {} rows, status {:?}",
        park.site.name,
        year.axis.n_steps,
        solver.name(),
        median(whole.clone()) * 1e3,
        whole.iter().copied().fold(f64::INFINITY, f64::min) * 1e3,
        median(profiles_t) * 1e3,
        s.build_time_s * 1e3,
        s.solve_time_s * 1e3,
        median(optimum_t) * 1e3,
        s.n_variables,
        s.n_rows,
        year.main.status
    );
}
