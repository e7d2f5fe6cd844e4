//! `parkgrid contingency`: N-1 of a park (at one step of its rule-based dispatch) or of a
//! MATPOWER / MATACDC case.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use parkgrid_dispatch::{Config, Strategy};
use parkgrid_powerflow::{Options, lower, lowered_from_case, n_minus_1, parse_matpower};
use serde_json::json;

use crate::InputError;
use crate::network::StepInjections;
use crate::table::render;

/// Runs N-1 on `path` (a park file, or a case file ending in `.m`).
pub fn run(
    path: &Path,
    step: Option<usize>,
    json_out: bool,
    top: usize,
) -> anyhow::Result<ExitCode> {
    let opts = Options {
        max_iter: 20,
        ..Options::default()
    };
    let (title, base) = if path.extension().is_some_and(|e| e == "m") {
        let text = parkgrid_model::read_text_file(path)
            .map_err(|e| InputError(format!("cannot read case file '{}': {e}", path.display())))?;
        let case = parse_matpower(&path.display().to_string(), &text)?;
        (
            format!("{}: {case}", path.display()),
            lowered_from_case(&case),
        )
    } else {
        let loaded = parkgrid_model::load(path)?;
        let Some(park) = &loaded.park else {
            eprint!("{}", loaded.report.render());
            return Ok(ExitCode::from(2));
        };
        let profiles = parkgrid_resource::park_profiles(park)?;
        let rule = parkgrid_dispatch::run(
            park,
            &profiles,
            Config {
                strategy: Strategy::Rule,
                ..Config::default()
            },
        )?;
        let lowered = lower(park).map_err(|e| InputError(format!("contingency: {e}")))?;
        let inj = StepInjections::new(park, &rule, &lowered);
        let n = profiles.axis.n_steps;
        let t = match step {
            Some(t) if t < n => t,
            Some(t) => {
                return Err(
                    InputError(format!("--step {t} is beyond the {n} steps of the year")).into(),
                );
            }
            None => inj.peak_load_step(n).unwrap_or(0),
        };
        let mut lowered = lowered;
        lowered.case = lowered.apply(&inj.at(t));
        (
            format!(
                "{} at step {t} ({}{}) of the rule-based dispatch",
                park.site.name,
                profiles.axis.time(t).format("%Y-%m-%d %H:%M"),
                if step.is_none() { ", peak load" } else { "" }
            ),
            lowered,
        )
    };
    let (intact, list) = n_minus_1(&base, &opts);
    if json_out {
        let v = json!({
            "title": title,
            "intact": {"converged": intact.converged, "voltage_violations": intact.voltage_violations.len(),
                       "overloads": intact.overloads().count(), "losses_kw": intact.losses_kw},
            "contingencies": list.iter().enumerate().map(|(rank, c)| json!({
                "rank": rank + 1,
                "element": c.element,
                "kind": c.kind,
                "islanded": c.islanded,
                "lost_load_mw": c.lost_load_mw,
                "converged": c.check.converged,
                "voltage_violations": c.check.voltage_violations.iter().map(|v| json!({"bus": v.bus, "v_pu": v.v_pu})).collect::<Vec<_>>(),
                "overloads": c.check.overloads().map(|l| json!({"element": l.id, "loading": l.fraction})).collect::<Vec<_>>(),
                "max_loading": c.check.max_loading().map(|l| json!({"element": l.id, "loading": l.fraction})),
                "v_min_pu": c.check.v_min.1,
                "v_max_pu": c.check.v_max.1,
            })).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&v).context("JSON")?)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("N-1 of {title}")?;
    outln!(
        "  intact: {}, {} voltages out of band, {} overloads, losses {:.1} kW",
        if intact.converged {
            "solved"
        } else {
            "NOT solved"
        },
        intact.voltage_violations.len(),
        intact.overloads().count(),
        intact.losses_kw
    )?;
    let rows: Vec<Vec<String>> = list
        .iter()
        .take(top)
        .enumerate()
        .map(|(rank, c)| {
            let ch = &c.check;
            vec![
                (rank + 1).to_string(),
                c.element.clone(),
                c.kind.to_string(),
                if ch.converged {
                    "yes".into()
                } else {
                    "NO".into()
                },
                c.islanded.len().to_string(),
                format!("{:.3}", c.lost_load_mw),
                ch.voltage_violations.len().to_string(),
                ch.overloads().count().to_string(),
                ch.max_loading().map_or(String::new(), |l| {
                    format!("{} {:.0} %", l.id, l.fraction * 100.0)
                }),
                format!("{:.4}", ch.v_min.1),
            ]
        })
        .collect();
    out!(
        "{}",
        render(
            &[
                "#",
                "out",
                "kind",
                "solved",
                "islanded",
                "lost MW",
                "V viol.",
                "overloads",
                "most loaded",
                "V min"
            ],
            &rows
        )
    )?;
    if list.len() > top {
        outln!(
            "  … {} more (--top {} shows all)",
            list.len() - top,
            list.len()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
