//! `validate` and `simulate` agree on every park file in the repository and on broken weather and
//! profile files: what `validate` passes, a run takes (2 days, the optimum and the baseline);
//! what it refuses, a run refuses as the user's input too.

use std::path::{Path, PathBuf};

use parkgrid_dispatch::{Horizon, SolveOptions, SolverKind, Strategy};
use parkgrid_engine::{EngineError, Request, Window, park, run_year};

use crate::common::repo;

/// Every park file of the repository: the examples and the tests' data (TOML files that are not
/// Cargo manifests).
fn park_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml")
                && p.file_name().is_some_and(|n| n != "Cargo.toml")
            {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&repo().join("examples"), &mut files);
    let crates = std::fs::read_dir(repo().join("crates")).expect("crates");
    for c in crates.flatten() {
        walk(&c.path().join("tests/data"), &mut files);
    }
    files.sort();
    files
}

/// A window of two days from 15 January of the park's year at the file's step: what `simulate`
/// does with the file, at a fraction of a year's cost.
fn simulate(path: &Path) -> Result<(), EngineError> {
    let (park, _) = park::load(path)?;
    let request = Request {
        strategy: Strategy::Optimal,
        solver: SolverKind::best_available(),
        horizon: Horizon::Year,
        solve: SolveOptions::default(),
        network_check: None,
        loss_feedback: true,
        window: chrono::NaiveDate::from_ymd_opt(park.time.year, 1, 15)
            .map(|from| Window { from, days: 2 }),
        step_min: None,
        rules: Default::default(),
    };
    run_year(&park, &request, &mut |_| {}).map(|_| ())
}

/// `validate`'s verdict and the run's agree on `path`.
#[track_caller]
fn agree(path: &Path) -> bool {
    let valid = park::check(path).map(|l| l.park.is_some()).unwrap_or(false);
    let run = simulate(path);
    match (&run, valid) {
        (Ok(()), true) => true,
        (Err(e), false) if e.is_input() => false,
        _ => panic!(
            "{}: validate says {}, the run gives {:?}",
            path.display(),
            if valid { "valid" } else { "invalid" },
            run.as_ref().map_err(ToString::to_string)
        ),
    }
}

#[test]
fn validate_and_simulate_agree_on_every_park_file() {
    let files = park_files();
    assert!(files.len() >= 6, "{files:?}");
    for f in &files {
        agree(f);
    }
}

/// A weather CSV with a row missing and a profile CSV with a word for a number: `validate`
/// refuses both, naming the file's line, as the run does.
#[test]
fn validate_reads_weather_and_profile_files_as_the_run_does() {
    let dir = std::env::temp_dir().join(format!("parkgrid-agree-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let minimal = std::fs::read_to_string(repo().join("examples/minimal.toml")).expect("minimal");
    let (park, _) = park::load(&repo().join("examples/minimal.toml")).expect("park");
    let profiles = parkgrid_resource::park_profiles(&park).expect("profiles");
    let (profiles_csv, weather_csv) =
        parkgrid_engine::profiles::write_profiles(&profiles, &dir).expect("written");
    // The weather with its 100th line gone.
    let weather = std::fs::read_to_string(&weather_csv).expect("weather");
    let cut: Vec<&str> = weather
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 99)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(&weather_csv, cut.join("\n") + "\n").expect("write");
    let on_weather = dir.join("weather-park.toml");
    std::fs::write(
        &on_weather,
        format!("{minimal}\n[weather]\nsource = \"csv\"\nfile = \"weather.csv\"\n"),
    )
    .expect("write");
    assert!(park::load(&on_weather).is_ok(), "the file alone is valid");
    assert!(!agree(&on_weather));
    let report = park::check(&on_weather).expect("read").report;
    assert!(
        report.render().contains("weather.csv:100") && report.render().contains("(weather.file)"),
        "{}",
        report.render()
    );

    // The electric load's profile with a word in its 50th row.
    let text = std::fs::read_to_string(&profiles_csv).expect("profiles");
    let header = text.lines().next().unwrap_or_default().to_string();
    let column = header
        .split(',')
        .position(|c| c.ends_with(".demand_kw"))
        .expect("a demand column");
    let name = header
        .split(',')
        .nth(column)
        .unwrap_or_default()
        .to_string();
    let broken: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 50 {
                l.split(',')
                    .enumerate()
                    .map(|(k, v)| if k == column { "lots" } else { v })
                    .collect::<Vec<_>>()
                    .join(",")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&profiles_csv, broken.join("\n") + "\n").expect("write");
    let id = name.trim_end_matches(".demand_kw");
    let on_profile = dir.join("profile-park.toml");
    // The load's entry with the profile instead of its built-in shape.
    let at = minimal.find(&format!("id = \"{id}\"\n")).expect("the load");
    let shape = at + minimal[at..].find("shape = ").expect("its shape");
    let end = shape + minimal[shape..].find('\n').unwrap_or(0) + 1;
    let with_profile = format!(
        "{}profile = {{ file = \"profiles.csv\", column = \"{name}\" }}\n{}",
        &minimal[..shape],
        &minimal[end..]
    );
    assert_ne!(with_profile, minimal, "the load {id} is in the example");
    std::fs::write(&on_profile, with_profile).expect("write");
    assert!(!agree(&on_profile));
    let report = park::check(&on_profile).expect("read").report;
    assert!(
        report.render().contains("profiles.csv:51") && report.render().contains("profile.file"),
        "{}",
        report.render()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
