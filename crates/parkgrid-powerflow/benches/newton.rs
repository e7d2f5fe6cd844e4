//! Newton–Raphson on a large MATPOWER case, timed: flat start, tolerance 1e-8 p.u., the case
//! already parsed; median of the runs after a warm-up. The peers are timed by the reference's
//! `peer_bench.py` in the same session.
//! Run: `cargo bench -p parkgrid-powerflow --bench newton -- PATH/case9241pegase.m [runs]`.

use std::time::Instant;

use parkgrid_powerflow::{Options, parse_matpower, solve};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(path) = args.first() else {
        eprintln!("usage: cargo bench -p parkgrid-powerflow --bench newton -- CASE.m [runs]");
        std::process::exit(2);
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let t0 = Instant::now();
    let case = parse_matpower(path, &text).unwrap_or_else(|e| panic!("{e}"));
    let parse_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let opts = Options {
        flat_start: true,
        ..Options::default()
    };
    let _ = solve(&case, &opts);
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = solve(&case, &opts);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(r);
    }
    times.sort_by(f64::total_cmp);
    let r = last.unwrap_or_else(|| solve(&case, &opts));
    println!(
        "parkgrid Newton-Raphson on {path}: median {:.1} ms (min {:.1}) over {runs} runs, {} iterations, converged {}, mismatch {:.1e}; parse {parse_ms:.0} ms; {case}",
        times[times.len() / 2],
        times[0],
        r.iterations,
        r.converged,
        r.max_mismatch_pu
    );
}
