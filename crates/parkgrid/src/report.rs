//! `parkgrid report` and `parkgrid compare`, and the saved-run files they read: `summary.json`,
//! `meta.json` and `timeseries.csv` (or `timeseries.parquet`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use parkgrid_report::{KPIS, Lang, Run, format_number};

use crate::InputError;
use crate::table::render;

/// `--lang`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LangArg {
    /// English.
    #[default]
    En,
    /// Simplified Chinese (简体中文).
    Zh,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::En => Lang::En,
            LangArg::Zh => Lang::Zh,
        }
    }
}

fn read(path: &Path) -> Result<String, InputError> {
    parkgrid_model::read_text_file(path).map_err(|e| {
        InputError(format!(
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

/// Reads the saved run in `dir`.
pub fn load_run(dir: &Path) -> Result<Run, InputError> {
    if !dir.is_dir() {
        return Err(InputError(format!(
            "'{}' is not a directory of results",
            dir.display()
        )));
    }
    let summary_path = dir.join("summary.json");
    let meta_path = dir.join("meta.json");
    let summary = read(&summary_path)?;
    let meta = read(&meta_path)?;
    let name = |p: &Path| p.display().to_string();
    let csv_path = dir.join("timeseries.csv");
    let parquet_path = dir.join("timeseries.parquet");
    if csv_path.exists() || !parquet_path.exists() {
        let csv = read(&csv_path)?;
        let mut run = Run::from_csv(
            (&name(&summary_path), &summary),
            (&name(&meta_path), &meta),
            (&name(&csv_path), &csv),
        )
        .map_err(|e| InputError(e.to_string()))?;
        run.network = load_network(dir, run.times.len())?;
        Ok(run)
    } else {
        let (summary, meta) = Run::parse_summary_and_meta(
            (&name(&summary_path), &summary),
            (&name(&meta_path), &meta),
        )
        .map_err(|e| InputError(e.to_string()))?;
        let (times, values) = crate::parquet::read(&parquet_path, &meta)?;
        let network = load_network(dir, times.len())?;
        Ok(Run {
            summary,
            meta,
            times,
            values,
            network,
        })
    }
}

/// The network check of every step in `dir/network.csv`, if there is one.
pub fn load_network(
    dir: &Path,
    n_steps: usize,
) -> Result<Option<parkgrid_report::NetworkRun>, InputError> {
    let path = dir.join("network.csv");
    if !path.exists() {
        return Ok(None);
    }
    let text = read(&path)?;
    parkgrid_report::NetworkRun::from_csv(&path.display().to_string(), &text, n_steps)
        .map_err(|e| InputError(e.to_string()))
}

/// Writes `dir/report.html` for `run`; returns its path.
pub fn write_report(run: &Run, dir: &Path, lang: Lang) -> anyhow::Result<PathBuf> {
    let path = dir.join("report.html");
    std::fs::write(&path, parkgrid_report::render(run, lang))
        .with_context(|| format!("cannot write '{}'", path.display()))?;
    Ok(path)
}

/// `parkgrid report DIR`.
pub fn report(dir: &Path, lang: Lang, quiet: bool) -> anyhow::Result<ExitCode> {
    let run = load_run(dir)?;
    let path = write_report(&run, dir, lang)?;
    if !quiet {
        outln!("wrote {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `parkgrid compare A B`: the KPI differences, printed and written to `out`
/// (`compare.json`, `compare.csv`).
pub fn compare(a: &Path, b: &Path, out: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let summary = |dir: &Path| -> Result<serde_json::Value, InputError> {
        let path = dir.join("summary.json");
        let text = read(&path)?;
        serde_json::from_str(&text)
            .map_err(|e| InputError(format!("{}:{}: {e}", path.display(), e.line())))
    };
    let (sa, sb) = (summary(a)?, summary(b)?);
    let diffs = parkgrid_report::compare(&sa, &sb);
    if diffs.is_empty() {
        return Err(InputError(format!(
            "'{}' and '{}' have no KPI in common",
            a.display(),
            b.display()
        ))
        .into());
    }
    let doc = serde_json::json!({
        "a": a.display().to_string(),
        "b": b.display().to_string(),
        "kpis": diffs,
    });
    std::fs::create_dir_all(out).with_context(|| format!("cannot create '{}'", out.display()))?;
    let json_path = out.join("compare.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("cannot write '{}'", json_path.display()))?;
    let csv_path = out.join("compare.csv");
    let mut csv = String::from("kpi,a,b,diff,rel,verdict\n");
    for d in &diffs {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{}",
            d.key,
            d.a,
            d.b,
            d.diff,
            d.rel.map(|r| r.to_string()).unwrap_or_default(),
            d.verdict
        );
    }
    std::fs::write(&csv_path, csv)
        .with_context(|| format!("cannot write '{}'", csv_path.display()))?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = diffs
        .iter()
        .filter_map(|d| {
            let k = KPIS.iter().find(|k| k.key == d.key)?;
            let signed = |v: f64| {
                let s = format_number(v * k.scale, k.decimals);
                if v * k.scale > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
                    format!("+{s}")
                } else {
                    s
                }
            };
            Some(vec![
                k.en.to_string(),
                k.unit_en.to_string(),
                k.display(d.a),
                k.display(d.b),
                if d.verdict == "same" {
                    String::new()
                } else {
                    signed(d.diff)
                },
                d.rel
                    .filter(|_| d.verdict != "same")
                    .map(|r| format!("{:+.2} %", r * 100.0))
                    .unwrap_or_default(),
                d.verdict.to_string(),
            ])
        })
        .collect();
    outln!("A = {}\nB = {}", a.display(), b.display())?;
    // The terminal table keeps to ASCII signs, as `simulate`'s does.
    let table = render(&["", "unit", "A", "B", "B - A", "change", ""], &rows).replace('−', "-");
    out!("{table}")?;
    outln!("wrote {} and {}", json_path.display(), csv_path.display())?;
    Ok(ExitCode::SUCCESS)
}
