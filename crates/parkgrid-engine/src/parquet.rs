//! `timeseries.parquet` (feature `parquet`): the result columns for pandas and polars users; and
//! measured logs in Parquet read for the twin's replay ([`read_log`]).
//!
//! Columns: `time` (INT64 timestamp, milliseconds, UTC), `time_local` (the same instant as RFC 3339
//! text in the site's offset, as in `timeseries.csv`), then one DOUBLE column per result series named
//! `id.quantity` as in the CSV. Snappy compression (pure Rust).

use std::path::Path;

use parkgrid_resource::measured::Measured;

use crate::EngineError;

#[cfg(feature = "parquet")]
mod imp {
    use std::fs::File;
    use std::path::Path;
    use std::sync::Arc;

    use parkgrid_report::Meta;
    use parkgrid_resource::measured::Measured;
    use parquet::basic::{Compression, LogicalType, Repetition, TimeUnit, Type as Physical};
    use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::writer::SerializedFileWriter;
    use parquet::record::Field;
    use parquet::schema::types::Type;

    use crate::EngineError;

    fn err(path: &Path, e: impl std::fmt::Display) -> EngineError {
        EngineError::Input(format!("{}: {e}", path.display()))
    }

    pub fn write(
        path: &Path,
        times: &[(i64, String)],
        names: &[String],
        values: &[&[f64]],
    ) -> Result<(), EngineError> {
        let build = || -> parquet::errors::Result<()> {
            let mut fields = vec![
                Arc::new(
                    Type::primitive_type_builder("time", Physical::INT64)
                        .with_repetition(Repetition::REQUIRED)
                        .with_logical_type(Some(LogicalType::timestamp(true, TimeUnit::MILLIS)))
                        .build()?,
                ),
                Arc::new(
                    Type::primitive_type_builder("time_local", Physical::BYTE_ARRAY)
                        .with_repetition(Repetition::REQUIRED)
                        .with_logical_type(Some(LogicalType::String))
                        .build()?,
                ),
            ];
            for name in names {
                fields.push(Arc::new(
                    Type::primitive_type_builder(name, Physical::DOUBLE)
                        .with_repetition(Repetition::REQUIRED)
                        .build()?,
                ));
            }
            let schema = Arc::new(
                Type::group_type_builder("parkgrid_timeseries")
                    .with_fields(fields)
                    .build()?,
            );
            let props = Arc::new(
                WriterProperties::builder()
                    .set_compression(Compression::SNAPPY)
                    .set_created_by(format!("parkgrid {}", env!("CARGO_PKG_VERSION")))
                    .build(),
            );
            let file = File::create(path)?;
            let mut writer = SerializedFileWriter::new(file, schema, props)?;
            let mut group = writer.next_row_group()?;
            let mut index = 0;
            while let Some(mut column) = group.next_column()? {
                match index {
                    0 => {
                        let ms: Vec<i64> = times.iter().map(|(ms, _)| *ms).collect();
                        column.typed::<Int64Type>().write_batch(&ms, None, None)?;
                    }
                    1 => {
                        let text: Vec<ByteArray> = times
                            .iter()
                            .map(|(_, s)| ByteArray::from(s.as_str()))
                            .collect();
                        column
                            .typed::<ByteArrayType>()
                            .write_batch(&text, None, None)?;
                    }
                    i => {
                        column
                            .typed::<DoubleType>()
                            .write_batch(values[i - 2], None, None)?;
                    }
                }
                column.close()?;
                index += 1;
            }
            group.close()?;
            writer.close()?;
            Ok(())
        };
        build().map_err(|e| EngineError::Write {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })
    }

    pub fn read(path: &Path, meta: &Meta) -> Result<(Vec<String>, Vec<Vec<f64>>), EngineError> {
        if !std::fs::metadata(path).map_err(|e| err(path, e))?.is_file() {
            return Err(err(
                path,
                "not a regular file (a directory, FIFO or device)",
            ));
        }
        let file = File::open(path).map_err(|e| err(path, e))?;
        let reader = SerializedFileReader::new(file).map_err(|e| err(path, e))?;
        let schema = reader.metadata().file_metadata().schema_descr();
        let names: Vec<String> = schema
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let expected: Vec<String> = ["time".to_string(), "time_local".to_string()]
            .into_iter()
            .chain(meta.columns.iter().map(|c| c.name()))
            .collect();
        if names != expected {
            let first = names
                .iter()
                .zip(&expected)
                .position(|(a, b)| a != b)
                .unwrap_or(names.len().min(expected.len()));
            return Err(err(
                path,
                format!(
                    "column {} is '{}', meta.json expects '{}'",
                    first + 1,
                    names.get(first).map_or("(none)", String::as_str),
                    expected.get(first).map_or("(none)", String::as_str)
                ),
            ));
        }
        let mut times = Vec::new();
        let mut values = vec![Vec::new(); meta.columns.len()];
        let rows = reader.get_row_iter(None).map_err(|e| err(path, e))?;
        for (r, row) in rows.enumerate() {
            let row = row.map_err(|e| err(path, e))?;
            for (i, (_, field)) in row.get_column_iter().enumerate() {
                match (i, field) {
                    (0, _) => {}
                    (1, Field::Str(s)) => times.push(s.clone()),
                    (i, Field::Double(v)) if i >= 2 => values[i - 2].push(*v),
                    (i, f) => {
                        return Err(err(
                            path,
                            format!("row {}: column '{}' holds {f}", r + 1, expected[i]),
                        ));
                    }
                }
            }
        }
        Ok((times, values))
    }

    /// The zone pandas recorded for column `time` in the file's metadata (`"timezone":
    /// "-07:00"` or `"America/Denver"`), if any.
    fn pandas_zone(reader: &SerializedFileReader<File>, time: &str) -> Option<String> {
        let kv = reader.metadata().file_metadata().key_value_metadata()?;
        let pandas = kv.iter().find(|k| k.key == "pandas")?.value.as_deref()?;
        let doc: serde_json::Value = serde_json::from_str(pandas).ok()?;
        doc["columns"]
            .as_array()?
            .iter()
            .find(|c| c["name"] == time)?["metadata"]["timezone"]
            .as_str()
            .map(str::to_string)
    }

    /// How a log's instants become the plant's clock time.
    enum Clock {
        /// The values are clock times already (a timestamp not adjusted to UTC).
        AsIs,
        /// A fixed offset east of UTC, seconds.
        Fixed(i32),
        /// A zone with its rules (daylight saving).
        Zone(chrono_tz::Tz),
    }

    impl Clock {
        fn of(zone: &str) -> Option<Clock> {
            match zone {
                "UTC" | "Z" | "utc" | "Etc/UTC" => Some(Clock::Fixed(0)),
                _ => chrono::DateTime::parse_from_rfc3339(&format!("2000-01-01T00:00:00{zone}"))
                    .ok()
                    .map(|t| Clock::Fixed(t.offset().local_minus_utc()))
                    .or_else(|| zone.parse::<chrono_tz::Tz>().ok().map(Clock::Zone)),
            }
        }

        fn at(&self, ms: i64) -> Option<chrono::NaiveDateTime> {
            let utc = chrono::DateTime::from_timestamp_millis(ms)?;
            Some(match self {
                Clock::AsIs => utc.naive_utc(),
                Clock::Fixed(s) => (utc + chrono::TimeDelta::seconds(i64::from(*s))).naive_utc(),
                Clock::Zone(tz) => utc.with_timezone(tz).naive_local(),
            })
        }
    }

    pub fn read_log(path: &Path, column: Option<&str>) -> Result<Measured, EngineError> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| err(path, e))?;
        let reader = SerializedFileReader::new(file).map_err(|e| err(path, e))?;
        let schema = reader.metadata().file_metadata().schema_descr();
        let columns: Vec<(String, Option<LogicalType>)> = schema
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), c.logical_type_ref().cloned()))
            .collect();
        let time = columns
            .iter()
            .position(|(_, t)| matches!(t, Some(LogicalType::Timestamp(_))))
            .ok_or_else(|| err(path, "no timestamp column"))?;
        let (time_name, utc, unit) = match &columns[time] {
            (n, Some(LogicalType::Timestamp(t))) => (n.clone(), t.is_adjusted_to_u_t_c, t.unit),
            (n, _) => (n.clone(), false, TimeUnit::MILLIS),
        };
        // Milliseconds from a raw INT64 of the column's unit (the record reader gives
        // nanoseconds as a plain long).
        let to_ms = |x: i64| match unit {
            TimeUnit::MILLIS => x,
            TimeUnit::MICROS => x.div_euclid(1_000),
            TimeUnit::NANOS => x.div_euclid(1_000_000),
        };
        let others: Vec<&str> = columns
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != time)
            .map(|(_, (n, _))| n.as_str())
            .collect();
        let value = match column {
            Some(c) => columns.iter().position(|(n, _)| n == c).ok_or_else(|| {
                err(
                    path,
                    format!("no column '{c}'; its value columns: {}", others.join(", ")),
                )
            })?,
            None if others.len() == 1 => columns
                .iter()
                .position(|(n, _)| n == others[0])
                .unwrap_or(0),
            None => {
                return Err(err(
                    path,
                    format!(
                        "{} value columns ({}): name one as FILE#COLUMN",
                        others.len(),
                        others.join(", ")
                    ),
                ));
            }
        };
        // A UTC instant is read in the zone pandas recorded (the plant's clock); a time
        // without zone is the clock time already. An instant whose zone nobody wrote down has
        // no clock time: refused rather than guessed.
        let clock = if utc {
            let zone = pandas_zone(&reader, &time_name).ok_or_else(|| {
                err(
                    path,
                    format!(
                        "column '{time_name}' holds UTC instants and the file does not say the \
                         plant's time zone; write it with its zone (pandas: a tz-aware column) \
                         or as CSV with clock times"
                    ),
                )
            })?;
            Clock::of(&zone).ok_or_else(|| {
                err(
                    path,
                    format!("column '{time_name}': '{zone}' is not a time zone or offset"),
                )
            })?
        } else {
            Clock::AsIs
        };
        let mut rows = Vec::new();
        let iter = reader.get_row_iter(None).map_err(|e| err(path, e))?;
        for (r, row) in iter.enumerate() {
            let row = row.map_err(|e| err(path, e))?;
            let mut t = None;
            let mut v = None;
            for (i, (_, field)) in row.get_column_iter().enumerate() {
                if i == time {
                    t = match field {
                        Field::TimestampMillis(ms) => clock.at(*ms),
                        Field::TimestampMicros(us) => clock.at(us.div_euclid(1000)),
                        Field::Long(x) => clock.at(to_ms(*x)),
                        _ => None,
                    };
                } else if i == value {
                    v = match field {
                        Field::Null => None,
                        Field::Float(x) => Some(f64::from(*x)),
                        Field::Double(x) => Some(*x),
                        Field::Int(x) => Some(f64::from(*x)),
                        Field::Long(x) => Some(*x as f64),
                        other => {
                            return Err(err(
                                path,
                                format!(
                                    "row {}: column '{}' holds {other}, not a number",
                                    r + 1,
                                    columns[value].0
                                ),
                            ));
                        }
                    };
                }
            }
            let t = t.ok_or_else(|| {
                err(
                    path,
                    format!("row {}: column '{time_name}' has no time", r + 1),
                )
            })?;
            rows.push((t, v));
        }
        Measured::from_rows(&name, &columns[value].0, rows)
            .map_err(|e| EngineError::Input(e.to_string()))
    }
}

/// Reads a measured log from the Parquet file `path` (feature `parquet`): its timestamp
/// column (milli-, micro- or nanoseconds) as the clock time (a UTC instant in the zone or offset
/// pandas recorded for it, a time without zone as it is) and the value column `column` (default: the only other column; a null is a
/// gap), for [`crate::twin::Replay`].
///
/// # Errors
/// [`EngineError::Input`] naming the file: not Parquet, no timestamp column, UTC instants
/// without a recorded zone, no such value column (naming those there are), a value that is not a number, fewer than two values; a
/// build without the feature.
#[cfg_attr(not(feature = "parquet"), allow(unused_variables))]
pub fn read_log(path: &Path, column: Option<&str>) -> Result<Measured, EngineError> {
    #[cfg(feature = "parquet")]
    return imp::read_log(path, column);
    #[cfg(not(feature = "parquet"))]
    return Err(disabled());
}

/// Whether this build writes and reads Parquet.
pub const ENABLED: bool = cfg!(feature = "parquet");

/// The error of a build without the feature.
pub fn disabled() -> EngineError {
    EngineError::Input(
        "this build has no Parquet support; rebuild with `cargo build --release --features parquet` \
         or use --format csv"
            .into(),
    )
}

/// Writes `path`: `times` as (Unix milliseconds, RFC 3339 local text), then the columns.
#[cfg_attr(not(feature = "parquet"), allow(unused_variables))]
pub fn write(
    path: &Path,
    times: &[(i64, String)],
    names: &[String],
    values: &[&[f64]],
) -> Result<(), EngineError> {
    #[cfg(feature = "parquet")]
    return imp::write(path, times, names, values);
    #[cfg(not(feature = "parquet"))]
    return Err(disabled());
}

/// Reads `path` written by [`write`] for the columns of `meta`: local times and values.
#[cfg_attr(not(feature = "parquet"), allow(unused_variables))]
pub fn read(
    path: &Path,
    meta: &parkgrid_report::Meta,
) -> Result<(Vec<String>, Vec<Vec<f64>>), EngineError> {
    #[cfg(feature = "parquet")]
    return imp::read(path, meta);
    #[cfg(not(feature = "parquet"))]
    return Err(disabled());
}

#[cfg(all(test, feature = "parquet"))]
mod tests {
    use parkgrid_report::{ColumnMeta, META_FORMAT, Meta};

    #[test]
    fn columns_round_trip_exactly() {
        let dir = std::env::temp_dir().join(format!("parkgrid-parquet-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("t.parquet");
        let times: Vec<(i64, String)> = (0..50)
            .map(|h| {
                (
                    1_735_660_800_000 + h * 3_600_000,
                    format!("2025-01-01T{h:02}:00:00+08:00"),
                )
            })
            .collect();
        let a: Vec<f64> = (0..50).map(|i| f64::from(i) * 0.1 + 1e-7).collect();
        let b: Vec<f64> = (0..50).map(|i| -f64::from(i).sqrt()).collect();
        let names = vec![
            "pv.output_kw".to_string(),
            "bus.price_cny_per_kwh".to_string(),
        ];
        super::write(&path, &times, &names, &[&a, &b]).expect("write");
        let column = |id: &str, q: &str| ColumnMeta {
            id: id.into(),
            kind: "x".into(),
            quantity: q.into(),
            ports: Vec::new(),
        };
        let meta = Meta {
            format: META_FORMAT,
            site: "t".into(),
            step_min: 60,
            buses: Vec::new(),
            stores: Vec::new(),
            columns: vec![
                column("pv", "output_kw"),
                column("bus", "price_cny_per_kwh"),
            ],
        };
        let (t, v) = super::read(&path, &meta).expect("read");
        assert_eq!(t, times.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>());
        assert_eq!(v, vec![a, b]);
        let mut wrong = meta.clone();
        wrong.columns.swap(0, 1);
        let err = super::read(&path, &wrong).expect_err("columns differ");
        assert!(
            err.to_string().contains("column 3 is 'pv.output_kw'"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
