//! Differential tests of the solvers: random variants of the PyPSA reference park (other battery,
//! heat-pump COP, store size and loss, tariff levels, export limit, boiler and gas price) over
//! windows of 1–14 days and a few whole years. Each variant must end optimal with a passing
//! certificate; with the `highs` feature, Clarabel's objective must equal HiGHS's within 1e-7
//! relative.
//!
//! Seeds that once failed are kept as named cases. Run one seed and see the figures with
//! `PARKGRID_SEED=17 cargo test -p parkgrid-dispatch --test integration differential:: -- --nocapture`.

use std::path::Path;

use parkgrid_dispatch::solve::{ClarabelSettings, SolveOptions, solve_with};
use parkgrid_dispatch::{BuildOptions, Config, LpStatus, RunStatus, SolverKind, Strategy, run};
use parkgrid_model::{Park, load};
use parkgrid_resource::{ParkProfiles, park_profiles};

/// The project's SplitMix64 (a seed always gives the same variant), started at the state `seed`.
struct Rng(parkgrid_resource::rng::Rng);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(parkgrid_resource::rng::Rng::new(
            seed ^ 0x9E37_79B9_7F4A_7C15,
        ))
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.0.uniform()
    }
}

fn reference() -> (Park, ParkProfiles) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pypsa_ref/park.toml");
    let loaded = load(&path).unwrap_or_else(|e| panic!("{e}"));
    let park = loaded
        .park
        .unwrap_or_else(|| panic!("{}", loaded.report.render()));
    let profiles = park_profiles(&park).unwrap_or_else(|e| panic!("{e}"));
    (park, profiles)
}

/// The reference park with parameters drawn from `seed`. Profiles do not depend on what changes.
fn variant(base: &Park, seed: u64) -> Park {
    let mut r = Rng::new(seed);
    let mut park = base.clone();
    let bat = &mut park.battery[0];
    bat.p_max_kw = r.range(500.0, 8000.0);
    bat.e_max_kwh = bat.p_max_kw * r.range(1.0, 6.0);
    bat.eta_charge = r.range(0.85, 0.98);
    bat.eta_discharge = r.range(0.85, 0.98);
    let hp = &mut park.waste_heat_pump[0];
    hp.cop = Some(r.range(2.5, 5.5));
    hp.heat_max_kw = r.range(1500.0, 8000.0);
    let tes = &mut park.thermal_store[0];
    tes.e_max_kwh = r.range(5_000.0, 400_000.0);
    tes.loss_frac_per_h = r.range(0.0002, 0.005);
    let grid = &mut park.grid[0];
    grid.p_export_max_kw = r.range(0.0, 15_000.0);
    let tariff = &mut park.tariff[0];
    let valley = r.range(0.15, 0.45);
    let flat = valley + r.range(0.1, 0.5);
    let peak = flat + r.range(0.1, 0.8);
    for (band, v) in [("valley", valley), ("flat", flat), ("peak", peak)] {
        tariff.price_cny_per_kwh.insert(band.to_string(), v);
    }
    tariff.export_price_cny_per_kwh = r.range(0.0, 0.45);
    park.gas_boiler[0].eta = r.range(0.8, 0.97);
    park.fuel[0].price_cny_per_m3 = r.range(2.5, 4.5);
    park
}

/// The window of a seed: 1–14 days starting anywhere in the year.
fn window(profiles: &ParkProfiles, seed: u64) -> ParkProfiles {
    let mut r = Rng::new(seed ^ 0xD1B5_4A32_D192_ED03);
    let days = 1 + (r.range(0.0, 1.0) * 14.0) as usize;
    let len = days * 24;
    let offset = (r.range(0.0, 1.0) * (profiles.axis.n_steps - len) as f64) as usize / 24 * 24;
    profiles.window(offset, len)
}

/// Clarabel (and HiGHS when built) on one park: both optimal with passing certificates; equal
/// objectives. Returns Clarabel's iterations.
fn check(name: &str, park: &Park, profiles: &ParkProfiles) -> u32 {
    let built = parkgrid_dispatch::build::build(park, profiles, BuildOptions::default());
    let options = SolveOptions {
        recover: false,
        ..SolveOptions::default()
    };
    let c = solve_with(&built.lp, SolverKind::Clarabel, &options).unwrap_or_else(|e| panic!("{e}"));
    let cert = c
        .certificate
        .clone()
        .unwrap_or_else(|| panic!("{name}: no certificate"));
    println!(
        "{name}: {} steps, clarabel {:?} in {} iterations, {:.2} s, objective {:.6}, {}",
        built.n,
        c.status,
        c.iterations.unwrap_or(0),
        c.solve_time_s,
        c.objective,
        cert.summary()
    );
    assert_eq!(c.status, LpStatus::Optimal, "{name}: {}", cert.summary());
    if SolverKind::Highs.available() {
        let h =
            solve_with(&built.lp, SolverKind::Highs, &options).unwrap_or_else(|e| panic!("{e}"));
        let hc = h
            .certificate
            .clone()
            .unwrap_or_else(|| panic!("{name}: no certificate"));
        let rel = (c.objective - h.objective) / h.objective.abs().max(1.0);
        println!(
            "{name}: highs {:?}, {:.2} s, objective {:.6} ({rel:+.1e} rel), {}",
            h.status,
            h.solve_time_s,
            h.objective,
            hc.summary()
        );
        assert_eq!(h.status, LpStatus::Optimal, "{name}: {}", hc.summary());
        assert!(
            rel.abs() <= 1e-7,
            "{name}: clarabel {} vs highs {}",
            c.objective,
            h.objective
        );
    }
    c.iterations.unwrap_or(0)
}

/// Seeds 1–50 on windows of 1–14 days; `PARKGRID_SEED` runs one seed only.
#[test]
fn random_variants_on_windows() {
    let (base, profiles) = reference();
    let seeds: Vec<u64> = match std::env::var("PARKGRID_SEED") {
        Ok(s) => vec![s.parse().unwrap_or_else(|e| panic!("PARKGRID_SEED: {e}"))],
        Err(_) => (1..=50).collect(),
    };
    let mut worst = 0;
    for seed in seeds {
        let park = variant(&base, seed);
        let w = window(&profiles, seed);
        worst = worst.max(check(&format!("seed {seed}"), &park, &w));
    }
    assert!(worst <= 80, "Clarabel needed {worst} iterations");
}

/// Named regressions: under Clarabel's default regularisation (1e-8) seed 4 (a 4-day window)
/// was the first variant whose "Solved" answer failed the certificate, and the first 120 days of
/// the reference took 141 iterations to stop 6.5e-6 above the optimum.
#[test]
fn once_failed() {
    let (base, profiles) = reference();
    check("seed 4", &variant(&base, 4), &window(&profiles, 4));
    let iterations = check("reference, 120 days", &base, &profiles.window(0, 120 * 24));
    assert!(iterations <= 80, "{iterations} iterations");
}

/// Whole years: variants of the reference, among them the kind of park that once came out 6e-5
/// above the optimum while Clarabel said "Solved" (the reference's own year is the `pypsa`
/// module's). One test each, so that they run side by side.
fn a_year(seed: u64) {
    let (base, profiles) = reference();
    let name = format!("year, seed {seed}");
    let iterations = check(&name, &variant(&base, seed), &profiles);
    assert!(
        iterations <= 80,
        "{name}: Clarabel needed {iterations} iterations"
    );
}

#[test]
fn variant_1001_over_a_year() {
    a_year(1001);
}

#[test]
fn variant_1002_over_a_year() {
    a_year(1002);
}

#[test]
fn variant_1003_over_a_year() {
    a_year(1003);
}

/// A solve of the reference year cut short (20 interior-point iterations, no recovery; it needs
/// about 26) is reported as inexact with its gap, never as optimal; a normal run through `run`
/// is optimal with a passing certificate.
#[test]
fn a_truncated_solve_is_inexact() {
    let (base, profiles) = reference();
    let built = parkgrid_dispatch::build::build(&base, &profiles, BuildOptions::default());
    let options = SolveOptions {
        clarabel: ClarabelSettings {
            max_iter: 20,
            ..ClarabelSettings::default()
        },
        recover: false,
        ..SolveOptions::default()
    };
    let s = solve_with(&built.lp, SolverKind::Clarabel, &options).unwrap_or_else(|e| panic!("{e}"));
    let cert = s.certificate.unwrap_or_else(|| panic!("no certificate"));
    println!("truncated: {:?}; {}", s.status, cert.summary());
    assert!(matches!(s.status, LpStatus::Inexact(_)), "{:?}", s.status);
    assert!(!cert.passes(1e-7));
    assert!(cert.gap_rel > 1e-7 || cert.primal_viol_rel > 1e-7 || cert.dual_viol_rel > 1e-7);
    // A week through `run`, with recovery: optimal.
    let w = profiles.window(24 * 40, 24 * 7);
    let out = run(
        &base,
        &w,
        Config {
            strategy: Strategy::Optimal,
            solver: SolverKind::Clarabel,
            ..Config::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status, RunStatus::Ok);
    let c = out
        .stats
        .certificate
        .unwrap_or_else(|| panic!("no certificate"));
    assert!(c.passes(1e-7), "{}", c.summary());
}
