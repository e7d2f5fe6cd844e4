//! The power flow of a MATPOWER / MATACDC case file: read, checked and solved
//! ([`solve_case`]), and its result as a JSON document ([`CaseSolution::json`]).

use std::path::Path;

use parkgrid_powerflow::{
    BranchResult, BusResult, Case, ConverterResult, DcBusResult, GenResult, Options, PfResult,
    parse_matpower, solve,
};
use serde::Serialize;

use crate::EngineError;

/// Reads and parses a MATPOWER / MATACDC case file.
///
/// # Errors
/// [`EngineError::Input`] naming the file when it cannot be read; [`EngineError::Case`] naming
/// the line when it is malformed.
pub fn read_case(path: &Path) -> Result<Case, EngineError> {
    let text = parkgrid_model::read_text_file(path).map_err(|e| {
        EngineError::Input(format!("cannot read case file '{}': {e}", path.display()))
    })?;
    Ok(parse_matpower(&path.display().to_string(), &text)?)
}

/// A case and its power flow.
#[derive(Debug, Clone)]
pub struct CaseSolution {
    /// The case as read.
    pub case: Case,
    /// What the reader noted about it (conventions applied, elements ignored).
    pub notes: Vec<String>,
    /// The power flow; `converged` says whether it is one.
    pub result: PfResult,
}

/// Reads the case at `path` and solves its power flow with `opts`.
///
/// # Errors
/// [`EngineError::Input`] for a park file given instead of a case, a tolerance that is not a
/// positive number, reactive limits asked of a case with converters, an unreadable file;
/// [`EngineError::Case`] for a malformed one. A power flow that does not converge is a result.
pub fn solve_case(path: &Path, opts: &Options) -> Result<CaseSolution, EngineError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        return Err(EngineError::Input(format!(
            "'{}' looks like a park file; `parkgrid powerflow` reads MATPOWER/MATACDC cases (.m). \
             For a park's network use `parkgrid simulate PARK --network-check` or `parkgrid \
             contingency PARK`",
            path.display()
        )));
    }
    let case = read_case(path)?;
    if !(opts.tol_pu > 0.0 && opts.tol_pu.is_finite()) {
        return Err(EngineError::Input(format!(
            "--tol must be a positive number, got {}",
            opts.tol_pu
        )));
    }
    if opts.q_limits && !case.converters.is_empty() {
        return Err(EngineError::Input(
            "--q-limits applies to AC cases; this case has converters".into(),
        ));
    }
    let result = solve(&case, opts);
    let notes = case.notes();
    Ok(CaseSolution {
        case,
        notes,
        result,
    })
}

/// `powerflow --json`: the document, serialised straight from the results (a case of 10,000
/// buses writes in a few milliseconds).
#[derive(Serialize)]
struct Doc<'a> {
    notes: &'a [String],
    converged: bool,
    iterations: usize,
    max_mismatch_pu: f64,
    losses_mw: f64,
    buses: &'a [BusResult],
    branches: &'a [BranchResult],
    gens: &'a [GenResult],
    outer_iterations: usize,
    dc_buses: &'a [DcBusResult],
    converters: &'a [ConverterResult],
}

impl CaseSolution {
    /// The solution as pretty-printed JSON, newline-terminated: `notes`, `converged`,
    /// `iterations`, `max_mismatch_pu`, `losses_mw` (MW), `buses` (`vm_pu`, `va_deg`),
    /// `branches` (MW, MVAr at each end), `gens`, `outer_iterations`, `dc_buses`, `converters`.
    /// [`CaseSolution::write_json`] writes the same text to a stream without holding it.
    pub fn json(&self) -> Vec<u8> {
        let res = &self.result;
        // About 190 bytes per bus, branch and generator as written.
        let mut text = Vec::with_capacity(
            200 * (res.buses.len() + res.branches.len() + res.gens.len()) + 4096,
        );
        // Serialising plain numbers and strings into memory cannot fail.
        let _ = self.write_json(&mut text);
        text
    }

    /// Writes [`CaseSolution::json`]'s text to `out` (give it a buffered writer: the text is
    /// written in many small pieces — a 10,000-bus case is about 5 MB).
    ///
    /// # Errors
    /// The writer's error (a closed pipe, a full disk).
    pub fn write_json<W: std::io::Write>(&self, mut out: W) -> std::io::Result<()> {
        let res = &self.result;
        let doc = Doc {
            notes: &self.notes,
            converged: res.converged,
            iterations: res.iterations,
            max_mismatch_pu: res.max_mismatch_pu,
            losses_mw: res.losses_mw,
            buses: &res.buses,
            branches: &res.branches,
            gens: &res.gens,
            outer_iterations: res.outer_iterations,
            dc_buses: &res.dc_buses,
            converters: &res.converters,
        };
        serde_json::to_writer_pretty(&mut out, &doc).map_err(std::io::Error::from)?;
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case14() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../parkgrid-powerflow/tests/data/case14.m")
    }

    #[test]
    fn a_case_solves_and_its_json_reads_back() {
        let sol = solve_case(&case14(), &crate::pf_options()).expect("case14");
        assert!(sol.result.converged);
        let v: serde_json::Value = serde_json::from_slice(&sol.json()).expect("JSON");
        assert_eq!(v["buses"].as_array().map(Vec::len), Some(14));
        assert_eq!(v["converged"], true);
    }

    #[test]
    fn arguments_that_cannot_work_are_input_errors() {
        let bad_tol = Options {
            tol_pu: f64::NAN,
            ..crate::pf_options()
        };
        for (path, opts, names) in [
            (
                Path::new("park.toml").to_path_buf(),
                crate::pf_options(),
                "park.toml",
            ),
            (case14(), bad_tol, "--tol"),
            (
                Path::new("no/case.m").to_path_buf(),
                crate::pf_options(),
                "no/case.m",
            ),
        ] {
            let err = solve_case(&path, &opts).expect_err("refused");
            assert!(err.is_input(), "{err}");
            assert!(err.to_string().contains(names), "names {names}: {err}");
        }
    }
}
