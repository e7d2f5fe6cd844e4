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
    /// Acceptable voltage band of an electric bus, p.u.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v_band_pu: Option<[f64; 2]>,
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
    /// The network check of every step (`network.csv`), when it ran with `--network-check=all`.
    pub network: Option<NetworkRun>,
}

/// The network check of every step, from `network.csv`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkRun {
    /// Lowest bus voltage each step, p.u.
    pub v_min_pu: Vec<f64>,
    /// Highest bus voltage each step, p.u.
    pub v_max_pu: Vec<f64>,
    /// Network losses each step, kW.
    pub losses_kw: Vec<f64>,
    /// Loading of the most loaded element each step, %.
    pub max_loading_pct: Vec<f64>,
}

impl NetworkRun {
    /// Parses `network.csv`; `None` when it does not hold one row per step (a `peak` check).
    pub fn from_csv(file: &str, text: &str, n_steps: usize) -> Result<Option<Self>, ReportError> {
        let bad = |line: usize, message: String| ReportError::Csv {
            file: file.to_string(),
            line,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let header = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| bad(1, format!("no column '{name}'")))
        };
        let (vmin, vmax, loss, load) = (
            col("v_min_pu")?,
            col("v_max_pu")?,
            col("losses_kw")?,
            col("max_loading_pct")?,
        );
        let mut net = NetworkRun::default();
        for record in reader.records() {
            let record = record
                .map_err(|e| bad(e.position().map_or(0, |p| p.line() as usize), e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            // An empty cell is a step whose power flow did not converge: no figure.
            let num = |i: usize| -> Result<f64, ReportError> {
                let cell = record.get(i).unwrap_or_default();
                if cell.is_empty() {
                    return Ok(f64::NAN);
                }
                cell.parse().map_err(|_| {
                    bad(
                        line,
                        format!("'{cell}' in column {} is not a number", i + 1),
                    )
                })
            };
            net.v_min_pu.push(num(vmin)?);
            net.v_max_pu.push(num(vmax)?);
            net.losses_kw.push(num(loss)?);
            net.max_loading_pct.push(num(load)?);
        }
        Ok((net.v_min_pu.len() == n_steps).then_some(net))
    }
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
            network: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "time,label,converged,import_kw,losses_kw,v_min_pu,v_min_bus,v_max_pu,v_max_bus,max_loading_pct,max_loading_element,voltage_violations,overloads\n";

    #[test]
    fn network_csv_of_every_step_or_of_the_peaks() {
        let rows = "2025-01-01T00:00:00+08:00,,true,100,2.5,0.98,a,1.01,b,40.0,l1,,\n\
                    2025-01-01T01:00:00+08:00,,true,120,3.0,0.97,a,1.02,b,45.5,l1,,\n";
        let all = NetworkRun::from_csv("network.csv", &format!("{HEAD}{rows}"), 2).expect("parses");
        let net = all.expect("one row per step");
        assert_eq!(net.losses_kw, [2.5, 3.0]);
        assert_eq!(net.max_loading_pct, [40.0, 45.5]);
        let peaks =
            NetworkRun::from_csv("network.csv", &format!("{HEAD}{rows}"), 8760).expect("parses");
        assert!(peaks.is_none(), "a peak check is not a year");
        let broken = rows.replacen("2.5", "x", 1);
        let err = NetworkRun::from_csv("network.csv", &format!("{HEAD}{broken}"), 2)
            .expect_err("bad cell");
        assert!(
            err.to_string()
                .starts_with("network.csv:2: 'x' in column 5"),
            "{err}"
        );
    }
}
