//! The park-file loader on any text: a park or a list of findings, never a panic; a park that
//! loads answers the questions every command asks of it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let loaded = parkgrid_model::parse("fuzz.toml", text);
    let _ = loaded.report.render();
    if let Some(park) = &loaded.park {
        let _ = park.time_axis();
        let (of_bus, n) = park.electric_islands();
        assert!(of_bus.iter().flatten().all(|&i| i < n));
    }
});
