//! `parkgrid forecast backtest` and `parkgrid mpc` as a user meets them: the scores and the default model of a real
//! series, the JSON, and a clear message with exit code 2 for data that cannot be used.

use crate::common::{parkgrid, stderr, stdout};

const SERF: &str = "crates/parkgrid-forecast/tests/data/pv_serf_east_2016.csv";

#[test]
fn a_backtest_prints_every_model_and_the_default() {
    let o = parkgrid(&["forecast", "backtest", SERF, "--target", "ac_power_w"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for model in [
        "persistence",
        "seasonal_naive",
        "calendar",
        "smoothing",
        "clearness",
    ] {
        assert!(text.contains(model), "{model}: {text}");
    }
    assert!(text.contains("10,000 rows of 15 min"), "{text}");
    assert!(
        text.contains("default model: clearness (the lowest RMSE)"),
        "{text}"
    );

    let o = parkgrid(&[
        "forecast",
        "backtest",
        SERF,
        "--target",
        "ac_power_w",
        "--models",
        "calendar",
        "--every",
        "6h",
        "--horizon",
        "36h",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let scores = v["report"]["scores"].as_array().expect("scores");
    let models: Vec<&str> = scores.iter().filter_map(|s| s["model"].as_str()).collect();
    assert_eq!(models, ["persistence", "seasonal_naive", "calendar"]);
    assert_eq!(v["report"]["horizon_steps"], 144);
    // Origins every 6 h from day 28 of 104.
    let origins = v["report"]["origins"].as_u64().expect("origins");
    assert!((295..=305).contains(&origins), "{origins}");
    for s in scores {
        assert!(s["rmse"].as_f64().expect("rmse") > 0.0);
    }
}

#[test]
fn data_that_cannot_be_used_is_named_with_exit_code_2() {
    let dir = std::env::temp_dir().join(format!("parkgrid-forecast-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p.display().to_string()
    };
    let unsorted = write(
        "unsorted.csv",
        "time,p\n2025-01-01 00:00,1\n2025-01-01 00:30,2\n2025-01-01 00:15,3\n",
    );
    let nan_text = (0..40 * 24)
        .map(|h| {
            format!(
                "2025-{:02}-{:02} {:02}:00,NaN\n",
                1 + h / 24 / 28,
                1 + h / 24 % 28,
                h % 24
            )
        })
        .collect::<String>();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![unsorted.clone(), "--target".into(), "p".into()],
            "unsorted.csv:4: column 'time'",
        ),
        (
            vec![
                SERF.into(),
                "--target".into(),
                "ac_power_w".into(),
                "--step".into(),
                "1h".into(),
            ],
            "mostly 15 min apart",
        ),
        (
            vec![SERF.into(), "--target".into(), "power".into()],
            "no such column; the file's value columns: ac_power_w",
        ),
        (
            vec![
                SERF.into(),
                "--target".into(),
                "ac_power_w".into(),
                "--horizon".into(),
                "10min".into(),
            ],
            "not a whole number",
        ),
        (
            vec![
                SERF.into(),
                "--target".into(),
                "ac_power_w".into(),
                "--horizon".into(),
                "1y".into(),
            ],
            "the unit must be min, h or d",
        ),
        (
            vec![
                SERF.into(),
                "--target".into(),
                "ac_power_w".into(),
                "--models".into(),
                "arima".into(),
            ],
            "'arima' is not a model",
        ),
        (
            vec![
                write(
                    "short.csv",
                    "time,p\n2025-01-01 00:00,1\n2025-01-01 01:00,2\n",
                ),
                "--target".into(),
                "p".into(),
            ],
            "a backtest needs",
        ),
        (
            vec![
                write("nan_rows.csv", &format!("time,p\n{nan_text}")),
                "--target".into(),
                "p".into(),
            ],
            "no value: every cell is empty or NaN",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["forecast", "backtest"];
        all.extend(args.iter().map(String::as_str));
        let o = parkgrid(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

#[test]
fn gaps_and_a_stuck_sensor_leave_a_backtest_running() {
    // Six weeks of an hourly daily shape with a day missing, NaNs and a sensor stuck for 6 h.
    let mut text = String::from("time,demand_kw\n");
    let start = chrono::NaiveDate::from_ymd_opt(2025, 3, 3)
        .expect("date")
        .and_hms_opt(0, 0, 0)
        .expect("time");
    for h in 0..42 * 24 {
        if (20 * 24..21 * 24).contains(&h) {
            continue;
        }
        let t = start + chrono::TimeDelta::hours(h);
        let v = match h {
            h if h % 97 == 0 => "NaN".to_string(),
            h if (30 * 24 + 8..30 * 24 + 14).contains(&h) => "110.5".to_string(),
            h => format!(
                "{:.1}",
                100.0 + 20.0 * ((h % 24) as f64 / 24.0 * std::f64::consts::TAU).sin()
            ),
        };
        text.push_str(&format!("{},{v}\n", t.format("%Y-%m-%d %H:%M")));
    }
    let dir = std::env::temp_dir().join(format!("parkgrid-forecast-gaps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("gaps.csv");
    std::fs::write(&path, text).expect("write");
    let o = parkgrid(&[
        "forecast",
        "backtest",
        &path.display().to_string(),
        "--target",
        "demand_kw",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["read"]["missing_rows"], 24);
    assert_eq!(v["read"]["empty_cells"], 10);
    assert_eq!(v["report"]["stuck_steps"], 3);
    assert_eq!(v["report"]["origins"], 14);
}

#[test]
fn mpc_writes_its_run_report_and_ticks() {
    let dir = std::env::temp_dir().join(format!("parkgrid-mpc-{}", std::process::id()));
    let out = dir.display().to_string();
    let o = parkgrid(&[
        "mpc",
        "examples/small-park.toml",
        "--from",
        "2025-03-10",
        "--days",
        "1",
        "--out",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("96 ticks of 15 min"), "{text}");
    assert!(text.contains("tiers: optimal 96"), "{text}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).expect("summary"))
            .expect("JSON");
    for key in [
        "cost_ratio_to_perfect_foresight",
        "cost_ratio_to_rule",
        "ticks",
        "tiers",
        "total_cost_cny",
        "baseline",
    ] {
        assert!(!summary[key].is_null(), "{key}: {summary}");
    }
    assert_eq!(summary["strategy"], "mpc");
    assert_eq!(summary["tiers"]["optimal"], 96);
    let ticks = std::fs::read_to_string(dir.join("ticks.csv")).expect("ticks");
    assert_eq!(ticks.lines().count(), 97);
    assert!(dir.join("report.html").exists() && dir.join("timeseries.csv").exists());
    // The saved run is one `report` and `compare` read.
    let o = parkgrid(&["report", &out, "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn mpc_arguments_that_cannot_be_used_exit_2() {
    for (args, expected) in [
        (
            vec!["--forecast", "arima"],
            "is not auto, perfect or a model",
        ),
        (vec!["--days", "0"], "--days"),
        (vec!["--from", "2024-03-10", "--days", "1"], "2024-03-10"),
        (vec!["--step-min", "7"], "'7' is not one of"),
        (vec!["--tick-budget-s", "0"], "must be a positive number"),
        (vec!["--horizon-h", "0"], "--horizon-h"),
    ] {
        let mut all = vec!["mpc", "examples/small-park.toml"];
        all.extend(args.iter().copied());
        let o = parkgrid(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    }
    let o = parkgrid(&["mpc", "no-such-park.toml", "--days", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
