//! The shared store: PostgreSQL (feature `postgres`), for several `serve` instances on one
//! database.
//!
//! The tables are those of the SQLite store ([`crate::sqlite`]) in PostgreSQL's types, plain
//! tables with the time first after the series — the shape a TimescaleDB hypertable takes, with no
//! extension required. A batch of points is one statement (`INSERT … SELECT FROM UNNEST(…)`, an
//! upsert only when a plain insert meets a row already there) in one transaction: durable when
//! [`PointStore::write_points`] returns (PostgreSQL's commit).
//! Every table lives in the connection's schema (`search_path`), so a test or a park can keep its
//! own.
//!
//! Points carry no foreign key to their series (a store made before has its key dropped when
//! first opened; the table is locked for that only when the key is there): PostgreSQL checks one per row, which took more than half of an insert's time
//! (500,000 points in batches of 50,000: 4.6 s with the key, 2.0 s without, PostgreSQL 15 on
//! this project's 2-core machine). Every writer registers a series ([`PointStore::series`])
//! before its first point.

use std::collections::BTreeSet;

use ::postgres::{Client, NoTls, Transaction};

use crate::maintain;
use crate::meter::{self, Derived, MeterSpec, Reading};
use crate::rollup::{Bucket, Resolution};
use crate::{
    Alarm, AlarmAction, Point, PointStore, Purged, Quality, SeriesMeta, StoreError, TokenRecord,
};

/// Rollup refreshes of all instances on one database take turns (two computing the same hour
/// from different snapshots would each miss the other's quarter).
const ROLLUP_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('parkgrid-store rollups'))";

/// What a writer of points takes: the same lock, shared (see `write_points`).
const ROLLUP_LOCK_SHARED: &str =
    "SELECT pg_advisory_xact_lock_shared(hashtext('parkgrid-store rollups'))";

/// The store's upkeep statements ([`crate::maintain`]) on a PostgreSQL transaction.
struct Ops<'t, 'c>(&'t mut Transaction<'c>);

impl maintain::Sql for Ops<'_, '_> {
    fn exec(&mut self, sql: &str) -> Result<usize, StoreError> {
        Ok(usize::try_from(self.0.execute(sql, &[])?).unwrap_or(usize::MAX))
    }
    fn int(&mut self, sql: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .0
            .query_opt(sql, &[])?
            .and_then(|r| r.get::<_, Option<i64>>(0)))
    }
    fn ints(&mut self, sql: &str) -> Result<Vec<i64>, StoreError> {
        Ok(self.0.query(sql, &[])?.iter().map(|r| r.get(0)).collect())
    }
    fn lock_rollups(&mut self) -> Result<(), StoreError> {
        self.0.batch_execute(ROLLUP_LOCK)?;
        Ok(())
    }
}

/// The shared store on one connection.
pub struct Store {
    client: Client,
    /// Series ids known to exist (the table has no foreign key; see the module's documentation).
    known: std::collections::HashSet<i64>,
}

/// A batch of points as the statements take it (one array per column), and the 15-minute
/// buckets it touches.
struct Columns<'a> {
    ids: &'a [i64],
    times: &'a [i64],
    values: &'a [Option<f64>],
    qualities: &'a [i16],
    seqs: &'a [i64],
    series: &'a [i64],
    buckets: &'a [i64],
}

impl Store {
    /// Writes `c` in one transaction: as a plain insert, or (`upsert`) keeping of a series and
    /// time the point with the highest sequence. Returns the rows written or changed.
    fn insert(&mut self, c: &Columns<'_>, upsert: bool) -> Result<u64, ::postgres::Error> {
        let mut tx = self.client.transaction()?;
        // A refresh of the rollups (the same lock, exclusive) does not run while points are
        // written: a point committed into a quarter being refreshed would find its mark there,
        // and the refresh would clear it having read the quarter without the point.
        tx.batch_execute(ROLLUP_LOCK_SHARED)?;
        let insert = "INSERT INTO points (series_id, time_ms, value, quality, seq)
             SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::DOUBLE PRECISION[],
                                  $4::SMALLINT[], $5::BIGINT[])";
        let sql = if upsert {
            format!(
                "{insert} ON CONFLICT (series_id, time_ms) DO UPDATE
                 SET value = excluded.value, quality = excluded.quality, seq = excluded.seq
                 WHERE excluded.seq > points.seq"
            )
        } else {
            insert.to_string()
        };
        let n = tx.execute(&sql, &[&c.ids, &c.times, &c.values, &c.qualities, &c.seqs])?;
        tx.execute(
            "INSERT INTO rollup_dirty (series_id, bucket_ms)
             SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[])
             ON CONFLICT DO NOTHING",
            &[&c.series, &c.buckets],
        )?;
        tx.commit()?;
        Ok(n)
    }
}

impl Store {
    /// Connects with `params` (e.g. `host=127.0.0.1 user=postgres dbname=test`, or a
    /// `postgres://` URL), works in `schema` (created if missing) and creates the tables there.
    ///
    /// # Errors
    /// [`StoreError::Postgres`] when the server cannot be reached or refuses.
    pub fn connect(params: &str, schema: &str) -> Result<Self, StoreError> {
        let mut client = Client::connect(params, NoTls)?;
        let schema = quote_ident(schema);
        // Several instances may start at once: the schema is made under a lock (two
        // `CREATE … IF NOT EXISTS` at the same moment can both try to create).
        client.batch_execute(&format!(
            "BEGIN;
             SELECT pg_advisory_xact_lock(hashtext('parkgrid-store schema'));
             CREATE SCHEMA IF NOT EXISTS {schema};
             SET search_path TO {schema};
             CREATE TABLE IF NOT EXISTS series (
                 id BIGSERIAL PRIMARY KEY,
                 name TEXT NOT NULL UNIQUE,
                 asset TEXT NOT NULL,
                 quantity TEXT NOT NULL,
                 unit TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS points (
                 series_id BIGINT NOT NULL,
                 time_ms BIGINT NOT NULL,
                 value DOUBLE PRECISION,
                 quality SMALLINT NOT NULL,
                 seq BIGINT NOT NULL,
                 PRIMARY KEY (series_id, time_ms));
             DO $$ BEGIN
                 IF EXISTS (SELECT 1 FROM pg_constraint
                            WHERE conname = 'points_series_id_fkey'
                              AND conrelid = 'points'::regclass) THEN
                     ALTER TABLE points DROP CONSTRAINT points_series_id_fkey;
                 END IF;
             END $$;
             CREATE TABLE IF NOT EXISTS meter_readings (
                 point TEXT NOT NULL,
                 meter_id TEXT NOT NULL,
                 time_ms BIGINT NOT NULL,
                 value DOUBLE PRECISION NOT NULL,
                 seq BIGINT NOT NULL,
                 PRIMARY KEY (point, meter_id, time_ms));
             CREATE TABLE IF NOT EXISTS quarantine (
                 id BIGSERIAL PRIMARY KEY,
                 received_ms BIGINT NOT NULL,
                 source TEXT NOT NULL,
                 payload BYTEA NOT NULL,
                 reason TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS rollup_dirty (
                 series_id BIGINT NOT NULL,
                 bucket_ms BIGINT NOT NULL,
                 PRIMARY KEY (series_id, bucket_ms));
             CREATE TABLE IF NOT EXISTS rollups (
                 series_id BIGINT NOT NULL,
                 res_ms BIGINT NOT NULL,
                 bucket_ms BIGINT NOT NULL,
                 n BIGINT NOT NULL,
                 sum DOUBLE PRECISION NOT NULL,
                 min DOUBLE PRECISION NOT NULL,
                 max DOUBLE PRECISION NOT NULL,
                 PRIMARY KEY (series_id, res_ms, bucket_ms));
             CREATE TABLE IF NOT EXISTS settings (
                 key TEXT PRIMARY KEY,
                 value BIGINT NOT NULL);
             CREATE TABLE IF NOT EXISTS tokens (
                 id TEXT PRIMARY KEY,
                 sha256_hex TEXT NOT NULL UNIQUE,
                 role TEXT NOT NULL,
                 tenant TEXT,
                 label TEXT NOT NULL,
                 created_ms BIGINT NOT NULL,
                 expires_ms BIGINT,
                 revoked_ms BIGINT);
             CREATE TABLE IF NOT EXISTS alarms (
                 id BIGSERIAL PRIMARY KEY,
                 key TEXT NOT NULL,
                 severity TEXT NOT NULL,
                 source TEXT NOT NULL,
                 message TEXT NOT NULL,
                 raised_ms BIGINT NOT NULL,
                 last_seen_ms BIGINT NOT NULL,
                 count BIGINT NOT NULL,
                 acked_ms BIGINT,
                 acked_by TEXT,
                 shelved_until_ms BIGINT,
                 cleared_ms BIGINT);
             CREATE UNIQUE INDEX IF NOT EXISTS alarms_open ON alarms (key)
                 WHERE cleared_ms IS NULL;
             COMMIT;"
        ))?;
        Ok(Store {
            client,
            known: std::collections::HashSet::new(),
        })
    }

    /// Drops `schema` and everything in it (tests clean up with it).
    ///
    /// # Errors
    /// [`StoreError::Postgres`].
    pub fn drop_schema(mut self, schema: &str) -> Result<(), StoreError> {
        self.client.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            quote_ident(schema)
        ))?;
        Ok(())
    }
}

/// `name` as a quoted SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The columns of a token, in the order [`token_of`] reads them.
const TOKEN_COLUMNS: &str =
    "id, sha256_hex, role, tenant, label, created_ms, expires_ms, revoked_ms";

fn token_of(r: &::postgres::Row) -> TokenRecord {
    TokenRecord {
        id: r.get(0),
        sha256_hex: r.get(1),
        role: r.get(2),
        tenant: r.get(3),
        label: r.get(4),
        created_ms: r.get(5),
        expires_ms: r.get(6),
        revoked_ms: r.get(7),
    }
}

/// The columns of an alarm, in the order [`alarm_of`] reads them.
const ALARM_COLUMNS: &str = "id, key, severity, source, message, raised_ms, last_seen_ms, count, \
                             acked_ms, acked_by, shelved_until_ms, cleared_ms";

fn alarm_of(r: &::postgres::Row) -> Alarm {
    Alarm {
        id: r.get(0),
        key: r.get(1),
        severity: r.get(2),
        source: r.get(3),
        message: r.get(4),
        raised_ms: r.get(5),
        last_seen_ms: r.get(6),
        count: r.get(7),
        acked_ms: r.get(8),
        acked_by: r.get(9),
        shelved_until_ms: r.get(10),
        cleared_ms: r.get(11),
    }
}

fn point_of(row: &::postgres::Row) -> Point {
    Point {
        time_ms: row.get(0),
        value: row.get::<_, Option<f64>>(1).unwrap_or(f64::NAN),
        quality: Quality::from_code(i64::from(row.get::<_, i16>(2))),
        seq: row.get(3),
    }
}

impl PointStore for Store {
    fn series(&mut self, meta: &SeriesMeta) -> Result<i64, StoreError> {
        self.client.execute(
            "INSERT INTO series (name, asset, quantity, unit) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO NOTHING",
            &[&meta.name, &meta.asset, &meta.quantity, &meta.unit],
        )?;
        self.series_id(&meta.name)
    }

    fn series_id(&mut self, name: &str) -> Result<i64, StoreError> {
        let id: i64 = self
            .client
            .query_opt("SELECT id FROM series WHERE name = $1", &[&name])?
            .map(|r| r.get(0))
            .ok_or_else(|| StoreError::UnknownSeries(name.to_string()))?;
        self.known.insert(id);
        Ok(id)
    }

    fn all_series(&mut self) -> Result<Vec<(i64, SeriesMeta)>, StoreError> {
        Ok(self
            .client
            .query(
                "SELECT id, name, asset, quantity, unit FROM series ORDER BY name COLLATE \"C\"",
                &[],
            )?
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    SeriesMeta {
                        name: r.get(1),
                        asset: r.get(2),
                        quantity: r.get(3),
                        unit: r.get(4),
                    },
                )
            })
            .collect())
    }

    fn add_token(&mut self, t: &TokenRecord) -> Result<(), StoreError> {
        let n = self.client.execute(
            "INSERT INTO tokens (id, sha256_hex, role, tenant, label, created_ms, expires_ms,
                                 revoked_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            &[
                &t.id,
                &t.sha256_hex,
                &t.role,
                &t.tenant,
                &t.label,
                &t.created_ms,
                &t.expires_ms,
                &t.revoked_ms,
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
            .client
            .query_opt(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE sha256_hex = $1"),
                &[&sha256_hex],
            )?
            .map(|r| token_of(&r)))
    }

    fn tokens(&mut self) -> Result<Vec<TokenRecord>, StoreError> {
        Ok(self
            .client
            .query(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_ms, id"),
                &[],
            )?
            .iter()
            .map(token_of)
            .collect())
    }

    fn raise_alarm(
        &mut self,
        key: &str,
        severity: &str,
        source: &str,
        message: &str,
        at_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(self
            .client
            .query_one(
                "INSERT INTO alarms (key, severity, source, message, raised_ms, last_seen_ms, count)
                 VALUES ($1, $2, $3, $4, $5, $5, 1)
                 ON CONFLICT (key) WHERE cleared_ms IS NULL DO UPDATE
                 SET last_seen_ms = excluded.last_seen_ms, count = alarms.count + 1,
                     message = excluded.message, severity = excluded.severity,
                     acked_ms = CASE WHEN alarms.severity = excluded.severity
                                         THEN alarms.acked_ms END,
                     acked_by = CASE WHEN alarms.severity = excluded.severity
                                         THEN alarms.acked_by END
                 RETURNING id",
                &[&key, &severity, &source, &message, &at_ms],
            )?
            .get(0))
    }

    fn clear_alarm(&mut self, key: &str, at_ms: i64) -> Result<bool, StoreError> {
        Ok(self.client.execute(
            "UPDATE alarms SET cleared_ms = $2 WHERE key = $1 AND cleared_ms IS NULL",
            &[&key, &at_ms],
        )? == 1)
    }

    fn alarms(&mut self, since_ms: i64, limit: usize) -> Result<Vec<Alarm>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(self
            .client
            .query(
                &format!(
                    "SELECT {ALARM_COLUMNS} FROM alarms WHERE cleared_ms IS NULL OR raised_ms >= $1
                     ORDER BY (cleared_ms IS NULL) DESC, raised_ms DESC, id DESC LIMIT $2"
                ),
                &[&since_ms, &limit],
            )?
            .iter()
            .map(alarm_of)
            .collect())
    }

    fn act_on_alarm(
        &mut self,
        id: i64,
        action: &AlarmAction,
        at_ms: i64,
    ) -> Result<Option<Alarm>, StoreError> {
        match action {
            AlarmAction::Acknowledge { by } => self.client.execute(
                "UPDATE alarms SET acked_ms = $2, acked_by = $3
                 WHERE id = $1 AND cleared_ms IS NULL AND acked_ms IS NULL",
                &[&id, &at_ms, by],
            )?,
            AlarmAction::Shelve { by, until_ms } => self.client.execute(
                "UPDATE alarms SET shelved_until_ms = $2, acked_ms = COALESCE(acked_ms, $3),
                        acked_by = COALESCE(acked_by, $4) WHERE id = $1 AND cleared_ms IS NULL",
                &[&id, until_ms, &at_ms, by],
            )?,
        };
        Ok(self
            .client
            .query_opt(
                &format!("SELECT {ALARM_COLUMNS} FROM alarms WHERE id = $1"),
                &[&id],
            )?
            .map(|r| alarm_of(&r)))
    }

    fn revoke_token(&mut self, id: &str, at_ms: i64) -> Result<bool, StoreError> {
        Ok(self.client.execute(
            "UPDATE tokens SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
            &[&id, &at_ms],
        )? == 1)
    }

    fn write_points(&mut self, batch: &[(i64, Point)]) -> Result<usize, StoreError> {
        // A point of a series the store does not have refuses the batch whole (what a foreign
        // key would do, asked once per batch for the ids not seen before).
        let unseen: Vec<i64> = batch
            .iter()
            .map(|(s, _)| *s)
            .filter(|s| !self.known.contains(s))
            .collect::<BTreeSet<i64>>()
            .into_iter()
            .collect();
        if !unseen.is_empty() {
            for row in self
                .client
                .query("SELECT id FROM series WHERE id = ANY($1)", &[&unseen])?
            {
                self.known.insert(row.get(0));
            }
            if let Some(missing) = unseen.iter().find(|s| !self.known.contains(s)) {
                return Err(StoreError::UnknownSeries(format!("id {missing}")));
            }
        }
        // One statement may not touch a row twice: of the batch's points with the same series
        // and time, the one with the highest sequence (the first one given, at equal sequence)
        // goes in — what the row-by-row SQLite store ends with.
        let mut latest: std::collections::HashMap<(i64, i64), usize> =
            std::collections::HashMap::with_capacity(batch.len());
        for (i, (s, p)) in batch.iter().enumerate() {
            latest
                .entry((*s, p.time_ms))
                .and_modify(|k| {
                    if p.seq > batch[*k].1.seq {
                        *k = i;
                    }
                })
                .or_insert(i);
        }
        let mut keep: Vec<usize> = latest.into_values().collect();
        keep.sort_unstable();
        let batch: Vec<(i64, Point)> = keep.into_iter().map(|i| batch[i]).collect();
        let batch = batch.as_slice();
        let ids: Vec<i64> = batch.iter().map(|(s, _)| *s).collect();
        let times: Vec<i64> = batch.iter().map(|(_, p)| p.time_ms).collect();
        let values: Vec<Option<f64>> = batch
            .iter()
            .map(|(_, p)| p.value.is_finite().then_some(p.value))
            .collect();
        let qualities: Vec<i16> = batch.iter().map(|(_, p)| p.quality.code() as i16).collect();
        let seqs: Vec<i64> = batch.iter().map(|(_, p)| p.seq).collect();
        // The 15-minute buckets touched, for the rollups' next refresh.
        let touched: BTreeSet<(i64, i64)> = batch
            .iter()
            .map(|(s, p)| (*s, Resolution::Min15.bucket(p.time_ms, 0)))
            .collect();
        let (series, buckets): (Vec<i64>, Vec<i64>) = touched.into_iter().unzip();
        let columns = Columns {
            ids: &ids,
            times: &times,
            values: &values,
            qualities: &qualities,
            seqs: &seqs,
            series: &series,
            buckets: &buckets,
        };
        // Live telemetry is new: a plain insert first. PostgreSQL's speculative insertion for
        // ON CONFLICT costs about twice a plain insert (500,000 rows into the points table in
        // batches of 50,000: 3.3 s as upserts, 1.5 s as inserts, PostgreSQL 15 on this
        // project's 2-core machine). A batch that meets a row already stored (a message
        // delivered again after a crash) fails whole with a unique violation, is rolled back,
        // and goes in as the upsert.
        let n = match self.insert(&columns, false) {
            Err(e) if e.code() == Some(&::postgres::error::SqlState::UNIQUE_VIOLATION) => {
                self.insert(&columns, true)?
            }
            other => other?,
        };
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn window(
        &mut self,
        series_id: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Point>, StoreError> {
        let rows = self.client.query(
            "SELECT time_ms, value, quality, seq FROM points
             WHERE series_id = $1 AND time_ms >= $2 AND time_ms < $3 ORDER BY time_ms",
            &[&series_id, &from_ms, &to_ms],
        )?;
        Ok(rows.iter().map(point_of).collect())
    }

    fn latest(&mut self, series_id: i64) -> Result<Option<Point>, StoreError> {
        Ok(self
            .client
            .query_opt(
                "SELECT time_ms, value, quality, seq FROM points
                 WHERE series_id = $1 AND quality = 0 ORDER BY time_ms DESC LIMIT 1",
                &[&series_id],
            )?
            .as_ref()
            .map(point_of))
    }

    fn write_readings(&mut self, point: &str, readings: &[Reading]) -> Result<usize, StoreError> {
        let mut tx = self.client.transaction()?;
        let stmt = tx.prepare(
            "INSERT INTO meter_readings (point, meter_id, time_ms, value, seq)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (point, meter_id, time_ms) DO UPDATE
             SET value = excluded.value, seq = excluded.seq
             WHERE excluded.seq > meter_readings.seq",
        )?;
        let mut written = 0;
        for r in readings.iter().filter(|r| r.value.is_finite()) {
            let seq = r.seq.and_then(|s| i64::try_from(s).ok()).unwrap_or(0);
            written += tx.execute(&stmt, &[&point, &r.meter_id, &r.time_ms, &r.value, &seq])?;
        }
        tx.commit()?;
        Ok(written as usize)
    }

    fn meter_intervals(
        &mut self,
        point: &str,
        from_ms: i64,
        to_ms: i64,
        spec: &MeterSpec,
    ) -> Result<Derived, StoreError> {
        let start: i64 = self
            .client
            .query_one(
                "SELECT MAX(time_ms) FROM meter_readings WHERE point = $1 AND time_ms < $2",
                &[&point, &from_ms],
            )?
            .get::<_, Option<i64>>(0)
            .unwrap_or(from_ms);
        let rows = self.client.query(
            "SELECT meter_id, time_ms, value, seq FROM meter_readings
             WHERE point = $1 AND time_ms >= $2 AND time_ms <= $3 ORDER BY time_ms",
            &[&point, &start, &to_ms],
        )?;
        let readings: Vec<Reading> = rows
            .iter()
            .map(|r| Reading {
                meter_id: r.get(0),
                time_ms: r.get(1),
                value: r.get(2),
                seq: u64::try_from(r.get::<_, i64>(3)).ok(),
            })
            .collect();
        Ok(meter::ending_in(
            meter::intervals(&readings, spec),
            from_ms,
            to_ms,
        ))
    }

    fn quarantine(
        &mut self,
        received_ms: i64,
        source: &str,
        payload: &[u8],
        reason: &str,
    ) -> Result<i64, StoreError> {
        Ok(self
            .client
            .query_one(
                "INSERT INTO quarantine (received_ms, source, payload, reason)
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[&received_ms, &source, &payload, &reason],
            )?
            .get(0))
    }

    fn quarantined(&mut self) -> Result<Vec<(i64, String, String)>, StoreError> {
        let rows = self
            .client
            .query("SELECT id, source, reason FROM quarantine ORDER BY id", &[])?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    fn set_day_offset_ms(&mut self, offset_ms: i64) -> Result<(), StoreError> {
        let mut tx = self.client.transaction()?;
        maintain::set_day_offset(&mut Ops(&mut tx), offset_ms)?;
        tx.commit()?;
        Ok(())
    }

    fn refresh_rollups(&mut self, budget: usize, ended_by_ms: i64) -> Result<usize, StoreError> {
        let mut tx = self.client.transaction()?;
        let n = maintain::refresh_ended(&mut Ops(&mut tx), budget, ended_by_ms)?;
        tx.commit()?;
        Ok(n)
    }

    fn set_retention_ms(&mut self, raw_ms: Option<i64>) -> Result<(), StoreError> {
        let mut tx = self.client.transaction()?;
        maintain::set_retention(&mut Ops(&mut tx), raw_ms)?;
        tx.commit()?;
        Ok(())
    }

    fn purge(&mut self, now_ms: i64, budget: usize) -> Result<Purged, StoreError> {
        let mut tx = self.client.transaction()?;
        let done = maintain::purge(&mut Ops(&mut tx), now_ms, budget)?;
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
        let mut tx = self.client.transaction()?;
        // The rollup lock only when there is something to refresh.
        let marked = tx
            .query_opt(
                "SELECT 1 FROM rollup_dirty WHERE series_id = $1 LIMIT 1",
                &[&series_id],
            )?
            .is_some();
        if marked {
            maintain::refresh_series(&mut Ops(&mut tx), series_id)?;
        }
        let buckets = tx
            .query(
                "SELECT bucket_ms, n, sum, min, max FROM rollups
                 WHERE series_id = $1 AND res_ms = $2 AND bucket_ms >= $3 AND bucket_ms < $4
                 ORDER BY bucket_ms",
                &[&series_id, &resolution.ms(), &from_ms, &to_ms],
            )?
            .iter()
            .map(|r| Bucket {
                start_ms: r.get(0),
                n: r.get(1),
                sum: r.get(2),
                min: r.get(3),
                max: r.get(4),
            })
            .collect();
        tx.commit()?;
        Ok(buckets)
    }
}
