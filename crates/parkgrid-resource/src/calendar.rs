//! Working days in China and the built-in electric demand shapes.
//!
//! Public holidays and the weekend days worked in exchange (调休) follow the State Council's
//! yearly notices (国务院办公厅关于部分节假日安排的通知) for 2024, 2025 and 2026. Other years
//! fall back to weekends and the fixed-date holidays (1 January, 1–3 May, 1–7 October): the lunar
//! holidays (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) are then missing, which
//! [`calendar_is_official`] reports.

use chrono::{Datelike, NaiveDate, Weekday};
use parkgrid_model::LoadShape;

/// The kind of a day for demand shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayType {
    /// A working day (including weekend days worked in exchange for a holiday).
    Working,
    /// Saturday or Sunday.
    Weekend,
    /// A public holiday.
    Holiday,
}

/// `(year, holidays as (month, first day, last day), weekend days worked as (month, day))`.
type YearTable = (i32, &'static [(u32, u32, u32)], &'static [(u32, u32)]);

const OFFICIAL: &[YearTable] = &[
    (
        2024,
        &[
            (1, 1, 1),
            (2, 10, 17),
            (4, 4, 6),
            (5, 1, 5),
            (6, 10, 10),
            (9, 15, 17),
            (10, 1, 7),
        ],
        &[
            (2, 4),
            (2, 18),
            (4, 7),
            (4, 28),
            (5, 11),
            (9, 14),
            (9, 29),
            (10, 12),
        ],
    ),
    (
        2025,
        &[
            (1, 1, 1),
            (1, 28, 31),
            (2, 1, 4),
            (4, 4, 6),
            (5, 1, 5),
            (5, 31, 31),
            (6, 1, 2),
            (10, 1, 8),
        ],
        &[(1, 26), (2, 8), (4, 27), (9, 28), (10, 11)],
    ),
    (
        2026,
        &[
            (1, 1, 3),
            (2, 15, 23),
            (4, 4, 6),
            (5, 1, 5),
            (6, 19, 21),
            (9, 25, 27),
            (10, 1, 7),
        ],
        &[(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)],
    ),
];

const FIXED_HOLIDAYS: &[(u32, u32, u32)] = &[(1, 1, 1), (5, 1, 3), (10, 1, 7)];

/// True when `year`'s holidays come from an official notice (2024–2026).
pub fn calendar_is_official(year: i32) -> bool {
    OFFICIAL.iter().any(|(y, _, _)| *y == year)
}

/// The kind of `date`.
pub fn day_type(date: NaiveDate) -> DayType {
    let (m, d) = (date.month(), date.day());
    let table = OFFICIAL.iter().find(|(y, _, _)| *y == date.year());
    let holidays = table.map_or(FIXED_HOLIDAYS, |t| t.1);
    let worked = table.map_or(&[][..], |t| t.2);
    if holidays
        .iter()
        .any(|&(hm, a, b)| hm == m && (a..=b).contains(&d))
    {
        return DayType::Holiday;
    }
    if worked.contains(&(m, d)) {
        return DayType::Working;
    }
    match date.weekday() {
        Weekday::Sat | Weekday::Sun => DayType::Weekend,
        _ => DayType::Working,
    }
}

/// Relative demand of `shape` in `hour` (0–23) of a day of `day_type` in `month` (1–12). The
/// scale is arbitrary: profiles are normalised to their annual energy.
pub fn shape_weight(shape: LoadShape, day_type: DayType, month: u32, hour: u32) -> f64 {
    let h = hour as usize % 24;
    let m = (month as usize).clamp(1, 12) - 1;
    // Cooling in summer and some electric heating in winter (Beijing).
    const SEASON_BUILDING: [f64; 12] = [
        1.05, 1.05, 0.95, 0.9, 0.95, 1.15, 1.25, 1.25, 1.0, 0.9, 1.0, 1.05,
    ];
    match shape {
        LoadShape::Flat => 1.0,
        LoadShape::Office => {
            const WORK: [f64; 24] = [
                0.30, 0.28, 0.28, 0.28, 0.28, 0.30, 0.40, 0.65, 0.90, 1.00, 1.00, 1.00, 0.90, 0.95,
                1.00, 1.00, 0.95, 0.85, 0.65, 0.50, 0.45, 0.40, 0.35, 0.32,
            ];
            let base = match day_type {
                DayType::Working => WORK[h],
                DayType::Weekend => 0.32 + 0.08 * f64::from(u8::from((9..18).contains(&h))),
                DayType::Holiday => 0.30,
            };
            base * SEASON_BUILDING[m]
        }
        LoadShape::Commercial => {
            const DAY: [f64; 24] = [
                0.25, 0.22, 0.20, 0.20, 0.20, 0.22, 0.30, 0.45, 0.65, 0.85, 0.95, 1.00, 1.00, 0.95,
                0.95, 0.95, 0.95, 1.00, 1.00, 0.95, 0.85, 0.65, 0.40, 0.30,
            ];
            let uplift = if day_type == DayType::Working {
                1.0
            } else {
                1.15
            };
            DAY[h] * uplift * SEASON_BUILDING[m]
        }
        LoadShape::Residential => {
            const DAY: [f64; 24] = [
                0.45, 0.38, 0.35, 0.34, 0.35, 0.45, 0.70, 0.85, 0.70, 0.55, 0.50, 0.55, 0.60, 0.55,
                0.50, 0.50, 0.55, 0.70, 0.95, 1.00, 1.00, 0.95, 0.80, 0.60,
            ];
            let midday = if day_type == DayType::Working || !(9..17).contains(&h) {
                1.0
            } else {
                1.3
            };
            DAY[h] * midday * SEASON_BUILDING[m]
        }
        LoadShape::Industrial => {
            let on = (6..22).contains(&h);
            match (day_type, on) {
                (DayType::Working, true) => 1.0,
                (DayType::Working, false) => 0.35,
                _ => 0.3,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn official_holidays_and_exchange_days() {
        assert_eq!(day_type(date(2025, 1, 29)), DayType::Holiday);
        assert_eq!(
            day_type(date(2025, 1, 26)),
            DayType::Working,
            "a Sunday worked before the Spring Festival"
        );
        assert_eq!(day_type(date(2025, 10, 8)), DayType::Holiday);
        assert_eq!(day_type(date(2026, 2, 23)), DayType::Holiday);
        assert_eq!(day_type(date(2026, 2, 28)), DayType::Working);
        assert_eq!(day_type(date(2024, 6, 10)), DayType::Holiday);
        assert_eq!(day_type(date(2025, 3, 15)), DayType::Weekend);
        assert_eq!(day_type(date(2025, 3, 17)), DayType::Working);
        assert_eq!(day_type(date(2030, 10, 3)), DayType::Holiday);
        assert!(calendar_is_official(2025) && !calendar_is_official(2030));
    }

    #[test]
    fn offices_peak_on_working_days() {
        let work = shape_weight(LoadShape::Office, DayType::Working, 3, 10);
        let weekend = shape_weight(LoadShape::Office, DayType::Weekend, 3, 10);
        let night = shape_weight(LoadShape::Office, DayType::Working, 3, 3);
        assert!(work > 2.0 * weekend && work > 3.0 * night);
    }
}
