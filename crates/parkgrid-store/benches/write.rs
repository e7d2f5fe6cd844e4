//! Write throughput of the embedded SQLite store: points of 1,000 series (a park's telemetry at
//! one point per series per step) in batches, each batch one durable transaction — the rate the
//! store can take behind an ingester that commits before it acknowledges.
//!
//! `cargo bench -p parkgrid-store --features sqlite --bench write -- [POINTS] [BATCH]`
//! (defaults 1,000,000 points in batches of 10,000).

use std::time::Instant;

#[cfg(feature = "sqlite")]
fn main() {
    use parkgrid_store::sqlite::Store;
    use parkgrid_store::{Point, PointStore, Quality, SeriesMeta};
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let total = args.first().copied().unwrap_or(1_000_000);
    let batch = args.get(1).copied().unwrap_or(10_000).max(1);
    let dir = std::env::temp_dir().join(format!("parkgrid-store-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("bench.sqlite");
    let mut store = Store::open(&path).expect("opens");
    let series: Vec<i64> = (0..1000)
        .map(|k| {
            store
                .series(&SeriesMeta {
                    name: format!("bench/asset{k}/p_kw"),
                    asset: format!("asset{k}"),
                    quantity: "p_kw".into(),
                    unit: "kW".into(),
                })
                .expect("series")
        })
        .collect();
    let start = Instant::now();
    let mut written = 0;
    let mut points = Vec::with_capacity(batch);
    for i in 0..total {
        let s = series[i % series.len()];
        let step = (i / series.len()) as i64;
        points.push((
            s,
            Point {
                time_ms: 1_735_689_600_000 + step * 60_000,
                value: (i % 997) as f64 * 0.5,
                quality: Quality::Good,
                seq: step,
            },
        ));
        if points.len() == batch || i + 1 == total {
            written += store.write_points(&points).expect("writes");
            points.clear();
        }
    }
    let s = start.elapsed().as_secs_f64();
    println!(
        "{written} points in batches of {batch}: {s:.2} s, {:.0} points/s",
        written as f64 / s
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(not(feature = "sqlite"))]
fn main() {
    let _ = Instant::now();
    eprintln!("build with --features sqlite");
}
