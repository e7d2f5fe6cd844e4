//! Day-ahead backtests on real PV and load data (`tests/data/README.md`: sources, licences):
//! the default model (the backtest's best) beats persistence and the seasonal naive forecast on
//! every series — PV by at least 10 % RMSE without any weather forecast, loads by at least 20 %
//! against the same step a week before — and its P10–P90 interval covers 70–90 % of the
//! measurements.

use chrono::NaiveDate;
use parkgrid_forecast::{Calendar, Inputs, Model, Options, Report, backtest, read_csv};

fn data(file: &str) -> String {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The public holidays of North Rhine-Westphalia in 2016, which the SimBench profiles keep as
/// Sundays (tests/data/README.md).
fn nrw_2016() -> Calendar {
    let days = [
        (1, 1),
        (3, 25),
        (3, 28),
        (5, 5),
        (5, 16),
        (5, 26),
        (10, 3),
        (11, 1),
        (12, 26),
    ];
    Calendar::Weekdays {
        holidays: days
            .iter()
            .map(|&(m, d)| NaiveDate::from_ymd_opt(2016, m, d).unwrap())
            .collect(),
    }
}

fn run(file: &str, column: &str, calendar: &Calendar) -> Report {
    let table = read_csv(file, &data(file), column, None, Some(15)).unwrap();
    let inputs = Inputs::new(&table.target, None, calendar);
    let report = backtest(&inputs, &Options::day_ahead(96)).unwrap();
    println!("{file}#{column}: best {}", report.best.name());
    for s in &report.scores {
        println!(
            "  {:<15} RMSE {:>10.4}  MAE {:>10.4}  pinball {:>9.4}  P10-P90 {:>5.1} %  skill {:>6.1} % / {:>6.1} %",
            s.model.name(),
            s.rmse,
            s.mae,
            s.pinball,
            s.coverage_pct,
            s.skill_vs_persistence_pct,
            s.skill_vs_seasonal_naive_pct
        );
    }
    report
}

fn check(report: &Report, min_skill_pers: f64, min_skill_seasonal: f64) {
    let best = report.score(report.best).unwrap();
    assert!(
        ![Model::Persistence, Model::SeasonalNaive].contains(&report.best),
        "{}: a baseline won",
        report.series
    );
    assert!(
        best.skill_vs_persistence_pct >= min_skill_pers
            && best.skill_vs_seasonal_naive_pct >= min_skill_seasonal,
        "{}: {best:?}",
        report.series
    );
    assert!(
        (70.0..=90.0).contains(&best.coverage_pct),
        "{}: P10-P90 coverage {:.1} %",
        report.series,
        best.coverage_pct
    );
}

#[test]
fn pv_day_ahead_beats_persistence_by_ten_percent_without_weather() {
    let cal = Calendar::default();
    for file in ["pv_system50_2012.csv", "pv_serf_east_2016.csv"] {
        let r = run(file, "ac_power_w", &cal);
        check(&r, 10.0, 10.0);
    }
}

#[test]
fn load_day_ahead_beats_the_same_step_last_week_by_twenty_percent() {
    let cal = nrw_2016();
    for column in ["h0_a", "g1_a", "mv_comm"] {
        let r = run("load_simbench_2016.csv", column, &cal);
        check(&r, 0.0, 20.0);
        assert_eq!(r.origins, 366 - 28);
    }
}
