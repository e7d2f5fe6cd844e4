//! Heat pumps, chillers, heat demand and cooling demand.

/// Heating COP of a heat pump reaching `carnot_fraction` of the Carnot COP between a source at
/// `t_source_c` and a sink at `t_sink_c`, limited to 1–12 (a lift of nearly zero is not worth
/// more than that).
pub fn cop_carnot(t_source_c: f64, t_sink_c: f64, carnot_fraction: f64) -> f64 {
    let lift = t_sink_c - t_source_c;
    if lift <= 0.0 {
        return 12.0;
    }
    (carnot_fraction * (t_sink_c + 273.15) / lift).clamp(1.0, 12.0)
}

/// Cooling EER of a vapour-compression chiller reaching `carnot_fraction` of the Carnot EER
/// `T_evap / (T_cond − T_evap)` (kelvin) between chilled water at `t_chilled_c` and condensing at
/// `t_cond_c`, limited to 1–12 (a condenser nearly as cold as the chilled water is not worth
/// more than that). The reversed Carnot cycle: e.g. ASHRAE Handbook — Fundamentals (2021), ch. 2.
pub fn eer_carnot(t_chilled_c: f64, t_cond_c: f64, carnot_fraction: f64) -> f64 {
    let lift = t_cond_c - t_chilled_c;
    if lift <= 0.0 {
        return 12.0;
    }
    (carnot_fraction * (t_chilled_c + 273.15) / lift).clamp(1.0, 12.0)
}

/// Lowest condensing temperature of an electric chiller, °C: plants hold the head pressure up in
/// cool weather, so the EER stops rising there.
pub const T_COND_MIN_C: f64 = 25.0;

/// COP of an air-source heat pump without defrost losses, from the temperature lift
/// `ΔT = max(t_supply − t_air, 15 K)`: `6.0801 − 0.0941·ΔT + 0.0005·ΔT²`, the When2Heat fit to
/// manufacturers' air-source data (Ruhnau, Hirth & Praktiknjo 2019, "Time series of heat demand
/// and heat pump efficiency for energy system modeling", Scientific Data 6:189,
/// doi:10.1038/s41597-019-0199-y; coefficients as in the authors' `input/cop/cop_parameters.csv`,
/// the lift clipped at 15 K as in their `scripts/cop.py`). When2Heat multiplies by a flat 0.85
/// for real operation; [`air_source_cop`] applies the temperature-dependent frost factor instead.
pub fn air_source_cop_frost_free(t_air_c: f64, t_supply_c: f64) -> f64 {
    let lift = (t_supply_c - t_air_c).max(15.0);
    6.0801 - 0.0941 * lift + 0.0005 * lift * lift
}

/// The share of a heat pump's evaporator duty left after frosting and defrosting at an outdoor
/// temperature of `t_air_c`: `1 − max(0, 0.03 − 0.004·T) − 0.1534·exp(−(T − 0.8869)²/26.06)`
/// (Afjei, Wetter & Glass 1997, "TRNSYS type: dual-stage compressor heat pump including frost
/// and cycle losses", TRNSYS user meeting, Stuttgart, fitted to its Fig. 3; T in °C as in the
/// Modelica Buildings library's `wetterAfjei1997`). The loss peaks near +1 °C, where the air is
/// humid and the coil freezes (0.82 at 0 °C, 0.96 at 7 °C).
pub fn frost_factor(t_air_c: f64) -> f64 {
    let t = t_air_c;
    1.0 - (0.03 - 0.004 * t).max(0.0) - 0.1534 * (-(t - 0.8869).powi(2) / 26.06).exp()
}

/// COP of an air-source heat pump with defrosting: the frost-free COP
/// ([`air_source_cop_frost_free`]) times the [`frost_factor`], at least 1 (a defrosting machine
/// still delivers its electricity as heat).
pub fn air_source_cop(t_air_c: f64, t_supply_c: f64) -> f64 {
    (air_source_cop_frost_free(t_air_c, t_supply_c) * frost_factor(t_air_c)).max(1.0)
}

/// Largest heat output of an air-source heat pump relative to its rating at 7 °C air and 35 °C
/// supply (A7/W35), against the outdoor temperature: 1 from 7 °C up, 0.925 at 2 °C, 0.80 at
/// −7 °C, 0.69 at −15 °C, 0.62 at −20 °C and below, linear between. The ratios of the average
/// residential air-to-water heat pump of the AixLib library (RWTH Aachen EBC, data record
/// `AverageAirToWaterResidential`, a regression over manufacturers' EN 14511 data sheets, at
/// W35) — a compilation of data sheets, not a peer-reviewed source.
pub fn air_source_capacity_ratio(t_air_c: f64) -> f64 {
    const POINTS: [(f64, f64); 5] = [
        (-20.0, 0.62),
        (-15.0, 0.69),
        (-7.0, 0.80),
        (2.0, 0.925),
        (7.0, 1.0),
    ];
    if t_air_c <= POINTS[0].0 {
        return POINTS[0].1;
    }
    for w in POINTS.windows(2) {
        let ((t0, r0), (t1, r1)) = (w[0], w[1]);
        if t_air_c <= t1 {
            return r0 + (r1 - r0) * (t_air_c - t0) / (t1 - t0);
        }
    }
    1.0
}

/// Space-cooling demand model: zero at the balance temperature, the design load at the design
/// temperature, linear between (a cooling-degree-hour model), capped at 1.3 times the design
/// load, only in occupied steps. The outdoor temperature is smoothed with a first-order lag of
/// [`COOL_TAU_H`] hours: a building's mass delays the peak by a few hours.
pub const COOL_TAU_H: f64 = 3.0;

/// Space-cooling demand in kW for each step of an outdoor temperature series.
pub fn space_cooling_kw(
    t_out_c: &[f64],
    occupied: &[bool],
    step_h: f64,
    design_kw: f64,
    t_design_c: f64,
    t_balance_c: f64,
) -> Vec<f64> {
    lagged(t_out_c, step_h, COOL_TAU_H)
        .zip(occupied)
        .map(|(smooth, &occ)| {
            if !occ {
                return 0.0;
            }
            let frac = (smooth - t_balance_c) / (t_design_c - t_balance_c);
            design_kw * frac.clamp(0.0, 1.3)
        })
        .collect()
}

/// Space-heating demand model: the design load at the design temperature, falling linearly to
/// zero at the indoor temperature, only inside the heating season. The outdoor temperature is
/// smoothed with a first-order lag of `TAU_H` hours to stand for the building's thermal mass.
pub const TAU_H: f64 = 12.0;

/// Space-heating demand in kW for each step of an outdoor temperature series.
pub fn space_heating_kw(
    t_out_c: &[f64],
    in_season: &[bool],
    step_h: f64,
    design_kw: f64,
    t_design_c: f64,
    t_indoor_c: f64,
) -> Vec<f64> {
    lagged(t_out_c, step_h, TAU_H)
        .zip(in_season)
        .map(|(smooth, &season)| {
            if !season {
                return 0.0;
            }
            let frac = (t_indoor_c - smooth) / (t_indoor_c - t_design_c);
            design_kw * frac.clamp(0.0, 1.3)
        })
        .collect()
}

/// `t` through a first-order lag of `tau_h` hours at steps of `step_h` (the building's thermal
/// mass), starting at its first value.
fn lagged(t: &[f64], step_h: f64, tau_h: f64) -> impl Iterator<Item = f64> + '_ {
    let alpha = 1.0 - (-step_h / tau_h).exp();
    let mut smooth = t.first().copied().unwrap_or(0.0);
    t.iter().map(move |&x| {
        smooth += alpha * (x - smooth);
        smooth
    })
}

/// Domestic hot-water weights over a day (hours 0–23), morning and evening peaks; normalised to
/// the annual energy where used.
pub const DHW_SHAPE: [f64; 24] = [
    0.3, 0.2, 0.2, 0.2, 0.3, 0.6, 1.4, 2.2, 1.8, 1.2, 1.0, 1.0, 1.1, 1.0, 0.9, 0.9, 1.0, 1.3, 1.7,
    2.0, 1.9, 1.5, 1.0, 0.4,
];

#[cfg(test)]
mod tests {
    /// The When2Heat fit at five published conditions (lift from the air to the supply), and the
    /// frost factor at five temperatures, against values computed from the sources' coefficients
    /// (When2Heat's own dataset rounds COPs to two decimals, hence 0.005 there).
    #[test]
    fn air_source_cop_against_its_sources() {
        use super::{air_source_cop, air_source_cop_frost_free, frost_factor};
        for (t_air, t_supply, raw) in [
            (7.0, 35.0, 3.8373),
            (2.0, 35.0, 3.5193),
            (-7.0, 35.0, 3.0099),
            (-7.0, 55.0, 2.1679),
            (20.0, 30.0, 4.7811),
        ] {
            let got = air_source_cop_frost_free(t_air, t_supply);
            assert!(
                (got - raw).abs() < 1e-4,
                "A{t_air}/W{t_supply}: {got} vs {raw}"
            );
            // When2Heat's published series: 0.85 times the fit.
            assert!((0.85 * got - 0.85 * raw).abs() < 0.005);
        }
        for (t, f) in [
            (7.0, 0.961436),
            (2.0, 0.831723),
            (0.0, 0.821161),
            (-7.0, 0.927901),
            (-15.0, 0.909990),
        ] {
            assert!(
                (frost_factor(t) - f).abs() < 1e-5,
                "{t} °C: {}",
                frost_factor(t)
            );
        }
        // Defrosting costs most near +1 °C: the frost factor is lower there than at −3 °C and
        // at +7 °C, and the COP is the frost-free curve times it.
        assert!(frost_factor(1.0) < frost_factor(-3.0) && frost_factor(1.0) < frost_factor(7.0));
        for t in [-15.0, -3.0, 1.0, 7.0] {
            let want = air_source_cop_frost_free(t, 35.0) * frost_factor(t);
            assert!((air_source_cop(t, 35.0) - want).abs() < 1e-12, "{t} °C");
        }
    }

    /// The capacity ratio at its five points and between them.
    #[test]
    fn air_source_capacity_falls_with_the_cold() {
        use super::air_source_capacity_ratio as r;
        for (t, want) in [
            (7.0, 1.0),
            (2.0, 0.925),
            (-7.0, 0.80),
            (-15.0, 0.69),
            (-20.0, 0.62),
        ] {
            assert!((r(t) - want).abs() < 1e-12, "{t}");
        }
        assert_eq!(r(25.0), 1.0);
        assert_eq!(r(-30.0), 0.62);
        assert!((r(-11.0) - 0.745).abs() < 1e-12);
    }

    use super::*;

    /// The Tencent Tianjin figure: 10/18 °C chilled water lifted to ≈ 55 °C gives COP ≈ 4.9.
    #[test]
    fn waste_heat_cop_matches_the_reported_plant() {
        let cop = cop_carnot(18.0, 55.0, 0.55);
        assert!((cop - 4.9).abs() < 0.05, "{cop}");
        assert_eq!(cop_carnot(60.0, 55.0, 0.5), 12.0);
    }

    /// Chilled water at 7 °C against condensing at 40 °C: Carnot EER 8.5; half of it is a
    /// water-cooled chiller's rated COP of about 4.2.
    #[test]
    fn chiller_eer_is_a_share_of_carnot() {
        let eer = eer_carnot(7.0, 40.0, 0.5);
        assert!((eer - 0.5 * 280.15 / 33.0).abs() < 1e-12, "{eer}");
        assert_eq!(eer_carnot(7.0, 5.0, 0.5), 12.0);
        assert_eq!(eer_carnot(7.0, 400.0, 0.5), 1.0);
    }

    #[test]
    fn cooling_demand_follows_temperature_and_occupancy() {
        let hot = vec![33.5; 100];
        let occupied = vec![true; 100];
        let q = space_cooling_kw(&hot, &occupied, 1.0, 500.0, 33.5, 22.0);
        assert!((q[99] - 500.0).abs() < 1e-6, "{}", q[99]);
        let q = space_cooling_kw(&[20.0; 10], &occupied[..10], 1.0, 500.0, 33.5, 22.0);
        assert!(q.iter().all(|&x| x == 0.0));
        let q = space_cooling_kw(&hot[..10], &[false; 10], 1.0, 500.0, 33.5, 22.0);
        assert!(q.iter().all(|&x| x == 0.0));
        // Halfway between balance and design: half the design load.
        let q = space_cooling_kw(&[27.75; 200], &[true; 200], 1.0, 500.0, 33.5, 22.0);
        assert!((q[199] - 250.0).abs() < 1e-6);
    }

    #[test]
    fn heating_demand_follows_temperature_and_season() {
        let t = vec![-10.0; 200];
        let season = vec![true; 200];
        let q = space_heating_kw(&t, &season, 1.0, 1000.0, -10.0, 18.0);
        assert!((q[199] - 1000.0).abs() < 1e-6);
        let q = space_heating_kw(&[20.0; 10], &season[..10], 1.0, 1000.0, -10.0, 18.0);
        assert!(q.iter().all(|&x| x == 0.0));
        let q = space_heating_kw(&t[..10], &[false; 10], 1.0, 1000.0, -10.0, 18.0);
        assert!(q.iter().all(|&x| x == 0.0));
        assert!(DHW_SHAPE.iter().all(|&w| w > 0.0));
    }
}
