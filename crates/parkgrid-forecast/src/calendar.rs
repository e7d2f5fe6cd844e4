//! Day classes for demand forecasting: a working day, a Saturday, a Sunday or holiday.
//!
//! Demand on a working day, a Saturday and a Sunday differ in shape (the German standard load
//! profiles of BDEW keep these three day types for the same reason); a public holiday behaves
//! like a Sunday, and a weekend day worked in exchange for a holiday (China's 调休) like a
//! working day.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};
use parkgrid_resource::calendar::{DayType, day_type};

/// The class of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayClass {
    /// A working day.
    Working,
    /// A Saturday that is not worked.
    Saturday,
    /// A Sunday or a public holiday.
    SundayOrHoliday,
}

/// Which days are worked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Calendar {
    /// China's working calendar (`parkgrid_resource::calendar`: the State Council's notices for
    /// 2024–2026, the fixed-date holidays otherwise), with `extra` holidays.
    China {
        /// Further days off (a park's own shutdowns).
        extra: BTreeSet<NaiveDate>,
    },
    /// Monday to Friday worked, with the listed holidays (another country's data).
    Weekdays {
        /// Public holidays.
        holidays: BTreeSet<NaiveDate>,
    },
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::China {
            extra: BTreeSet::new(),
        }
    }
}

impl Calendar {
    /// The class of `date`.
    pub fn class(&self, date: NaiveDate) -> DayClass {
        let weekend = |d: NaiveDate| match d.weekday() {
            Weekday::Sat => DayClass::Saturday,
            Weekday::Sun => DayClass::SundayOrHoliday,
            _ => DayClass::Working,
        };
        match self {
            Calendar::China { extra } => {
                if extra.contains(&date) {
                    return DayClass::SundayOrHoliday;
                }
                match day_type(date) {
                    DayType::Working => DayClass::Working,
                    DayType::Holiday => DayClass::SundayOrHoliday,
                    DayType::Weekend => weekend(date),
                }
            }
            Calendar::Weekdays { holidays } => {
                if holidays.contains(&date) {
                    DayClass::SundayOrHoliday
                } else {
                    weekend(date)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn china_counts_exchanged_weekend_days_as_worked() {
        let c = Calendar::default();
        // Sunday 26 January 2025 was worked before the Spring Festival; 29 January a holiday.
        assert_eq!(c.class(d(2025, 1, 26)), DayClass::Working);
        assert_eq!(c.class(d(2025, 1, 29)), DayClass::SundayOrHoliday);
        assert_eq!(c.class(d(2025, 3, 8)), DayClass::Saturday);
        let w = Calendar::Weekdays {
            holidays: [d(2016, 12, 26)].into(),
        };
        assert_eq!(w.class(d(2016, 12, 26)), DayClass::SundayOrHoliday);
        assert_eq!(w.class(d(2016, 12, 27)), DayClass::Working);
    }
}
