//! The EPW reader on any text: a weather year of finite values or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(epw) = parkgrid_resource::epw::parse_epw("fuzz.epw", text) {
        for series in [
            &epw.t_air_c,
            &epw.pressure_pa,
            &epw.ghi_w_per_m2,
            &epw.dni_w_per_m2,
            &epw.dhi_w_per_m2,
            &epw.wind_m_per_s,
        ] {
            assert!(
                series.iter().all(|v| v.is_finite()),
                "a non-finite value was read"
            );
        }
    }
});
