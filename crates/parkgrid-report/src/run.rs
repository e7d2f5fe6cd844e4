//! A saved run: `summary.json` (the KPIs), `meta.json` (what each result column is and where it
//! puts power) and the time series. Parsed from text here; reading the files is the caller's job.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ReportError;

/// The version of `meta.json` this crate writes and reads.
pub const META_FORMAT: u32 = 1;

/// `meta.json`: the description of a run's result columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// [`META_FORMAT`] at the time of writing.
    pub format: u32,
    /// The park's name.
    pub site: String,
    /// Length of a time step, minutes.
    pub step_min: u32,
    /// The park's buses.
    pub buses: Vec<BusMeta>,
    /// The park's stores, for levels as a share of capacity.
    pub stores: Vec<StoreMeta>,
    /// One entry per result column, in the order of the time-series file.
    pub columns: Vec<ColumnMeta>,
}

/// A bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusMeta {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `ac`, `dc`, `heat` or `waste_heat`.
    pub carrier: String,
}

/// A store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreMeta {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `battery` or `thermal_store`.
    pub kind: String,
    /// Energy capacity, kWh.
    pub e_max_kwh: f64,
}

/// A result column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMeta {
    /// Element id (asset, bus, branch).
    pub id: String,
    /// Element kind (`pv`, `bus`, `converter`…).
    pub kind: String,
    /// Quantity with unit (`output_kw`, `level_kwh`, `price_cny_per_kwh`).
    pub quantity: String,
    /// Where the column puts power: `coef·value` kW into each bus.
    pub ports: Vec<PortMeta>,
}

impl ColumnMeta {
    /// The column's name in the time-series file: `id.quantity`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.id, self.quantity)
    }
}

/// A connection of a column to a bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortMeta {
    /// The bus id.
    pub bus: String,
    /// Power into the bus per unit of the column's value.
    pub coef: f64,
}

/// A run, ready for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// `summary.json`: the KPIs of the run, and of the baseline under `baseline` when it ran too.
    pub summary: Value,
    /// `meta.json`.
    pub meta: Meta,
    /// The time stamps, RFC 3339 with offset.
    pub times: Vec<String>,
    /// One series per column of `meta.columns`.
    pub values: Vec<Vec<f64>>,
}

impl Run {
    /// Parses the summary and meta texts; `file` names each for messages.
    pub fn parse_summary_and_meta(
        summary: (&str, &str),
        meta: (&str, &str),
    ) -> Result<(Value, Meta), ReportError> {
        let (summary_file, summary_text) = summary;
        let summary: Value = serde_json::from_str(summary_text).map_err(|e| ReportError::Json {
            file: summary_file.to_string(),
            line: e.line(),
            message: e.to_string(),
        })?;
        if !summary.is_object() {
            return Err(ReportError::Json {
                file: summary_file.to_string(),
                line: 1,
                message: "expected a JSON object of KPIs".into(),
            });
        }
        let (meta_file, meta_text) = meta;
        let meta: Meta = serde_json::from_str(meta_text).map_err(|e| ReportError::Json {
            file: meta_file.to_string(),
            line: e.line(),
            message: e.to_string(),
        })?;
        if meta.format != META_FORMAT {
            return Err(ReportError::Json {
                file: meta_file.to_string(),
                line: 1,
                message: format!(
                    "format {} is not the format {META_FORMAT} this version reads; run `parkgrid simulate` again",
                    meta.format
                ),
            });
        }
        Ok((summary, meta))
    }

    /// A run from `summary.json`, `meta.json` and `timeseries.csv` texts, each given with its file
    /// name for messages. The CSV's header must list `time` and then `meta`'s columns in order.
    pub fn from_csv(
        summary: (&str, &str),
        meta: (&str, &str),
        csv: (&str, &str),
    ) -> Result<Self, ReportError> {
        let (summary, meta) = Self::parse_summary_and_meta(summary, meta)?;
        let (file, text) = csv;
        let bad = |line: usize, message: String| ReportError::Csv {
            file: file.to_string(),
            line,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let header = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
        let expected: Vec<String> = std::iter::once("time".to_string())
            .chain(meta.columns.iter().map(ColumnMeta::name))
            .collect();
        if header.len() != expected.len() {
            return Err(bad(
                1,
                format!(
                    "{} columns, but meta.json describes {}",
                    header.len(),
                    expected.len()
                ),
            ));
        }
        for (i, (got, want)) in header.iter().zip(&expected).enumerate() {
            if got != want {
                return Err(bad(
                    1,
                    format!("column {} is '{got}', meta.json expects '{want}'", i + 1),
                ));
            }
        }
        let mut times = Vec::new();
        let mut values = vec![Vec::new(); meta.columns.len()];
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line() as usize);
                bad(line, e.to_string())
            })?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            times.push(record.get(0).unwrap_or_default().to_string());
            for (i, column) in values.iter_mut().enumerate() {
                let cell = record.get(i + 1).unwrap_or_default();
                let v: f64 = cell.trim().parse().map_err(|_| {
                    bad(
                        line,
                        format!("'{cell}' in column '{}' is not a number", expected[i + 1]),
                    )
                })?;
                column.push(v);
            }
        }
        if times.is_empty() {
            return Err(bad(2, "no time steps".into()));
        }
        Ok(Run {
            summary,
            meta,
            times,
            values,
        })
    }

    /// The values of column `id.quantity`.
    pub fn column(&self, id: &str, quantity: &str) -> Option<&[f64]> {
        self.meta
            .columns
            .iter()
            .position(|c| c.id == id && c.quantity == quantity)
            .map(|i| self.values[i].as_slice())
    }

    /// Length of a step, hours.
    pub fn step_h(&self) -> f64 {
        f64::from(self.meta.step_min) / 60.0
    }

    /// The carrier of bus `id`.
    pub fn carrier(&self, bus: &str) -> Option<&str> {
        self.meta
            .buses
            .iter()
            .find(|b| b.id == bus)
            .map(|b| b.carrier.as_str())
    }
}
