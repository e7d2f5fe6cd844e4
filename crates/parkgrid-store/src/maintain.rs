//! The store's upkeep — rollups brought up to date, the day offset, retention — written once
//! for both databases: every statement is plain SQL that SQLite and PostgreSQL read alike, its
//! numbers written into it (integers the store computed, never text from outside), run inside
//! the caller's transaction through [`Sql`].
//!
//! **Retention.** With a raw retention set ([`crate::PointStore::set_retention_ms`]), a purge
//! first brings the rollups of everything older than the horizon (now − retention, on a quarter
//! hour) up to date, then moves the store's purge horizon there (`purged_before_ms`) and deletes
//! the older points, a budget at a time, series by series along their key (no scan of the
//! table). The rollups stay. A point that arrives later for a time before the horizon is stored
//! until the next purge but no longer changes the rollups (its quarter's other points are gone:
//! recomputing it would lose them); each purge reports how many quarters were left so — the
//! scheme TimescaleDB's continuous aggregates follow for data older than their refresh window.

use crate::rollup::{self, MIN15_MS, Resolution};
use crate::{Purged, StoreError};

/// What a store's upkeep needs of its database, inside one transaction.
pub(crate) trait Sql {
    /// Runs a statement; returns the rows it changed.
    fn exec(&mut self, sql: &str) -> Result<usize, StoreError>;
    /// The first column of the first row of a query, if any (NULL: `None`).
    fn int(&mut self, sql: &str) -> Result<Option<i64>, StoreError>;
    /// The first column of every row of a query.
    fn ints(&mut self, sql: &str) -> Result<Vec<i64>, StoreError>;
    /// Takes the lock under which rollups are changed (several instances on one database take
    /// turns; a single-writer database needs none).
    fn lock_rollups(&mut self) -> Result<(), StoreError>;
}

/// A setting of the store (`None` until set).
pub(crate) fn setting(sql: &mut dyn Sql, key: &str) -> Result<Option<i64>, StoreError> {
    sql.int(&format!("SELECT value FROM settings WHERE key = '{key}'"))
}

fn set(sql: &mut dyn Sql, key: &str, value: i64) -> Result<(), StoreError> {
    sql.exec(&format!(
        "INSERT INTO settings (key, value) VALUES ('{key}', {value})
         ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    ))?;
    Ok(())
}

/// Recomputes up to `budget` marked quarters (oldest series first) that satisfy `condition`
/// (SQL over `rollup_dirty`'s `series_id` and `bucket_ms`), and the hours and days holding them;
/// returns how many. Quarters before the purge horizon are not recomputed (their points are
/// gone); the horizon is applied before the budget, so a return below the budget means nothing
/// so marked is left.
pub(crate) fn refresh(
    sql: &mut dyn Sql,
    condition: &str,
    budget: usize,
) -> Result<usize, StoreError> {
    sql.lock_rollups()?;
    let offset = setting(sql, "day_offset_ms")?.unwrap_or(0);
    let horizon = setting(sql, "purged_before_ms")?.unwrap_or(i64::MIN);
    sql.exec(rollup::BATCH_TABLE)?;
    sql.exec("DELETE FROM refresh_batch")?;
    let n = sql.exec(&format!(
        "INSERT INTO refresh_batch (series_id, bucket_ms)
         SELECT series_id, bucket_ms FROM rollup_dirty
         WHERE bucket_ms >= {horizon} AND ({condition})
         ORDER BY series_id, bucket_ms LIMIT {budget}"
    ))?;
    if n > 0 {
        for statement in rollup::refresh_statements(offset) {
            sql.exec(&statement)?;
        }
    }
    Ok(n)
}

/// The marked quarters up to `budget`, oldest series first, that ended by `ended_by_ms`.
pub(crate) fn refresh_ended(
    sql: &mut dyn Sql,
    budget: usize,
    ended_by_ms: i64,
) -> Result<usize, StoreError> {
    let last_start = ended_by_ms.saturating_sub(MIN15_MS);
    refresh(sql, &format!("bucket_ms <= {last_start}"), budget)
}

/// Every marked quarter of `series_id`.
pub(crate) fn refresh_series(sql: &mut dyn Sql, series_id: i64) -> Result<usize, StoreError> {
    refresh(sql, &format!("series_id = {series_id}"), usize::MAX >> 1)
}

/// Sets the store's day offset; when it changes, the hours and days are rebuilt from every
/// quarter.
pub(crate) fn set_day_offset(sql: &mut dyn Sql, offset_ms: i64) -> Result<(), StoreError> {
    rollup::check_day_offset(offset_ms).map_err(StoreError::Invalid)?;
    sql.lock_rollups()?;
    if setting(sql, "day_offset_ms")?.unwrap_or(0) != offset_ms {
        set(sql, "day_offset_ms", offset_ms)?;
        // Hours and days move: rebuilt from the quarters, which hold what purged points said.
        sql.exec(&format!("DELETE FROM rollups WHERE res_ms <> {MIN15_MS}"))?;
        for statement in rollup::coarse_from_all_quarters(offset_ms) {
            sql.exec(&statement)?;
        }
    }
    Ok(())
}

/// Sets how long raw points are kept (`None`: for ever).
pub(crate) fn set_retention(sql: &mut dyn Sql, raw_ms: Option<i64>) -> Result<(), StoreError> {
    match raw_ms {
        Some(ms) if ms < MIN15_MS => Err(StoreError::Invalid(format!(
            "a raw retention of {ms} ms: keep points at least 15 minutes (900,000 ms)"
        ))),
        Some(ms) => set(sql, "retention_ms", ms),
        None => {
            sql.exec("DELETE FROM settings WHERE key = 'retention_ms'")?;
            Ok(())
        }
    }
}

/// One bounded purge at `now_ms` (see the module's documentation).
pub(crate) fn purge(sql: &mut dyn Sql, now_ms: i64, budget: usize) -> Result<Purged, StoreError> {
    let mut done = Purged::default();
    let Some(retention) = setting(sql, "retention_ms")? else {
        return Ok(done);
    };
    let budget = budget.max(1);
    let cutoff = Resolution::Min15.bucket(now_ms.saturating_sub(retention), 0);
    let horizon = setting(sql, "purged_before_ms")?.unwrap_or(i64::MIN);
    // Marks of quarters the horizon has passed: their points came late; they stay out.
    done.late_quarters = sql.exec(&format!(
        "DELETE FROM rollup_dirty WHERE bucket_ms < {horizon}"
    ))?;
    // The rollups of everything before the new horizon first, a budget at a time.
    refresh(sql, &format!("bucket_ms < {cutoff}"), budget)?;
    let left = sql.int(&format!(
        "SELECT count(*) FROM rollup_dirty WHERE bucket_ms >= {horizon} AND bucket_ms < {cutoff}"
    ))?;
    if left.unwrap_or(0) > 0 {
        done.more = true;
        return Ok(done);
    }
    if cutoff > horizon {
        set(sql, "purged_before_ms", cutoff)?;
    }
    for series in sql.ints("SELECT id FROM series ORDER BY id")? {
        let room = budget - done.points;
        if room == 0 {
            done.more = true;
            break;
        }
        // The oldest `room` points of the series at most.
        let bound = sql.int(&format!(
            "SELECT time_ms FROM points WHERE series_id = {series} AND time_ms < {cutoff}
             ORDER BY time_ms LIMIT 1 OFFSET {room}"
        ))?;
        done.points += sql.exec(&format!(
            "DELETE FROM points WHERE series_id = {series} AND time_ms < {}",
            bound.unwrap_or(cutoff)
        ))?;
        if bound.is_some() {
            done.more = true;
            break;
        }
    }
    Ok(done)
}
