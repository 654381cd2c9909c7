//! The Swedish working calendar the outage routine needs (R2.11, R2.13):
//! public holidays (röda dagar), the eves Swedish workplaces keep as
//! holidays, weekends, and the alarm group's office hours.
//!
//! - **Public holidays**: Nyårsdagen (1 Jan), Trettondedag jul (6 Jan),
//!   Långfredag, Påskdagen, Annandag påsk, Första maj (1 May), Kristi
//!   himmelfärdsdag (Easter + 39), Pingstdagen (Easter + 49), Nationaldagen
//!   (6 Jun), Midsommardagen (the Saturday 20–26 Jun), Alla helgons dag (the
//!   Saturday 31 Oct – 6 Nov), Juldagen (25 Dec), Annandag jul (26 Dec).
//! - **Eves kept as holidays**: Midsommarafton (the Friday 19–25 Jun),
//!   Julafton (24 Dec), Nyårsafton (31 Dec).
//! - **Office hours**: the unit's own (`office_opens`, `office_closes` in
//!   its settings, 07:00–17:00 by default) on working days. The alarm group
//!   takes a case from the next opening (`handle_from`); the weekend (R2.13)
//!   runs from the close of the last working day to the opening of the next;
//!   a working day's evening is after hours (R2.12: the night patrol is told
//!   at once).
//!
//! The definitions are the shared `nyckelfri-calendar` crate's, which the
//! app core uses for the worker's guidance too; this only converts instants
//! to the unit's local time.

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;

pub use nyckelfri_calendar::{
    OfficeHours, Period, easter_sunday, is_working_day, next_working_day, non_working_eve,
    public_holiday,
};

use crate::error::{Error, Result};
use crate::time;

fn out_of_range() -> Error {
    Error::bad("time out of range")
}

fn local(tz: Tz, t: i64) -> Result<NaiveDateTime> {
    Ok(tz
        .timestamp_opt(t, 0)
        .single()
        .ok_or_else(out_of_range)?
        .naive_local())
}

/// Where `t` falls for the routine, in the unit's time zone and hours.
pub fn period(tz: Tz, hours: OfficeHours, t: i64) -> Result<Period> {
    Ok(nyckelfri_calendar::period(local(tz, t)?, hours))
}

/// The next opening of the office at or after `t`, or `None` when `t` is
/// within office hours.
pub fn next_office_opening(tz: Tz, hours: OfficeHours, t: i64) -> Result<Option<i64>> {
    nyckelfri_calendar::next_opening(local(tz, t)?, hours)
        .map(|at| time::local_to_utc(tz, at))
        .transpose()
}

/// R2.13: whether `t` falls in the routine's weekend (from the close of
/// the last working day to the opening of the next).
pub fn is_weekend_period(tz: Tz, hours: OfficeHours, t: i64) -> Result<bool> {
    Ok(period(tz, hours, t)? == Period::Weekend)
}

/// R2.11, R2.13: from when the alarm group takes a case reported at `t`:
/// the next office opening, or `None` if `t` is within office hours. When
/// the report itself says it was made on a weekend or holiday
/// (`weekend_or_holiday`, the app's own calendar) but the server's has `t`
/// in office hours, the app is believed: the next working day's opening.
pub fn alarm_group_handle_from(
    tz: Tz,
    hours: OfficeHours,
    t: i64,
    weekend_or_holiday: bool,
) -> Result<Option<i64>> {
    match next_office_opening(tz, hours, t)? {
        Some(at) => Ok(Some(at)),
        None if weekend_or_holiday => {
            let date = local(tz, t)?.date();
            let next = next_working_day(date).ok_or_else(out_of_range)?;
            Ok(Some(time::local_to_utc(tz, next.and_time(hours.opens()))?))
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const H: OfficeHours = OfficeHours::STANDARD;

    fn tz() -> Tz {
        time::parse_tz(time::DEFAULT_TIME_ZONE).unwrap()
    }

    fn at(s: &str) -> i64 {
        time::parse_local_datetime(tz(), s, "t").unwrap()
    }

    #[test]
    fn r2_13_handle_from_is_the_next_office_opening() {
        let z = tz();
        // Friday evening -> Monday 07:00 (CET).
        assert_eq!(
            alarm_group_handle_from(z, H, at("2025-01-17 20:00"), true).unwrap(),
            Some(at("2025-01-20 07:00"))
        );
        // Saturday noon -> Monday 07:00.
        assert_eq!(
            alarm_group_handle_from(z, H, at("2025-01-18 12:00"), true).unwrap(),
            Some(at("2025-01-20 07:00"))
        );
        // Midsommarafton 2026 -> Monday 22 June 07:00 (CEST).
        assert_eq!(
            alarm_group_handle_from(z, H, at("2026-06-19 10:00"), true).unwrap(),
            Some(at("2026-06-22 07:00"))
        );
        assert_eq!(at("2026-06-22 07:00"), 1_782_104_400);
        // Monday before opening -> the same morning.
        assert_eq!(
            alarm_group_handle_from(z, H, at("2025-01-20 05:30"), true).unwrap(),
            Some(at("2025-01-20 07:00"))
        );
        // A weekday in office hours: now, unless the app says it is a holiday.
        assert_eq!(
            alarm_group_handle_from(z, H, at("2025-01-15 10:00"), false).unwrap(),
            None
        );
        assert_eq!(
            alarm_group_handle_from(z, H, at("2025-01-15 10:00"), true).unwrap(),
            Some(at("2025-01-16 07:00"))
        );
        // A weekday evening: the next morning.
        assert_eq!(
            alarm_group_handle_from(z, H, at("2025-01-15 19:00"), false).unwrap(),
            Some(at("2025-01-16 07:00"))
        );
    }

    #[test]
    fn r2_13_handle_from_across_daylight_saving_changes() {
        let z = tz();
        // Sunday 2026-03-29: clocks go forward at 02:00. Monday 07:00 CEST = 05:00 UTC.
        assert_eq!(
            alarm_group_handle_from(z, H, at("2026-03-29 01:30"), true).unwrap(),
            Some(1_774_846_800)
        );
        // Sunday 2026-10-25: clocks go back at 03:00. Monday 07:00 CET = 06:00 UTC.
        assert_eq!(
            alarm_group_handle_from(z, H, at("2026-10-25 02:30"), true).unwrap(),
            Some(1_792_994_400)
        );
    }

    #[test]
    fn r2_13_the_weekend_runs_from_friday_close_to_monday_opening() {
        let z = tz();
        assert!(!is_weekend_period(z, H, at("2025-01-17 16:59")).unwrap());
        assert!(is_weekend_period(z, H, at("2025-01-17 17:00")).unwrap());
        assert!(is_weekend_period(z, H, at("2025-01-18 12:00")).unwrap());
        assert!(is_weekend_period(z, H, at("2025-01-20 06:59")).unwrap());
        assert!(!is_weekend_period(z, H, at("2025-01-20 07:00")).unwrap());
        // A weekday evening before a working day is not the weekend.
        assert!(!is_weekend_period(z, H, at("2025-01-15 22:00")).unwrap());
        // Thursday evening before Långfredag is.
        assert!(is_weekend_period(z, H, at("2026-04-02 18:00")).unwrap());
        // Midsommarafton is.
        assert!(is_weekend_period(z, H, at("2026-06-19 10:00")).unwrap());
    }
}
