//! The sequential AC/DC power flow against a MATACDC-style solver (pyflow-acdc 0.6.11) on the
//! Stagg 5-bus grid with a 3-terminal meshed DC grid: DC voltages within 1e-5 p.u., converter
//! powers within 1e-4 p.u., AC voltages within 1e-6 p.u. and 1e-5°.

use std::path::Path;

use parkgrid_powerflow::{Options, parse_matpower, solve};
use serde_json::Value;

fn data(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/acdc")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(f64::NAN)
}

#[test]
fn matches_the_matacdc_style_reference() {
    let case = parse_matpower("case5_stagg_acdc.m", &data("case5_stagg_acdc.m"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            case.dc_buses.len(),
            case.dc_branches.len(),
            case.converters.len()
        ),
        (3, 3, 3)
    );
    let reference: Value =
        serde_json::from_str(&data("case5_stagg_acdc_results.json")).expect("JSON");
    let r = &reference["results"];
    let res = solve(
        &case,
        &Options {
            tol_pu: 1e-10,
            ..Options::default()
        },
    );
    assert!(res.converged, "{res:?}");
    let base = case.base_mva;
    for c in &res.converters {
        println!("{c:?}");
    }
    for b in &res.dc_buses {
        println!("{b:?}");
    }

    let mut dv = 0.0f64;
    for (b, want) in res
        .dc_buses
        .iter()
        .zip(r["dc_buses"].as_array().expect("dc buses"))
    {
        assert_eq!(
            b.id.to_string(),
            want["busdc"].to_string().trim_matches('"')
        );
        dv = dv.max((b.vdc_pu - f(&want["vdc_pu"])).abs());
    }
    let mut dp = 0.0f64;
    for (c, want) in res
        .converters
        .iter()
        .zip(r["converters"].as_array().expect("converters"))
    {
        for (ours, theirs) in [
            (c.p_ac_mw, &want["ps_mw"]),
            (c.q_ac_mvar, &want["qs_mvar"]),
            (c.p_dc_mw, &want["pdc_into_dc_bus_mw"]),
            (c.loss_mw, &want["loss_station_mw"]),
            (c.loss_converter_mw, &want["loss_converter_mw"]),
        ] {
            dp = dp.max((ours - f(theirs)).abs() / base);
        }
        assert!((c.ic_pu - f(&want["ic_pu"])).abs() < 1e-5);
        assert!((c.vm_c_pu - f(&want["vm_c_pu"])).abs() < 1e-5);
    }
    let (mut dvm, mut dva) = (0.0f64, 0.0f64);
    for (b, want) in res
        .buses
        .iter()
        .zip(r["ac_buses"].as_array().expect("ac buses"))
    {
        dvm = dvm.max((b.vm_pu - f(&want["vm_pu"])).abs());
        dva = dva.max((b.va_deg - f(&want["va_deg"])).abs());
    }
    let loss = f(&r["totals"]["loss_total_mw"]);
    println!(
        "case5_stagg_acdc: {} outer iterations, {} AC Newton iterations; |ΔVdc| {dv:.1e} p.u., converter powers {dp:.1e} p.u., |ΔVm| {dvm:.1e}, |ΔVa| {dva:.1e}°, losses {:.6} MW (reference {loss:.6})",
        res.outer_iterations, res.iterations, res.losses_mw
    );
    assert!(dv <= 1e-5, "DC voltages {dv}");
    assert!(dp <= 1e-4, "converter powers {dp}");
    assert!(dvm <= 1e-6 && dva <= 1e-5, "AC voltages {dvm} {dva}");
    assert!(
        (res.losses_mw - loss).abs() < 1e-3,
        "losses {} vs {loss}",
        res.losses_mw
    );
}

/// The case with converters 1 and 3 under DC-voltage droop instead of constant power.
fn droop_case(pdcset3_mw: f64) -> parkgrid_powerflow::Case {
    let text = data("case5_stagg_acdc.m");
    let pdcset3 = pdcset3_mw.to_string();
    let mut rows = 0;
    let edited: Vec<String> = text
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let conv = cols.len() == 34 && !l.trim_start().starts_with('%');
            if !conv {
                return l.to_string();
            }
            rows += 1;
            let mut c: Vec<String> = cols
                .iter()
                .map(|s| s.trim_end_matches(';').to_string())
                .collect();
            let (pdcset, vdcset) = match c[0].as_str() {
                "1" => ("-58.65198570935994", "1.0079143390625094"),
                "3" => (pdcset3.as_str(), "0.9977849783057876"),
                _ => return l.to_string(),
            };
            c[2] = "3".into();
            c[26] = "0.005".into();
            c[27] = pdcset.into();
            c[28] = vdcset.into();
            format!("\t{};", c.join("\t"))
        })
        .collect();
    assert_eq!(rows, 3);
    parse_matpower("droop.m", &edited.join("\n")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn droop_at_the_slack_solution_reproduces_it_and_holds_its_line_elsewhere() {
    let at = solve(
        &droop_case(36.19064649038102),
        &Options {
            tol_pu: 1e-10,
            ..Options::default()
        },
    );
    assert!(at.converged);
    for (b, want) in at
        .dc_buses
        .iter()
        .zip([1.0079143390625094, 1.0, 0.9977849783057876])
    {
        assert!((b.vdc_pu - want).abs() < 1e-9, "{b:?}");
    }
    // Ask converter 3 for 5 MW more: the DC voltages move and every droop converter sits on its
    // line P = Pdcset + (V − Vdcset)/k, with the slack balancing the rest.
    let case = droop_case(41.19064649038102);
    let res = solve(
        &case,
        &Options {
            tol_pu: 1e-10,
            ..Options::default()
        },
    );
    assert!(res.converged);
    for c in case
        .converters
        .iter()
        .filter(|c| c.dc_control == parkgrid_powerflow::DcControl::Droop)
    {
        let r = res
            .converters
            .iter()
            .find(|r| r.busdc == c.busdc)
            .expect("result");
        let v = res
            .dc_buses
            .iter()
            .find(|b| b.id == c.busdc)
            .expect("bus")
            .vdc_pu;
        let drawn = -r.p_dc_mw / case.base_mva;
        let line = c.pdcset_mw / case.base_mva + (v - c.vdcset_pu) / c.droop;
        assert!(
            (drawn - line).abs() < 1e-9,
            "converter at DC bus {}: {drawn} vs {line}",
            c.busdc
        );
    }
    let net: f64 = res.dc_buses.iter().map(|b| b.p_mw).sum();
    let conv: f64 = res.converters.iter().map(|c| c.p_dc_mw).sum();
    assert!((net - conv).abs() < 1e-8, "DC balance {net} vs {conv}");
    assert!(
        res.dc_buses[2].vdc_pu < at.dc_buses[2].vdc_pu,
        "more drawn, lower voltage"
    );
}

/// The same case with MATACDC 1.0's column layout (`busdc` names the AC bus, `convdc` does not
/// and has no `islcc`, `transformer`, `tm`, `filter`, `reactor` columns) solves the same.
#[test]
fn matacdc_layout_reads_the_same() {
    let text = data("case5_stagg_acdc.m");
    let mut out = Vec::new();
    let mut table = "";
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("mpc.busdc") {
            table = "busdc";
        } else if t.starts_with("mpc.convdc") {
            table = "convdc";
        } else if t.starts_with("];") {
            table = "";
        }
        let cols: Vec<&str> = t.trim_end_matches(';').split_whitespace().collect();
        let numeric = !cols.is_empty() && cols[0].parse::<f64>().is_ok();
        match (table, numeric) {
            ("busdc", true) => {
                let busac = match cols[0] {
                    "1" => "2",
                    "2" => "3",
                    _ => "5",
                };
                let mut c = vec![cols[0], busac];
                c.extend(&cols[1..]);
                out.push(format!("\t{};", c.join("\t")));
            }
            ("convdc", true) => {
                // busdc type_dc type_ac P_g Q_g Vtar rtf xtf bf rc xc basekVac Vmmax Vmmin Imax
                // status LossA LossB LossCrec LossCinv droop Pdcset Vdcset dVdcset
                let pick = [
                    0, 2, 3, 4, 5, 7, 8, 9, 12, 14, 15, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
                    28, 29,
                ];
                let c: Vec<&str> = pick.iter().map(|&i| cols[i]).collect();
                out.push(format!("\t{};", c.join("\t")));
            }
            _ => out.push(line.to_string()),
        }
    }
    let a = parse_matpower("pm.m", &text).unwrap_or_else(|e| panic!("{e}"));
    let b = parse_matpower("matacdc.m", &out.join("\n")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.converters, b.converters);
    assert_eq!(a.dc_buses, b.dc_buses);
    let (ra, rb) = (
        solve(&a, &Options::default()),
        solve(&b, &Options::default()),
    );
    assert_eq!(ra.dc_buses, rb.dc_buses);
}
