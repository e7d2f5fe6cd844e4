//! The year report of a parkgrid run: one self-contained HTML page (Apache ECharts inlined, no
//! network) with KPI cards, the annual Sankey, dispatch per carrier, store levels, monthly
//! balances, duration curves, prices against the tariff and the optimal-vs-rule table; and the KPI
//! differences of two runs.
//!
//! The input is a saved run ([`Run`]: `summary.json`, `meta.json`, the time series), so a report
//! can be rebuilt from files without solving again. This crate does no IO: callers read the files
//! and write the page.

mod html;
pub mod i18n;
pub mod kpi;
pub mod prepare;
pub mod run;

pub use html::{ECHARTS, render};
pub use i18n::Lang;
pub use kpi::{KPIS, KpiDef, KpiDiff, compare, format_number, period_mismatch};
pub use run::{
    BusMeta, ColumnMeta, META_FORMAT, Meta, NETWORK_CSV_HEADER, NetworkRow, NetworkRun, PortMeta,
    Run, StoreMeta, quantize,
};

/// A saved run that cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    /// A JSON file is malformed or lacks a field.
    #[error("{file}:{line}: {message}")]
    Json {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The time-series file does not match `meta.json` or has a bad cell.
    #[error("{file}:{line}: {message}")]
    Csv {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}
