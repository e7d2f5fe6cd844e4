//! `parkgrid powerflow`: the AC power flow of a MATPOWER case.

use std::path::Path;
use std::process::ExitCode;

use parkgrid_powerflow::{
    BranchResult, BusResult, ConverterResult, DcBusResult, GenResult, QLimit,
};
use parkgrid_powerflow::{Options, parse_matpower, solve};
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
            buses: res.buses.iter().map(JsonBus::from).collect(),
            branches: res.branches.iter().map(JsonBranch::from).collect(),
            gens: res.gens.iter().map(JsonGen::from).collect(),
            outer_iterations: res.outer_iterations,
            dc_buses: res.dc_buses.iter().map(JsonDcBus::from).collect(),
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
    buses: Vec<JsonBus>,
    branches: Vec<JsonBranch>,
    gens: Vec<JsonGen>,
    outer_iterations: usize,
    dc_buses: Vec<JsonDcBus>,
    #[serde(serialize_with = "converters")]
    converters: &'a [ConverterResult],
}

#[derive(Serialize)]
struct JsonBus {
    id: u32,
    vm_pu: f64,
    va_deg: f64,
}

impl From<&BusResult> for JsonBus {
    fn from(b: &BusResult) -> Self {
        Self {
            id: b.id,
            vm_pu: b.vm_pu,
            va_deg: b.va_deg,
        }
    }
}

#[derive(Serialize)]
struct JsonBranch {
    from: u32,
    to: u32,
    pf_mw: f64,
    qf_mvar: f64,
    pt_mw: f64,
    qt_mvar: f64,
}

impl From<&BranchResult> for JsonBranch {
    fn from(b: &BranchResult) -> Self {
        Self {
            from: b.from,
            to: b.to,
            pf_mw: b.pf_mw,
            qf_mvar: b.qf_mvar,
            pt_mw: b.pt_mw,
            qt_mvar: b.qt_mvar,
        }
    }
}

#[derive(Serialize)]
struct JsonGen {
    bus: u32,
    pg_mw: f64,
    qg_mvar: f64,
    /// "max" or "min" when held at a reactive limit.
    at_limit: Option<&'static str>,
}

impl From<&GenResult> for JsonGen {
    fn from(g: &GenResult) -> Self {
        Self {
            bus: g.bus,
            pg_mw: g.pg_mw,
            qg_mvar: g.qg_mvar,
            at_limit: g.at_limit.map(|l| match l {
                QLimit::Max => "max",
                QLimit::Min => "min",
            }),
        }
    }
}

#[derive(Serialize)]
struct JsonDcBus {
    id: u32,
    vdc_pu: f64,
    p_mw: f64,
}

impl From<&DcBusResult> for JsonDcBus {
    fn from(b: &DcBusResult) -> Self {
        Self {
            id: b.id,
            vdc_pu: b.vdc_pu,
            p_mw: b.p_mw,
        }
    }
}

fn converters<S: serde::Serializer>(cs: &&[ConverterResult], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Conv {
        busdc: u32,
        busac: u32,
        p_ac_mw: f64,
        q_ac_mvar: f64,
        p_dc_mw: f64,
        loss_mw: f64,
        loss_converter_mw: f64,
        ic_pu: f64,
        vm_c_pu: f64,
        over_limit: bool,
    }
    s.collect_seq(cs.iter().map(|c| Conv {
        busdc: c.busdc,
        busac: c.busac,
        p_ac_mw: c.p_ac_mw,
        q_ac_mvar: c.q_ac_mvar,
        p_dc_mw: c.p_dc_mw,
        loss_mw: c.loss_mw,
        loss_converter_mw: c.loss_converter_mw,
        ic_pu: c.ic_pu,
        vm_c_pu: c.vm_c_pu,
        over_limit: c.over_limit,
    }))
}
