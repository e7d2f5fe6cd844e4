//! The MATPOWER / MATACDC reader and the power flow on any text: a case or an error naming a
//! line; a converged power flow has finite voltages and flows everywhere.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parkgrid_powerflow::{Options, parse_matpower, solve};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let case = match parse_matpower("fuzz.m", text) {
        Ok(case) => case,
        Err(e) => {
            assert!(e.line > 0 || !e.message.is_empty());
            return;
        }
    };
    let _ = case.notes();
    // Large cases are the reader's business here, not Newton's.
    if case.buses.len() > 300 {
        return;
    }
    let res = solve(
        &case,
        &Options {
            max_iter: 8,
            ..Options::default()
        },
    );
    if res.converged {
        assert!(
            res.buses
                .iter()
                .all(|b| b.vm_pu.is_finite() && b.va_deg.is_finite())
        );
        assert!(
            res.branches
                .iter()
                .all(|b| b.pf_mw.is_finite() && b.qt_mvar.is_finite())
        );
        assert!(res.losses_mw.is_finite());
    }
});
