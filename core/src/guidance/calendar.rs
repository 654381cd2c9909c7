//! The night, which decides which spare key to use when the worker's shift
//! is not known (R2.1 by day, R2.2 at night). The routine's weekend and
//! evenings come from the shared `nyckelfri-calendar` with the unit's office
//! hours (`guidance::is_weekend`).

use chrono::{NaiveTime, Timelike};

/// Night, for which key to use (R2.2) when no shift is known: 22:00 to
/// 07:00 local time.
pub(crate) fn is_night(time: NaiveTime) -> bool {
    !(7..22).contains(&time.hour())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_night_runs_from_22_to_07_r2_2() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert!(is_night(t(22, 0)) && is_night(t(3, 0)) && is_night(t(6, 59)));
        assert!(!is_night(t(7, 0)) && !is_night(t(21, 59)));
    }
}
