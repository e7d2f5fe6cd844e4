//! `parkgrid report` and `parkgrid compare`, on the saved runs the engine reads
//! (`parkgrid_engine::read_run`).

use std::path::Path;
use std::process::ExitCode;

use parkgrid_report::Lang;

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

/// `parkgrid report DIR`.
pub fn report(dir: &Path, lang: Lang, quiet: bool) -> anyhow::Result<ExitCode> {
    let run = parkgrid_engine::read_run(dir)?;
    let path = parkgrid_engine::write_report(&run, dir, lang)?;
    if !quiet {
        outln!("wrote {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `parkgrid compare A B`: the KPI differences, printed and written to `out`
/// (`compare.json`, `compare.csv`).
pub fn compare(a: &Path, b: &Path, out: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let cmp = parkgrid_engine::compare_runs(a, b, out)?;
    if let Some(why) = &cmp.period_mismatch {
        eprintln!(
            "warning: the runs cover different spans ({why}); their totals are not comparable"
        );
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&cmp.json)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("A = {}\nB = {}", a.display(), b.display())?;
    out!("{}", render(&parkgrid_engine::table::compare(&cmp.diffs)))?;
    let (json_path, csv_path) = (cmp.json_path.display(), cmp.csv_path.display());
    outln!("wrote {json_path} and {csv_path}")?;
    Ok(ExitCode::SUCCESS)
}
