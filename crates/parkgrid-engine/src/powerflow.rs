//! The power flow of a MATPOWER / MATACDC case file: read, checked and solved
//! ([`solve_case`]), and its result as a JSON document ([`CaseSolution::json`]).

use std::path::Path;

use parkgrid_powerflow::{
    BranchResult, BusResult, Case, ConverterResult, DcBusResult, GenResult, Island, IslandState,
    Options, PfResult, parse_matpower, solve,
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
    let islands = parkgrid_powerflow::islands(&case);
    if islands.iter().all(|i| i.state == IslandState::DeEnergised) {
        return Err(EngineError::Input(format!(
            "{}: no generator in service energises any bus ({} buses, {} generators in service): \
             there is no power flow to solve",
            path.display(),
            case.buses.len(),
            case.gens.iter().filter(|g| g.in_service).count()
        )));
    }
    let result = solve(&case, opts);
    let mut notes = case.notes();
    notes.extend(island_notes(&result.islands));
    Ok(CaseSolution {
        case,
        notes,
        result,
    })
}

/// One sentence per island not solved as the case gives it: de-energised (its buses and lost
/// load), solved with a reference of its own, or shedding load.
fn island_notes(islands: &[Island]) -> Vec<String> {
    let buses = |i: &Island| {
        let ids: Vec<String> = i
            .buses
            .iter()
            .map(u32::to_string)
            .chain(i.dc_buses.iter().map(|b| format!("DC {b}")))
            .collect();
        let more = if ids.len() > 12 {
            format!(" and {} more", ids.len() - 12)
        } else {
            String::new()
        };
        format!("{}{more}", ids[..ids.len().min(12)].join(", "))
    };
    islands
        .iter()
        .filter_map(|i| match i.state {
            IslandState::Reference => None,
            IslandState::DeEnergised => Some(format!(
                "{} {} {} cut off from every generator in service: de-energised (voltage 0), \
                 {:.3} MW of load lost",
                if i.buses.len() + i.dc_buses.len() == 1 {
                    "bus"
                } else {
                    "buses"
                },
                buses(i),
                if i.buses.len() + i.dc_buses.len() == 1 {
                    "is"
                } else {
                    "are"
                },
                i.load_mw
            )),
            IslandState::OwnSlack { slack } => Some(format!(
                "the island of buses {} has no reference bus with a generator in service: bus \
                 {slack} takes its reference",
                buses(i)
            )),
            IslandState::Shed { slack, shed_mw } => Some(format!(
                "the island of buses {} has no reference bus and its generators cannot carry its \
                 {:.3} MW of load: bus {slack} takes its reference and {shed_mw:.3} MW is shed",
                buses(i),
                i.load_mw
            )),
        })
        .collect()
}

/// `powerflow --json`: the document, serialised straight from the results (a case of 10,000
/// buses writes in a few milliseconds).
/// A power flow that did not converge has no results: only its iterations and mismatch.
#[derive(Serialize)]
struct Doc<'a> {
    notes: &'a [String],
    converged: bool,
    iterations: usize,
    max_mismatch_pu: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    losses_mw: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    buses: Option<&'a [BusResult]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    branches: Option<&'a [BranchResult]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gens: Option<&'a [GenResult]>,
    outer_iterations: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    dc_buses: Option<&'a [DcBusResult]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    converters: Option<&'a [ConverterResult]>,
}

impl CaseSolution {
    /// The solution as pretty-printed JSON, newline-terminated: `notes`, `converged`,
    /// `iterations`, `max_mismatch_pu`, `losses_mw` (MW), `buses` (`vm_pu`, `va_deg`),
    /// `branches` (MW, MVAr at each end), `gens`, `outer_iterations`, `dc_buses`, `converters` —
    /// the results only when the power flow converged.
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
        let ok = res.converged;
        let doc = Doc {
            notes: &self.notes,
            converged: ok,
            iterations: res.iterations,
            max_mismatch_pu: res.max_mismatch_pu,
            losses_mw: ok.then_some(res.losses_mw),
            buses: ok.then_some(&res.buses[..]),
            branches: ok.then_some(&res.branches[..]),
            gens: ok.then_some(&res.gens[..]),
            outer_iterations: res.outer_iterations,
            dc_buses: ok.then_some(&res.dc_buses[..]),
            converters: ok.then_some(&res.converters[..]),
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

    /// case14 edited and written to a file of its own for one test.
    fn edited(name: &str, edit: impl Fn(String) -> String) -> std::path::PathBuf {
        let text = std::fs::read_to_string(case14()).expect("case14");
        let dir = std::env::temp_dir().join(format!("parkgrid-pf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join(name);
        std::fs::write(&path, edit(text)).expect("writes");
        path
    }

    /// Bus 8 of case14 (a synchronous condenser) hangs on branch 7–8 alone: with the branch out
    /// it is an island with a generator and no reference (it takes its own); with its
    /// generator out too it is de-energised — each named in a note. With every generator out,
    /// nothing is solved: refused.
    #[test]
    fn islands_are_named_and_a_case_without_generators_is_refused() {
        let branch = "\t7\t8\t0\t0.17615\t0\t0\t0\t0\t0\t0\t1";
        let branch_out = "\t7\t8\t0\t0.17615\t0\t0\t0\t0\t0\t0\t0";
        let own = edited("own.m", |t| t.replace(branch, branch_out));
        let sol = solve_case(&own, &crate::pf_options()).expect("solves");
        assert!(sol.result.converged);
        assert!(
            sol.notes.iter().any(|n| n
                == "the island of buses 8 has no reference bus with a generator in service: bus \
                    8 takes its reference"),
            "{:?}",
            sol.notes
        );
        let dead = edited("dead.m", |t| {
            t.replace(branch, branch_out).replace(
                "\t8\t0\t17.4\t24\t-6\t1.09\t100\t1",
                "\t8\t0\t17.4\t24\t-6\t1.09\t100\t0",
            )
        });
        let sol = solve_case(&dead, &crate::pf_options()).expect("solves");
        assert!(sol.result.converged);
        assert!(
            sol.notes.iter().any(|n| n
                == "bus 8 is cut off from every generator in service: de-energised (voltage 0), \
                    0.000 MW of load lost"),
            "{:?}",
            sol.notes
        );
        let none = edited("none.m", |t| {
            let (head, rest) = t.split_once("mpc.gen = [").expect("gen");
            let (rows, tail) = rest.split_once("];").expect("end");
            let off: Vec<String> = rows
                .lines()
                .map(|l| {
                    let mut f: Vec<&str> = l.split('\t').collect();
                    if f.len() > 8 {
                        f[8] = "0";
                    }
                    f.join("\t")
                })
                .collect();
            format!("{head}mpc.gen = [{}];{tail}", off.join("\n"))
        });
        let err = solve_case(&none, &crate::pf_options()).expect_err("refused");
        assert!(err.is_input(), "{err}");
        assert!(err.to_string().contains("no generator in service"), "{err}");
    }

    /// A power flow that does not converge lends no numbers: its JSON has the iterations and the
    /// mismatch, no voltages, flows or losses.
    #[test]
    fn a_power_flow_that_did_not_converge_has_no_results() {
        let opts = Options {
            max_iter: 1,
            ..crate::pf_options()
        };
        let sol = solve_case(&case14(), &opts).expect("runs");
        assert!(!sol.result.converged);
        let v: serde_json::Value = serde_json::from_slice(&sol.json()).expect("JSON");
        assert_eq!(v["converged"], false);
        assert_eq!(v["iterations"], 1);
        for absent in [
            "buses",
            "branches",
            "gens",
            "losses_mw",
            "dc_buses",
            "converters",
        ] {
            assert!(v.get(absent).is_none(), "{absent}: {v}");
        }
    }
}
