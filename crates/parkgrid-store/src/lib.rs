//! The live park's store (layer L2 of `ARCHITECTURE.md`): telemetry points, series metadata,
//! cumulative meter readings and the intervals derived from them, setpoints, alarms and events,
//! in SQLite by default and PostgreSQL behind a feature.
//!
//! What is here so far: [`meter`] decides what a meter's readings mean — cumulative counter
//! readings with resets, rollovers, replaced meters, duplicated and out-of-order readings and
//! gaps become intervals of consumption that are never negative, and those regular buckets with
//! gaps marked missing (pure computation, no IO); `sqlite` (feature `sqlite`: SQLite is C,
//! compiled from its source, so it stays out of the default build) is the embedded store —
//! series, points written exactly once per source sequence in durable transactions, meter
//! readings as read with their intervals derived on reading, and the quarantine. Rollups,
//! retention and the PostgreSQL store come next (issue "The live park").

pub mod meter;
#[cfg(feature = "sqlite")]
pub mod sqlite;
