//! The embedded SQLite store (feature `sqlite`): points exactly once per source sequence, durable
//! across a reopen, atomic batches, meter intervals from stored readings, the quarantine.
#![cfg(feature = "sqlite")]

use parkgrid_store::meter::{self, MeterSpec, Reading};
use parkgrid_store::sqlite::{Point, Quality, SeriesMeta, Store};

fn pv() -> SeriesMeta {
    SeriesMeta {
        name: "yanqing/pv_roof/p_kw".into(),
        asset: "pv_roof".into(),
        quantity: "p_kw".into(),
        unit: "kW".into(),
    }
}

fn point(time_ms: i64, value: f64, seq: i64) -> Point {
    Point {
        time_ms,
        value,
        quality: Quality::Good,
        seq,
    }
}

#[test]
fn points_are_stored_once_per_sequence() {
    let mut store = Store::in_memory().expect("opens");
    let id = store.series(&pv()).expect("series");
    assert_eq!(
        store.series(&pv()).expect("again"),
        id,
        "a series is registered once"
    );
    let batch: Vec<(i64, Point)> = (0..96)
        .map(|k| (id, point(k * 900_000, k as f64, 1)))
        .collect();
    assert_eq!(store.write_points(&batch).expect("writes"), 96);
    // A redelivery changes nothing; a correction (higher sequence) replaces its point.
    assert_eq!(store.write_points(&batch).expect("again"), 0);
    assert_eq!(
        store.write_points(&[(id, point(0, 5.0, 2))]).expect("fix"),
        1
    );
    assert_eq!(
        store
            .write_points(&[(id, point(0, 9.0, 1))])
            .expect("stale"),
        0
    );
    let w = store.window(id, 0, 4 * 900_000).expect("window");
    assert_eq!(
        w.iter().map(|p| p.value).collect::<Vec<_>>(),
        [5.0, 1.0, 2.0, 3.0]
    );
    // A bad point is kept, without a number, and is never the latest value.
    let bad = Point {
        time_ms: 96 * 900_000,
        value: f64::NAN,
        quality: Quality::Bad,
        seq: 1,
    };
    store.write_points(&[(id, bad)]).expect("bad");
    let latest = store.latest(id).expect("latest").expect("some");
    assert_eq!((latest.time_ms, latest.value), (95 * 900_000, 95.0));
    let last = store
        .window(id, 96 * 900_000, 97 * 900_000)
        .expect("window");
    assert!(last[0].value.is_nan() && last[0].quality == Quality::Bad);
    assert!(store.series_id("nope").is_err());
}

#[test]
fn a_failed_batch_writes_nothing_and_a_reopened_store_has_every_commit() {
    let dir = std::env::temp_dir().join(format!("parkgrid-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("park.sqlite");
    let _ = std::fs::remove_file(&path);
    {
        let mut store = Store::open(&path).expect("opens");
        let id = store.series(&pv()).expect("series");
        store
            .write_points(&[(id, point(0, 1.0, 1)), (id, point(1, 2.0, 1))])
            .expect("writes");
        // A point of a series that does not exist: the whole batch is refused.
        let err = store.write_points(&[(id, point(2, 3.0, 1)), (id + 99, point(2, 3.0, 1))]);
        assert!(err.is_err());
    }
    let store = Store::open(&path).expect("reopens");
    let id = store.series_id(&pv().name).expect("kept");
    let w = store.window(id, 0, 10).expect("window");
    assert_eq!(w.iter().map(|p| p.value).collect::<Vec<_>>(), [1.0, 2.0]);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn meter_intervals_come_from_the_stored_readings() {
    let mut store = Store::in_memory().expect("opens");
    let r = |t: i64, v: f64, seq: u64| Reading {
        time_ms: t,
        meter_id: "m1".into(),
        value: v,
        seq: Some(seq),
    };
    let h = 3_600_000;
    // Out of order, one repeated, a reset at 3 h.
    let readings = [
        r(2 * h, 15.0, 3),
        r(0, 10.0, 1),
        r(h, 12.0, 2),
        r(h, 12.0, 2),
        r(3 * h, 1.0, 4),
    ];
    store
        .write_readings("tenant_a/main", &readings)
        .expect("writes");
    let spec = MeterSpec::default();
    let d = store
        .meter_intervals("tenant_a/main", h, 4 * h, &spec)
        .expect("intervals");
    let e: Vec<Option<f64>> = d.intervals.iter().map(|i| i.energy).collect();
    // The window from 1 h reaches back to the reading before it (0 h): 2 to 1 h, 3 to 2 h, and 1
    // after the reset.
    assert_eq!(e, [Some(2.0), Some(3.0), Some(1.0)]);
    let direct = meter::intervals(&readings, &spec);
    assert_eq!(d.intervals, direct.intervals);
}

#[test]
fn undecodable_payloads_are_quarantined_with_their_reason() {
    let mut store = Store::in_memory().expect("opens");
    let id = store
        .quarantine(
            1,
            "mqtt:parkgrid/yanqing/pv_roof",
            b"[{\"v\":1}]",
            "record 0: bn: the resolved name (bn + n) is empty",
        )
        .expect("kept");
    let q = store.quarantined().expect("list");
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].0, id);
    assert!(q[0].2.contains("resolved name"));
}
