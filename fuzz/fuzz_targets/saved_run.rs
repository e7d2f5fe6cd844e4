//! The saved-run reader (`summary.json`, `meta.json`, `timeseries.csv`, separated in the input by
//! the byte 0x1E) and the report rebuilt from it: an error, or a page with no NaN or infinity.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parkgrid_report::{Lang, Run, render};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\u{1e}');
    let (Some(summary), Some(meta), Some(csv)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let Ok(run) = Run::from_csv(
        ("summary.json", summary),
        ("meta.json", meta),
        ("timeseries.csv", csv),
    ) else {
        return;
    };
    let page = render(&run, Lang::En);
    for token in ["NaN", "inf%", ">inf", " inf "] {
        assert!(!page.contains(token), "the page shows {token}");
    }
});
