//! Mutated park files (seeded): loading and validating never panics; a park that validates gets
//! its profiles or a clear error, and its rule baseline (every 40th also the optimum) gives finite
//! KPIs over the year's first week.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use parkgrid_dispatch::{Config, Strategy, run};
use parkgrid_model::parse;
use parkgrid_resource::park_profiles_window;
use parkgrid_resource::rng::Rng;

/// The generator whose state starts at `state` (20261130: the sequence the first half was
/// written with; the second half has its own).
fn rng_at(state: u64) -> Rng {
    Rng::new(state ^ 0x9E37_79B9_7F4A_7C15)
}

/// A number below `n` from the project's seeded generator.
fn below(rng: &mut Rng, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

const VALUES: [&str; 16] = [
    "0",
    "-1",
    "1e-320",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "\"x\"",
    "[]",
    "{}",
    "true",
    "2",
    "3",
    "0.5",
    "100000000",
    "\"ac\"",
];

/// One mutation: a value replaced, a line deleted or duplicated, or the text cut short.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len();
    if n == 0 {
        return String::new();
    }
    match below(rng, 5) {
        0..=2 => {
            let i = below(rng, n);
            if let Some((key, _)) = lines[i].split_once(" = ") {
                lines[i] = format!("{key} = {}", VALUES[below(rng, VALUES.len())]);
            }
        }
        3 => {
            lines.remove(below(rng, n));
        }
        _ => {
            let i = below(rng, n);
            let l = lines[i].clone();
            lines.insert(i, l);
        }
    }
    lines.join("\n")
}

/// 200 mutations of the minimal example (a mutation of a mutation every second one) from the
/// generator started at `seed`.
fn mutated_parks_never_panic(seed: u64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/minimal.toml");
    let base = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    // Without comments, so that a mutation hits a value more often.
    let base: String = base
        .lines()
        .map(|l| l.split(" #").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rng = rng_at(seed);
    let (mut invalid, mut valid, mut refused) = (0, 0, 0);
    for k in 0..200 {
        let mut text = mutate(&base, &mut rng);
        if k % 2 == 0 {
            text = mutate(&text, &mut rng);
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let loaded = parse("park.toml", &text);
            let Some(park) = loaded.park else {
                return (0, false);
            };
            // The first week of a mutated park's year meets every mutated value as the year
            // would, in a fraction of the time (the weather is still made for the year).
            let week = park
                .time_axis()
                .map_or(0, |a| (7 * 24 * a.steps_per_hour()).min(a.n_steps));
            let Ok(profiles) = park_profiles_window(&park, 0, week) else {
                return (2, false);
            };
            let strategies: &[Strategy] = if k % 40 == 0 {
                &[Strategy::Rule, Strategy::Optimal]
            } else {
                &[Strategy::Rule]
            };
            let mut finite = true;
            for &strategy in strategies {
                if let Ok(out) = run(
                    &park,
                    &profiles,
                    Config {
                        strategy,
                        ..Config::default()
                    },
                ) {
                    if out.has_schedule() {
                        let k = &out.kpis;
                        finite &= [
                            k.total_cost_cny,
                            k.grid_import_kwh,
                            k.co2_t,
                            k.renewable_absorption_ratio,
                            k.unserved_electric_kwh,
                        ]
                        .iter()
                        .all(|v| v.is_finite());
                    }
                }
            }
            (1, finite)
        }));
        let Ok((kind, finite)) = outcome else {
            panic!("mutation {k} panicked:\n{text}");
        };
        match kind {
            0 => invalid += 1,
            1 => {
                valid += 1;
                assert!(finite, "mutation {k}: non-finite KPI\n{text}");
            }
            _ => refused += 1,
        }
    }
    println!("invalid {invalid}, valid {valid}, profiles refused {refused}");
}

// Two tests, so that the two halves run side by side.
#[test]
fn mutated_parks_never_panic_first_half() {
    mutated_parks_never_panic(20_261_130);
}

#[test]
fn mutated_parks_never_panic_second_half() {
    mutated_parks_never_panic(20_261_201);
}
