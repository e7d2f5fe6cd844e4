//! The live park's store (layer L2 of `ARCHITECTURE.md`): telemetry points, series metadata,
//! cumulative meter readings and the intervals derived from them, setpoints, alarms and events,
//! in SQLite by default and PostgreSQL behind a feature.
//!
//! What is here so far is the part that decides what a meter's readings mean: [`meter`] turns
//! cumulative counter readings — with resets, rollovers, replaced meters, duplicated and
//! out-of-order readings and gaps — into intervals of consumption that are never negative, and
//! those into regular buckets with gaps marked missing. It is pure computation (no IO), used by
//! the store when it writes meter intervals and by settlement when it reads them. The database
//! layer comes next (issue "The live park").

pub mod meter;
