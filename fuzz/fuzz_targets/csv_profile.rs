//! The CSV readers on any text: the profiles' and weather's (a table whose every column is
//! finite numbers or an error naming line and column) and the forecasts' data files (a series
//! on a regular axis, whose forecast is always issued with finite quantiles) — never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parkgrid_forecast::{Calendar, Forecaster, Inputs, Model, read_csv};
use parkgrid_resource::csvdata::parse_csv;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    forecast(text);
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

/// The forecasts' reader on the text's first value column, and every model's forecast from the
/// middle of a short series.
fn forecast(text: &str) {
    let Some(column) = text
        .lines()
        .next()
        .and_then(|h| h.split(',').nth(1))
        .map(str::trim)
    else {
        return;
    };
    let Ok(table) = read_csv("fuzz.csv", text, column, None, None) else {
        return;
    };
    let s = &table.target;
    if s.len() > 4_000 {
        return;
    }
    let calendar = Calendar::default();
    let inputs = Inputs::new(s, None, &calendar);
    for model in Model::ALL {
        let f = Forecaster::new(model).issue(&inputs, s.len() / 2, 8);
        assert_eq!(f.p50.len(), 8);
        for k in 0..8 {
            assert!(f.p10[k].is_finite() && f.p50[k].is_finite() && f.p90[k].is_finite());
            assert!(f.p10[k] <= f.p50[k] && f.p50[k] <= f.p90[k], "{model:?} {k}: {f:?}");
        }
    }
}
