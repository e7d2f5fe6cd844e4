//! The `parkgrid` binary as a user meets it: exit codes, messages, help and output formats.

use std::path::{Path, PathBuf};

use crate::common::{parkgrid, repo, stderr, stdout};

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("parkgrid-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn validate_accepts_the_examples() {
    for park in ["examples/yanqing.toml", "examples/minimal.toml"] {
        let o = parkgrid(&["validate", park]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stdout(&o).contains("valid (0 warnings)"), "{}", stdout(&o));
    }
}

#[test]
fn validate_reports_every_error_with_position_and_exits_2() {
    let text = std::fs::read_to_string(repo().join("examples/minimal.toml"))
        .expect("minimal example")
        .replace(
            "bus = \"ac\"\np_dc_kw = 300",
            "bus = \"acc\"\np_dc_kw = -300",
        )
        .replace("hours = [\"10-13\", \"17-22\"]", "hours = [\"10-13\"]");
    let path = temp_file("broken.toml", &text);
    let o = parkgrid(&["validate", path.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let line_of = |needle: &str| {
        text.lines()
            .position(|l| l.starts_with(needle))
            .map_or(0, |i| i + 1)
    };
    assert!(
        err.contains(&format!(
            "broken.toml:{}:7 (pv[0].bus)",
            line_of("bus = \"acc\"")
        )),
        "{err}"
    );
    assert!(err.contains("hint: did you mean 'ac'?"), "{err}");
    assert!(
        err.contains(&format!(
            "broken.toml:{}:11 (pv[0].p_dc_kw)",
            line_of("p_dc_kw = -300")
        )),
        "{err}"
    );
    assert!(err.contains("without a base band"), "{err}");
    assert!(err.contains("invalid (3 errors, 0 warnings)"), "{err}");
}

#[test]
fn validate_json_lists_findings() {
    let path = temp_file("bad.json.toml", "[site]\nname = 1\n");
    let o = parkgrid(&["validate", "--json", path.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON on stdout");
    assert_eq!(v["valid"], false);
    let first = &v["diagnostics"][0];
    assert_eq!(first["severity"], "error");
    assert_eq!(first["line"], 2);
    assert_eq!(first["path"], "site.name");
}

#[test]
fn missing_file_is_an_input_error() {
    let o = parkgrid(&["validate", "no/such/park.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: cannot read park file 'no/such/park.toml'"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(parkgrid(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(parkgrid(&["validate"]).status.code(), Some(2));
    assert_eq!(
        parkgrid(&["info", "a.toml", "--bogus"]).status.code(),
        Some(2)
    );
}

#[test]
fn help_on_every_command_and_version() {
    for args in [
        &["--help"][..],
        &["validate", "--help"],
        &["info", "--help"],
        &["schema", "--help"],
        &["profiles", "--help"],
        &["simulate", "--help"],
        &["report", "--help"],
        &["compare", "--help"],
        &["powerflow", "--help"],
        &["contingency", "--help"],
        &["forecast", "--help"],
        &["forecast", "backtest", "--help"],
        &["help"],
    ] {
        let o = parkgrid(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(
            stdout(&o).contains("Usage: parkgrid"),
            "{args:?}: {}",
            stdout(&o)
        );
    }
    let o = parkgrid(&["--version"]);
    assert_eq!(
        stdout(&o).trim(),
        format!("parkgrid {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn info_shows_tables_per_carrier() {
    let o = parkgrid(&["info", "examples/yanqing.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "Buses",
        "Assets",
        "Network",
        "Capacity per carrier",
        "wind_guanting",
        "3 × 1,500 kW = 4,500 kW",
        "waste_heat",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
}

#[test]
fn info_json_carries_the_park_and_capacities() {
    let o = parkgrid(&["info", "--json", "examples/yanqing.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["n_steps"], 8760);
    assert_eq!(v["park"]["site"]["time_zone"], "Asia/Shanghai");
    assert_eq!(v["capacity"]["dc"]["storage_kwh"], 8000.0);
    // The demand the profiles give, not only what the file states.
    assert!(v["capacity"]["heat"]["demand_kwh"].as_f64().unwrap_or(0.0) > 2.0e7);
}

#[test]
fn info_on_an_invalid_park_reports_and_exits_2() {
    let path = temp_file("invalid-info.toml", "[site]\n");
    let o = parkgrid(&["info", path.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("missing field `name`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn schema_is_json_schema_of_the_park() {
    let o = parkgrid(&["schema"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(v["properties"]["pv"].is_object());
    assert_eq!(v["additionalProperties"], false);
    let out = temp_file("schema-target.json", "");
    let o = parkgrid(&["schema", "--out", out.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("JSON");
    assert_eq!(written, v);
    let o = parkgrid(&["schema", "--out", "/nonexistent/dir/s.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot write schema"), "{}", stderr(&o));
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("parkgrid-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn annual_of(csv: &str, column: &str) -> f64 {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let idx = header
        .iter()
        .position(|h| *h == column)
        .unwrap_or_else(|| panic!("no {column} in {header:?}"));
    lines
        .map(|l| {
            l.split(',')
                .nth(idx)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        })
        .sum()
}

#[test]
fn profiles_writes_csv_and_a_summary() {
    let dir = temp_dir("profiles");
    let o = parkgrid(&[
        "profiles",
        "examples/yanqing.toml",
        "--out",
        dir.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "pv_roof",
        "kWh/kWp",
        "full-load h",
        "office_heating",
        "COP",
        "in the heating season",
        "heat max",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    let profiles = std::fs::read_to_string(dir.join("profiles.csv")).expect("profiles.csv");
    assert_eq!(profiles.lines().count(), 8761);
    assert!(profiles.starts_with("time,pv_roof.available_kw,wind_guanting.available_kw,"));
    let pv_hourly = annual_of(&profiles, "pv_roof.available_kw");

    // The weather written is a valid CSV weather file: the same park on it gives the same PV.
    let park = std::fs::read_to_string(repo().join("examples/yanqing.toml"))
        .expect("example")
        .replace(
            "source = \"synthetic\"",
            "source = \"csv\"\nfile = \"weather.csv\"",
        )
        .replace("seed = 2025\n", "");
    std::fs::write(dir.join("park.toml"), park).expect("write");
    let again = dir.join("again");
    let o = parkgrid(&[
        "profiles",
        dir.join("park.toml").to_str().unwrap_or_default(),
        "--out",
        again.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let profiles = std::fs::read_to_string(again.join("profiles.csv")).expect("profiles.csv");
    let pv_csv = annual_of(&profiles, "pv_roof.available_kw");
    assert!(
        (pv_csv / pv_hourly - 1.0).abs() < 1e-3,
        "{pv_csv} vs {pv_hourly}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn profiles_from_an_epw_and_json_summary() {
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
    let o = parkgrid(&[
        "profiles",
        "--json",
        dir.join("park.toml").to_str().unwrap_or_default(),
        "--out",
        dir.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let pv = v["series"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["id"] == "roof_pv")
        .cloned()
        .unwrap_or_default();
    let cf = pv["capacity_factor"].as_f64().unwrap_or(0.0);
    assert!((0.12..0.20).contains(&cf), "{cf}");

    std::fs::write(dir.join("site.epw"), "LOCATION,x\n").expect("write");
    let o = parkgrid(&[
        "profiles",
        dir.join("park.toml").to_str().unwrap_or_default(),
        "--out",
        dir.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("site.epw:1: column 'LOCATION'"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn simulate_writes_summary_and_timeseries() {
    let dir = temp_dir("simulate");
    let o = parkgrid(&[
        "simulate",
        "examples/minimal.toml",
        "--out",
        dir.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    // `--solver auto` (the default) picks HiGHS when the build has it.
    let solver = if cfg!(feature = "highs") {
        "highs"
    } else {
        "clarabel"
    };
    for needle in [
        "optimal",
        "rule",
        "Total cost",
        "Renewable absorption",
        solver,
        "optimal: duality gap",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    for key in [
        "status",
        "total_cost_cny",
        "grid_import_kwh",
        "grid_export_kwh",
        "pv_generation_kwh",
        "wind_generation_kwh",
        "renewable_available_kwh",
        "curtailment_kwh",
        "renewable_absorption_ratio",
        "co2_t",
        "waste_heat_recovered_kwh",
        "boiler_heat_kwh",
        "heat_demand_kwh",
        "unserved_electric_kwh",
        "unserved_heat_kwh",
        "peak_import_kw",
        "build_time_s",
        "solve_time_s",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(summary["status"], "ok");
    assert_eq!(summary["solver"], solver);
    let gap = summary["certificate"]["gap_rel"].as_f64().unwrap_or(1.0);
    assert!(gap <= 1e-7, "{}", summary["certificate"]);
    assert!(
        summary["baseline"]["total_cost_cny"]
            .as_f64()
            .unwrap_or(0.0)
            >= summary["total_cost_cny"].as_f64().unwrap_or(f64::MAX) - 1.0
    );
    let ts = std::fs::read_to_string(dir.join("timeseries.csv")).expect("timeseries.csv");
    assert_eq!(ts.lines().count(), 8761);
    assert!(
        ts.lines()
            .next()
            .unwrap_or("")
            .contains("ac.price_cny_per_kwh")
    );

    let o = parkgrid(&[
        "simulate",
        "examples/minimal.toml",
        "--solver",
        "highs",
        "--out",
        dir.to_str().unwrap_or_default(),
    ]);
    if cfg!(feature = "highs") {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    } else {
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("rebuild with `--features highs`"),
            "{}",
            stderr(&o)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A solve cut short is written but flagged: exit code 3, "status": "inexact" with the
/// certificate's figures, a warning in the terminal and on the report. With HiGHS in the build the
/// recovery falls back to it and the run is optimal.
#[test]
fn simulate_flags_a_schedule_not_proven_optimal() {
    let dir = temp_dir("inexact");
    let o = parkgrid(&[
        "simulate",
        "examples/minimal.toml",
        "--solver",
        "clarabel",
        "--solver-max-iter",
        "3",
        "--quiet",
        "--out",
        dir.to_str().unwrap_or_default(),
    ]);
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    if cfg!(feature = "highs") {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(summary["status"], "ok");
        let solver = summary["solver"].as_str().unwrap_or_default();
        assert!(solver.starts_with("highs (after"), "{solver}");
    } else {
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("NOT proven optimal"), "{err}");
        assert!(err.contains("duality gap"), "{err}");
        assert_eq!(summary["status"], "inexact");
        assert!(
            summary["status_detail"]
                .as_str()
                .unwrap_or_default()
                .contains("MaxIterations"),
            "{}",
            summary["status_detail"]
        );
        let gap = summary["certificate"]["gap_rel"].as_f64().unwrap_or(0.0);
        assert!(gap > 1e-7, "{}", summary["certificate"]);
        let report = std::fs::read_to_string(dir.join("report.html")).expect("report");
        assert!(report.contains(r#"id="inexact""#));
        assert_eq!(summary["baseline"]["status"], "ok");
    }
    let o = parkgrid(&[
        "simulate",
        "examples/minimal.toml",
        "--solver-max-iter",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn simulate_reports_limits_that_cannot_be_met() {
    let dir = temp_dir("infeasible");
    let park = std::fs::read_to_string(repo().join("examples/minimal.toml")).expect("example")
        + "\n[[battery]]\nid = \"leaky\"\nbus = \"ac\"\np_max_kw = 10\ne_max_kwh = 1000\nsoc_min_frac = 0.85\nsoc_initial_frac = 0.9\nself_discharge_frac_per_h = 0.1\n";
    std::fs::write(dir.join("park.toml"), park).expect("write");
    let o = parkgrid(&[
        "simulate",
        dir.join("park.toml").to_str().unwrap_or_default(),
        "--out",
        dir.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("cannot be operated within its hard limits"),
        "{err}"
    );
    assert!(err.contains("battery.energy[leaky,"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn powerflow_of_a_matpower_case() {
    let case = repo().join("crates/parkgrid-powerflow/tests/data/case14.m");
    let o = parkgrid(&["powerflow", "--json", case.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["converged"], true);
    assert_eq!(v["iterations"], 2);
    assert_eq!(v["buses"][0]["id"], 1);
    assert!((v["buses"][1]["va_deg"].as_f64().unwrap_or(0.0) - -4.98258914187).abs() < 1e-6);
    let o = parkgrid(&[
        "powerflow",
        case.to_str().unwrap_or_default(),
        "--flat-start",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("converged after"), "{}", stdout(&o));

    let dir = temp_dir("pf");
    let text = std::fs::read_to_string(&case)
        .expect("case")
        .replace("mpc.baseMVA = 100;", "mpc.baseMVA = abc;");
    std::fs::write(dir.join("bad.m"), text).expect("write");
    let o = parkgrid(&["powerflow", dir.join("bad.m").to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.m:") && stderr(&o).contains("baseMVA 'abc' is not a number"),
        "{}",
        stderr(&o)
    );
    let o = parkgrid(&[
        "powerflow",
        case.to_str().unwrap_or_default(),
        "--max-iter",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn simulate_writes_a_report_that_report_rebuilds_and_compare_weighs() {
    let a = temp_dir("report-a");
    let b = temp_dir("report-b");
    let a_text = a.to_str().unwrap_or_default();
    let b_text = b.to_str().unwrap_or_default();
    let o = parkgrid(&[
        "simulate",
        "examples/minimal.toml",
        "--out",
        a_text,
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "--quiet prints nothing");
    let html = std::fs::read_to_string(a.join("report.html")).expect("report.html");
    assert!(html.contains("Content-Security-Policy") && html.contains("id=\"report-data\""));
    assert!(html.contains("data-kpi=\"total_cost_cny\""));
    // The page says which rules the baseline ran.
    assert!(html.contains("id=\"baseline-rules\"") && html.contains("merit order"));
    assert!(
        !html.contains("src=\"http"),
        "nothing loaded from the network"
    );
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("meta.json")).expect("meta.json"))
            .expect("JSON");
    let pv = meta["columns"]
        .as_array()
        .and_then(|c| {
            c.iter()
                .find(|c| c["id"] == "roof_pv" && c["quantity"] == "output_kw")
        })
        .unwrap_or_else(|| panic!("PV output in {meta}"));
    assert_eq!(pv["ports"], serde_json::json!([{"bus": "ac", "coef": 1.0}]));

    // Rebuilt in Chinese from the files alone.
    std::fs::remove_file(a.join("report.html")).expect("remove");
    let o = parkgrid(&["report", a_text, "--lang", "zh"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(a.join("report.html")).expect("report.html rebuilt");
    assert!(html.contains("<html lang=\"zh-CN\">") && html.contains("关键指标"));
    assert!(html.contains("经验运行"));

    // What if the park had a battery?
    let park = std::fs::read_to_string(repo().join("examples/minimal.toml")).expect("example")
        + "\n[[battery]]\nid = \"bess\"\nbus = \"ac\"\np_max_kw = 200\ne_max_kwh = 400\n";
    std::fs::write(b.join("park.toml"), park).expect("write");
    let o = parkgrid(&[
        "simulate",
        b.join("park.toml").to_str().unwrap_or_default(),
        "--out",
        b_text,
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = parkgrid(&["compare", a_text, b_text]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let cost = out
        .lines()
        .find(|l| l.trim_start().starts_with("Total cost"))
        .unwrap_or_else(|| panic!("no cost line in\n{out}"));
    assert!(
        cost.ends_with("better"),
        "a battery arbitraging ToU prices pays: {cost}"
    );
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(b.join("compare.json")).expect("compare.json"),
    )
    .expect("JSON");
    let total = &doc["kpis"][0];
    assert_eq!(total["key"], "total_cost_cny");
    assert!(total["diff"].as_f64().unwrap_or(0.0) < 0.0, "{total}");
    let csv = std::fs::read_to_string(b.join("compare.csv")).expect("compare.csv");
    assert!(
        csv.starts_with("kpi,a,b,diff,rel,verdict\ntotal_cost_cny,"),
        "{csv}"
    );
    let o = parkgrid(&["compare", a_text, b_text, "--json", "--out", a_text]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"verdict\""));
    assert!(a.join("compare.json").exists());

    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn report_and_compare_name_what_is_wrong_and_exit_2() {
    let dir = temp_dir("report-bad");
    let text = dir.to_str().unwrap_or_default();
    let o = parkgrid(&["report", text]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("summary.json"), "{}", stderr(&o));
    let o = parkgrid(&["report", "no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a directory of results"),
        "{}",
        stderr(&o)
    );

    let o = parkgrid(&[
        "simulate",
        "examples/minimal.toml",
        "--out",
        text,
        "--quiet",
        "--strategy",
        "rule",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv_path = dir.join("timeseries.csv");
    let csv = std::fs::read_to_string(&csv_path).expect("csv");
    // A renamed column.
    std::fs::write(
        &csv_path,
        csv.replacen("roof_pv.output_kw", "roof_pv.out_kw", 1),
    )
    .expect("write");
    let o = parkgrid(&["report", text]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("timeseries.csv:1: column") && stderr(&o).contains("'roof_pv.out_kw'"),
        "{}",
        stderr(&o)
    );
    // A cell that is not a number, on line 5.
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    lines[4] = lines[4].replacen(",0.0000", ",abc", 1);
    std::fs::write(&csv_path, lines.join("\n") + "\n").expect("write");
    let o = parkgrid(&["report", text]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("timeseries.csv:5: 'abc' in column"),
        "{}",
        stderr(&o)
    );
    // A broken summary.
    std::fs::write(dir.join("summary.json"), "{\n  \"total_cost_cny\": ,\n}").expect("write");
    let o = parkgrid(&["compare", text, text]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("summary.json:2:"), "{}", stderr(&o));

    let o = parkgrid(&[
        "simulate",
        "examples/minimal.toml",
        "--out",
        text,
        "--format",
        "parquet",
        "--quiet",
    ]);
    if cfg!(feature = "parquet") {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(dir.join("timeseries.parquet").exists() && !dir.join("timeseries.csv").exists());
        let o = parkgrid(&["report", text]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    } else {
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("--features parquet"), "{}", stderr(&o));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn powerflow_of_an_acdc_case_and_reactive_limits() {
    let case = "crates/parkgrid-powerflow/tests/data/acdc/case5_stagg_acdc.m";
    let o = parkgrid(&["powerflow", case, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["converged"], true);
    assert_eq!(v["dc_buses"].as_array().map(Vec::len), Some(3));
    let c = &v["converters"][0];
    assert_eq!(
        (c["busdc"].as_u64(), c["busac"].as_u64()),
        (Some(1), Some(2))
    );
    let sum = c["p_ac_mw"].as_f64().unwrap_or(0.0)
        + c["p_dc_mw"].as_f64().unwrap_or(0.0)
        + c["loss_mw"].as_f64().unwrap_or(0.0);
    assert!(sum.abs() < 1e-9, "injections and loss close: {sum}");
    let o = parkgrid(&["powerflow", case, "--q-limits"]);
    assert_eq!(o.status.code(), Some(2));

    let text = std::fs::read_to_string(repo().join(case))
        .expect("case")
        .replace("\t2\t3\t2\t2\t0\t0\t0\t1", "\t2\t3\t7\t2\t0\t0\t0\t1");
    let path = temp_file("badconv.m", &text);
    let o = parkgrid(&["powerflow", path.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    let line = text
        .lines()
        .position(|l| l.contains("\t2\t3\t7\t2"))
        .map_or(0, |i| i + 1);
    assert!(
        stderr(&o).contains(&format!("badconv.m:{line}: type_dc 7")),
        "{}",
        stderr(&o)
    );

    let o = parkgrid(&[
        "powerflow",
        "crates/parkgrid-powerflow/tests/data/case14.m",
        "--q-limits",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["gens"][0]["at_limit"], "min");
}

#[test]
fn simulate_checks_the_network_of_every_step() {
    let dir = temp_dir("network");
    // The minimal park with its PV moved to a DC bus behind a VSC and a 300 m feeder.
    let park = std::fs::read_to_string(repo().join("examples/minimal.toml"))
        .expect("example")
        .replace(
            "[[pv]]\nid = \"roof_pv\"\nbus = \"ac\"",
            "[[pv]]\nid = \"roof_pv\"\nbus = \"dc\"",
        )
        + "\n[[bus]]\nid = \"dc\"\ncarrier = \"dc\"\nv_nom_kv = 0.75\n\n[[bus]]\nid = \"ac_far\"\ncarrier = \"ac\"\nv_nom_kv = 0.4\n\n\
           [[line]]\nid = \"feeder\"\nfrom_bus = \"ac\"\nto_bus = \"ac_far\"\nlength_km = 0.3\nr_ohm_per_km = 0.1\nx_ohm_per_km = 0.08\ni_max_a = 600\n\n\
           [[electric_load]]\nid = \"workshop\"\nbus = \"ac_far\"\nshape = \"industrial\"\nannual_kwh = 400000\n\n\
           [[converter]]\nid = \"vsc\"\nfrom_bus = \"ac\"\nto_bus = \"dc\"\np_max_kw = 400\neta_forward = 0.97\neta_reverse = 0.97\n";
    std::fs::write(dir.join("park.toml"), park).expect("write");
    let text = dir.to_str().unwrap_or_default();
    let o = parkgrid(&[
        "simulate",
        dir.join("park.toml").to_str().unwrap_or_default(),
        "--out",
        text,
        "--network-check",
        "--strategy",
        "rule",
        // The dispatch as it is, without the losses fed back: the check's import is the
        // dispatched import plus the network's losses.
        "--loss-feedback",
        "off",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("network check (every step): 8760 power flows"),
        "{}",
        stdout(&o)
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    let net = &summary["network"];
    assert_eq!(net["steps_checked"], 8760);
    assert_eq!(net["not_converged"], 0);
    assert!(net.get("loss_feedback").is_none(), "{net}");
    let losses = net["losses_kwh"].as_f64().unwrap_or(0.0);
    assert!(losses > 0.0, "{net}");
    assert!(
        net["max_loading"]["feeder"].as_f64().unwrap_or(0.0) > 0.1,
        "{net}"
    );
    let csv = std::fs::read_to_string(dir.join("network.csv")).expect("network.csv");
    assert_eq!(csv.lines().count(), 8761);
    // Import in the network check = dispatch's import − the converter losses the dispatch
    // counts (3 % each way) + the network's losses as the power flow finds them (its converter
    // model's included), step by step.
    let ts = std::fs::read_to_string(dir.join("timeseries.csv")).expect("timeseries.csv");
    let head: Vec<&str> = ts.lines().next().unwrap_or("").split(',').collect();
    let col = head
        .iter()
        .position(|c| *c == "grid.import_kw")
        .expect("import column");
    let exp = head
        .iter()
        .position(|c| *c == "grid.export_kw")
        .expect("export column");
    let column = |name: &str| head.iter().position(|c| *c == name).expect(name);
    let (fwd, rev) = (column("vsc.forward_kw"), column("vsc.reverse_kw"));
    for (row, net_row) in ts.lines().skip(1).zip(csv.lines().skip(1)).take(48) {
        let cells: Vec<f64> = row
            .split(',')
            .skip(1)
            .map(|c| c.parse().unwrap_or(f64::NAN))
            .collect();
        let n: Vec<&str> = net_row.split(',').collect();
        let (import, loss): (f64, f64) = (
            n[3].parse().unwrap_or(f64::NAN),
            n[4].parse().unwrap_or(f64::NAN),
        );
        let dispatched = cells[col - 1] - cells[exp - 1];
        let converter_loss = 0.03 * (cells[fwd - 1] + cells[rev - 1]);
        assert!(
            (import - (dispatched - converter_loss) - loss).abs() < 0.5,
            "{net_row}: import {import} vs dispatched {dispatched} − {converter_loss} + losses {loss}"
        );
    }

    let o = parkgrid(&[
        "simulate",
        dir.join("park.toml").to_str().unwrap_or_default(),
        "--out",
        text,
        "--network-check=peak",
        "--strategy",
        "rule",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let labels: Vec<&str> = v["network"]["steps"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["label"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(labels[..2], ["peak load", "peak PV"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn contingency_ranks_outages_of_a_case_and_of_a_park() {
    let o = parkgrid(&[
        "contingency",
        "crates/parkgrid-powerflow/tests/data/case30.m",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let first = &v["contingencies"][0];
    assert_eq!(first["element"], "branch 34 (25–26)");
    assert_eq!(first["islanded"], serde_json::json!(["26"]));

    // The example's network at the baseline's peak, without an optimal year's solve; the
    // optimum's path through the command is exercised on small parks below.
    let o = parkgrid(&["contingency", "examples/yanqing.toml", "--dispatch", "rule"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("peak load") && out.contains("vsc_10kv") && out.contains("ring_dc_a"),
        "{out}"
    );
    // Refused before the year is dispatched.
    let o = parkgrid(&["contingency", "examples/yanqing.toml", "--step", "99999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("beyond the 8760 steps"),
        "{}",
        stderr(&o)
    );
}

/// Islands are named with their load in N-1: one that keeps generation is solved with its own
/// reference (case9 without branch 1–4 keeps all 315 MW), one without is de-energised (the
/// dead-end bus behind a switched-off cable), and an outaged element has no loading.
#[test]
fn contingency_names_islands_and_solves_those_that_keep_generation() {
    let json = |args: &[&str]| -> serde_json::Value {
        let o = parkgrid(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        serde_json::from_str(&stdout(&o)).expect("JSON")
    };
    let v = json(&[
        "contingency",
        "crates/parkgrid-powerflow/tests/data/case9.m",
        "--json",
    ]);
    let rows = v["contingencies"].as_array().expect("rows");
    let b1 = rows
        .iter()
        .find(|r| r["element"] == "branch 1 (1–4)")
        .expect("branch 1");
    assert_eq!(b1["lost_load_mw"], 0.0, "{b1}");
    assert_eq!(b1["converged"], true);
    assert_eq!(b1["islands"][0]["state"], "own_reference");
    assert_eq!(b1["islands"][0]["reference_bus"], "2");

    let park = "crates/parkgrid-dispatch/tests/data/cases/dead_end_bus.toml";
    for dispatch in ["optimal", "rule"] {
        let v = json(&["contingency", park, "--dispatch", dispatch, "--json"]);
        let island = &v["intact"]["islands"][0];
        assert_eq!(island["buses"], serde_json::json!(["north"]), "{v}");
        assert_eq!(island["state"], "de_energised");
        let lost = island["lost_load_kw"].as_f64().unwrap_or(0.0);
        assert!(lost > 100.0, "the office's peak load is lost: {island}");
    }
    let o = parkgrid(&["contingency", park]);
    assert!(
        stdout(&o).contains("intact: island north ("),
        "{}",
        stdout(&o)
    );

    let dyn5 = "crates/parkgrid-powerflow/tests/data/cases/dyn5_transformer.toml";
    let v = json(&["contingency", dyn5, "--json"]);
    let t1 = &v["contingencies"][0];
    assert_eq!(t1["element"], "t1");
    assert_eq!(t1["max_loading"], serde_json::Value::Null, "{t1}");
    assert_eq!(t1["islanded"], serde_json::json!(["lv"]));

    // One step and every step at once is a usage error.
    let o = parkgrid(&["contingency", dyn5, "--step", "3", "--steps", "all"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Options that would be ignored are refused, naming themselves: a dispatch for a case
    // file, and the loss feedback without the every-step network check.
    let o = parkgrid(&[
        "contingency",
        "crates/parkgrid-powerflow/tests/data/case9.m",
        "--dispatch",
        "rule",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--dispatch and --run apply to a park file"),
        "{}",
        stderr(&o)
    );
    for check in [&[][..], &["--network-check=peak"][..]] {
        let mut args = vec!["simulate", dyn5, "--loss-feedback", "off"];
        args.extend_from_slice(check);
        let o = parkgrid(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("--loss-feedback applies to --network-check=all"),
            "{}",
            stderr(&o)
        );
    }
    // Every step: the outage of t1 cuts the LV bus off at all 8,760 of them, and the Jacobians of
    // the two topologies are analysed once each, then only refactorised.
    let v = json(&["contingency", dyn5, "--steps", "all", "--json"]);
    assert_eq!(v["steps"], 8760);
    assert_eq!(v["contingencies"][0]["steps_losing_load"], 8760);
    assert!(v["symbolic_analyses"].as_u64().unwrap_or(99) <= 2, "{v}");
    assert!(
        v["numeric_refactorisations"].as_u64().unwrap_or(0) >= 8760,
        "{v}"
    );
    let o = parkgrid(&[
        "contingency",
        "crates/parkgrid-powerflow/tests/data/case9.m",
        "--steps",
        "all",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn network_check_refuses_a_network_it_cannot_solve_before_solving() {
    let dir = temp_dir("network-bad");
    // Two DC/DC converters both holding the voltage of the same DC bus.
    let park = std::fs::read_to_string(repo().join("examples/minimal.toml")).expect("example")
        + "\n[[bus]]\nid = \"dc1\"\ncarrier = \"dc\"\nv_nom_kv = 0.75\n\n\
           [[bus]]\nid = \"dc2\"\ncarrier = \"dc\"\nv_nom_kv = 0.375\n\n\
           [[converter]]\nid = \"vsc\"\nfrom_bus = \"ac\"\nto_bus = \"dc1\"\np_max_kw = 100\n\n\
           [[converter]]\nid = \"dcdc_a\"\nfrom_bus = \"dc1\"\nto_bus = \"dc2\"\np_max_kw = 50\n\n\
           [[converter]]\nid = \"dcdc_b\"\nfrom_bus = \"dc1\"\nto_bus = \"dc2\"\np_max_kw = 50\n";
    std::fs::write(dir.join("park.toml"), park).expect("write");
    let o = parkgrid(&[
        "simulate",
        dir.join("park.toml").to_str().unwrap_or_default(),
        "--out",
        dir.to_str().unwrap_or_default(),
        "--network-check",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("network check: DC/DC converter 'dcdc_b'"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.join("summary.json").exists(), "refused before solving");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Output cut by a closed pipe (`| head -1`) ends the command quietly with exit 0; a full disk
/// (`> /dev/full`) is a one-line error with exit 1. Neither is a panic with a backtrace.
#[test]
fn closed_pipes_and_full_disks_are_not_panics() {
    for args in [
        &["info", "examples/yanqing.toml"][..],
        &["validate", "examples/minimal.toml"][..],
        &["schema"][..],
        &["powerflow", "crates/parkgrid-powerflow/tests/data/case14.m"][..],
    ] {
        // The reader closes its end before the command writes anything.
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_parkgrid"))
            .args(args)
            .current_dir(repo())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the parkgrid binary runs");
        drop(child.stdout.take());
        let o = child.wait_with_output().expect("waits");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");

        if Path::new("/dev/full").exists() {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full");
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_parkgrid"))
                .args(args)
                .current_dir(repo())
                .stdout(full)
                .output()
                .expect("the parkgrid binary runs");
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
            assert!(
                err.contains("cannot write to standard output"),
                "{args:?}: {err}"
            );
            assert!(!err.contains("panicked"), "{args:?}: {err}");
        }
    }
}

/// A park file given to `powerflow`, and a FIFO or a directory given as a file, are refused at
/// once with a message (a FIFO used to block forever).
#[test]
fn wrong_kinds_of_file_are_refused_at_once() {
    let o = parkgrid(&["powerflow", "examples/minimal.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("looks like a park file"),
        "{}",
        stderr(&o)
    );
    let o = parkgrid(&["validate", "examples"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    let dir = temp_dir("fifo");
    let fifo = dir.join("park.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        for cmd in ["validate", "simulate", "info"] {
            let o = parkgrid(&[cmd, fifo.to_str().unwrap_or_default()]);
            assert_eq!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
            assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Dyn5 park's network check converges (its 150° shift once made Newton diverge); with its
/// load behind a cable too weak to carry it, the power flows that do not converge lend no figures:
/// empty cells in network.csv, no figures in summary.json, "NOT converged" in the table, and the
/// report still rebuilds.
#[test]
fn a_network_check_that_does_not_converge_shows_no_figures() {
    let case = repo().join("crates/parkgrid-powerflow/tests/data/cases/dyn5_transformer.toml");
    let dir = temp_dir("dyn5");
    let out = dir.join("out");
    let o = parkgrid(&[
        "simulate",
        case.to_str().unwrap_or_default(),
        "--network-check=peak",
        "--out",
        out.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("0 not converged"), "{}", stdout(&o));

    // The workshop moved to the end of a 10 km low-voltage cable of 1 Ω/km: within every rating
    // the dispatch knows (300 kW on a 1.4 MW cable), but the cable cannot carry more than about
    // 16 kW at 0.4 kV (V²/X): no power flow exists.
    let weak = std::fs::read_to_string(&case).expect("case").replace(
        "id = \"workshop\"\nbus = \"lv\"",
        "id = \"workshop\"\nbus = \"far\"",
    ) + "\n[[bus]]\nid = \"far\"\ncarrier = \"ac\"\nv_nom_kv = 0.4\n\n\
           [[line]]\nid = \"cable\"\nfrom_bus = \"lv\"\nto_bus = \"far\"\nlength_km = 10\n\
           r_ohm_per_km = 1.0\nx_ohm_per_km = 1.0\ni_max_a = 2000\n";
    assert!(weak.contains("bus = \"far\""));
    std::fs::write(dir.join("weak.toml"), weak).expect("write");
    let o = parkgrid(&[
        "simulate",
        dir.join("weak.toml").to_str().unwrap_or_default(),
        "--strategy",
        "rule",
        "--network-check=peak",
        "--out",
        out.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("NOT converged: no figures"),
        "{}",
        stdout(&o)
    );
    let csv = std::fs::read_to_string(out.join("network.csv")).expect("network.csv");
    assert!(
        csv.lines().skip(1).all(|l| l.contains(",false,,,")),
        "{csv}"
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    for step in summary["network"]["steps"].as_array().into_iter().flatten() {
        assert_eq!(step["converged"], false);
        assert!(step.get("import_kw").is_none(), "{step}");
    }
    let o = parkgrid(&["report", out.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A leap year is a year of 8,784 hours, from the built-in weather as from an EPW file.
#[test]
fn a_leap_year_is_simulated() {
    let dir = temp_dir("leap");
    let park = std::fs::read_to_string(repo().join("examples/minimal.toml"))
        .expect("example")
        .replace("year = 2025", "year = 2024");
    std::fs::write(dir.join("park.toml"), park).expect("write");
    let o = parkgrid(&[
        "simulate",
        dir.join("park.toml").to_str().unwrap_or_default(),
        "--quiet",
        "--out",
        dir.join("out").to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ts = std::fs::read_to_string(dir.join("out/timeseries.csv")).expect("timeseries.csv");
    assert_eq!(ts.lines().count(), 8785);
    assert!(ts.contains("2024-02-29T12:00:00+08:00"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The network check names a de-energised island and the load it loses, and solves the rest: the
/// dead-end bus `north` behind a switched-off cable (`../shared/cases/network/dead_end_bus.toml`).
#[test]
fn the_network_check_names_a_dead_island_and_its_lost_load() {
    let park = repo().join("crates/parkgrid-dispatch/tests/data/cases/dead_end_bus.toml");
    let dir = temp_dir("dead-end");
    let out = dir.join("out");
    let o = parkgrid(&[
        "simulate",
        park.to_str().unwrap_or_default(),
        "--network-check=all",
        "--out",
        out.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("0 not converged"), "{text}");
    assert!(
        text.contains("island north de-energised at 8760 of the 8760 steps"),
        "{text}"
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    let island = &summary["network"]["islands"][0];
    assert_eq!(island["buses"], serde_json::json!(["north"]));
    // The office's 1,000 MWh a year, all of it lost.
    let lost = island["lost_load_kwh"].as_f64().unwrap_or(0.0);
    assert!((lost - 1.0e6).abs() < 1.0, "{island}");
    // Its voltage is in no figure: the energised part is the grid bus alone, at 1 p.u.
    assert_eq!(summary["network"]["v_min"]["bus"], "ac");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A year too large for the memory at hand is refused before it is built, with the way out.
#[test]
fn a_year_too_large_for_the_memory_is_refused_before_it_is_built() {
    let dir = temp_dir("too-large");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_parkgrid"))
        .args(["simulate", "examples/yanqing.toml", "--out"])
        .arg(dir.join("out"))
        .env("PARKGRID_MEMORY_BYTES", "100000000")
        .current_dir(repo())
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("too large for this machine") && err.contains("--horizon rolling"),
        "{err}"
    );
    assert!(!dir.join("out/summary.json").exists());
    // A setting that is not a number of bytes is an input error, not a check skipped.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_parkgrid"))
        .args(["simulate", "examples/minimal.toml", "--out"])
        .arg(dir.join("out"))
        .env("PARKGRID_MEMORY_BYTES", "4GB")
        .current_dir(repo())
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("PARKGRID_MEMORY_BYTES must be a whole number"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// With a check of every step, the dispatch buys the losses the power flow finds: the two imports
/// agree within 0.1 % over the year (0.88 % apart before, on the Dyn5 park). (Without the
/// feedback nothing is claimed: `simulate_checks_the_network_of_every_step`.)
#[test]
fn network_losses_are_fed_back_until_the_imports_agree() {
    let park = repo().join("crates/parkgrid-powerflow/tests/data/cases/dyn5_transformer.toml");
    let dir = temp_dir("loss-feedback");
    let out = dir.join("out");
    let o = parkgrid(&[
        "simulate",
        park.to_str().unwrap_or_default(),
        "--network-check",
        "--out",
        out.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("summary"))
            .expect("JSON");
    let fb = &s["network"]["loss_feedback"]["dispatch"];
    assert!(
        fb["disagreement_rel"].as_f64().unwrap_or(1.0) <= 1e-3,
        "{fb}"
    );
    assert!(
        fb["initial_disagreement_rel"].as_f64().unwrap_or(0.0) > 5e-3,
        "{fb}"
    );
    assert!(fb["rounds"].as_u64().unwrap_or(0) >= 1, "{fb}");
    // The losses the power flow reports are what was fed back, to the kWh.
    let losses = s["network"]["losses_kwh"].as_f64().unwrap_or(0.0);
    let fed = fb["fed_back_kwh"].as_f64().unwrap_or(0.0);
    assert!((losses - fed).abs() < 0.01 * losses, "{losses} vs {fed}");
    assert!(s["network"]["loss_feedback"]["baseline"].is_object());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A window of whole days at a step of choice: the files hold its steps only, from its first
/// day's midnight; a window outside the park's year, a step not allowed and half a window are
/// refused before anything is computed.
#[test]
fn a_window_of_days_runs_at_the_step_asked() {
    let dir = temp_dir("window");
    let out = dir.to_str().unwrap_or_default();
    let o = parkgrid(&[
        "simulate",
        "examples/minimal.toml",
        "--from",
        "2025-03-30",
        "--days",
        "2",
        "--step-min",
        "15",
        "--out",
        out,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("2 days from 2025-03-30, 192 steps of 15 min"),
        "{}",
        stdout(&o)
    );
    let csv = std::fs::read_to_string(dir.join("timeseries.csv")).expect("timeseries.csv");
    assert_eq!(csv.lines().count(), 1 + 192);
    assert!(
        csv.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("2025-03-30T00:00:00+08:00,")),
        "{}",
        csv.lines().nth(1).unwrap_or_default()
    );
    for (args, says) in [
        (
            &["--from", "2025-12-31", "--days", "2"][..],
            "is not within the run's time axis",
        ),
        (&["--from", "2025-12-31"][..], "--days"),
        (&["--step-min", "7"][..], "not one of 5, 10, 15, 30 or 60"),
        (&["--from", "2025-02-30", "--days", "1"][..], "not a date"),
    ] {
        let mut all = vec!["simulate", "examples/minimal.toml", "--out", out];
        all.extend_from_slice(args);
        let o = parkgrid(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// N-1 on a saved run's schedule is N-1 on the schedule that run dispatched: the same outages,
/// ranked alike, with the same figures to the precision the run's files keep; a run of another
/// park is refused, naming both.
#[test]
fn contingency_takes_a_saved_run() {
    let park = "crates/parkgrid-powerflow/tests/data/cases/dyn5_transformer.toml";
    let dir = temp_dir("n1-saved");
    let out = dir.to_str().unwrap_or_default();
    let o = parkgrid(&["simulate", park, "--out", out, "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json = |args: &[&str]| -> serde_json::Value {
        let o = parkgrid(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        serde_json::from_str(&stdout(&o)).expect("JSON")
    };
    let fresh = json(&["contingency", park, "--json"]);
    let saved = json(&["contingency", park, "--run", out, "--json"]);
    let list = |v: &serde_json::Value| -> Vec<(String, bool)> {
        v["contingencies"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| {
                        (
                            c["element"].as_str().unwrap_or_default().to_string(),
                            c["converged"].as_bool().unwrap_or(false),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(!list(&fresh).is_empty());
    assert_eq!(list(&saved), list(&fresh));
    let losses = |v: &serde_json::Value| v["intact"]["losses_kw"].as_f64().unwrap_or(f64::NAN);
    assert!(
        (losses(&saved) - losses(&fresh)).abs() < 1e-3,
        "{} vs {}",
        losses(&saved),
        losses(&fresh)
    );
    assert!(
        saved["title"]
            .as_str()
            .unwrap_or_default()
            .contains("saved run"),
        "{saved}"
    );
    let year = json(&[
        "contingency",
        park,
        "--run",
        out,
        "--steps",
        "all",
        "--json",
    ]);
    assert_eq!(year["steps"], 8760);

    let other = dir.join("minimal");
    let o = parkgrid(&[
        "simulate",
        "examples/minimal.toml",
        "--out",
        other.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = parkgrid(&[
        "contingency",
        park,
        "--run",
        other.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("the saved run is of"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Demand left unserved is said, not hidden: the minimal park with a 10 kW import limit runs,
/// warns on standard error, writes "status": "unserved" and exits 0; with --strict it writes the
/// same and exits 4.
#[test]
fn unserved_demand_is_a_warning_and_strict_makes_it_an_error() {
    let dir = temp_dir("unserved");
    let park = std::fs::read_to_string(repo().join("examples/minimal.toml"))
        .expect("example")
        .replace("p_import_max_kw = 500", "p_import_max_kw = 10");
    std::fs::write(dir.join("park.toml"), park).expect("write");
    let (path, out) = (dir.join("park.toml"), dir.join("out"));
    let (path_text, out_text) = (
        path.to_str().unwrap_or_default(),
        out.to_str().unwrap_or_default(),
    );
    let args = [
        "simulate",
        path_text,
        "--from",
        "2025-01-15",
        "--days",
        "2",
        "--quiet",
        "--out",
        out_text,
    ];
    let run = |strict: bool| {
        let mut args = args.to_vec();
        if strict {
            args.push("--strict");
        }
        parkgrid(&args)
    };
    let o = run(false);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: the optimal schedule leaves demand unserved: ")
            && stderr(&o).contains("MWh of electricity"),
        "{}",
        stderr(&o)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("summary"))
            .expect("JSON");
    assert_eq!(summary["status"], "unserved");
    std::fs::remove_dir_all(&out).expect("clean");
    let o = run(true);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("leaves demand unserved") && out.join("summary.json").exists(),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--baseline` picks the baseline's rules, and `summary.json` names them: the uncoordinated
/// park (heat pumps and stores idle) costs more than the merit order on the small park, whose
/// only heat source is a heat pump — the uncoordinated rules leave its heat unserved and say so.
#[test]
fn the_baseline_rules_are_chosen_and_named() {
    let dir = temp_dir("baseline-rules");
    let run = |rules: &str| -> serde_json::Value {
        let o = parkgrid(&[
            "simulate",
            "examples/small-park.toml",
            "--strategy",
            "rule",
            "--baseline",
            rules,
            "--from",
            "2025-01-13",
            "--days",
            "7",
            "--json",
            "--out",
            dir.to_str().unwrap_or_default(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).expect("JSON")
    };
    let merit = run("merit-order");
    let unco = run("uncoordinated");
    assert_eq!(merit["rules"], "merit_order");
    assert_eq!(unco["rules"], "uncoordinated");
    assert_eq!(merit["status"], "ok", "{merit}");
    assert_eq!(unco["status"], "unserved", "{unco}");
    assert_eq!(unco["heat_pump_heat_kwh"], 0.0);
    let o = parkgrid(&[
        "simulate",
        "examples/small-park.toml",
        "--baseline",
        "boiler",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}
