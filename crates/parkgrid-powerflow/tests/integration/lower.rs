//! A park lowered to a network: the Yanqing example's AC/DC network carries a set of injections,
//! the energy balance closes (import = loads − generation + losses), and element outages and
//! ratings show up where they should.

use std::path::Path;

use parkgrid_powerflow::{Element, Injections, Options, check_step, lower};

fn yanqing() -> parkgrid_model::Park {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/yanqing.toml");
    let loaded = parkgrid_model::load(&path).unwrap_or_else(|e| panic!("{e}"));
    loaded
        .park
        .unwrap_or_else(|| panic!("{}", loaded.report.render()))
}

fn injections() -> Injections {
    let mut inj = Injections::default();
    // kW into each bus: loads negative, generation positive.
    for (bus, kw) in [
        ("ac_10kv", -3000.0),
        ("ac_10kv_dc", -2500.0),
        ("ac_10kv_wind", 4000.0),
        ("dc_10kv", -4000.0),
        ("dc_750v", -1500.0),
        ("dc_750v_pv", 2500.0),
        ("dc_375v", -600.0),
    ] {
        inj.bus_kw.insert(bus.to_string(), kw);
    }
    inj
}

#[test]
fn the_yanqing_network_carries_a_step_and_its_balance_closes() {
    let park = yanqing();
    let lowered = lower(&park).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lowered.case.buses.len(), 4);
    assert_eq!(lowered.case.dc_buses.len(), 4);
    assert_eq!(lowered.case.converters.len(), 1, "one VSC");
    assert_eq!(lowered.case.dcdc.len(), 2, "two DC/DC converters");
    let inj = injections();
    let (check, res) = check_step(&lowered, &inj, &Options::default());
    assert!(res.converged, "{res:?}");
    let net_load: f64 = -inj.bus_kw.values().sum::<f64>();
    println!(
        "import {:.1} kW for a net load of {net_load:.1} kW: losses {:.1} kW; V {:.4}…{:.4} p.u.; most loaded {:?}",
        check.import_kw,
        check.losses_kw,
        check.v_min.1,
        check.v_max.1,
        check.max_loading()
    );
    assert!(
        (check.import_kw - net_load - check.losses_kw).abs() < 1e-6 * net_load.abs().max(1.0),
        "import {} = load {net_load} + losses {}",
        check.import_kw,
        check.losses_kw
    );
    // Most of the losses are the 9 km wind feeder's (4 MW at 10 kV: ≈ 3·231²·1.53 Ω ≈ 245 kW).
    let gross: f64 = inj.bus_kw.values().map(|v| v.abs()).sum();
    assert!(
        check.losses_kw > 245.0 && check.losses_kw < 0.05 * gross,
        "{}",
        check.losses_kw
    );
    assert!(check.v_min.1 > 0.9 && check.v_max.1 < 1.1);
    // The VSC feeds the DC side: 4000 + 1500 + 600 − 2500 kW plus the DC/DC losses.
    let vsc = &res.converters[0];
    assert!(
        vsc.p_dc_mw * 1000.0 > 3600.0 && vsc.p_dc_mw * 1000.0 < 3800.0,
        "{vsc:?}"
    );
    for l in &check.loadings {
        assert!(l.fraction >= 0.0 && l.fraction < 1.0, "{l:?}");
    }
}

#[test]
fn an_overloaded_converter_and_an_outage_are_seen() {
    let park = yanqing();
    let mut lowered = lower(&park).unwrap_or_else(|e| panic!("{e}"));
    let mut inj = injections();
    inj.bus_kw.insert("dc_375v".into(), -5000.0);
    let (check, _) = check_step(&lowered, &inj, &Options::default());
    let over: Vec<&str> = check.overloads().map(|l| l.id.as_str()).collect();
    assert_eq!(over, ["dcdc_375"], "3.5 MW DC/DC asked for 5 MW");
    // One ring cable out: the other carries the data centre's feed alone.
    let Some(&Element::Branch(k)) = lowered.elements.get("ring_dc_a") else {
        panic!("ring cable A")
    };
    let (before, _) = check_step(&lowered, &injections(), &Options::default());
    lowered.case.branches[k].in_service = false;
    let (after, _) = check_step(&lowered, &injections(), &Options::default());
    let load = |c: &parkgrid_powerflow::StepCheck, id: &str| {
        c.loadings
            .iter()
            .find(|l| l.id == id)
            .map_or(0.0, |l| l.fraction)
    };
    assert!(load(&after, "ring_dc_b") > 1.9 * load(&before, "ring_dc_b"));
    assert_eq!(load(&after, "ring_dc_a"), 0.0);
}

/// A Dyn5 distribution transformer shifts the LV side by 150°: Newton must start there, from the
/// case's angles and from a flat start. The solution is the unshifted one turned by 150° (to
/// 1e-9), and near pandapower's (tests/data/cases/README.md: 0.985322 p.u. at −151.549°, import
/// 302.623 kW, losses 2.623 kW, loading 51.1 %; the lowering puts the magnetising branch at the
/// HV bus where pandapower's T model puts it mid-winding: 8e-5 p.u. and 0.01 kW apart, with or
/// without the shift).
#[test]
fn a_phase_shifting_transformer_converges_from_any_start() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases/dyn5_transformer.toml");
    let loaded = parkgrid_model::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let park = loaded
        .park
        .unwrap_or_else(|| panic!("{}", loaded.report.render()));
    let mut unshifted = park.clone();
    unshifted.transformer[0].shift_deg = 0.0;
    let mut inj = Injections::default();
    inj.bus_kw.insert("lv".to_string(), -300.0);
    let lv_of = |res: &parkgrid_powerflow::PfResult| {
        res.buses
            .iter()
            .min_by(|a, b| a.vm_pu.total_cmp(&b.vm_pu))
            .cloned()
            .unwrap_or_else(|| panic!("no bus"))
    };
    let plain = lower(&unshifted).unwrap_or_else(|e| panic!("{e}"));
    let (_, plain_res) = check_step(&plain, &inj, &Options::default());
    assert!(plain_res.converged);
    let plain_lv = lv_of(&plain_res);
    let lowered = lower(&park).unwrap_or_else(|e| panic!("{e}"));
    for flat_start in [false, true] {
        let opts = Options {
            flat_start,
            ..Options::default()
        };
        let (check, res) = check_step(&lowered, &inj, &opts);
        assert!(
            res.converged,
            "flat start {flat_start}: {}",
            res.max_mismatch_pu
        );
        let lv = lv_of(&res);
        assert!(
            (lv.vm_pu - plain_lv.vm_pu).abs() < 1e-9,
            "{lv:?} vs {plain_lv:?}"
        );
        assert!(
            (lv.va_deg - (plain_lv.va_deg - 150.0)).abs() < 1e-7,
            "{lv:?}"
        );
        assert!((lv.vm_pu - 0.985322).abs() < 2e-4, "{lv:?}");
        assert!((lv.va_deg - -151.549).abs() < 1e-2, "{lv:?}");
        assert!(
            (check.import_kw - 302.623).abs() < 0.05,
            "{}",
            check.import_kw
        );
        assert!(
            (check.losses_kw - 2.623).abs() < 0.05,
            "{}",
            check.losses_kw
        );
        let t = check.max_loading().unwrap_or_else(|| panic!("no loading"));
        // Winding currents against rated, the HV winding's with its magnetising current, as
        // pandapower's loading_percent (51.10 %).
        assert!((t.fraction - 0.511).abs() < 0.0005, "{t:?}");
    }
}
