//! Mutated case files (seeded): the reader and the power flow never panic; a case that is read
//! either solves to finite numbers or says it did not converge; a refused one names a line.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use parkgrid_powerflow::{Options, parse_matpower, solve};
use parkgrid_resource::rng::Rng;

/// The project's SplitMix64, started at the state `seed` (20261130 gives the sequence the
/// first half has always used; the second half has its own seed).
fn rng(seed: u64) -> Rng {
    Rng::new(seed ^ 0x9E37_79B9_7F4A_7C15)
}

/// A uniform index below `n` (at least 1).
fn below(rng: &mut Rng, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

const VALUES: [&str; 14] = [
    "0", "-1", "1", "2", "3", "4", "1e308", "-1e308", "NaN", "Inf", "-Inf", "abc", "1e-320", "",
];

/// One mutation of `text`: a number replaced, a line deleted or duplicated, two lines swapped,
/// the text cut short, or a character inserted.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len();
    if n == 0 {
        return String::from("x");
    }
    match below(rng, 6) {
        0 | 1 => {
            let i = below(rng, n);
            let mut tokens: Vec<String> = lines[i].split('\t').map(str::to_string).collect();
            let k = below(rng, tokens.len());
            tokens[k] = VALUES[below(rng, VALUES.len())].to_string();
            lines[i] = tokens.join("\t");
        }
        2 => {
            lines.remove(below(rng, n));
        }
        3 => {
            let i = below(rng, n);
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        4 => {
            let (i, j) = (below(rng, n), below(rng, n));
            lines.swap(i, j);
        }
        _ => {
            let cut = below(rng, n);
            lines.truncate(cut);
        }
    }
    lines.join("\n")
}

/// 2,500 mutations of each of `names` (a mutation of a mutation every third), from the
/// generator started at `seed`: each is refused naming the file, converges to finite numbers, or
/// says it did not converge.
fn mutated_cases_never_panic_and_never_print_nan(names: &[&str], seed: u64) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut rng = rng(seed);
    let mut counts = [0usize; 3];
    for name in names {
        let base = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
        for k in 0..2500 {
            let mut text = mutate(&base, &mut rng);
            if k % 3 == 0 {
                text = mutate(&text, &mut rng);
            }
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let case = parse_matpower("m.m", &text)?;
                let res = solve(&case, &Options::default());
                Ok::<_, parkgrid_powerflow::CaseError>(res)
            }));
            let Ok(result) = outcome else {
                panic!("{name} mutation {k} panicked:\n{text}");
            };
            match result {
                Err(e) => {
                    counts[0] += 1;
                    assert!(e.to_string().starts_with("m.m:"), "{e}");
                }
                Ok(res) if res.converged => {
                    counts[1] += 1;
                    for b in &res.buses {
                        assert!(
                            b.vm_pu.is_finite() && b.va_deg.is_finite(),
                            "{name} mutation {k}: bus {b:?}\n{text}"
                        );
                    }
                    assert!(res.losses_mw.is_finite(), "{name} mutation {k}\n{text}");
                }
                Ok(_) => counts[2] += 1,
            }
        }
    }
    println!(
        "refused {}, solved {}, not converged {}",
        counts[0], counts[1], counts[2]
    );
}

// Two tests, so that the two halves run side by side.
#[test]
fn mutated_ac_cases_never_panic_and_never_print_nan() {
    mutated_cases_never_panic_and_never_print_nan(&["case9.m", "case14.m"], 20_261_130);
}

#[test]
fn mutated_larger_and_acdc_cases_never_panic_and_never_print_nan() {
    mutated_cases_never_panic_and_never_print_nan(
        &["case30.m", "acdc/case5_stagg_acdc.m"],
        20_261_201,
    );
}

/// Inputs the fuzzer found (tests/data/fuzz, README there): each is read, and its power flow
/// either converges to finite numbers everywhere or says it did not converge.
#[test]
fn fuzz_found_cases_keep_the_promise() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let Ok(case) = parse_matpower("fuzz.m", &text) else {
            continue;
        };
        let res = solve(
            &case,
            &Options {
                max_iter: 8,
                ..Options::default()
            },
        );
        if res.converged {
            assert!(
                res.buses
                    .iter()
                    .all(|b| b.vm_pu.is_finite() && b.va_deg.is_finite())
                    && res
                        .branches
                        .iter()
                        .all(|b| b.pf_mw.is_finite() && b.qt_mvar.is_finite())
                    && res.losses_mw.is_finite()
                    && res
                        .converters
                        .iter()
                        .all(|c| c.p_dc_mw.is_finite() && c.loss_mw.is_finite()),
                "{}: converged with a number that is not one",
                path.display()
            );
        }
        n += 1;
    }
    assert!(n >= 1, "no fuzz-found case was read");
}
