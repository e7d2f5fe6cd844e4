//! The saved-run reader (`summary.json`, `meta.json`, `timeseries.csv`, separated in the input by
//! the byte 0x1E) and the report rebuilt from it: an error, or a page whose text and data hold no
//! NaN or infinity.
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
    // What the page shows and its data; the inlined chart library and script that follow the
    // first bare `<script>` hold `NaN` in their own code.
    let shown = page.split("<script>").next().unwrap_or_default();
    for token in ["NaN", "inf%", ">inf", " inf ", ":inf", "Infinity"] {
        assert!(!shown.contains(token), "the page shows {token}");
    }
});
