//! The SenML reader on any bytes: resolved records with a valid name and time, or a refusal
//! with a reason, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parkgrid_ingest::senml::resolve(text, 1_735_689_600_000) {
        Ok(records) => {
            for r in records {
                assert!(!r.name.is_empty() && r.time_ms >= 0, "{r:?}");
                assert!(r.value.is_some() || r.sum.is_some(), "{r:?}");
                if let Some(parkgrid_ingest::senml::Value::Number(v)) = r.value {
                    assert!(v.is_finite() || v.is_infinite(), "{r:?}");
                }
            }
        }
        Err(e) => assert!(!e.why.is_empty()),
    }
});
