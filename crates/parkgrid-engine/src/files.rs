//! The run files, written and read here only: `summary.json`, `meta.json`, the time series as
//! `timeseries.csv` or `timeseries.parquet`, and `network.csv` when the network was checked.
//! What [`write_run`] writes, [`read_run`] gives back equal (the series at the decimals the
//! files keep: see [`crate::SERIES_DECIMALS`]).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use parkgrid_report::{ColumnMeta, KpiDiff, Lang, NetworkRun, Run};

use crate::EngineError;
use crate::year::SERIES_DECIMALS;

/// How the time series are saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `timeseries.csv`: `time` (RFC 3339 with the site's offset), then one column per series
    /// named `id.quantity`.
    Csv,
    /// `timeseries.parquet` (feature `parquet`): see [`crate::parquet`].
    Parquet,
}

impl Format {
    /// Refuses a format this build cannot write.
    ///
    /// # Errors
    /// [`EngineError::Input`] for Parquet in a build without the `parquet` feature.
    pub fn check(self) -> Result<(), EngineError> {
        if self == Format::Parquet && !crate::parquet::ENABLED {
            return Err(crate::parquet::disabled());
        }
        Ok(())
    }
}

/// The files [`write_run`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `summary.json`.
    pub summary: PathBuf,
    /// `meta.json`.
    pub meta: PathBuf,
    /// `timeseries.csv` or `timeseries.parquet`.
    pub series: PathBuf,
    /// `network.csv`, when the run has a network check.
    pub network: Option<PathBuf>,
}

/// Writes `run` into `dir` (created if missing), removing a time-series file of the other format
/// and a `network.csv` an earlier run left, which would no longer match.
///
/// # Errors
/// [`EngineError::Write`] naming the file; [`EngineError::Input`] for Parquet in a build without
/// it.
pub fn write_run(run: &Run, dir: &Path, format: Format) -> Result<Written, EngineError> {
    format.check()?;
    std::fs::create_dir_all(dir).map_err(EngineError::write(dir))?;
    let summary = dir.join("summary.json");
    write_json(&summary, &run.summary)?;
    let meta = dir.join("meta.json");
    write_json(&meta, &run.meta)?;
    let (csv, parquet) = (dir.join("timeseries.csv"), dir.join("timeseries.parquet"));
    let series = match format {
        Format::Csv => {
            write_csv(run, &csv)?;
            remove_stale(&parquet)?;
            csv
        }
        Format::Parquet => {
            let times = run
                .times
                .iter()
                .map(|t| Ok((unix_millis(t)?, t.clone())))
                .collect::<Result<Vec<(i64, String)>, EngineError>>()?;
            let names: Vec<String> = run.meta.columns.iter().map(ColumnMeta::name).collect();
            let values: Vec<&[f64]> = run.values.iter().map(Vec::as_slice).collect();
            crate::parquet::write(&parquet, &times, &names, &values)?;
            remove_stale(&csv)?;
            parquet
        }
    };
    let network_path = dir.join("network.csv");
    let network = match &run.network {
        Some(net) => {
            std::fs::write(&network_path, net.to_csv())
                .map_err(EngineError::write(&network_path))?;
            Some(network_path)
        }
        None => {
            remove_stale(&network_path)?;
            None
        }
    };
    Ok(Written {
        summary,
        meta,
        series,
        network,
    })
}

/// Reads the run `write_run` wrote into `dir` (`timeseries.csv` if present, else
/// `timeseries.parquet`).
///
/// # Errors
/// [`EngineError::Input`] naming the file (and line) that is missing or malformed.
pub fn read_run(dir: &Path) -> Result<Run, EngineError> {
    if !dir.is_dir() {
        return Err(EngineError::Input(format!(
            "'{}' is not a directory of results",
            dir.display()
        )));
    }
    let summary_path = dir.join("summary.json");
    let meta_path = dir.join("meta.json");
    let summary = read(&summary_path)?;
    let meta = read(&meta_path)?;
    let name = |p: &Path| p.display().to_string();
    let input = |e: parkgrid_report::ReportError| EngineError::Input(e.to_string());
    let csv_path = dir.join("timeseries.csv");
    let parquet_path = dir.join("timeseries.parquet");
    let mut run = if csv_path.exists() || !parquet_path.exists() {
        let csv = read(&csv_path)?;
        Run::from_csv(
            (&name(&summary_path), &summary),
            (&name(&meta_path), &meta),
            (&name(&csv_path), &csv),
        )
        .map_err(input)?
    } else {
        let (summary, meta) = Run::parse_summary_and_meta(
            (&name(&summary_path), &summary),
            (&name(&meta_path), &meta),
        )
        .map_err(input)?;
        let (times, values) = crate::parquet::read(&parquet_path, &meta)?;
        Run {
            summary,
            meta,
            times,
            values,
            network: None,
        }
    };
    let network_path = dir.join("network.csv");
    if network_path.exists() {
        let text = read(&network_path)?;
        run.network = Some(NetworkRun::from_csv(&name(&network_path), &text).map_err(input)?);
    }
    Ok(run)
}

/// Reads the `summary.json` of the run in `dir`.
///
/// # Errors
/// [`EngineError::Input`] naming the file (and line).
pub fn read_summary(dir: &Path) -> Result<serde_json::Value, EngineError> {
    let path = dir.join("summary.json");
    let text = read(&path)?;
    serde_json::from_str(&text)
        .map_err(|e| EngineError::Input(format!("{}:{}: {e}", path.display(), e.line())))
}

/// Writes `dir/report.html`, the year report of `run` with labels in `lang`; returns its path.
///
/// # Errors
/// [`EngineError::Write`] naming the file.
pub fn write_report(run: &Run, dir: &Path, lang: Lang) -> Result<PathBuf, EngineError> {
    let path = dir.join("report.html");
    std::fs::write(&path, parkgrid_report::render(run, lang)).map_err(EngineError::write(&path))?;
    Ok(path)
}

/// Two runs' KPIs compared: what [`compare_runs`] found and wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Each KPI both runs hold, B against A.
    pub diffs: Vec<KpiDiff>,
    /// Why the two runs' totals are not comparable (different spans), when they are not.
    pub period_mismatch: Option<String>,
    /// `compare.json`: `a`, `b` (the directories) and `kpis`.
    pub json: serde_json::Value,
    /// The file `json` was written to.
    pub json_path: PathBuf,
    /// `compare.csv`: `kpi,a,b,diff,rel,verdict`.
    pub csv_path: PathBuf,
}

/// Compares the KPIs of the saved runs `a` and `b` (B against A) and writes `compare.json` and
/// `compare.csv` into `out` (created if missing).
///
/// # Errors
/// [`EngineError::Input`] when a `summary.json` cannot be read or the runs have no KPI in common;
/// [`EngineError::Write`] naming the file.
pub fn compare_runs(a: &Path, b: &Path, out: &Path) -> Result<Comparison, EngineError> {
    let (sa, sb) = (read_summary(a)?, read_summary(b)?);
    let diffs = parkgrid_report::compare(&sa, &sb);
    if diffs.is_empty() {
        return Err(EngineError::Input(format!(
            "'{}' and '{}' have no KPI in common",
            a.display(),
            b.display()
        )));
    }
    let json = serde_json::json!({
        "a": a.display().to_string(),
        "b": b.display().to_string(),
        "kpis": diffs,
    });
    std::fs::create_dir_all(out).map_err(EngineError::write(out))?;
    let json_path = out.join("compare.json");
    write_json(&json_path, &json)?;
    let csv_path = out.join("compare.csv");
    let mut csv = String::from("kpi,a,b,diff,rel,verdict\n");
    for d in &diffs {
        let rel = d.rel.map(|r| r.to_string()).unwrap_or_default();
        let _ = writeln!(
            csv,
            "{},{},{},{},{rel},{}",
            d.key, d.a, d.b, d.diff, d.verdict
        );
    }
    std::fs::write(&csv_path, csv).map_err(EngineError::write(&csv_path))?;
    Ok(Comparison {
        period_mismatch: parkgrid_report::period_mismatch(&sa, &sb),
        diffs,
        json,
        json_path,
        csv_path,
    })
}

fn read(path: &Path) -> Result<String, EngineError> {
    parkgrid_model::read_text_file(path).map_err(|e| {
        EngineError::Input(format!(
            "cannot read '{}': {e}{}",
            path.display(),
            if e.kind() == std::io::ErrorKind::NotFound {
                " (is this a directory written by `parkgrid simulate`?)"
            } else {
                ""
            }
        ))
    })
}

fn write_csv(run: &Run, path: &Path) -> Result<(), EngineError> {
    let f = std::fs::File::create(path).map_err(EngineError::write(path))?;
    let mut w = std::io::BufWriter::new(f);
    let mut header = String::from("time");
    for c in &run.meta.columns {
        let _ = write!(header, ",{}", c.name());
    }
    let mut write = || -> std::io::Result<()> {
        writeln!(w, "{header}")?;
        let decimals = SERIES_DECIMALS as usize;
        for (t, time) in run.times.iter().enumerate() {
            let mut line = time.clone();
            for s in &run.values {
                let _ = write!(
                    line,
                    ",{:.decimals$}",
                    s.get(t).copied().unwrap_or(f64::NAN)
                );
            }
            writeln!(w, "{line}")?;
        }
        w.flush()
    };
    write().map_err(EngineError::write(path))
}

/// A file of the other format left by an earlier run would no longer match `meta.json`.
fn remove_stale(path: &Path) -> Result<(), EngineError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(EngineError::Write {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Unix milliseconds of an RFC 3339 time with offset, as the run files write them.
fn unix_millis(rfc3339: &str) -> Result<i64, EngineError> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|d| d.timestamp_millis())
        .map_err(|e| EngineError::Input(format!("time '{rfc3339}' is not RFC 3339: {e}")))
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), EngineError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| EngineError::write(path)(std::io::Error::other(e)))?;
    std::fs::write(path, text + "\n").map_err(EngineError::write(path))
}
