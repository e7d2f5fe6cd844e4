//! `parkgrid report` and `parkgrid compare`, on the saved runs the engine reads
//! (`parkgrid_engine::read_run`).

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

/// Writes `dir/report.html` for `run`; returns its path.
pub fn write_report(run: &Run, dir: &Path, lang: Lang) -> anyhow::Result<PathBuf> {
    let path = dir.join("report.html");
    std::fs::write(&path, parkgrid_report::render(run, lang))
        .with_context(|| format!("cannot write '{}'", path.display()))?;
    Ok(path)
}

/// `parkgrid report DIR`.
pub fn report(dir: &Path, lang: Lang, quiet: bool) -> anyhow::Result<ExitCode> {
    let run = parkgrid_engine::read_run(dir)?;
    let path = write_report(&run, dir, lang)?;
    if !quiet {
        outln!("wrote {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `parkgrid compare A B`: the KPI differences, printed and written to `out`
/// (`compare.json`, `compare.csv`).
pub fn compare(a: &Path, b: &Path, out: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let (sa, sb) = (
        parkgrid_engine::read_summary(a)?,
        parkgrid_engine::read_summary(b)?,
    );
    let diffs = parkgrid_report::compare(&sa, &sb);
    if let Some(why) = parkgrid_report::period_mismatch(&sa, &sb) {
        eprintln!(
            "warning: the runs cover different spans ({why}); their totals are not comparable"
        );
    }
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
