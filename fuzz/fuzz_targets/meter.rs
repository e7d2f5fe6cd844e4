//! Meter readings from any bytes (each 10-byte chunk: a time step, a meter id, a counter value)
//! through the interval derivation and the bucketing: no interval is negative, no energy is lost
//! between the intervals and the grid, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parkgrid_store::meter::{MeterSpec, Reading, buckets, intervals};

fuzz_target!(|data: &[u8]| {
    let mut t: i64 = 1_735_689_600_000;
    let mut readings = Vec::new();
    for c in data.chunks_exact(10) {
        // Steps of up to ~65 days, sometimes backwards (out of order).
        let step = i64::from(u16::from_le_bytes([c[0], c[1]])) * 90_000;
        t = if c[2] & 1 == 1 { t - step / 7 } else { t + step };
        let value = f32::from_le_bytes([c[4], c[5], c[6], c[7]]);
        readings.push(Reading {
            time_ms: t,
            meter_id: format!("m{}", c[3] % 3),
            value: f64::from(value),
            seq: Some(u64::from(c[8])),
        });
    }
    let spec = MeterSpec {
        rollover: (data.first().copied().unwrap_or(0) & 1 == 1).then_some(1.0e6),
        max_rate_per_h: Some(1.0e4),
        ..MeterSpec::default()
    };
    let d = intervals(&readings, &spec);
    let mut total = 0.0;
    for iv in &d.intervals {
        if let Some(e) = iv.energy {
            assert!(e >= 0.0 && e.is_finite(), "{iv:?}");
            total += e;
        }
        assert!(iv.end_ms >= iv.start_ms, "{iv:?}");
    }
    let (Some(first), Some(last)) = (d.intervals.first(), d.intervals.last()) else {
        return;
    };
    let step = 900_000;
    let n = usize::try_from((last.end_ms - first.start_ms) / step + 2).unwrap_or(0).min(200_000);
    if n == 200_000 {
        return;
    }
    let (b, spans) = buckets(&d.intervals, first.start_ms, step, n);
    let on_grid: f64 = b.iter().filter_map(|b| b.energy).sum::<f64>()
        + spans.iter().map(|s| s.energy).sum::<f64>();
    assert!((on_grid - total).abs() <= 1e-6 * total.max(1.0), "{on_grid} of {total}");
});
