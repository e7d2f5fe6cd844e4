//! Mutated user files through the command line (seeded): a CSV profile, an EPW weather file and
//! a saved run, each changed in one place many times. Every run ends with exit 0 or 2 — never a
//! panic — a refusal names the file (and its line where there is one), and what is written holds
//! no NaN or infinity.

use std::path::{Path, PathBuf};

use crate::common::{parkgrid, repo};
use parkgrid_resource::rng::Rng;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("parkgrid-mut-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The generator whose state starts at `state` (the sequences these tests were written with).
fn rng_at(state: u64) -> Rng {
    Rng::new(state ^ 0x9E37_79B9_7F4A_7C15)
}

/// A number below `n` from the project's seeded generator.
fn below(rng: &mut Rng, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

const VALUES: [&str; 12] = [
    "", "nan", "NaN", "inf", "-inf", "-1", "-1e308", "1e308", "1e-320", "x", "0", "\"",
];

/// `text` with one change: a field replaced by a bad value, a line dropped, doubled or cut, or
/// a separator removed. Lines before `skip` (headers of a format) are changed less often.
fn mutate(text: &str, sep: char, skip: usize, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return String::new();
    }
    let at = if below(rng, 8) == 0 {
        below(rng, lines.len())
    } else {
        skip.min(lines.len() - 1) + below(rng, lines.len() - skip.min(lines.len() - 1))
    };
    match below(rng, 6) {
        0 => {
            lines.remove(at);
        }
        1 => {
            let l = lines[at].clone();
            lines.insert(at, l);
        }
        2 => {
            let l = &mut lines[at];
            let cut = l.len() / 2;
            let cut = (0..=cut)
                .rev()
                .find(|&c| l.is_char_boundary(c))
                .unwrap_or(0);
            l.truncate(cut);
        }
        3 => lines[at] = lines[at].replacen(sep, "", 1),
        _ => {
            let mut fields: Vec<String> = lines[at].split(sep).map(str::to_string).collect();
            let f = below(rng, fields.len());
            fields[f] = VALUES[below(rng, VALUES.len())].to_string();
            lines[at] = fields.join(&sep.to_string());
        }
    }
    lines.join("\n") + "\n"
}

/// Runs `args`; the outcome must be a success or an input error naming `file`.
fn check(args: &[&str], file: &str, what: &str) -> bool {
    let o = parkgrid(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{what}: a panic\n{err}");
    match o.status.code() {
        Some(0) => true,
        Some(2) => {
            assert!(
                err.contains(file),
                "{what}: the refusal does not name {file}:\n{err}"
            );
            false
        }
        other => panic!("{what}: exit {other:?}\n{err}"),
    }
}

fn no_nan(path: &Path, what: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    for bad in [",NaN", ",nan", ",inf", ",-inf", "NaN,", "inf,"] {
        assert!(
            !text.contains(bad),
            "{what}: {} holds '{bad}'",
            path.display()
        );
    }
}

/// `parkgrid profiles` of the park in `dir` with `file` (in `dir`) as it is — which must be read —
/// and then mutated `n` times (seeded; `skip` header lines changed less often): each read or
/// refused by name, and what is read writes `outputs` without NaN.
fn profiles_of_mutations(dir: &Path, file: &str, skip: usize, seed: u64, outputs: &[&str]) {
    let original = std::fs::read_to_string(dir.join(file)).expect("original");
    let (park, out) = (dir.join("park.toml"), dir.join("out"));
    let args = [
        "profiles",
        park.to_str().unwrap_or_default(),
        "--out",
        out.to_str().unwrap_or_default(),
    ];
    assert!(check(&args, file, "the original"));
    let mut rng = rng_at(seed);
    let (mut read, mut refused) = (0, 0);
    for k in 0..24 {
        std::fs::write(dir.join(file), mutate(&original, ',', skip, &mut rng)).expect("write");
        let what = format!("mutation {k} of {file}");
        if check(&args, file, &what) {
            read += 1;
            for o in outputs {
                no_nan(&out.join(o), &what);
            }
        } else {
            refused += 1;
        }
    }
    assert!(refused > 0, "read {read}, refused {refused}");
    println!("{file}: read {read}, refused {refused}");
}

#[test]
fn mutated_csv_profiles_are_read_or_refused_by_name() {
    let dir = temp_dir("csv");
    let src = repo().join("crates/parkgrid-dispatch/tests/data/pypsa_ref");
    for f in ["park.toml", "inputs.csv"] {
        std::fs::copy(src.join(f), dir.join(f)).expect("copy");
    }
    profiles_of_mutations(&dir, "inputs.csv", 1, 2026_1130, &["profiles.csv"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mutated_epw_files_are_read_or_refused_by_name() {
    let dir = temp_dir("epw");
    std::fs::copy(
        repo().join("crates/parkgrid-resource/tests/data/greensboro_tmy3.epw"),
        dir.join("site.epw"),
    )
    .expect("copy");
    let park = std::fs::read_to_string(repo().join("examples/minimal.toml"))
        .expect("example")
        .replace(
            "[[bus]]",
            "[weather]\nsource = \"epw\"\nfile = \"site.epw\"\n\n[[bus]]",
        );
    std::fs::write(dir.join("park.toml"), park).expect("write");
    // EPW: eight header lines, then one line per hour.
    profiles_of_mutations(&dir, "site.epw", 8, 7, &["profiles.csv", "weather.csv"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mutated_saved_runs_are_reported_or_refused_by_name() {
    let dir = temp_dir("run");
    let run = dir.join("run");
    let o = parkgrid(&[
        "simulate",
        "examples/minimal.toml",
        "--quiet",
        "--out",
        run.to_str().unwrap_or_default(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let files = [
        ("summary.json", ',', 0),
        ("meta.json", ',', 0),
        ("timeseries.csv", ',', 1),
    ];
    let originals: Vec<String> = files
        .iter()
        .map(|(f, _, _)| std::fs::read_to_string(run.join(f)).expect("run file"))
        .collect();
    assert!(check(
        &["report", run.to_str().unwrap_or_default()],
        "summary.json",
        "the original"
    ));
    let mut rng = rng_at(11);
    let (mut read, mut refused) = (0, 0);
    for k in 0..30 {
        let i = k % files.len();
        let (file, sep, skip) = files[i];
        std::fs::write(run.join(file), mutate(&originals[i], sep, skip, &mut rng)).expect("write");
        let what = format!("saved-run mutation {k} of {file}");
        if check(&["report", run.to_str().unwrap_or_default()], file, &what) {
            read += 1;
        } else {
            refused += 1;
        }
        std::fs::write(run.join(file), &originals[i]).expect("restore");
    }
    assert!(refused > 0, "read {read}, refused {refused}");
    println!("read {read}, refused {refused}");
    let _ = std::fs::remove_dir_all(&dir);
}
