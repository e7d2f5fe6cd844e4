//! A year of 15-minute data for 1,000 series, aggregated to days: from the day rollups
//! ([`parkgrid_store::PointStore::aggregate`]) against the same SQLite file's points grouped by
//! day in one query (what a store without rollups does).
//!
//! `cargo bench -p parkgrid-store --features sqlite --bench rollup -- [SERIES] [DAYS]`
//! (defaults 1,000 series, 365 days: 35 million points; writing them and their rollups takes
//! minutes, the queries are what is timed, five times each).

#[cfg(feature = "sqlite")]
fn main() {
    use std::time::Instant;

    use parkgrid_store::rollup::{DAY_MS, MIN15_MS, Resolution};
    use parkgrid_store::sqlite::Store;
    use parkgrid_store::{Point, PointStore, Quality, SeriesMeta};

    let args: Vec<i64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n_series = args.first().copied().unwrap_or(1000).max(1);
    let days = args.get(1).copied().unwrap_or(365).max(1);
    let dir = std::env::temp_dir().join(format!("parkgrid-rollup-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("bench.sqlite");
    let mut store = Store::open(&path).expect("opens");
    let eight = 8 * 3_600_000;
    store.set_day_offset_ms(eight).expect("offset");
    // 2025-01-01T00:00+08:00.
    let start = 1_735_660_800_000_i64;
    let series: Vec<i64> = (0..n_series)
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
    let steps = days * DAY_MS / MIN15_MS;
    let t = Instant::now();
    let mut batch = Vec::with_capacity(100_000);
    for step in 0..steps {
        for (k, id) in series.iter().enumerate() {
            batch.push((
                *id,
                Point {
                    time_ms: start + step * MIN15_MS,
                    value: ((step + k as i64) % 96) as f64,
                    quality: Quality::Good,
                    seq: 1,
                },
            ));
        }
        if batch.len() >= 100_000 {
            store.write_points(&batch).expect("writes");
            batch.clear();
        }
    }
    store.write_points(&batch).expect("writes");
    let written_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    while store.refresh_rollups(100_000, i64::MAX).expect("refresh") > 0 {}
    let refreshed_s = t.elapsed().as_secs_f64();
    let points = steps * n_series;
    println!(
        "{points} points ({n_series} series × {days} days of 15 minutes): written in {written_s:.1} s \
         ({:.0} points/s), rollups refreshed in {refreshed_s:.1} s",
        points as f64 / written_s
    );
    let end = start + days * DAY_MS;
    let mut rollup_ms = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let mut rows = 0;
        for id in &series {
            rows += store
                .aggregate(*id, start, end, Resolution::Day)
                .expect("aggregate")
                .len();
        }
        assert_eq!(rows as i64, n_series * days);
        rollup_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    drop(store);
    // The same answer from the points, one GROUP BY over the file.
    let conn = rusqlite::Connection::open(&path).expect("opens");
    let mut raw_ms = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let rows: i64 = conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM (SELECT series_id, (time_ms + {eight}) / {DAY_MS},
                         count(value), sum(value), min(value), max(value)
                     FROM points WHERE time_ms >= ?1 AND time_ms < ?2 AND quality = 0
                     GROUP BY 1, 2)"
                ),
                [start, end],
                |r| r.get(0),
            )
            .expect("query");
        assert_eq!(rows, n_series * days);
        raw_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (r, g) = (median(&mut rollup_ms), median(&mut raw_ms));
    println!(
        "{n_series} series × {days} days to days: from the day rollups {r:.1} ms (median of 5, \
         min {:.1}), from the points (GROUP BY) {g:.1} ms: {:.0}× faster",
        rollup_ms[0],
        g / r
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(not(feature = "sqlite"))]
fn main() {
    eprintln!("build with --features sqlite");
}
