//! Meters done right, over 10⁵ random readings of a point: counters that reset, wrap and are
//! replaced, readings repeated, out of order and missing for hours or weeks. No interval is
//! negative; every known interval's energy is what the point used (energy conserved across every
//! reset, rollover and replacement read at the swap); the buckets and spans hold all of it.

use parkgrid_resource::rng::Rng;
use parkgrid_store::meter::{Kind, MeterSpec, Reading, THIRTY_DAYS_MS, buckets, intervals};

const ROLLOVER: f64 = 100_000.0;
/// The most the point uses per hour.
const RATE: f64 = 50.0;
const MIN: i64 = 60_000;

/// A random point's readings (shuffled a little, some repeated) and what it used between
/// consecutive readings in time order (`None` over spans beyond 30 days).
fn point(seed: u64) -> (Vec<Reading>, Vec<Option<f64>>) {
    let mut rng = Rng::new(seed);
    let mut u = move || rng.uniform();
    let n = 3 + (u() * 40.0) as usize;
    let mut meter = 0u32;
    let mut counter = if u() < 0.3 {
        ROLLOVER - u() * 500.0
    } else {
        u() * 1000.0
    };
    let mut t: i64 = 1_735_689_600_000;
    let mut readings = Vec::new();
    let mut used = Vec::new();
    let read = |t: i64, meter: u32, value: f64, seq: u64| Reading {
        time_ms: t,
        meter_id: format!("m{meter}"),
        value,
        seq: Some(seq),
    };
    let mut seq = 0;
    readings.push(read(t, meter, counter, seq));
    for _ in 1..n {
        // Mostly minutes to hours; sometimes days; now and then beyond 30 days.
        let x = u();
        let dt = if x < 0.8 {
            MIN + (u() * 120.0) as i64 * MIN
        } else if x < 0.97 {
            (u() * 20.0 * 24.0 * 60.0) as i64 * MIN + MIN
        } else {
            THIRTY_DAYS_MS + (u() * 10.0 * 24.0 * 60.0) as i64 * MIN + MIN
        };
        let hours = dt as f64 / 3_600_000.0;
        let use_kwh = (u() * RATE * hours).min(0.45 * ROLLOVER);
        let event = u();
        if event < 0.05 {
            // Replaced. Read at the swap (the old meter's last reading and the new one's first
            // at one instant), nothing is lost; otherwise what was used until the new meter's
            // first reading is not known.
            meter += 1;
            let start = u() * 5000.0;
            if u() < 0.5 {
                seq += 1;
                readings.push(read(t, meter, start, seq));
                counter = start;
            } else {
                t += dt;
                counter = start + use_kwh;
                seq += 1;
                readings.push(read(t, meter, counter, seq));
                used.push(None);
                continue;
            }
        } else if event < 0.10 && counter < 0.5 * ROLLOVER - RATE * 24.0 * 40.0 && use_kwh < counter
        {
            // Reset just after the last reading: it counts from 0. (A reset after which the
            // counter passes its old value before the next reading cannot be told from growth,
            // by any meter data system; a reset far up a wrapping register cannot be told from
            // a rollover. Neither is generated.)
            counter = 0.0;
        }
        t += dt;
        counter += use_kwh;
        if counter >= ROLLOVER {
            counter -= ROLLOVER;
        }
        seq += 1;
        readings.push(read(t, meter, counter, seq));
        used.push((dt <= THIRTY_DAYS_MS).then_some(use_kwh));
    }
    // Repeats and a little disorder.
    let m = readings.len();
    for k in 0..m / 5 {
        let i = (k * 7 + seed as usize) % m;
        readings.push(readings[i].clone());
    }
    for k in (1..readings.len()).step_by(3) {
        readings.swap(k - 1, k);
    }
    (readings, used)
}

#[test]
fn meters_never_go_negative_and_conserve_energy() {
    let spec = MeterSpec {
        rollover: Some(ROLLOVER),
        max_rate_per_h: Some(RATE),
        ..MeterSpec::default()
    };
    let mut counts = [0usize; 5];
    for seed in 0..100_000u64 {
        let (readings, used) = point(seed);
        let d = intervals(&readings, &spec);
        let want: f64 = used.iter().flatten().sum();
        let mut got = 0.0;
        for iv in &d.intervals {
            let e = iv.energy.unwrap_or(0.0);
            assert!(e >= 0.0, "seed {seed}: {iv:?}");
            got += e;
            counts[iv.kind as usize] += 1;
        }
        assert!(
            (want - got).abs() <= 1e-6 * want.max(1.0),
            "seed {seed}: used {want}, derived {got}: {:?}",
            d.intervals
        );
        // On a 15-minute grid: the buckets plus the spans hold the same energy.
        let start = d.intervals.first().map_or(0, |i| i.start_ms);
        let end = d.intervals.last().map_or(0, |i| i.end_ms);
        let step = 15 * MIN;
        let n = ((end - start) / step + 2) as usize;
        let (b, spans) = buckets(&d.intervals, start, step, n);
        let on_grid: f64 = b.iter().filter_map(|b| b.energy).sum::<f64>()
            + spans.iter().map(|s| s.energy).sum::<f64>();
        assert!(
            (on_grid - got).abs() <= 1e-6 * got.max(1.0),
            "seed {seed}: grid {on_grid} of {got}"
        );
    }
    // Every kind of interval was met many times.
    let kinds = [
        Kind::Measured,
        Kind::Rollover,
        Kind::Reset,
        Kind::Replaced,
        Kind::Missing,
    ];
    for k in kinds {
        assert!(counts[k as usize] > 1000, "{k:?}: {}", counts[k as usize]);
    }
}
