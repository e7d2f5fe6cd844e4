//! The engine's glue: a run with its loss feedback and network check, the run files round-trip,
//! and errors come typed.

use std::path::PathBuf;

use parkgrid_dispatch::{Horizon, SolveOptions, SolverKind, Strategy};
use parkgrid_engine::{EngineError, Format, NetworkMode, Request, read_run, run_year, write_run};
use parkgrid_model::Park;

use crate::common::repo;

fn park(rel: &str) -> Park {
    let loaded = parkgrid_model::load(&repo().join(rel)).expect("readable park");
    loaded.park.expect("valid park")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("parkgrid-engine-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn request(strategy: Strategy, network_check: Option<NetworkMode>) -> Request {
    Request {
        strategy,
        solver: SolverKind::best_available(),
        horizon: Horizon::Year,
        solve: SolveOptions::default(),
        network_check,
        loss_feedback: true,
        window: None,
        step_min: None,
        rules: Default::default(),
    }
}

/// The Dyn5 park's optimal year with every step checked: the losses are fed back until the
/// imports agree (0.88 % apart before), the network check reuses the last round's power flows,
/// and the files written read back equal — in both formats this build has.
#[test]
fn a_checked_year_feeds_back_its_losses_and_its_files_round_trip() {
    let park = park("crates/parkgrid-powerflow/tests/data/cases/dyn5_transformer.toml");
    let mut events = Vec::new();
    let year = run_year(
        &park,
        &request(Strategy::Optimal, Some(NetworkMode::All)),
        &mut |p| events.push(p),
    )
    .expect("runs");
    assert_eq!(
        events.first(),
        Some(&parkgrid_engine::Progress::Optimising { windows: false })
    );
    assert_eq!(events.last(), Some(&parkgrid_engine::Progress::Optimised));
    let names: Vec<&str> = year.feedback.iter().map(|(w, _)| *w).collect();
    assert_eq!(names, ["dispatch", "baseline"]);
    let fb = &year.feedback[0].1;
    assert!(fb.agreed(), "{fb:?}");
    assert!(fb.initial_disagreement_rel > 5e-3, "{fb:?}");
    assert!(fb.rounds >= 1, "{fb:?}");
    let net = year.network.as_ref().expect("checked");
    assert_eq!(net.rows.rows.len(), 8760);
    assert!(net.rows.is_every_step(8760));
    let summary = year.summary();
    assert_eq!(summary["strategy"], "optimal");
    assert_eq!(summary["baseline"]["strategy"], "rule");
    assert!(summary["network"]["loss_feedback"]["dispatch"].is_object());
    // The network's figures stand beside each schedule's KPIs and in the table the terminal
    // prints: the losses fed back and the import the power flows need.
    for s in [&summary, &summary["baseline"]] {
        let losses = s["network_losses_kwh"].as_f64().expect("losses");
        let import = s["network_import_kwh"].as_f64().expect("import");
        assert!(losses > 0.0 && import > losses, "{losses} {import}");
        assert!((import - s["grid_import_kwh"].as_f64().expect("import")).abs() < 2e-3 * import);
    }
    let table = parkgrid_engine::table::kpis(&summary, "optimal");
    for row in ["Network losses", "Import the network needs"] {
        assert!(table.rows.iter().any(|r| r[0] == row), "no {row} row");
    }

    let run = year.to_run(&park);
    let dir = temp_dir("round-trip");
    let mut formats = vec![Format::Csv];
    if parkgrid_engine::parquet::ENABLED {
        formats.push(Format::Parquet);
    }
    for format in formats {
        let written = write_run(&run, &dir, format).expect("writes");
        assert!(written.network.is_some());
        let back = read_run(&dir).expect("reads");
        assert_eq!(back.times, run.times, "{format:?}");
        assert_eq!(back.values, run.values, "{format:?}");
        assert_eq!(back.network, run.network, "{format:?}");
        assert_eq!(back.summary, run.summary, "{format:?}");
        assert_eq!(back, run, "{format:?}");
        // Only the format written is there: the other would not match meta.json.
        let other = match format {
            Format::Csv => "timeseries.parquet",
            Format::Parquet => "timeseries.csv",
        };
        assert!(!dir.join(other).exists(), "{other} left behind");
    }
    // A run without a network check removes the network.csv an earlier run left.
    let mut plain = run.clone();
    plain.network = None;
    write_run(&plain, &dir, Format::Csv).expect("writes");
    assert!(!dir.join("network.csv").exists());
    assert_eq!(read_run(&dir).expect("reads"), plain);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A peak check keeps its labelled rows, also through the files; the rule-based run has no
/// optimisation to report and its baseline is itself.
#[test]
fn a_peak_check_of_the_baseline_round_trips() {
    let park = park("crates/parkgrid-powerflow/tests/data/cases/dyn5_transformer.toml");
    let mut events = Vec::new();
    let year = run_year(
        &park,
        &request(Strategy::Rule, Some(NetworkMode::Peak)),
        &mut |p| events.push(p),
    )
    .expect("runs");
    assert!(events.is_empty(), "{events:?}");
    assert!(year.feedback.is_empty(), "peak checks feed nothing back");
    let net = year.network.as_ref().expect("checked");
    let labels: Vec<&str> = net.rows.rows.iter().map(|r| r.label.as_str()).collect();
    assert!(labels.contains(&"peak load"), "{labels:?}");
    assert!(!net.rows.is_every_step(8760));
    assert_eq!(year.summary()["strategy"], "rule");
    assert!(year.summary().get("baseline").is_none());
    let run = year.to_run(&park);
    let dir = temp_dir("peak");
    write_run(&run, &dir, Format::Csv).expect("writes");
    assert_eq!(read_run(&dir).expect("reads"), run);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Errors say whose fault they are: the user's input (exit 2 on the command line) or not.
#[test]
fn errors_are_typed() {
    let park = park("examples/minimal.toml");
    let mut req = request(Strategy::Optimal, None);
    req.solver = SolverKind::Highs;
    if !SolverKind::Highs.available() {
        let err = run_year(&park, &req, &mut |_| {}).expect_err("not built");
        assert!(matches!(err, EngineError::Solve(_)), "{err}");
        assert!(err.is_input());
    }
    let missing = temp_dir("missing");
    let err = read_run(&missing).expect_err("no directory");
    assert!(
        matches!(err, EngineError::Input(_)) && err.is_input(),
        "{err}"
    );
    assert!(
        err.to_string().contains("is not a directory of results"),
        "{err}"
    );
    // A directory without the files names the first one missing.
    std::fs::create_dir_all(&missing).expect("dir");
    let err = read_run(&missing).expect_err("no files");
    assert!(err.to_string().contains("summary.json"), "{err}");
    // A write that fails is the machine's fault, named with its path.
    let run = parkgrid_report::Run {
        summary: serde_json::json!({}),
        meta: serde_json::from_str(
            r#"{"format": 1, "site": "t", "step_min": 60, "buses": [], "stores": [], "columns": []}"#,
        )
        .expect("meta"),
        times: Vec::new(),
        values: Vec::new(),
        network: None,
    };
    let file = missing.join("a-file");
    std::fs::write(&file, "").expect("file");
    let err = write_run(&run, &file, Format::Csv).expect_err("a file is no directory");
    assert!(
        matches!(err, EngineError::Write { .. }) && !err.is_input(),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&missing);
}
