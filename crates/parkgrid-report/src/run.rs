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
    /// `ac`, `dc`, `heat`, `waste_heat` or `cold`.
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

/// The network check of a run (`network.csv`): one row per step checked — every step of the
/// year, or the peak steps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkRun {
    /// The rows, in the file's order.
    pub rows: Vec<NetworkRow>,
}

/// One step's network check, as `network.csv` holds it. A step whose power flow did not converge
/// has no figures (`None`, empty cells).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkRow {
    /// RFC 3339 with the site's offset.
    pub time: String,
    /// Why the step was picked ("peak load", …); empty when every step is checked.
    pub label: String,
    /// Whether its power flow converged.
    pub converged: bool,
    /// Power drawn from the grid the power flow needs, kW (3 decimals).
    pub import_kw: Option<f64>,
    /// Network losses, kW (3 decimals).
    pub losses_kw: Option<f64>,
    /// Lowest bus voltage, p.u. (5 decimals), and its bus.
    pub v_min_pu: Option<f64>,
    /// The bus of the lowest voltage.
    pub v_min_bus: String,
    /// Highest bus voltage, p.u. (5 decimals).
    pub v_max_pu: Option<f64>,
    /// The bus of the highest voltage.
    pub v_max_bus: String,
    /// Loading of the most loaded rated element, % (2 decimals).
    pub max_loading_pct: Option<f64>,
    /// The most loaded rated element.
    pub max_loading_element: String,
    /// Buses out of their band, `bus=v_pu` separated by spaces.
    pub voltage_violations: String,
    /// Elements over their rating, `id=pct%` separated by spaces.
    pub overloads: String,
}

/// The header of `network.csv`.
pub const NETWORK_CSV_HEADER: &str = "time,label,converged,import_kw,losses_kw,v_min_pu,v_min_bus,v_max_pu,v_max_bus,max_loading_pct,max_loading_element,voltage_violations,overloads";

/// `x` rounded to `decimals` places as `format!("{x:.decimals$}")` writes it and `str::parse`
/// reads it back: the value a file keeps.
pub fn quantize(x: f64, decimals: i32) -> f64 {
    let k = 10f64.powi(decimals);
    (x * k).round() / k
}

impl NetworkRow {
    /// The row rounded to the decimals `network.csv` keeps (what reading the file gives back).
    pub fn quantized(mut self) -> Self {
        let q = |v: &mut Option<f64>, d: i32| *v = v.map(|x| quantize(x, d));
        q(&mut self.import_kw, 3);
        q(&mut self.losses_kw, 3);
        q(&mut self.v_min_pu, 5);
        q(&mut self.v_max_pu, 5);
        q(&mut self.max_loading_pct, 2);
        self
    }
}

impl NetworkRun {
    /// Whether the run holds one row per step of a run of `n_steps` (an every-step check).
    pub fn is_every_step(&self, n_steps: usize) -> bool {
        self.rows.len() == n_steps && self.rows.iter().all(|r| r.label.is_empty())
    }

    fn series(&self, f: impl Fn(&NetworkRow) -> Option<f64>) -> Vec<f64> {
        self.rows.iter().map(|r| f(r).unwrap_or(f64::NAN)).collect()
    }

    /// Lowest bus voltage of each row, p.u. (NaN where the power flow did not converge).
    pub fn v_min_pu(&self) -> Vec<f64> {
        self.series(|r| r.v_min_pu)
    }

    /// Highest bus voltage of each row, p.u. (NaN where the power flow did not converge).
    pub fn v_max_pu(&self) -> Vec<f64> {
        self.series(|r| r.v_max_pu)
    }

    /// Network losses of each row, kW (NaN where the power flow did not converge).
    pub fn losses_kw(&self) -> Vec<f64> {
        self.series(|r| r.losses_kw)
    }

    /// Loading of the most loaded element of each row, % (NaN where the power flow did not
    /// converge).
    pub fn max_loading_pct(&self) -> Vec<f64> {
        self.series(|r| r.max_loading_pct)
    }

    /// `network.csv`'s text.
    pub fn to_csv(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::from(NETWORK_CSV_HEADER);
        out.push('\n');
        let num = |v: Option<f64>, d: usize| v.map_or(String::new(), |x| format!("{x:.d$}"));
        for r in &self.rows {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                r.time,
                r.label,
                r.converged,
                num(r.import_kw, 3),
                num(r.losses_kw, 3),
                num(r.v_min_pu, 5),
                r.v_min_bus,
                num(r.v_max_pu, 5),
                r.v_max_bus,
                num(r.max_loading_pct, 2),
                r.max_loading_element,
                r.voltage_violations,
                r.overloads
            );
        }
        out
    }

    /// Parses `network.csv`; `file` names it in messages.
    pub fn from_csv(file: &str, text: &str) -> Result<Self, ReportError> {
        let bad = |line: usize, message: String| ReportError::Csv {
            file: file.to_string(),
            line,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let header = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
        let expected: Vec<&str> = NETWORK_CSV_HEADER.split(',').collect();
        for name in &expected {
            if !header.iter().any(|h| h == *name) {
                return Err(bad(1, format!("no column '{name}'")));
            }
        }
        let col = |name: &str| header.iter().position(|h| h == name).unwrap_or(0);
        let mut net = NetworkRun::default();
        for record in reader.records() {
            let record = record
                .map_err(|e| bad(e.position().map_or(0, |p| p.line() as usize), e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            let text = |name: &str| record.get(col(name)).unwrap_or_default().to_string();
            // An empty cell is a step whose power flow did not converge: no figure.
            let num = |name: &str| -> Result<Option<f64>, ReportError> {
                let i = col(name);
                let cell = record.get(i).unwrap_or_default();
                if cell.is_empty() {
                    return Ok(None);
                }
                match cell.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(Some(v)),
                    _ => Err(bad(
                        line,
                        format!("'{cell}' in column {} is not a number", i + 1),
                    )),
                }
            };
            let converged = match record.get(col("converged")).unwrap_or_default() {
                "true" => true,
                "false" => false,
                other => {
                    return Err(bad(
                        line,
                        format!("'{other}' in column 'converged' is not true or false"),
                    ));
                }
            };
            net.rows.push(NetworkRow {
                time: text("time"),
                label: text("label"),
                converged,
                import_kw: num("import_kw")?,
                losses_kw: num("losses_kw")?,
                v_min_pu: num("v_min_pu")?,
                v_min_bus: text("v_min_bus"),
                v_max_pu: num("v_max_pu")?,
                v_max_bus: text("v_max_bus"),
                max_loading_pct: num("max_loading_pct")?,
                max_loading_element: text("max_loading_element"),
                voltage_violations: text("voltage_violations"),
                overloads: text("overloads"),
            });
        }
        Ok(net)
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
        let net = NetworkRun::from_csv("network.csv", &format!("{HEAD}{rows}")).expect("parses");
        assert!(net.is_every_step(2));
        assert!(!net.is_every_step(8760), "two rows are not a year");
        assert_eq!(net.losses_kw(), [2.5, 3.0]);
        assert_eq!(net.max_loading_pct(), [40.0, 45.5]);
        // What it writes, it reads back.
        let again = NetworkRun::from_csv("network.csv", &net.to_csv()).expect("parses");
        assert_eq!(again, net);
        let broken = rows.replacen("2.5", "x", 1);
        let err =
            NetworkRun::from_csv("network.csv", &format!("{HEAD}{broken}")).expect_err("bad cell");
        assert!(
            err.to_string()
                .starts_with("network.csv:2: 'x' in column 5"),
            "{err}"
        );
        let not_converged = "2025-01-01T00:00:00+08:00,peak load,false,,,,,,,,,,\n";
        let net =
            NetworkRun::from_csv("network.csv", &format!("{HEAD}{not_converged}")).expect("parses");
        assert_eq!(net.rows[0].losses_kw, None);
        assert!(net.losses_kw()[0].is_nan());
    }
}
