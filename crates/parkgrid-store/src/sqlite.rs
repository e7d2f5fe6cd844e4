//! The embedded store: one SQLite file in WAL mode (feature `sqlite`).
//!
//! Tables (time in UTC epoch milliseconds, time first after the series, as a TimescaleDB
//! hypertable would have it; the PostgreSQL store has the same shape):
//!
//! - `series(id, name, asset, quantity, unit)`: one row per measured quantity, `name` unique
//!   (the SenML name, e.g. `yanqing/pv_roof/p_kw`);
//! - `points(series_id, time_ms, value, quality, seq)`, key `(series_id, time_ms)`: a point
//!   written again with the same or a lower source sequence is a redelivery and changes nothing;
//!   a higher sequence replaces it (a device's correction);
//! - `meter_readings(point, meter_id, time_ms, value, seq)`, key `(point, meter_id, time_ms)`:
//!   cumulative readings as read — the intervals are derived on reading ([`crate::meter`]);
//! - `quarantine(id, received_ms, source, payload, reason)`: what could not be decoded, with why;
//! - `rollups(series_id, res_ms, bucket_ms, n, sum, min, max)`: good points per 15 minutes,
//!   hour and day, and `rollup_dirty(series_id, bucket_ms)`: the 15-minute buckets written
//!   since their last refresh ([`crate::rollup`]); `settings(key, value)`: the day offset;
//! - `tokens(id, sha256_hex, role, tenant, label, created_ms, expires_ms, revoked_ms)`: the
//!   API's tokens, by their hash ([`crate::TokenRecord`]);
//! - `alarms(id, key, severity, source, message, raised_ms, last_seen_ms, count, acked_ms,
//!   acked_by, shelved_until_ms, cleared_ms)`, at most one open (not cleared) per key
//!   ([`crate::Alarm`]).
//!
//! Several connections may write to one file (the ingester, each Modbus poller, another
//! process): write transactions begin `IMMEDIATE` and wait up to 30 s for the lock.
//!
//! Every write is one transaction; [`Store::write_points`] returns only after the commit, so a
//! caller acknowledges a message only when its points are durable. The file is opened with
//! `journal_mode=WAL` and `synchronous=FULL` (a commit survives a power cut, not only a killed
//! process).

use std::path::Path;

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::maintain;
use crate::meter::{self, Derived, MeterSpec, Reading};
use crate::rollup::{Bucket, Resolution};
use crate::{
    Alarm, AlarmAction, Point, PointStore, Purged, Quality, SeriesMeta, StoreError, TokenRecord,
};

/// The store's upkeep statements ([`crate::maintain`]) on a SQLite transaction (one writer
/// at a time: no rollup lock needed).
struct Ops<'t, 'c>(&'t Transaction<'c>);

impl maintain::Sql for Ops<'_, '_> {
    fn exec(&mut self, sql: &str) -> Result<usize, StoreError> {
        Ok(self.0.execute(sql, [])?)
    }
    fn int(&mut self, sql: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .0
            .query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
            .optional()?
            .flatten())
    }
    fn ints(&mut self, sql: &str) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.0.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
    fn lock_rollups(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The columns of a token, in the order [`token_of`] reads them.
const TOKEN_COLUMNS: &str =
    "id, sha256_hex, role, tenant, label, created_ms, expires_ms, revoked_ms";

fn token_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.get(0)?,
        sha256_hex: r.get(1)?,
        role: r.get(2)?,
        tenant: r.get(3)?,
        label: r.get(4)?,
        created_ms: r.get(5)?,
        expires_ms: r.get(6)?,
        revoked_ms: r.get(7)?,
    })
}

/// The columns of an alarm, in the order [`alarm_of`] reads them.
const ALARM_COLUMNS: &str = "id, key, severity, source, message, raised_ms, last_seen_ms, count, \
                             acked_ms, acked_by, shelved_until_ms, cleared_ms";

fn alarm_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Alarm> {
    Ok(Alarm {
        id: r.get(0)?,
        key: r.get(1)?,
        severity: r.get(2)?,
        source: r.get(3)?,
        message: r.get(4)?,
        raised_ms: r.get(5)?,
        last_seen_ms: r.get(6)?,
        count: r.get(7)?,
        acked_ms: r.get(8)?,
        acked_by: r.get(9)?,
        shelved_until_ms: r.get(10)?,
        cleared_ms: r.get(11)?,
    })
}

/// The embedded store.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if need be) the store in the file `path`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] when the file cannot be opened or is not a store.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// A store in memory (tests).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        // Several connections write (the ingester, the Modbus pollers, another process): a
        // writer waits for the others, and every write transaction takes the write lock when
        // it begins (a read turned write inside a transaction would fail at once).
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS series (
                 id INTEGER PRIMARY KEY,
                 name TEXT NOT NULL UNIQUE,
                 asset TEXT NOT NULL,
                 quantity TEXT NOT NULL,
                 unit TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS points (
                 series_id INTEGER NOT NULL REFERENCES series(id),
                 time_ms INTEGER NOT NULL,
                 value REAL,
                 quality INTEGER NOT NULL,
                 seq INTEGER NOT NULL,
                 PRIMARY KEY (series_id, time_ms)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS meter_readings (
                 point TEXT NOT NULL,
                 meter_id TEXT NOT NULL,
                 time_ms INTEGER NOT NULL,
                 value REAL NOT NULL,
                 seq INTEGER NOT NULL,
                 PRIMARY KEY (point, meter_id, time_ms)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS quarantine (
                 id INTEGER PRIMARY KEY,
                 received_ms INTEGER NOT NULL,
                 source TEXT NOT NULL,
                 payload BLOB NOT NULL,
                 reason TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS rollup_dirty (
                 series_id INTEGER NOT NULL,
                 bucket_ms INTEGER NOT NULL,
                 PRIMARY KEY (series_id, bucket_ms)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS rollups (
                 series_id INTEGER NOT NULL,
                 res_ms INTEGER NOT NULL,
                 bucket_ms INTEGER NOT NULL,
                 n INTEGER NOT NULL,
                 sum REAL NOT NULL,
                 min REAL NOT NULL,
                 max REAL NOT NULL,
                 PRIMARY KEY (series_id, res_ms, bucket_ms)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS settings (
                 key TEXT PRIMARY KEY,
                 value INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS tokens (
                 id TEXT PRIMARY KEY,
                 sha256_hex TEXT NOT NULL UNIQUE,
                 role TEXT NOT NULL,
                 tenant TEXT,
                 label TEXT NOT NULL,
                 created_ms INTEGER NOT NULL,
                 expires_ms INTEGER,
                 revoked_ms INTEGER);
             CREATE TABLE IF NOT EXISTS alarms (
                 id INTEGER PRIMARY KEY,
                 key TEXT NOT NULL,
                 severity TEXT NOT NULL,
                 source TEXT NOT NULL,
                 message TEXT NOT NULL,
                 raised_ms INTEGER NOT NULL,
                 last_seen_ms INTEGER NOT NULL,
                 count INTEGER NOT NULL,
                 acked_ms INTEGER,
                 acked_by TEXT,
                 shelved_until_ms INTEGER,
                 cleared_ms INTEGER);
             CREATE UNIQUE INDEX IF NOT EXISTS alarms_open ON alarms (key)
                 WHERE cleared_ms IS NULL;",
        )?;
        Ok(Store { conn })
    }
}

impl PointStore for Store {
    /// Registers a series (or returns the id it has), by its name.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    fn series(&mut self, meta: &SeriesMeta) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO series (name, asset, quantity, unit) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(name) DO NOTHING",
            params![meta.name, meta.asset, meta.quantity, meta.unit],
        )?;
        Ok(self
            .conn
            .query_row("SELECT id FROM series WHERE name = ?1", [&meta.name], |r| {
                r.get(0)
            })?)
    }

    /// The id of the series named `name`.
    ///
    /// # Errors
    /// [`StoreError::UnknownSeries`].
    fn series_id(&mut self, name: &str) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT id FROM series WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| StoreError::UnknownSeries(name.to_string()))
    }

    fn all_series(&mut self) -> Result<Vec<(i64, SeriesMeta)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, asset, quantity, unit FROM series ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                SeriesMeta {
                    name: r.get(1)?,
                    asset: r.get(2)?,
                    quantity: r.get(3)?,
                    unit: r.get(4)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn add_token(&mut self, t: &TokenRecord) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "INSERT INTO tokens (id, sha256_hex, role, tenant, label, created_ms, expires_ms,
                                 revoked_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
            params![
                t.id,
                t.sha256_hex,
                t.role,
                t.tenant,
                t.label,
                t.created_ms,
                t.expires_ms,
                t.revoked_ms
            ],
        )?;
        if n == 0 {
            return Err(StoreError::Invalid(format!(
                "token '{}' exists already",
                t.id
            )));
        }
        Ok(())
    }

    fn token_by_hash(&mut self, sha256_hex: &str) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE sha256_hex = ?1"),
                [sha256_hex],
                token_of,
            )
            .optional()?)
    }

    fn tokens(&mut self) -> Result<Vec<TokenRecord>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_ms, id"
        ))?;
        let rows = stmt.query_map([], token_of)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn raise_alarm(
        &mut self,
        key: &str,
        severity: &str,
        source: &str,
        message: &str,
        at_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "INSERT INTO alarms (key, severity, source, message, raised_ms, last_seen_ms, count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1)
             ON CONFLICT (key) WHERE cleared_ms IS NULL DO UPDATE
             SET last_seen_ms = excluded.last_seen_ms, count = alarms.count + 1,
                 message = excluded.message, severity = excluded.severity,
                 acked_ms = CASE WHEN alarms.severity = excluded.severity
                                 THEN alarms.acked_ms END,
                 acked_by = CASE WHEN alarms.severity = excluded.severity
                                 THEN alarms.acked_by END
             RETURNING id",
            params![key, severity, source, message, at_ms],
            |r| r.get(0),
        )?)
    }

    fn clear_alarm(&mut self, key: &str, at_ms: i64) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "UPDATE alarms SET cleared_ms = ?2 WHERE key = ?1 AND cleared_ms IS NULL",
            params![key, at_ms],
        )? == 1)
    }

    fn alarms(&mut self, since_ms: i64, limit: usize) -> Result<Vec<Alarm>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ALARM_COLUMNS} FROM alarms WHERE cleared_ms IS NULL OR raised_ms >= ?1
             ORDER BY (cleared_ms IS NULL) DESC, raised_ms DESC, id DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![since_ms, limit as i64], alarm_of)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn act_on_alarm(
        &mut self,
        id: i64,
        action: &AlarmAction,
        at_ms: i64,
    ) -> Result<Option<Alarm>, StoreError> {
        match action {
            AlarmAction::Acknowledge { by } => self.conn.execute(
                "UPDATE alarms SET acked_ms = ?2, acked_by = ?3
                 WHERE id = ?1 AND cleared_ms IS NULL AND acked_ms IS NULL",
                params![id, at_ms, by],
            )?,
            AlarmAction::Shelve { by, until_ms } => self.conn.execute(
                "UPDATE alarms SET shelved_until_ms = ?2, acked_ms = COALESCE(acked_ms, ?3),
                        acked_by = COALESCE(acked_by, ?4) WHERE id = ?1 AND cleared_ms IS NULL",
                params![id, until_ms, at_ms, by],
            )?,
        };
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ALARM_COLUMNS} FROM alarms WHERE id = ?1"),
                [id],
                alarm_of,
            )
            .optional()?)
    }

    fn revoke_token(&mut self, id: &str, at_ms: i64) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "UPDATE tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
            params![id, at_ms],
        )? == 1)
    }

    /// Writes `points` of series `series_id` in one transaction, durable when this returns. A
    /// point already stored with the same or a higher sequence is left as it is (a
    /// redelivery); one with a higher sequence replaces the stored one. Returns the points written or
    /// replaced (a redelivered batch writes 0).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`]; nothing of the batch is written then.
    fn write_points(&mut self, batch: &[(i64, Point)]) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut written = 0;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO points (series_id, time_ms, value, quality, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(series_id, time_ms) DO UPDATE
                 SET value = excluded.value, quality = excluded.quality, seq = excluded.seq
                 WHERE excluded.seq > points.seq",
            )?;
            for (series_id, p) in batch {
                // SQLite stores NaN as NULL: a bad point without a number.
                let value = p.value.is_finite().then_some(p.value);
                written += stmt.execute(params![
                    series_id,
                    p.time_ms,
                    value,
                    p.quality.code(),
                    p.seq
                ])?;
            }
            // The 15-minute buckets touched, for the rollups' next refresh.
            let touched: BTreeSet<(i64, i64)> = batch
                .iter()
                .map(|(s, p)| (*s, Resolution::Min15.bucket(p.time_ms, 0)))
                .collect();
            let mut mark = tx.prepare_cached(
                "INSERT OR IGNORE INTO rollup_dirty (series_id, bucket_ms) VALUES (?1, ?2)",
            )?;
            for (s, b) in touched {
                mark.execute(params![s, b])?;
            }
        }
        tx.commit()?;
        Ok(written)
    }

    /// The points of `series_id` from `from_ms` (inclusive) to `to_ms` (exclusive), in time
    /// order.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    fn window(
        &mut self,
        series_id: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Point>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT time_ms, value, quality, seq FROM points
             WHERE series_id = ?1 AND time_ms >= ?2 AND time_ms < ?3 ORDER BY time_ms",
        )?;
        let rows = stmt.query_map(params![series_id, from_ms, to_ms], |r| {
            Ok(Point {
                time_ms: r.get(0)?,
                value: r.get::<_, Option<f64>>(1)?.unwrap_or(f64::NAN),
                quality: Quality::from_code(r.get(2)?),
                seq: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest good point of `series_id`, if any.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    fn latest(&mut self, series_id: i64) -> Result<Option<Point>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT time_ms, value, quality, seq FROM points
                 WHERE series_id = ?1 AND quality = 0 ORDER BY time_ms DESC LIMIT 1",
                [series_id],
                |r| {
                    Ok(Point {
                        time_ms: r.get(0)?,
                        value: r.get::<_, Option<f64>>(1)?.unwrap_or(f64::NAN),
                        quality: Quality::from_code(r.get(2)?),
                        seq: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Writes cumulative meter readings of the meter point `point` as read (one transaction;
    /// a reading already stored for the same meter and time with the same or a higher
    /// sequence is kept).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    fn write_readings(&mut self, point: &str, readings: &[Reading]) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut written = 0;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO meter_readings (point, meter_id, time_ms, value, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(point, meter_id, time_ms) DO UPDATE
                 SET value = excluded.value, seq = excluded.seq
                 WHERE excluded.seq > meter_readings.seq",
            )?;
            for r in readings.iter().filter(|r| r.value.is_finite()) {
                let seq = r.seq.and_then(|s| i64::try_from(s).ok()).unwrap_or(0);
                written += stmt.execute(params![point, r.meter_id, r.time_ms, r.value, seq])?;
            }
        }
        tx.commit()?;
        Ok(written)
    }

    /// The consumption intervals of the meter point `point` between `from_ms` and `to_ms`,
    /// derived from its stored readings with `spec` ([`meter::intervals`]). The reading just
    /// before `from_ms` is included, so that the first interval starts there.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    fn meter_intervals(
        &mut self,
        point: &str,
        from_ms: i64,
        to_ms: i64,
        spec: &MeterSpec,
    ) -> Result<Derived, StoreError> {
        let start: i64 = self
            .conn
            .query_row(
                "SELECT MAX(time_ms) FROM meter_readings WHERE point = ?1 AND time_ms < ?2",
                params![point, from_ms],
                |r| r.get::<_, Option<i64>>(0),
            )?
            .unwrap_or(from_ms);
        let mut stmt = self.conn.prepare_cached(
            "SELECT meter_id, time_ms, value, seq FROM meter_readings
             WHERE point = ?1 AND time_ms >= ?2 AND time_ms <= ?3 ORDER BY time_ms",
        )?;
        let readings = stmt
            .query_map(params![point, start, to_ms], |r| {
                Ok(Reading {
                    meter_id: r.get(0)?,
                    time_ms: r.get(1)?,
                    value: r.get(2)?,
                    seq: u64::try_from(r.get::<_, i64>(3)?).ok(),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(meter::ending_in(
            meter::intervals(&readings, spec),
            from_ms,
            to_ms,
        ))
    }

    /// Keeps a payload that could not be decoded, with why; returns its id.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    fn quarantine(
        &mut self,
        received_ms: i64,
        source: &str,
        payload: &[u8],
        reason: &str,
    ) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO quarantine (received_ms, source, payload, reason) VALUES (?1, ?2, ?3, ?4)",
            params![received_ms, source, payload, reason],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The quarantined payloads: (id, source, reason), oldest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    fn quarantined(&mut self) -> Result<Vec<(i64, String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, source, reason FROM quarantine ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn set_day_offset_ms(&mut self, offset_ms: i64) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        maintain::set_day_offset(&mut Ops(&tx), offset_ms)?;
        tx.commit()?;
        Ok(())
    }

    fn refresh_rollups(&mut self, budget: usize, ended_by_ms: i64) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = maintain::refresh_ended(&mut Ops(&tx), budget, ended_by_ms)?;
        tx.commit()?;
        Ok(n)
    }

    fn set_retention_ms(&mut self, raw_ms: Option<i64>) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        maintain::set_retention(&mut Ops(&tx), raw_ms)?;
        tx.commit()?;
        Ok(())
    }

    fn purge(&mut self, now_ms: i64, budget: usize) -> Result<Purged, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let done = maintain::purge(&mut Ops(&tx), now_ms, budget)?;
        tx.commit()?;
        Ok(done)
    }

    fn aggregate(
        &mut self,
        series_id: i64,
        from_ms: i64,
        to_ms: i64,
        resolution: Resolution,
    ) -> Result<Vec<Bucket>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        maintain::refresh_series(&mut Ops(&tx), series_id)?;
        let buckets = tx
            .prepare_cached(
                "SELECT bucket_ms, n, sum, min, max FROM rollups
                 WHERE series_id = ?1 AND res_ms = ?2 AND bucket_ms >= ?3 AND bucket_ms < ?4
                 ORDER BY bucket_ms",
            )?
            .query_map(params![series_id, resolution.ms(), from_ms, to_ms], |r| {
                Ok(Bucket {
                    start_ms: r.get(0)?,
                    n: r.get(1)?,
                    sum: r.get(2)?,
                    min: r.get(3)?,
                    max: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok(buckets)
    }
}
