//! Mutated user files through the command line (seeded): a CSV profile, an EPW weather file and
//! a saved run, each changed in one place many times. Every run ends with exit 0 or 2 — never a
//! panic — a refusal names the file (and its line where there is one), and what is written holds
//! no NaN or infinity.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn parkgrid(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parkgrid"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the parkgrid binary runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("parkgrid-mut-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
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
    let at = if rng.below(8) == 0 {
        rng.below(lines.len())
    } else {
        skip.min(lines.len() - 1) + rng.below(lines.len() - skip.min(lines.len() - 1))
    };
    match rng.below(6) {
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
            let f = rng.below(fields.len());
            fields[f] = VALUES[rng.below(VALUES.len())].to_string();
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

#[test]
fn mutated_csv_profiles_are_read_or_refused_by_name() {
    let dir = temp_dir("csv");
    let src = repo().join("crates/parkgrid-dispatch/tests/data/pypsa_ref");
    std::fs::copy(src.join("park.toml"), dir.join("park.toml")).expect("copy park");
    let csv = std::fs::read_to_string(src.join("inputs.csv")).expect("inputs.csv");
    let run = |out: &Path| {
        vec![
            "profiles".to_string(),
            dir.join("park.toml").display().to_string(),
            "--out".to_string(),
            out.display().to_string(),
        ]
    };
    // The file as it is is read.
    std::fs::write(dir.join("inputs.csv"), &csv).expect("write");
    let args = run(&dir.join("out"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert!(check(&args, "inputs.csv", "the original"));
    let mut rng = Rng(2026_1130);
    let (mut read, mut refused) = (0, 0);
    for k in 0..24 {
        std::fs::write(dir.join("inputs.csv"), mutate(&csv, ',', 1, &mut rng)).expect("write");
        let out = dir.join("out");
        let what = format!("CSV mutation {k}");
        if check(
            &[
                "profiles",
                dir.join("park.toml").to_str().unwrap_or_default(),
                "--out",
                out.to_str().unwrap_or_default(),
            ],
            "inputs.csv",
            &what,
        ) {
            read += 1;
            no_nan(&out.join("profiles.csv"), &what);
        } else {
            refused += 1;
        }
    }
    assert!(refused > 0, "read {read}, refused {refused}");
    println!("read {read}, refused {refused}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mutated_epw_files_are_read_or_refused_by_name() {
    let dir = temp_dir("epw");
    let epw = std::fs::read_to_string(
        repo().join("crates/parkgrid-resource/tests/data/greensboro_tmy3.epw"),
    )
    .expect("epw");
    let park = std::fs::read_to_string(repo().join("examples/minimal.toml"))
        .expect("example")
        .replace(
            "[[bus]]",
            "[weather]\nsource = \"epw\"\nfile = \"site.epw\"\n\n[[bus]]",
        );
    std::fs::write(dir.join("park.toml"), park).expect("write");
    std::fs::write(dir.join("site.epw"), &epw).expect("write");
    let (park_path, out) = (dir.join("park.toml"), dir.join("out"));
    let original = [
        "profiles",
        park_path.to_str().unwrap_or_default(),
        "--out",
        out.to_str().unwrap_or_default(),
    ];
    assert!(check(&original, "site.epw", "the original"));
    let mut rng = Rng(7);
    let (mut read, mut refused) = (0, 0);
    for k in 0..24 {
        // EPW: eight header lines, then one line per hour.
        std::fs::write(dir.join("site.epw"), mutate(&epw, ',', 8, &mut rng)).expect("write");
        let out = dir.join("out");
        let what = format!("EPW mutation {k}");
        if check(
            &[
                "profiles",
                dir.join("park.toml").to_str().unwrap_or_default(),
                "--out",
                out.to_str().unwrap_or_default(),
            ],
            "site.epw",
            &what,
        ) {
            read += 1;
            no_nan(&out.join("profiles.csv"), &what);
            no_nan(&out.join("weather.csv"), &what);
        } else {
            refused += 1;
        }
    }
    assert!(refused > 0, "read {read}, refused {refused}");
    println!("read {read}, refused {refused}");
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
    let mut rng = Rng(11);
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
