//! Heat pumps and heat demand.

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
    let alpha = 1.0 - (-step_h / TAU_H).exp();
    let mut smooth = t_out_c.first().copied().unwrap_or(t_indoor_c);
    t_out_c
        .iter()
        .zip(in_season)
        .map(|(&t, &season)| {
            smooth += alpha * (t - smooth);
            if !season {
                return 0.0;
            }
            let frac = (t_indoor_c - smooth) / (t_indoor_c - t_design_c);
            design_kw * frac.clamp(0.0, 1.3)
        })
        .collect()
}

/// Domestic hot-water weights over a day (hours 0–23), morning and evening peaks; normalised to
/// the annual energy where used.
pub const DHW_SHAPE: [f64; 24] = [
    0.3, 0.2, 0.2, 0.2, 0.3, 0.6, 1.4, 2.2, 1.8, 1.2, 1.0, 1.0, 1.1, 1.0, 0.9, 0.9, 1.0, 1.3, 1.7,
    2.0, 1.9, 1.5, 1.0, 0.4,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The Tencent Tianjin figure: 10/18 °C chilled water lifted to ≈ 55 °C gives COP ≈ 4.9.
    #[test]
    fn waste_heat_cop_matches_the_reported_plant() {
        let cop = cop_carnot(18.0, 55.0, 0.55);
        assert!((cop - 4.9).abs() < 0.05, "{cop}");
        assert_eq!(cop_carnot(60.0, 55.0, 0.5), 12.0);
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
