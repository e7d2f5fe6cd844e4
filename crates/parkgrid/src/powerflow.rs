//! `parkgrid powerflow`: the AC power flow of a MATPOWER case.

use std::path::Path;
use std::process::ExitCode;

use parkgrid_powerflow::{
    BranchResult, BusResult, ConverterResult, DcBusResult, GenResult, Options, parse_matpower,
    solve,
};
use serde::Serialize;

use crate::InputError;
use crate::table::render;

/// Reads and parses a MATPOWER / MATACDC case file; unreadable or malformed files are input
/// errors naming the file (and the line).
pub(crate) fn read_case(path: &Path) -> anyhow::Result<parkgrid_powerflow::Case> {
    let text = parkgrid_model::read_text_file(path)
        .map_err(|e| InputError(format!("cannot read case file '{}': {e}", path.display())))?;
    Ok(parse_matpower(&path.display().to_string(), &text)?)
}

/// Reads, solves and prints; exit 1 when the power flow does not converge.
pub fn run(path: &Path, json_out: bool, opts: Options) -> anyhow::Result<ExitCode> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        return Err(InputError(format!(
            "'{}' looks like a park file; `parkgrid powerflow` reads MATPOWER/MATACDC cases (.m). \
             For a park's network use `parkgrid simulate PARK --network-check` or `parkgrid \
             contingency PARK`",
            path.display()
        ))
        .into());
    }
    let case = read_case(path)?;
    if !(opts.tol_pu > 0.0 && opts.tol_pu.is_finite()) {
        return Err(InputError(format!(
            "--tol must be a positive number, got {}",
            opts.tol_pu
        ))
        .into());
    }
    if opts.q_limits && !case.converters.is_empty() {
        return Err(
            InputError("--q-limits applies to AC cases; this case has converters".into()).into(),
        );
    }
    let res = solve(&case, &opts);
    let notes = case.notes();
    for note in &notes {
        eprintln!("note: {note}");
    }
    if json_out {
        let doc = JsonResult {
            notes: &notes,
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
        // About 150 bytes per bus and per branch as written.
        let mut text = Vec::with_capacity(150 * (res.buses.len() + res.branches.len()) + 4096);
        serde_json::to_writer_pretty(&mut text, &doc)?;
        text.push(b'\n');
        crate::out::write_all(&text)?;
    } else {
        outln!("{}: {case}", path.display())?;
        outln!(
            "  {} after {} iterations, largest mismatch {:.2e} p.u., losses {:.4} MW",
            if res.converged {
                "converged"
            } else {
                "NOT converged"
            },
            res.iterations,
            res.max_mismatch_pu,
            res.losses_mw
        )?;
        let rows: Vec<Vec<String>> = res
            .buses
            .iter()
            .map(|b| {
                vec![
                    b.id.to_string(),
                    format!("{:.6}", b.vm_pu),
                    format!("{:.6}", b.va_deg),
                ]
            })
            .collect();
        out!("{}", render(&["bus", "vm_pu", "va_deg"], &rows))?;
        let rows: Vec<Vec<String>> = res
            .branches
            .iter()
            .map(|b| {
                vec![
                    format!("{}-{}", b.from, b.to),
                    format!("{:.4}", b.pf_mw),
                    format!("{:.4}", b.qf_mvar),
                    format!("{:.4}", b.pt_mw),
                    format!("{:.4}", b.qt_mvar),
                ]
            })
            .collect();
        out!(
            "{}",
            render(&["branch", "pf_mw", "qf_mvar", "pt_mw", "qt_mvar"], &rows)
        )?;
        if !res.dc_buses.is_empty() {
            let rows: Vec<Vec<String>> = res
                .dc_buses
                .iter()
                .map(|b| {
                    vec![
                        b.id.to_string(),
                        format!("{:.6}", b.vdc_pu),
                        format!("{:.4}", b.p_mw),
                    ]
                })
                .collect();
            out!("{}", render(&["DC bus", "vdc_pu", "p_mw"], &rows))?;
            let rows: Vec<Vec<String>> = res
                .converters
                .iter()
                .map(|c| {
                    vec![
                        format!("{}-{}", c.busac, c.busdc),
                        format!("{:.4}", c.p_ac_mw),
                        format!("{:.4}", c.q_ac_mvar),
                        format!("{:.4}", c.p_dc_mw),
                        format!("{:.4}", c.loss_mw),
                        if c.over_limit {
                            "over limit".into()
                        } else {
                            String::new()
                        },
                    ]
                })
                .collect();
            out!(
                "{}",
                render(
                    &[
                        "converter AC-DC",
                        "p_ac_mw",
                        "q_ac_mvar",
                        "p_dc_mw",
                        "loss_mw",
                        ""
                    ],
                    &rows
                )
            )?;
        }
    }
    if res.converged {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: the power flow did not converge (largest mismatch {:.3e} p.u.)",
            res.max_mismatch_pu
        );
        Ok(ExitCode::from(1))
    }
}

/// `powerflow --json`: the document, serialised straight from the results (a case of 10,000
/// buses writes in a few milliseconds).
#[derive(Serialize)]
struct JsonResult<'a> {
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
