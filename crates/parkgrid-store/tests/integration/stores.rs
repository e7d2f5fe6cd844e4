//! One set of behaviours for every store: the embedded SQLite one (feature `sqlite`) and the
//! shared PostgreSQL one (feature `postgres`, against the server named by the environment
//! variable `PARKGRID_TEST_POSTGRES`, e.g. `host=127.0.0.1 user=postgres dbname=test`, which
//! `.ci/run` sets; each test works in a schema of its own and drops it). Points exactly once per
//! source sequence, atomic batches, every commit there after a reconnect, meter intervals from
//! stored readings, the quarantine, rollups equal to the points they summarise.
#![cfg(any(feature = "sqlite", feature = "postgres"))]

use parkgrid_store::meter::{self, MeterSpec, Reading};
use parkgrid_store::rollup::{Bucket, DAY_MS, HOUR_MS, MIN15_MS, Resolution};
use parkgrid_store::{AlarmAction, Point, PointStore, Quality, SeriesMeta, TokenRecord};

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

fn points_are_stored_once_per_sequence(store: &mut dyn PointStore) {
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
    // A batch partly stored already (a redelivery beside new messages): the new points go in,
    // the stored ones stay as they are.
    let mixed: Vec<(i64, Point)> = (-20..-16)
        .chain(0..6)
        .map(|k| (id, point(k * 900_000, k as f64, 1)))
        .collect();
    assert_eq!(store.write_points(&mixed).expect("mixed"), 4);
    // A batch holding one point twice (a message delivered twice before its commit).
    let twice = [(id, point(0, 1.0, 1)), (id, point(0, 1.0, 1))];
    assert_eq!(store.write_points(&twice).expect("twice"), 0);
    let new_twice = [(id, point(-900_000, 7.0, 1)), (id, point(-900_000, 7.0, 1))];
    assert_eq!(store.write_points(&new_twice).expect("new twice"), 1);
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

/// Writes two points, then a batch with a point of a series that does not exist (refused whole).
fn write_then_fail(store: &mut dyn PointStore) {
    let id = store.series(&pv()).expect("series");
    store
        .write_points(&[(id, point(0, 1.0, 1)), (id, point(1, 2.0, 1))])
        .expect("writes");
    let err = store.write_points(&[(id, point(2, 3.0, 1)), (id + 99, point(2, 3.0, 1))]);
    assert!(err.is_err());
}

/// What a reconnected store holds after [`write_then_fail`].
fn holds_every_commit(store: &mut dyn PointStore) {
    let id = store.series_id(&pv().name).expect("kept");
    let w = store.window(id, 0, 10).expect("window");
    assert_eq!(w.iter().map(|p| p.value).collect::<Vec<_>>(), [1.0, 2.0]);
}

fn meter_intervals_come_from_the_stored_readings(store: &mut dyn PointStore) {
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
    // The intervals that end after 1 h: 3 from 1 h to 2 h, and 1 after the reset.
    assert_eq!(e, [Some(3.0), Some(1.0)]);
    // Adjacent windows share no interval and together hold them all, each once; a window that
    // starts inside an interval reaches back to the reading before it.
    let all = meter::intervals(&readings, &spec).intervals;
    let a = store
        .meter_intervals("tenant_a/main", -h, 2 * h, &spec)
        .expect("intervals");
    let b = store
        .meter_intervals("tenant_a/main", 2 * h, 4 * h, &spec)
        .expect("intervals");
    let joined: Vec<_> = a.intervals.iter().chain(&b.intervals).copied().collect();
    assert_eq!(joined, all);
    let inside = store
        .meter_intervals("tenant_a/main", 2 * h + 1, 4 * h, &spec)
        .expect("intervals");
    assert_eq!(inside.intervals, all[2..].to_vec());
}

fn undecodable_payloads_are_quarantined_with_their_reason(store: &mut dyn PointStore) {
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

/// The buckets of `points` (good ones) at `res`, computed here from scratch.
fn brute(points: &[Point], res: Resolution, offset: i64) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::new();
    for p in points.iter().filter(|p| p.quality == Quality::Good) {
        let start = res.bucket(p.time_ms, offset);
        match out.iter_mut().find(|b| b.start_ms == start) {
            Some(b) => {
                b.n += 1;
                b.sum += p.value;
                b.min = b.min.min(p.value);
                b.max = b.max.max(p.value);
            }
            None => out.push(Bucket {
                start_ms: start,
                n: 1,
                sum: p.value,
                min: p.value,
                max: p.value,
            }),
        }
    }
    out.sort_by_key(|b| b.start_ms);
    out
}

fn assert_same(got: &[Bucket], want: &[Bucket], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(
            (g.start_ms, g.n, g.min, g.max),
            (w.start_ms, w.n, w.min, w.max),
            "{what}"
        );
        assert!(
            (g.sum - w.sum).abs() < 1e-9 * w.sum.abs().max(1.0),
            "{what}: {g:?} vs {w:?}"
        );
    }
}

/// Rollups at every resolution equal the points they summarise — after out-of-order and late
/// points, redeliveries, corrections and bad points, refreshed a bounded step at a time or by
/// the query itself, and after the day offset moves.
fn rollups_equal_the_points_they_summarise(store: &mut dyn PointStore) {
    let id = store.series(&pv()).expect("series");
    let eight = 8 * HOUR_MS;
    store.set_day_offset_ms(eight).expect("offset");
    // Three local days of 5-minute points from 2025-01-01T00:00+08:00, written out of order in
    // batches, with a sawtooth value.
    let start = 1_735_660_800_000_i64;
    let mut all: Vec<Point> = (0..3 * 288)
        .map(|k| point(start + k * 300_000, (k % 97) as f64 * 1.5 - 20.0, 1))
        .collect();
    all.reverse();
    for chunk in all.chunks(50) {
        let batch: Vec<(i64, Point)> = chunk.iter().map(|p| (id, *p)).collect();
        store.write_points(&batch).expect("writes");
    }
    // A bounded step refreshes at most its budget.
    // Nothing has ended by the first quarter's end but the first quarter.
    assert_eq!(
        store
            .refresh_rollups(100, start + MIN15_MS)
            .expect("refresh"),
        1
    );
    assert_eq!(store.refresh_rollups(5, i64::MAX).expect("refresh"), 5);
    // A redelivery, a correction (higher sequence), a bad point, a late point of the first day.
    let mut bad = point(start + 7 * 300_000 + 60_000, 1e6, 1);
    bad.quality = Quality::Bad;
    store
        .write_points(&[
            (id, point(start, -20.0, 1)),
            (id, point(start + 300_000, 999.0, 2)),
            (id, bad),
            (id, point(start + 11 * 60_000, 42.0, 1)),
        ])
        .expect("writes");
    let stored = store.window(id, i64::MIN, i64::MAX).expect("window");
    let (from, to) = (start - DAY_MS, start + 4 * DAY_MS);
    for res in Resolution::ALL {
        let got = store.aggregate(id, from, to, res).expect("aggregate");
        assert_same(&got, &brute(&stored, res, eight), &format!("{res:?}"));
    }
    assert_eq!(
        store
            .aggregate(id, from, to, Resolution::Day)
            .expect("days")
            .len(),
        3
    );
    assert_eq!(
        store.refresh_rollups(1000, i64::MAX).expect("nothing left"),
        0
    );
    // Days at UTC midnight instead: four partial days.
    store.set_day_offset_ms(0).expect("offset");
    while store.refresh_rollups(100, i64::MAX).expect("refresh") > 0 {}
    let days = store
        .aggregate(id, from, to, Resolution::Day)
        .expect("days");
    assert_same(&days, &brute(&stored, Resolution::Day, 0), "UTC days");
    assert_eq!(days.len(), 4);
    assert!(store.set_day_offset_ms(MIN15_MS + 1).is_err());
}

/// Retention: raw points older than the horizon purged a budget at a time, after their rollups
/// are brought up to date; the rollups kept; a late point for a purged time left out of them.
fn retention_keeps_the_rollups_and_purges_a_budget_at_a_time(store: &mut dyn PointStore) {
    let id = store.series(&pv()).expect("series");
    // 2025-01-01T00:00Z, two days of 5-minute points.
    let t0 = 1_735_689_600_000_i64;
    let points: Vec<(i64, Point)> = (0..576)
        .map(|k| (id, point(t0 + k * 300_000, (k % 50) as f64, 1)))
        .collect();
    store.write_points(&points).expect("writes");
    let now = t0 + 2 * DAY_MS;
    let days = |s: &mut dyn PointStore| s.aggregate(id, t0, now, Resolution::Day).expect("days");
    // Nothing happens without a retention.
    assert_eq!(
        store.purge(now, 1000).expect("purge"),
        parkgrid_store::Purged::default()
    );
    assert!(store.set_retention_ms(Some(1)).is_err());
    store.set_retention_ms(Some(DAY_MS)).expect("retention");
    let before = {
        let mut d = Vec::new();
        // Read through a refresh of the dirty marks first (aggregate does).
        d.extend(days(store));
        d
    };
    assert_eq!(before.len(), 2);
    let mut deleted = 0;
    let mut steps = 0;
    loop {
        let p = store.purge(now, 100).expect("purge");
        assert!(p.points <= 100);
        deleted += p.points;
        steps += 1;
        if !p.more {
            break;
        }
        assert!(steps < 50, "the purge ends");
    }
    assert_eq!(deleted, 288, "the first day's points");
    assert!(steps >= 3, "a budget at a time: {steps} steps");
    let left = store.window(id, i64::MIN, i64::MAX).expect("window");
    assert_eq!(left.len(), 288);
    assert!(left.iter().all(|p| p.time_ms >= t0 + DAY_MS));
    assert_same(&days(store), &before, "the day rollups outlive the points");
    // A late point for the purged day: stored until the next purge, out of the rollups.
    store
        .write_points(&[(id, point(t0 + 3_600_000 + 1, 1e3, 1))])
        .expect("writes");
    assert_same(
        &days(store),
        &before,
        "a late point does not reopen a purged day",
    );
    let p = store.purge(now, 1000).expect("purge");
    assert_eq!((p.points, p.late_quarters, p.more), (1, 1, false));
    // The days move with the offset, rebuilt from the quarters: the purged day included.
    store.set_day_offset_ms(8 * HOUR_MS).expect("offset");
    let moved = store
        .aggregate(id, t0 - DAY_MS, now + DAY_MS, Resolution::Day)
        .expect("days");
    assert_eq!(moved.len(), 3, "{moved:?}");
    assert_eq!(moved.iter().map(|b| b.n).sum::<i64>(), 576);
    store.set_retention_ms(None).expect("for ever");
    assert_eq!(store.purge(now + DAY_MS, 1000).expect("purge").points, 0);
}

fn series_are_listed_and_tokens_kept_by_their_hash(store: &mut dyn PointStore) {
    let id = store.series(&pv()).expect("series");
    let heat = SeriesMeta {
        name: "yanqing/hp_1/heat_kw".into(),
        asset: "hp_1".into(),
        quantity: "heat_kw".into(),
        unit: "kW".into(),
    };
    let heat_id = store.series(&heat).expect("series");
    assert_eq!(
        store.all_series().expect("lists"),
        [(heat_id, heat), (id, pv())],
        "by name"
    );
    let token = |id: &str, hash: &str| TokenRecord {
        id: id.into(),
        sha256_hex: hash.into(),
        role: "tenant".into(),
        tenant: Some("offices".into()),
        label: "offices' portal".into(),
        created_ms: 1_000,
        expires_ms: Some(2_000),
        revoked_ms: None,
    };
    let a = token("a1", "00ff");
    store.add_token(&a).expect("adds");
    assert!(store.add_token(&token("a1", "11ee")).is_err(), "an id once");
    assert!(
        store.add_token(&token("b2", "00ff")).is_err(),
        "a hash once"
    );
    let b = TokenRecord {
        role: "admin".into(),
        tenant: None,
        expires_ms: None,
        created_ms: 1_500,
        ..token("b2", "22dd")
    };
    store.add_token(&b).expect("adds");
    assert_eq!(store.token_by_hash("00ff").expect("reads"), Some(a.clone()));
    assert_eq!(store.token_by_hash("0000").expect("reads"), None);
    assert_eq!(store.tokens().expect("lists"), [a, b.clone()]);
    assert!(store.revoke_token("b2", 3_000).expect("revokes"));
    assert!(
        !store.revoke_token("b2", 4_000).expect("once"),
        "revoked once"
    );
    assert!(
        !store.revoke_token("zz", 4_000).expect("none"),
        "no such token"
    );
    assert_eq!(
        store
            .token_by_hash("22dd")
            .expect("reads")
            .and_then(|t| t.revoked_ms),
        Some(3_000)
    );
}

fn alarms_are_raised_once_per_condition_and_follow_their_lifecycle(store: &mut dyn PointStore) {
    let a = store
        .raise_alarm(
            "stale:pv_roof",
            "warning",
            "pv_roof",
            "no data for 2 steps",
            1_000,
        )
        .expect("raised");
    let again = store
        .raise_alarm(
            "stale:pv_roof",
            "alarm",
            "pv_roof",
            "no data for 3 steps",
            2_000,
        )
        .expect("seen again");
    assert_eq!(a, again, "one open alarm per condition");
    let other = store
        .raise_alarm(
            "device:bess_pcs",
            "alarm",
            "bess_pcs",
            "not answering",
            1_500,
        )
        .expect("raised");
    let open = store.alarms(0, 10).expect("lists");
    assert_eq!(open.len(), 2);
    assert_eq!(open[0].id, other, "newest first");
    let pv = &open[1];
    assert_eq!(
        (
            pv.count,
            pv.last_seen_ms,
            pv.severity.as_str(),
            pv.message.as_str()
        ),
        (2, 2_000, "alarm", "no data for 3 steps")
    );
    let acked = store
        .act_on_alarm(a, &AlarmAction::Acknowledge { by: "tok_1".into() }, 2_500)
        .expect("acknowledges")
        .expect("there");
    assert_eq!(
        (acked.acked_ms, acked.acked_by.as_deref()),
        (Some(2_500), Some("tok_1"))
    );
    let shelved = store
        .act_on_alarm(
            other,
            &AlarmAction::Shelve {
                by: "tok_1".into(),
                until_ms: 9_000,
            },
            2_600,
        )
        .expect("shelves")
        .expect("there");
    assert_eq!(shelved.shelved_until_ms, Some(9_000));
    assert!(
        store
            .act_on_alarm(999, &AlarmAction::Acknowledge { by: "x".into() }, 1)
            .expect("no such alarm")
            .is_none()
    );
    // Seen again at the same severity, the acknowledgement stands; an escalation takes it back.
    store
        .raise_alarm("stale:pv_roof", "alarm", "pv_roof", "still nothing", 2_700)
        .expect("again");
    let kept = store.alarms(0, 10).expect("lists");
    assert_eq!(
        kept.iter().find(|x| x.id == a).and_then(|x| x.acked_ms),
        Some(2_500)
    );
    store
        .raise_alarm(
            "device:bess_pcs",
            "warning",
            "bess_pcs",
            "answering slowly",
            2_800,
        )
        .expect("changed severity");
    let again = store.alarms(0, 10).expect("lists");
    let dev = again.iter().find(|x| x.id == other).expect("there");
    assert_eq!(
        (dev.acked_ms, dev.acked_by.as_deref()),
        (None, None),
        "{dev:?}"
    );
    // Cleared: the condition may be raised anew as another alarm.
    assert!(store.clear_alarm("stale:pv_roof", 3_000).expect("clears"));
    assert!(!store.clear_alarm("stale:pv_roof", 3_100).expect("once"));
    let b = store
        .raise_alarm(
            "stale:pv_roof",
            "warning",
            "pv_roof",
            "no data again",
            4_000,
        )
        .expect("raised anew");
    assert_ne!(a, b);
    // A cleared alarm is not acknowledged after the fact.
    assert!(store.clear_alarm("device:bess_pcs", 3_300).expect("clears"));
    let late = store
        .act_on_alarm(
            other,
            &AlarmAction::Acknowledge { by: "tok_2".into() },
            3_400,
        )
        .expect("acts")
        .expect("there");
    assert_eq!(late.acked_by, None, "{late:?}");
    // Cleared alarms raised before `since` drop out of the list; open ones stay.
    let recent = store.alarms(3_500, 10).expect("lists");
    assert_eq!(
        recent.iter().map(|x| x.id).collect::<Vec<_>>(),
        [b],
        "{recent:?}"
    );
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use parkgrid_store::sqlite::Store;

    fn store() -> Store {
        Store::in_memory().expect("opens")
    }

    #[test]
    fn points_are_stored_once_per_sequence() {
        super::points_are_stored_once_per_sequence(&mut store());
    }

    #[test]
    fn a_failed_batch_writes_nothing_and_a_reopened_store_has_every_commit() {
        let dir = std::env::temp_dir().join(format!("parkgrid-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("park.sqlite");
        let _ = std::fs::remove_file(&path);
        super::write_then_fail(&mut Store::open(&path).expect("opens"));
        super::holds_every_commit(&mut Store::open(&path).expect("reopens"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn meter_intervals_come_from_the_stored_readings() {
        super::meter_intervals_come_from_the_stored_readings(&mut store());
    }

    #[test]
    fn undecodable_payloads_are_quarantined_with_their_reason() {
        super::undecodable_payloads_are_quarantined_with_their_reason(&mut store());
    }

    #[test]
    fn rollups_equal_the_points_they_summarise() {
        super::rollups_equal_the_points_they_summarise(&mut store());
    }

    #[test]
    fn retention_keeps_the_rollups_and_purges_a_budget_at_a_time() {
        super::retention_keeps_the_rollups_and_purges_a_budget_at_a_time(&mut store());
    }

    #[test]
    fn series_are_listed_and_tokens_kept_by_their_hash() {
        super::series_are_listed_and_tokens_kept_by_their_hash(&mut store());
    }

    #[test]
    fn alarms_are_raised_once_per_condition_and_follow_their_lifecycle() {
        super::alarms_are_raised_once_per_condition_and_follow_their_lifecycle(&mut store());
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use parkgrid_store::postgres::Store;

    /// The server's connection parameters; the feature is built to test against one.
    fn params() -> String {
        std::env::var("PARKGRID_TEST_POSTGRES").unwrap_or_else(|_| {
            panic!(
                "feature 'postgres' tests need PARKGRID_TEST_POSTGRES (e.g. \
                 'host=127.0.0.1 user=postgres dbname=test')"
            )
        })
    }

    /// Runs `f` on a store in a fresh schema named after `test`, then drops the schema.
    fn with_store(test: &str, f: impl FnOnce(&mut Store)) {
        let schema = format!("parkgrid_test_{}_{test}", std::process::id());
        let mut store = Store::connect(&params(), &schema).expect("connects");
        f(&mut store);
        store.drop_schema(&schema).expect("drops");
    }

    #[test]
    fn points_are_stored_once_per_sequence() {
        with_store("once", |s| super::points_are_stored_once_per_sequence(s));
    }

    #[test]
    fn a_failed_batch_writes_nothing_and_a_reconnected_store_has_every_commit() {
        let schema = format!("parkgrid_test_{}_reconnect", std::process::id());
        super::write_then_fail(&mut Store::connect(&params(), &schema).expect("connects"));
        let mut again = Store::connect(&params(), &schema).expect("reconnects");
        super::holds_every_commit(&mut again);
        again.drop_schema(&schema).expect("drops");
    }

    #[test]
    fn meter_intervals_come_from_the_stored_readings() {
        with_store("meters", |s| {
            super::meter_intervals_come_from_the_stored_readings(s)
        });
    }

    #[test]
    fn undecodable_payloads_are_quarantined_with_their_reason() {
        with_store("quarantine", |s| {
            super::undecodable_payloads_are_quarantined_with_their_reason(s)
        });
    }

    #[test]
    fn rollups_equal_the_points_they_summarise() {
        with_store("rollups", |s| {
            super::rollups_equal_the_points_they_summarise(s)
        });
    }

    #[test]
    fn retention_keeps_the_rollups_and_purges_a_budget_at_a_time() {
        with_store("retention", |s| {
            super::retention_keeps_the_rollups_and_purges_a_budget_at_a_time(s)
        });
    }

    #[test]
    fn series_are_listed_and_tokens_kept_by_their_hash() {
        with_store("tokens", |s| {
            super::series_are_listed_and_tokens_kept_by_their_hash(s)
        });
    }

    #[test]
    fn alarms_are_raised_once_per_condition_and_follow_their_lifecycle() {
        with_store("alarms", |s| {
            super::alarms_are_raised_once_per_condition_and_follow_their_lifecycle(s)
        });
    }
}
