//! The CSV reader of profiles and weather on any text: a table whose every column is finite
//! numbers or an error naming line and column, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parkgrid_resource::csvdata::parse_csv;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(table) = parse_csv("fuzz.csv", text) else {
        return;
    };
    for name in table.headers().iter().skip(1) {
        if let Ok(values) = table.column(name) {
            assert!(values.iter().all(|v| v.is_finite()), "column {name}");
        }
        let _ = table.column_within(name, 0.0, 1.0, "a per-unit availability");
    }
});
