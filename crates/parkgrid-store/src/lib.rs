//! The live park's store (layer L2 of `ARCHITECTURE.md`): telemetry points, series metadata,
//! cumulative meter readings and the intervals derived from them, setpoints, alarms and events,
//! in SQLite by default and PostgreSQL behind a feature.
//!
//! What is here so far: [`meter`] decides what a meter's readings mean — cumulative counter
//! readings with resets, rollovers, replaced meters, duplicated and out-of-order readings and
//! gaps become intervals of consumption that are never negative, and those regular buckets with
//! gaps marked missing (pure computation, no IO); [`PointStore`] is what a store does — series,
//! points written exactly once per source sequence in durable transactions, meter readings as
//! read with their intervals derived on reading, the quarantine — done by `sqlite` (feature
//! `sqlite`: the embedded store; SQLite is C, compiled from its source, so it stays out of the
//! default build) and `postgres` (feature `postgres`: the shared store, TimescaleDB-compatible
//! plain tables). [`rollup`]: per 15 minutes, hour and day, kept up to date from what was
//! written, a bounded step at a time. Retention comes next (issue "The live park").

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod maintain;
pub mod meter;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod rollup;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use meter::{Derived, MeterSpec, Reading};

use rollup::{Bucket, Resolution};

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[cfg(feature = "sqlite")]
    #[error("the store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL said no.
    #[cfg(feature = "postgres")]
    #[error("the store: {}", postgres_text(.0))]
    Postgres(#[from] ::postgres::Error),
    /// A point names a series the store does not know.
    #[error("no series '{0}' in the store")]
    UnknownSeries(String),
    /// An argument the store cannot take.
    #[error("{0}")]
    Invalid(String),
}

/// What the server said, not only "db error".
#[cfg(feature = "postgres")]
fn postgres_text(e: &::postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" ({detail})"));
            }
            text
        }
        None => e.to_string(),
    }
}

/// What a purge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Raw points deleted.
    pub points: usize,
    /// Quarters with points that came after the purge horizon had passed them, left out of
    /// the rollups.
    pub late_quarters: usize,
    /// Whether there is more to do (the budget ran out).
    pub more: bool,
}

/// How good a point is (the store keeps the flag with the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    /// A measurement.
    Good,
    /// Possibly wrong (a detector says so); kept and shown, used with care.
    Suspect,
    /// Not a measurement (a sentinel, out of range); kept with its reason elsewhere, never used.
    Bad,
}

impl Quality {
    /// Its code in the store's tables: 0 good, 1 suspect, 2 bad.
    pub fn code(self) -> i64 {
        match self {
            Quality::Good => 0,
            Quality::Suspect => 1,
            Quality::Bad => 2,
        }
    }
    /// The quality of a stored code (anything unknown is bad).
    pub fn from_code(c: i64) -> Self {
        match c {
            0 => Quality::Good,
            1 => Quality::Suspect,
            _ => Quality::Bad,
        }
    }
}

/// A measured quantity's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesMeta {
    /// Its unique name (the SenML name).
    pub name: String,
    /// The park file's asset id.
    pub asset: String,
    /// The quantity (`p_kw`, `soc`, …).
    pub quantity: String,
    /// Its unit.
    pub unit: String,
}

/// An API token as the store keeps it: never the token itself, only its SHA-256 (tokens are
/// 256 random bits, so a fast hash is enough: nothing to guess from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Its public id (shown in lists and logs instead of the token).
    pub id: String,
    /// SHA-256 of the token, lower-case hex.
    pub sha256_hex: String,
    /// The role it grants (`admin`, `operator`, `tenant`, `auditor`, `device`).
    pub role: String,
    /// The tenant a `tenant` token is scoped to.
    pub tenant: Option<String>,
    /// What it is for (free text).
    pub label: String,
    /// When it was made, UTC epoch ms.
    pub created_ms: i64,
    /// When it stops working, UTC epoch ms (`None`: never).
    pub expires_ms: Option<i64>,
    /// When it was revoked, UTC epoch ms.
    pub revoked_ms: Option<i64>,
}

/// An alarm as the store keeps it (ISA-18.2 in spirit): raised once per condition (`key`) and
/// seen again while it lasts, acknowledged or shelved by a person, cleared when the condition
/// ends. One alarm per key is open (not cleared) at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// Its id.
    pub id: i64,
    /// The condition, e.g. `stale:pv_roof` (one open alarm per key).
    pub key: String,
    /// `warning` or `alarm`.
    pub severity: String,
    /// The asset, device or topic it concerns.
    pub source: String,
    /// What is wrong, for people (the latest words).
    pub message: String,
    /// When it was raised, UTC epoch ms.
    pub raised_ms: i64,
    /// When the condition was last seen, UTC epoch ms.
    pub last_seen_ms: i64,
    /// How many times the condition was seen while open.
    pub count: i64,
    /// When it was acknowledged, and by whom (a token id).
    pub acked_ms: Option<i64>,
    /// Who acknowledged it.
    pub acked_by: Option<String>,
    /// Shelved (kept out of the list of open alarms) until then, UTC epoch ms.
    pub shelved_until_ms: Option<i64>,
    /// When the condition ended.
    pub cleared_ms: Option<i64>,
}

/// What a person does to an alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmAction {
    /// Acknowledged by `by` (a token id).
    Acknowledge {
        /// Who.
        by: String,
    },
    /// Shelved until `until_ms` by `by`.
    Shelve {
        /// Who.
        by: String,
        /// Until when, UTC epoch ms.
        until_ms: i64,
    },
}

/// One point of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// UTC epoch ms.
    pub time_ms: i64,
    /// The value.
    pub value: f64,
    /// Its quality.
    pub quality: Quality,
    /// The source's sequence number (0 when it sends none).
    pub seq: i64,
}

/// What every store does — the embedded SQLite one and the shared PostgreSQL one — so that one set
/// of tests holds both to the same behaviour.
pub trait PointStore {
    /// Registers a series (or returns the id it has), by its name.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn series(&mut self, meta: &SeriesMeta) -> Result<i64, StoreError>;

    /// The id of the series named `name`.
    ///
    /// # Errors
    /// [`StoreError::UnknownSeries`].
    fn series_id(&mut self, name: &str) -> Result<i64, StoreError>;

    /// Every registered series with its id, by name.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn all_series(&mut self) -> Result<Vec<(i64, SeriesMeta)>, StoreError>;

    /// Keeps `token` (its id and hash must be new).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when its id or hash is already there; [`StoreError`] from the
    /// database.
    fn add_token(&mut self, token: &TokenRecord) -> Result<(), StoreError>;

    /// The token whose SHA-256 is `sha256_hex`, revoked or not.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn token_by_hash(&mut self, sha256_hex: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// Every token, oldest first.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn tokens(&mut self) -> Result<Vec<TokenRecord>, StoreError>;

    /// Raises the alarm of condition `key` at `at_ms`, or, when one is open for it, notes it
    /// seen again (time, count, message; a change of severity takes back its acknowledgement,
    /// so an escalation is seen); returns its id.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn raise_alarm(
        &mut self,
        key: &str,
        severity: &str,
        source: &str,
        message: &str,
        at_ms: i64,
    ) -> Result<i64, StoreError>;

    /// Clears the open alarm of `key` at `at_ms`; false when none is open.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn clear_alarm(&mut self, key: &str, at_ms: i64) -> Result<bool, StoreError>;

    /// The open alarms and those raised at or after `since_ms`: the open ones first, then the
    /// newest; at most `limit`.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn alarms(&mut self, since_ms: i64, limit: usize) -> Result<Vec<Alarm>, StoreError>;

    /// Acknowledges or shelves alarm `id` at `at_ms` (a cleared alarm is left as it is, and an
    /// acknowledgement is not made twice); the alarm as it is then, or `None` when there is no
    /// such alarm.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn act_on_alarm(
        &mut self,
        id: i64,
        action: &AlarmAction,
        at_ms: i64,
    ) -> Result<Option<Alarm>, StoreError>;

    /// Revokes the token `id` at `at_ms`; false when there is no such token or it was revoked
    /// already.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn revoke_token(&mut self, id: &str, at_ms: i64) -> Result<bool, StoreError>;

    /// Writes `batch` (series id, point) in one transaction, durable when this returns. A point
    /// already stored with the same or a higher source sequence is left as it is (a
    /// redelivery); a higher sequence replaces it. Returns the points written or replaced.
    ///
    /// # Errors
    /// [`StoreError`]; nothing of the batch is written then.
    fn write_points(&mut self, batch: &[(i64, Point)]) -> Result<usize, StoreError>;

    /// The points of `series_id` in `[from_ms, to_ms)`, in time order.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn window(
        &mut self,
        series_id: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Point>, StoreError>;

    /// The latest good point of `series_id`, if any.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn latest(&mut self, series_id: i64) -> Result<Option<Point>, StoreError>;

    /// Writes cumulative readings of the meter point `point` as read, in one transaction (a
    /// reading stored for the same meter and time with the same or a higher sequence is kept).
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn write_readings(&mut self, point: &str, readings: &[Reading]) -> Result<usize, StoreError>;

    /// The consumption intervals of `point` that end in `(from_ms, to_ms]`, from its stored
    /// readings ([`meter::intervals`], reaching back to the reading before `from_ms` for the
    /// interval that crosses it): adjacent windows share no interval.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn meter_intervals(
        &mut self,
        point: &str,
        from_ms: i64,
        to_ms: i64,
        spec: &MeterSpec,
    ) -> Result<Derived, StoreError>;

    /// Keeps a payload that could not be decoded, with why; returns its id.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn quarantine(
        &mut self,
        received_ms: i64,
        source: &str,
        payload: &[u8],
        reason: &str,
    ) -> Result<i64, StoreError>;

    /// The quarantined payloads: (id, source, reason), oldest first.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn quarantined(&mut self) -> Result<Vec<(i64, String, String)>, StoreError>;

    /// Sets where the store's days start: at local midnight where local time is UTC +
    /// `offset_ms` (the park's UTC offset, a multiple of 15 minutes; 0 until set). The hour and
    /// day rollups are rebuilt when it changes ([`rollup`]).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an offset that is not a multiple of 15 minutes within a
    /// day; [`StoreError`] from the database.
    fn set_day_offset_ms(&mut self, offset_ms: i64) -> Result<(), StoreError>;

    /// Brings up to `budget` 15-minute buckets written since their last refresh, and ended by
    /// `ended_by_ms`, up to date with the hours and days that hold them, in one transaction;
    /// returns how many were refreshed (0: nothing of that age is left). A bounded step an
    /// ingester takes between commits, passing the time now so that a quarter still filling is
    /// recomputed once, when it has ended, not at every step ([`PointStore::aggregate`] still
    /// sees it); `i64::MAX` refreshes everything.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn refresh_rollups(&mut self, budget: usize, ended_by_ms: i64) -> Result<usize, StoreError>;

    /// Keeps raw points for `raw_ms` (at least 15 minutes), or for ever with `None` (the
    /// default); the rollups are kept whatever it is. Points go at the next [`Self::purge`].
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for less than 15 minutes; [`StoreError`] from the database.
    fn set_retention_ms(&mut self, raw_ms: Option<i64>) -> Result<(), StoreError>;

    /// One bounded step of retention at `now_ms`: the rollups of what is older than the raw
    /// retention brought up to date, then up to `budget` of those points deleted (series by
    /// series along the key, never a scan of the table) — a step an ingester takes between
    /// commits, so that purging never stalls ingest. A point that arrives for a time the purge
    /// has passed is stored until the next purge and left out of the rollups (counted in
    /// [`Purged::late_quarters`]). Nothing happens without a retention.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn purge(&mut self, now_ms: i64, budget: usize) -> Result<Purged, StoreError>;

    /// The good points of `series_id` in the buckets of `resolution` starting in
    /// `[from_ms, to_ms)`, aggregated (buckets without a good point are absent), in time
    /// order. Read from the rollups after refreshing what was written to this series since.
    ///
    /// # Errors
    /// [`StoreError`] from the database.
    fn aggregate(
        &mut self,
        series_id: i64,
        from_ms: i64,
        to_ms: i64,
        resolution: Resolution,
    ) -> Result<Vec<Bucket>, StoreError>;
}
