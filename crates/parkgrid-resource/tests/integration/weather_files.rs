//! Weather files: the synthetic Yanqing year against its climate table, and bad files that must
//! get an error naming the row and column, never a panic.

use parkgrid_model::weather::YANQING_CLIMATE;
use parkgrid_model::{TimeAxis, TimeConfig, site::TimeZone};
use parkgrid_resource::csvdata::{CsvSite, parse_csv, weather_from_csv};
use parkgrid_resource::epw::parse_epw;
use parkgrid_resource::synthetic::{SiteInfo, monthly_summary, synthetic_year};

const EPW: &str = include_str!("../data/greensboro_tmy3.epw");

fn yanqing_axis(step_min: u32) -> TimeAxis {
    TimeAxis::new(
        &TimeConfig {
            year: 2025,
            step_min,
        },
        TimeZone(chrono_tz::Asia::Shanghai),
    )
    .unwrap_or_else(|| panic!("axis"))
}

const YANQING: SiteInfo = SiteInfo {
    latitude_deg: 40.457,
    longitude_deg: 115.975,
    elevation_m: 515.0,
};

#[test]
fn synthetic_year_matches_the_monthly_table() {
    for (step, seed) in [(60, 1), (60, 2025), (15, 7)] {
        let axis = yanqing_axis(step);
        let year = synthetic_year(YANQING, &axis, &YANQING_CLIMATE, seed)
            .unwrap_or_else(|e| panic!("{e}"));
        let summary = monthly_summary(&year.series);
        for (m, table) in YANQING_CLIMATE.iter().enumerate() {
            let (ghi, t, wind) = summary[m];
            assert!(
                (ghi / table.ghi_kwh_per_m2 - 1.0).abs() < 0.03,
                "seed {seed} month {}: GHI {ghi} vs {}",
                m + 1,
                table.ghi_kwh_per_m2
            );
            assert!(
                (t - table.t_mean_c).abs() < 0.5,
                "seed {seed} month {}: T {t} vs {}",
                m + 1,
                table.t_mean_c
            );
            assert!(
                (wind / table.wind_10m_m_per_s - 1.0).abs() < 0.03,
                "month {}: wind {wind}",
                m + 1
            );
        }
        let s = &year.series;
        assert!(s.ghi_w_per_m2.iter().all(|v| (0.0..1400.0).contains(v)));
        assert!(
            s.dni_w_per_m2
                .iter()
                .zip(&s.dhi_w_per_m2)
                .all(|(b, d)| *b >= 0.0 && *d >= 0.0)
        );
        let t_min = s.t_air_c.iter().copied().fold(f64::INFINITY, f64::min);
        let t_max = s.t_air_c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!(t_min > -30.0 && t_max < 42.0, "{t_min} {t_max}");
    }
}

#[test]
fn synthetic_year_is_deterministic_for_a_seed() {
    let axis = yanqing_axis(60);
    let a = synthetic_year(YANQING, &axis, &YANQING_CLIMATE, 3).unwrap_or_else(|e| panic!("{e}"));
    let b = synthetic_year(YANQING, &axis, &YANQING_CLIMATE, 3).unwrap_or_else(|e| panic!("{e}"));
    let c = synthetic_year(YANQING, &axis, &YANQING_CLIMATE, 4).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.series, b.series);
    assert_ne!(a.series.t_air_c, c.series.t_air_c);
}

#[test]
fn epw_reads_all_rows_with_the_hour_ending_convention() {
    let epw = parse_epw("g.epw", EPW).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(epw.t_air_c.len(), 8760);
    assert_eq!(epw.location.tz_hours, -5.0);
    let s = epw
        .to_series(1990, "g.epw")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.times[0].to_rfc3339(), "1990-01-01T00:00:00-05:00");
    assert_eq!(s.mid(0).to_rfc3339(), "1990-01-01T00:30:00-05:00");
    let ghi: f64 = s.ghi_w_per_m2.iter().sum::<f64>() / 1000.0;
    assert!((ghi - 1566.203).abs() < 0.01, "{ghi}");
    // A leap year repeats 28 February (the reference module checks the year against pvlib).
    let leap = epw
        .to_series(1992, "g.epw")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(leap.times.len(), 8784);
}

/// The EPW with line `line` (1-based) replaced by `f(line)`.
fn epw_with(line: usize, f: impl Fn(&str) -> String) -> String {
    EPW.lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == line { f(l) } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}

fn set_field(line: &str, idx: usize, value: &str) -> String {
    let mut f: Vec<&str> = line.split(',').collect();
    f[idx] = value;
    f.join(",")
}

#[track_caller]
fn epw_error(text: &str, expect: &str) {
    match parse_epw("bad.epw", text) {
        Ok(_) => panic!("accepted; expected {expect}"),
        Err(e) => assert!(e.to_string().contains(expect), "{e} lacks {expect:?}"),
    }
}

#[test]
fn bad_epw_files_name_row_and_column() {
    epw_error(
        &epw_with(20, |l| l.split(',').take(10).collect::<Vec<_>>().join(",")),
        "bad.epw:20: column 'row': expected 35 fields, found 10",
    );
    epw_error(
        &epw_with(20, |l| set_field(l, 6, "NaN")),
        "bad.epw:20: column 'dry_bulb_c': 'NaN' is not a finite number",
    );
    epw_error(
        &epw_with(20, |l| set_field(l, 13, "abc")),
        "bad.epw:20: column 'ghi_w_per_m2': 'abc' is not a number",
    );
    epw_error(
        &epw_with(20, |l| set_field(l, 21, "-3")),
        "bad.epw:20: column 'wind_m_per_s': -3 is outside 0–40",
    );
    epw_error(
        &epw_with(20, |l| set_field(l, 3, "5")),
        "bad.epw:20: column 'hour': time does not follow",
    );
    let short: String = EPW.lines().take(100).collect::<Vec<_>>().join("\n");
    epw_error(
        &short,
        "an EPW year has 8760 hourly rows (8784 with 29 February), this file has 92 (0 of them on 29 February)",
    );
    epw_error("garbage\n\u{0}\u{1}", "bad.epw:1: column 'LOCATION'");
    epw_error("", "bad.epw:1: column 'LOCATION'");
    let gap = (30..40).fold(EPW.to_string(), |text, line| {
        text.lines()
            .enumerate()
            .map(|(i, l)| {
                if i + 1 == line {
                    set_field(l, 6, "99.9")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    epw_error(
        &gap,
        "bad.epw:30: column 'dry_bulb_c': 10 consecutive hours are missing",
    );
    let short_gap = epw_with(30, |l| set_field(l, 6, "99.9"));
    let epw = parse_epw("ok.epw", &short_gap).unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (epw.t_air_c[20], epw.t_air_c[22]);
    assert!(
        (epw.t_air_c[21] - (a + b) / 2.0).abs() < 1e-9,
        "a one-hour gap is interpolated"
    );
}

const SITE: CsvSite = CsvSite {
    latitude_deg: 40.457,
    longitude_deg: 115.975,
    elevation_m: 515.0,
};

fn csv_rows(n: usize, f: impl Fn(usize) -> String) -> String {
    let mut text = String::from("time,ghi_w_per_m2,t_air_c,wind_m_per_s\n");
    for i in 0..n {
        text.push_str(&f(i));
        text.push('\n');
    }
    text
}

fn row(i: usize) -> String {
    let t = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00+08:00").unwrap_or_default()
        + chrono::Duration::hours(i as i64);
    format!(
        "{},{},{},{}",
        t.to_rfc3339(),
        if (8..16).contains(&(i % 24)) {
            300.0
        } else {
            0.0
        },
        -5.0,
        2.0
    )
}

#[track_caller]
fn csv_error(text: &str, expect: &str) {
    let result = parse_csv("w.csv", text)
        .map_err(|e| e.to_string())
        .and_then(|t| weather_from_csv(&t, SITE).map_err(|e| e.to_string()));
    match result {
        Ok(_) => panic!("accepted; expected {expect}"),
        Err(e) => assert!(e.contains(expect), "{e} lacks {expect:?}"),
    }
}

#[test]
fn csv_weather_reads_and_splits_irradiance() {
    let text = csv_rows(48, row);
    let table = parse_csv("w.csv", &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(table.step_min, 60);
    let w = weather_from_csv(&table, SITE).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        w.dhi_w_per_m2
            .iter()
            .zip(&w.ghi_w_per_m2)
            .all(|(d, g)| d <= g)
    );
    assert!(w.dni_w_per_m2.iter().any(|&b| b > 0.0));
}

#[test]
fn bad_csv_weather_names_row_and_column() {
    csv_error(
        &csv_rows(48, row).replace("wind_m_per_s", "wind"),
        "column 'wind_m_per_s': no such column; the file has: ghi_w_per_m2, t_air_c, wind",
    );
    csv_error(
        &csv_rows(48, |i| {
            if i == 5 {
                row(i).replace(",-5,", ",NaN,")
            } else {
                row(i)
            }
        }),
        "w.csv:7: column 't_air_c': 'NaN' is not a finite number",
    );
    csv_error(
        &csv_rows(48, |i| if i == 9 { row(3) } else { row(i) }),
        "w.csv:11: column 'time': time",
    );
    csv_error(
        &csv_rows(48, |i| {
            if i == 3 {
                String::from("yesterday,1,2,3")
            } else {
                row(i)
            }
        }),
        "w.csv:5: column 'time': 'yesterday' is not an ISO 8601 timestamp",
    );
    csv_error(
        &csv_rows(48, |i| {
            if i == 3 {
                String::from("2025-01-01T03:00:00+08:00,1,2")
            } else {
                row(i)
            }
        }),
        "w.csv:5: column 'row': 3 fields, the header has 4",
    );
    csv_error(
        &csv_rows(48, |i| {
            if i == 12 {
                row(i).replace(",300,", ",3000,")
            } else {
                row(i)
            }
        }),
        "w.csv:14: column 'ghi_w_per_m2': 3000 is outside",
    );
    csv_error("time,ghi_w_per_m2\n", "fewer than two rows");
}
