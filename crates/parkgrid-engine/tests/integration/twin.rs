//! The twin's plant: measured series played instead of modelled ones, and the faults of the
//! plant itself (PV strings lost, a heat pump's COP drifting) answered by the whole park's
//! dispatch — checked on the schedule the twin plays, without a broker.

use parkgrid_dispatch::{Quantity, Strategy};
use parkgrid_engine::twin::{self, Fault, FaultKind, Replay, ReplaySpec, Twin};
use parkgrid_engine::{Request, Window, YearRun};
use parkgrid_model::Park;

use crate::common::repo;

fn yanqing() -> Park {
    let loaded = parkgrid_model::load(&repo().join("examples/yanqing.toml")).expect("readable");
    loaded.park.expect("valid park")
}

fn days(from: &str, days: u32) -> Request {
    Request {
        strategy: Strategy::Rule,
        window: Some(Window {
            from: from.parse().unwrap(),
            days,
        }),
        ..Request::default()
    }
}

/// The twin without noise (the schedule's values exactly) with `faults` and `replays`.
fn play(req: &Request, faults: &[&str], replays: &[Replay]) -> (Twin, YearRun) {
    let options = twin::Options {
        noise_rel: 0.0,
        faults: faults.iter().map(|f| f.parse::<Fault>().unwrap()).collect(),
        ..twin::Options::default()
    };
    twin::play(&yanqing(), req, options, replays).expect("the twin plays")
}

fn series<'a>(run: &'a YearRun, id: &str, q: Quantity) -> &'a [f64] {
    run.main
        .dispatch
        .get(id, q)
        .unwrap_or_else(|| panic!("{id} {q}"))
}

const SERF: &str = "crates/parkgrid-engine/tests/data/serf_east_15min_ac_power_2016-07.csv";

fn serf(spec: &str) -> Replay {
    let mut spec: ReplaySpec = spec.parse().unwrap();
    spec.file = repo().join(&spec.file);
    Replay::read(&spec).unwrap()
}

/// Two days of NREL's SERF East array (15-minute AC power in W, scaled by 0.9 to the park's
/// 6 MWp roof) played as the roof's availability in hourly steps: each hour's availability is
/// the mean of the log's four quarter hours (its night-time tare, below 0 W, taken as 0), and
/// the park absorbs all of it.
#[test]
fn a_measured_pv_log_is_played_as_the_arrays_availability() {
    let spec = format!("pv_roof={SERF}#ac_power*0.9");
    let (twin, run) = play(&days("2025-07-03", 2), &[], &[serf(&spec)]);
    let r = &twin.replays()[0];
    assert_eq!(
        (r.quantity, r.source_year, r.steps),
        ("available_kw", 2016, 48)
    );
    assert_eq!((r.measured_steps, r.modelled_steps), (48, 0));
    assert!(r.out_of_range >= 16, "nights read below 0 W: {r:?}");
    // The log's own hourly means, by hand.
    let text = std::fs::read_to_string(repo().join(SERF)).unwrap();
    let mut hourly = vec![(0.0, 0); 48];
    for line in text.lines().filter(|l| l.starts_with("2016-07-0")) {
        let (t, v) = line.split_once(',').unwrap();
        let day: usize = t[8..10].parse().unwrap();
        let hour: usize = t[11..13].parse().unwrap();
        if (3..=4).contains(&day) {
            let h = &mut hourly[(day - 3) * 24 + hour];
            h.0 += v.parse::<f64>().unwrap() * 0.9;
            h.1 += 1;
        }
    }
    let available = series(&run, "pv_roof", Quantity::AvailableKw);
    let output = series(&run, "pv_roof", Quantity::OutputKw);
    for (k, (sum, n)) in hourly.iter().enumerate() {
        assert_eq!(*n, 4, "hour {k}: four quarter hours in the log");
        let want = (sum / 4.0).max(0.0);
        assert!(
            (available[k] - want).abs() < 1e-3,
            "hour {k}: {} vs {want}",
            available[k]
        );
        assert!(
            (output[k] - want).abs() < 1e-3,
            "hour {k}: absorbed, {} vs {want}",
            output[k]
        );
        let read = twin.reading("pv_roof", "output_kw", k).unwrap();
        assert!(
            (read - output[k]).abs() < 1e-3,
            "hour {k}: the twin reports the output"
        );
    }
    let peak = available.iter().copied().fold(0.0, f64::max);
    assert!(
        peak > 3_000.0,
        "a July noon of the measured array: {peak} kW"
    );
}

/// A replay that cannot be played says why, naming what there is.
#[test]
fn a_replay_that_does_not_fit_says_why() {
    for (spec, from, says) in [
        (
            format!("pv_nowhere={SERF}"),
            "2025-07-03",
            "no asset of that id has a profile (those that do: pv_roof, wind_guanting",
        ),
        (
            format!("pv_roof/demand_kw={SERF}"),
            "2025-07-03",
            "the asset's profile series are available_kw",
        ),
        (
            format!("pv_roof={SERF}"),
            "2025-01-08",
            "holds 2016-07-01 00:00 to 2016-07-14 23:45; played on",
        ),
    ] {
        let options = twin::Options::default();
        let e = twin::play(&yanqing(), &days(from, 1), options, &[serf(&spec)])
            .map(|_| ())
            .expect_err("refused")
            .to_string();
        assert!(e.contains(says), "{spec}: {e}");
    }
    let e = "pv_roof=log.csv*-1".parse::<ReplaySpec>().unwrap_err();
    assert!(
        e.contains("the factor '-1' is not a positive number"),
        "{e}"
    );
}

/// A quarter of the roof's strings lost for a day of January: its output is three quarters of
/// the healthy twin's in every step of the fault and the same outside; the grid imports what the
/// roof no longer gives; the label names the roof's power series and the day.
#[test]
fn pv_strings_lost_show_in_the_output_and_the_import() {
    let req = days("2025-01-08", 2);
    let (healthy, h_run) = play(&req, &[], &[]);
    let (faulty, f_run) = play(
        &req,
        &["string_loss:pv_roof=0.25@2025-01-08T00:00+24h"],
        &[],
    );
    let (h, f) = (
        series(&h_run, "pv_roof", Quantity::OutputKw),
        series(&f_run, "pv_roof", Quantity::OutputKw),
    );
    let mut lost_kwh = 0.0;
    for k in 0..48 {
        let want = if k < 24 { 0.75 * h[k] } else { h[k] };
        assert!((f[k] - want).abs() < 1e-6, "step {k}: {} vs {want}", f[k]);
        lost_kwh += h[k] - f[k];
    }
    assert!(
        lost_kwh > 1_000.0,
        "a January day of a 6 MWp roof: {lost_kwh} kWh lost"
    );
    let net = |run: &YearRun| -> f64 {
        let import: f64 = series(run, "grid", Quantity::ImportKw)[..24].iter().sum();
        let export: f64 = series(run, "grid", Quantity::ExportKw)[..24].iter().sum();
        import - export
    };
    let more = net(&f_run) - net(&h_run);
    assert!(
        (more - lost_kwh).abs() < 0.05 * lost_kwh,
        "the grid makes up the roof's loss: {more} kWh for {lost_kwh} kWh"
    );
    assert_eq!(healthy.labels().len(), 0);
    let label = &faulty.labels()[0];
    assert_eq!(label.kind, FaultKind::StringLoss);
    assert_eq!(label.series, ["yanqing/pv_roof/output_kw"]);
    assert_eq!(label.to_ms - label.from_ms, 24 * 3_600_000);
}

/// A ground-source heat pump's COP falling to 30 % below the model's over two January days:
/// in each step it runs, the heat it gives per kWh of electricity is the healthy twin's times
/// `1 − 0.3·(k + 1)/48`.
#[test]
fn a_heat_pumps_cop_drift_shows_as_more_electricity_for_the_heat() {
    let req = days("2025-01-08", 2);
    let (_, h_run) = play(&req, &[], &[]);
    let (faulty, f_run) = play(&req, &["cop_drift:gshp_1=0.3@2025-01-08T00:00+48h"], &[]);
    let cop = |run: &YearRun, k: usize| {
        let heat = series(run, "gshp_1", Quantity::HeatKw)[k];
        let p = series(run, "gshp_1", Quantity::PKw)[k].abs();
        (heat > 1.0 && p > 1e-6).then(|| heat / p)
    };
    let mut compared = 0;
    for k in 0..48 {
        if let (Some(h), Some(f)) = (cop(&h_run, k), cop(&f_run, k)) {
            let want = h * (1.0 - 0.3 * (k + 1) as f64 / 48.0);
            assert!(
                (f - want).abs() < 1e-6 * want,
                "step {k}: COP {f} vs {want}"
            );
            compared += 1;
        }
    }
    // The merit order heats with the data centre's waste heat first; the ground-source pumps
    // top up in the coldest hours (8 of the 48).
    assert!(
        compared >= 6,
        "the heat pump tops up on January days: {compared} steps"
    );
    let label = &faulty.labels()[0];
    assert_eq!(label.kind, FaultKind::CopDrift);
    assert_eq!(
        label.series,
        ["yanqing/gshp_1/p_kw", "yanqing/gshp_1/heat_kw"]
    );
    // A fault of the plant on what is not that plant is refused, naming what is.
    let options = twin::Options {
        faults: vec!["cop_drift:pv_roof@2025-01-08T00:00".parse().unwrap()],
        ..twin::Options::default()
    };
    let e = twin::play(&yanqing(), &req, options, &[])
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("not a heat pump of the park (those: gshp_1, gshp_2"),
        "{e}"
    );
}

/// A reading of the noiseless twin.
fn read(twin: &Twin, id: &str, q: &str, k: usize) -> f64 {
    twin.reading(id, q, k)
        .unwrap_or_else(|| panic!("{id}/{q} at {k}"))
}

/// The grid's net import at step `k`, kW.
fn net_import(twin: &Twin, k: usize) -> f64 {
    read(twin, "grid", "import_kw", k) - read(twin, "grid", "export_kw", k)
}

/// The battery told to charge at 3 MW from 10:00 of a July day: it does, at its 95 % charging
/// efficiency, until its highest level (95 % of 8 MWh) and no further; its setpoint register
/// reads the setpoint; the grid buys what the battery takes beyond its schedule. Given back to
/// its schedule at 16:00, it follows the schedule's flows again from the level it has, within
/// its limits. The roof limited to 1 MW at noon gives no more, and the grid buys the rest.
#[test]
fn setpoints_move_the_battery_and_the_roof_and_the_grid_makes_up_the_difference() {
    let req = days("2025-07-03", 1);
    let (mut twin, run) = play(&req, &[], &[]);
    let (charge0, discharge0, level0) = (
        series(&run, "battery", Quantity::ChargeKw).to_vec(),
        series(&run, "battery", Quantity::DischargeKw).to_vec(),
        series(&run, "battery", Quantity::LevelKwh).to_vec(),
    );
    let net0: Vec<f64> = (0..24).map(|k| net_import(&twin, k)).collect();
    for k in 0..24 {
        let schedule = discharge0[k] - charge0[k];
        assert!((read(&twin, "battery", "p_set_kw", k) - schedule).abs() < 1e-3);
    }
    twin.set_point("battery", 10, Some(-3_000.0)).unwrap();
    let (e_max, eta) = (0.95 * 8_000.0, 0.95);
    let mut level = level0[9];
    let mut full_at = None;
    for k in 10..24 {
        assert_eq!(read(&twin, "battery", "p_set_kw", k), -3_000.0);
        let want = (3_000.0_f64).min((e_max - level) / eta);
        let c = read(&twin, "battery", "charge_kw", k);
        assert!(
            (c - want).abs() < 1e-3,
            "hour {k}: charges {c} kW, {want} kW wanted"
        );
        assert_eq!(read(&twin, "battery", "discharge_kw", k), 0.0);
        level += eta * c;
        let l = read(&twin, "battery", "level_kwh", k);
        assert!((l - level).abs() < 1e-2, "hour {k}: level {l} vs {level}");
        assert!(l <= e_max + 1e-6, "never above its highest level");
        if full_at.is_none() && l >= e_max - 1e-6 {
            full_at = Some(k);
        }
        let more = c - charge0[k] + discharge0[k];
        let bought = net_import(&twin, k) - net0[k];
        assert!(
            (bought - more).abs() < 1e-2,
            "hour {k}: grid {bought} kW for {more} kW"
        );
    }
    assert!(
        full_at.is_some(),
        "3 MW for 14 hours fills a 7.6 MWh battery"
    );
    // Back to the schedule from 16:00: its flows, within its limits from where it stands.
    twin.set_point("battery", 16, None).unwrap();
    let mut level = read(&twin, "battery", "level_kwh", 15);
    for k in 16..24 {
        let (c, d) = (
            read(&twin, "battery", "charge_kw", k),
            read(&twin, "battery", "discharge_kw", k),
        );
        assert!(
            c <= charge0[k] + 1e-3 && d <= discharge0[k] + 1e-3,
            "hour {k}"
        );
        level += eta * c - d / eta;
        assert!((read(&twin, "battery", "level_kwh", k) - level).abs() < 1e-2);
    }
    // The roof limited to 1 MW from noon; the grid buys what it no longer gives.
    let out0: Vec<f64> = (0..24)
        .map(|k| read(&twin, "pv_roof", "output_kw", k))
        .collect();
    let net1: Vec<f64> = (0..24).map(|k| net_import(&twin, k)).collect();
    twin.set_point("pv_roof", 12, Some(1_000.0)).unwrap();
    for k in 12..24 {
        let out = read(&twin, "pv_roof", "output_kw", k);
        assert!((out - out0[k].min(1_000.0)).abs() < 1e-3, "hour {k}: {out}");
        let bought = net_import(&twin, k) - net1[k];
        assert!((bought - (out0[k] - out)).abs() < 1e-2, "hour {k}");
    }
    assert!(out0[12] > 1_000.0, "a July noon gives more than 1 MW");
    assert_eq!(twin.setpoints().len(), 3);
    // Only batteries and PV arrays take setpoints; a setpoint is a finite number.
    let e = twin.set_point("gshp_1", 3, Some(1.0)).unwrap_err();
    assert!(
        e.contains("takes no setpoints; the twin's batteries and PV arrays do (battery, pv_roof)"),
        "{e}"
    );
    let e = twin.set_point("battery", 3, Some(f64::NAN)).unwrap_err();
    assert!(e.contains("finite"), "{e}");
}

/// NREL's PV system 50 (pvanalytics) as Parquet — a UTC timestamp column whose clock offset
/// pandas recorded (−07:00), AC power as 32-bit floats, 15 of its 1,344 values null — reads as
/// the same log as its rows written out as CSV, value for value; played as the Yanqing roof's
/// availability, 2011 moved onto 2025, every hour of two July days is measured.
#[cfg(feature = "parquet")]
#[test]
fn a_parquet_log_reads_as_its_csv_and_plays() {
    let data = repo().join("crates/parkgrid-engine/tests/data");
    let parquet = data.join("system_50_ac_power_2011-07.parquet");
    let from_parquet = parkgrid_engine::parquet::read_log(&parquet, None).expect("reads");
    let csv = std::fs::read_to_string(data.join("system_50_ac_power_2011-07.csv")).unwrap();
    let from_csv = parkgrid_resource::measured::Measured::parse("csv", &csv, None).unwrap();
    assert_eq!(from_parquet.column, "ac_power_2");
    assert_eq!(from_parquet.samples.len(), 1_344 - 15);
    assert_eq!(from_parquet.gaps, 15);
    assert_eq!(
        from_parquet.samples, from_csv.samples,
        "the same clock times and values"
    );
    let e = parkgrid_engine::parquet::read_log(&parquet, Some("p_kw"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no column 'p_kw'; its value columns: ac_power_2"),
        "{e}"
    );
    let spec: ReplaySpec = format!("pv_roof={}*1.5", parquet.display())
        .parse()
        .unwrap();
    let replay = Replay {
        spec,
        measured: from_parquet,
    };
    let (twin, _) = play(&days("2025-07-03", 2), &[], &[replay]);
    let r = &twin.replays()[0];
    assert_eq!((r.source_year, r.measured_steps, r.steps), (2011, 48, 48));
}

/// A Parquet log in nanoseconds whose zone pandas recorded by name (America/Denver, daylight
/// time in July: 18:00 UTC is 12:00 on the plant's clock) reads as clock times, its null a gap;
/// UTC instants whose zone nobody recorded are refused, not guessed.
#[cfg(feature = "parquet")]
#[test]
fn parquet_logs_in_nanoseconds_and_named_zones_read_as_clock_times() {
    let data = repo().join("crates/parkgrid-engine/tests/data");
    let m = parkgrid_engine::parquet::read_log(&data.join("denver_ns.parquet"), None).unwrap();
    let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    assert_eq!(
        m.samples,
        vec![
            (at("2011-07-04 12:00"), 100.0),
            (at("2011-07-04 12:30"), 300.0),
            (at("2011-07-04 12:45"), 400.0)
        ]
    );
    assert_eq!(m.gaps, 1);
    let e = parkgrid_engine::parquet::read_log(&data.join("utc_no_zone.parquet"), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not say the plant's time zone"), "{e}");
}
