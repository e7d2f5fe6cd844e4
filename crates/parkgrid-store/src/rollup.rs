//! Rollups: a series' good points aggregated per 15 minutes, hour and day, kept by the store so
//! that a month or a year at a coarse resolution is read from a few hundred rows, not from
//! every point.
//!
//! How a store keeps them up to date without stalling ingest (the scheme of TimescaleDB's
//! continuous aggregates): a write marks the 15-minute buckets it touched (`rollup_dirty`);
//! [`crate::PointStore::refresh_rollups`] recomputes up to a budget of marked buckets from the
//! points, then the hours and days holding them from the 15-minute rollups, in one transaction
//! between two commits of the ingester; [`crate::PointStore::aggregate`] first refreshes what
//! is marked for its series, so a query always sees every committed point. A recomputation
//! (not an increment) makes late, out-of-order and corrected points count exactly once.
//!
//! Days start at the park's local midnight: the store keeps the park's UTC offset
//! ([`crate::PointStore::set_day_offset_ms`], a multiple of 15 minutes; +8 h for Asia/Shanghai,
//! whose days start at 16:00 UTC). Hours are aligned the same way (a zone at +5:30 has UTC
//! hours starting at half past).

use serde::Serialize;

/// 15 minutes, ms.
pub const MIN15_MS: i64 = 900_000;
/// An hour, ms.
pub const HOUR_MS: i64 = 3_600_000;
/// A day, ms.
pub const DAY_MS: i64 = 86_400_000;

/// A rollup's bucket length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// 15 minutes.
    Min15,
    /// An hour.
    Hour,
    /// A day (from the store's local midnight).
    Day,
}

impl Resolution {
    /// Every resolution, finest first.
    pub const ALL: [Resolution; 3] = [Resolution::Min15, Resolution::Hour, Resolution::Day];

    /// The bucket's length, ms.
    pub fn ms(self) -> i64 {
        match self {
            Resolution::Min15 => MIN15_MS,
            Resolution::Hour => HOUR_MS,
            Resolution::Day => DAY_MS,
        }
    }

    /// The start of the bucket holding `time_ms` (UTC epoch ms) where local time is UTC +
    /// `utc_offset_ms`: days start at local midnight, hours and quarter hours on local
    /// boundaries.
    pub fn bucket(self, time_ms: i64, utc_offset_ms: i64) -> i64 {
        let len = self.ms();
        let offset = utc_offset_ms.rem_euclid(len);
        (time_ms + offset).div_euclid(len) * len - offset
    }
}

/// The good points of one bucket, aggregated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bucket {
    /// The bucket's start, UTC epoch ms.
    pub start_ms: i64,
    /// Good points in it.
    pub n: i64,
    /// Their sum.
    pub sum: f64,
    /// Their least.
    pub min: f64,
    /// Their greatest.
    pub max: f64,
}

impl Bucket {
    /// The mean of the bucket's points (for a power in kW sampled evenly, its mean power).
    pub fn mean(&self) -> f64 {
        self.sum / self.n as f64
    }
}

/// The table a refresh works through: the marked 15-minute buckets it takes this time (a
/// temporary table of the connection, the same SQL in SQLite and PostgreSQL).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) const BATCH_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS refresh_batch (
    series_id BIGINT NOT NULL, bucket_ms BIGINT NOT NULL)";

/// The statements (SQLite's and PostgreSQL's alike) that recompute the 15-minute buckets in
/// `refresh_batch` from the points, then the hours and days holding them from the 15-minute
/// rollups, and clear the marks — set-based, a few statements per refresh whatever its size.
/// A rollup whose bucket has no good point left is removed. Buckets are aligned on local time
/// = UTC + `utc_offset_ms` ([`Resolution::bucket`], written here as `x − ((x mod len) + len)
/// mod len`, a floor that holds for times before 1970 too).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn refresh_statements(utc_offset_ms: i64) -> Vec<String> {
    let q = MIN15_MS;
    let mut out = vec![
        format!(
            "INSERT INTO rollups (series_id, res_ms, bucket_ms, n, sum, min, max)
             SELECT b.series_id, {q}, b.bucket_ms, count(p.value), sum(p.value), min(p.value),
                    max(p.value)
             FROM refresh_batch b JOIN points p ON p.series_id = b.series_id
                  AND p.time_ms >= b.bucket_ms AND p.time_ms < b.bucket_ms + {q}
                  AND p.quality = 0 AND p.value IS NOT NULL
             WHERE true
             GROUP BY b.series_id, b.bucket_ms
             ON CONFLICT (series_id, res_ms, bucket_ms) DO UPDATE
             SET n = excluded.n, sum = excluded.sum, min = excluded.min, max = excluded.max"
        ),
        format!(
            "DELETE FROM rollups WHERE res_ms = {q} AND (series_id, bucket_ms) IN (
                 SELECT b.series_id, b.bucket_ms FROM refresh_batch b WHERE NOT EXISTS (
                     SELECT 1 FROM points p WHERE p.series_id = b.series_id
                         AND p.time_ms >= b.bucket_ms AND p.time_ms < b.bucket_ms + {q}
                         AND p.quality = 0 AND p.value IS NOT NULL))"
        ),
    ];
    for res in [Resolution::Hour, Resolution::Day] {
        let len = res.ms();
        let off = utc_offset_ms.rem_euclid(len);
        let start = format!(
            "(b.bucket_ms + {off}) - (((b.bucket_ms + {off}) % {len}) + {len}) % {len} - {off}"
        );
        let coarse = format!("SELECT DISTINCT b.series_id, {start} AS start FROM refresh_batch b");
        out.push(format!(
            "INSERT INTO rollups (series_id, res_ms, bucket_ms, n, sum, min, max)
             SELECT c.series_id, {len}, c.start, sum(r.n), sum(r.sum), min(r.min), max(r.max)
             FROM ({coarse}) c JOIN rollups r ON r.series_id = c.series_id AND r.res_ms = {q}
                  AND r.bucket_ms >= c.start AND r.bucket_ms < c.start + {len}
             WHERE true
             GROUP BY c.series_id, c.start
             ON CONFLICT (series_id, res_ms, bucket_ms) DO UPDATE
             SET n = excluded.n, sum = excluded.sum, min = excluded.min, max = excluded.max"
        ));
        out.push(format!(
            "DELETE FROM rollups WHERE res_ms = {len} AND (series_id, bucket_ms) IN (
                 SELECT c.series_id, c.start FROM ({coarse}) c WHERE NOT EXISTS (
                     SELECT 1 FROM rollups r WHERE r.series_id = c.series_id AND r.res_ms = {q}
                         AND r.bucket_ms >= c.start AND r.bucket_ms < c.start + {len}))"
        ));
    }
    out.push(
        "DELETE FROM rollup_dirty WHERE (series_id, bucket_ms) IN (
             SELECT series_id, bucket_ms FROM refresh_batch)"
            .into(),
    );
    out.push("DELETE FROM refresh_batch".into());
    out
}

/// The statements that build every hour and day from all the 15-minute rollups (after the
/// day offset changed): the same aggregation as [`refresh_statements`]' over every quarter.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn coarse_from_all_quarters(utc_offset_ms: i64) -> Vec<String> {
    let q = MIN15_MS;
    [Resolution::Hour, Resolution::Day]
        .into_iter()
        .map(|res| {
            let len = res.ms();
            let off = utc_offset_ms.rem_euclid(len);
            let start = format!(
                "(r.bucket_ms + {off}) - (((r.bucket_ms + {off}) % {len}) + {len}) % {len} - {off}"
            );
            format!(
                "INSERT INTO rollups (series_id, res_ms, bucket_ms, n, sum, min, max)
                 SELECT r.series_id, {len}, {start}, sum(r.n), sum(r.sum), min(r.min), max(r.max)
                 FROM rollups r WHERE r.res_ms = {q}
                 GROUP BY r.series_id, {start}
                 ON CONFLICT (series_id, res_ms, bucket_ms) DO UPDATE
                 SET n = excluded.n, sum = excluded.sum, min = excluded.min, max = excluded.max"
            )
        })
        .collect()
}

/// Checks a day offset: a multiple of 15 minutes within a day either way.
///
/// # Errors
/// A message saying what is wrong.
pub fn check_day_offset(day_offset_ms: i64) -> Result<(), String> {
    if day_offset_ms % MIN15_MS != 0 || day_offset_ms.abs() >= DAY_MS {
        return Err(format!(
            "a day offset of {day_offset_ms} ms: it must be a multiple of 15 minutes \
             (900,000 ms) and less than a day"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_at_local_boundaries() {
        let eight = 8 * HOUR_MS;
        // 2025-01-01T00:00+08:00 is 2024-12-31T16:00Z.
        let midnight_local = 1_735_660_800_000;
        assert_eq!(
            Resolution::Day.bucket(midnight_local, eight),
            midnight_local
        );
        assert_eq!(
            Resolution::Day.bucket(midnight_local + DAY_MS - 1, eight),
            midnight_local
        );
        assert_eq!(
            Resolution::Day.bucket(midnight_local - 1, eight),
            midnight_local - DAY_MS
        );
        // Half-past hours at +5:30.
        let off = 5 * HOUR_MS + 30 * 60_000;
        assert_eq!(Resolution::Hour.bucket(off + 10, off), off);
        assert_eq!(Resolution::Hour.bucket(off - 10, off), off - HOUR_MS);
        assert_eq!(Resolution::Min15.bucket(-1, 0), -MIN15_MS);
        assert!(check_day_offset(eight).is_ok());
        assert!(check_day_offset(-eight).is_ok());
        assert!(check_day_offset(1).is_err());
        assert!(check_day_offset(DAY_MS).is_err());
    }
}
