//! The Swedish working calendar the outage routine depends on (R2.1,
//! R2.2, R2.11, R2.13), shared by the app core (the worker's guidance) and
//! the server (what it records and when the alarm group takes a case):
//!
//! - **Public holidays**: Nyårsdagen (1 Jan), Trettondedag jul (6 Jan),
//!   Långfredag, Påskdagen, Annandag påsk, Första maj (1 May), Kristi
//!   himmelfärdsdag (Easter + 39), Pingstdagen (Easter + 49), Nationaldagen
//!   (6 Jun), Midsommardagen (the Saturday 20–26 Jun), Alla helgons dag (the
//!   Saturday 31 Oct – 6 Nov), Juldagen (25 Dec), Annandag jul (26 Dec).
//! - **Eves kept as holidays**: Midsommarafton (the Friday 19–25 Jun),
//!   Julafton (24 Dec), Nyårsafton (31 Dec).
//!
//! Dates only: time zones and office hours belong to the callers.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Easter Sunday of `year` (Gregorian; the anonymous algorithm of Meeus,
/// Jones and Butcher).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

fn plus_days(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    if n >= 0 {
        d.checked_add_days(Days::new(n.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    }
}

/// The Swedish name of the public holiday on `date`, if it is one.
pub fn public_holiday(date: NaiveDate) -> Option<&'static str> {
    let (m, d) = (date.month(), date.day());
    let fixed = match (m, d) {
        (1, 1) => Some("Nyårsdagen"),
        (1, 6) => Some("Trettondedag jul"),
        (5, 1) => Some("Första maj"),
        (6, 6) => Some("Sveriges nationaldag"),
        (12, 25) => Some("Juldagen"),
        (12, 26) => Some("Annandag jul"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let saturday = date.weekday() == Weekday::Sat;
    if saturday && m == 6 && (20..=26).contains(&d) {
        return Some("Midsommardagen");
    }
    if saturday && ((m == 10 && d == 31) || (m == 11 && d <= 6)) {
        return Some("Alla helgons dag");
    }
    let easter = easter_sunday(date.year())?;
    let offset = date.signed_duration_since(easter).num_days();
    match offset {
        -2 => Some("Långfredag"),
        0 => Some("Påskdagen"),
        1 => Some("Annandag påsk"),
        39 => Some("Kristi himmelfärdsdag"),
        49 => Some("Pingstdagen"),
        _ => None,
    }
}

/// The eves Swedish workplaces keep as holidays: Midsommarafton (the
/// Friday 19–25 June), Julafton, Nyårsafton.
pub fn non_working_eve(date: NaiveDate) -> Option<&'static str> {
    match (date.month(), date.day()) {
        (12, 24) => Some("Julafton"),
        (12, 31) => Some("Nyårsafton"),
        (6, d) if (19..=25).contains(&d) && date.weekday() == Weekday::Fri => {
            Some("Midsommarafton")
        }
        _ => None,
    }
}

/// Monday to Friday, and neither a public holiday nor a non-working eve.
pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
        && public_holiday(date).is_none()
        && non_working_eve(date).is_none()
}

/// The first working day after `date`.
pub fn next_working_day(date: NaiveDate) -> Option<NaiveDate> {
    // Never more than a handful of days (Easter: Långfredag to Annandag
    // påsk is four); a bound keeps it total.
    let mut d = date;
    for _ in 0..14 {
        d = plus_days(d, 1)?;
        if is_working_day(d) {
            return Some(d);
        }
    }
    None
}

/// Saturday, Sunday, a public holiday or a non-working eve: the routine's
/// "helg" (R2.13).
pub fn is_weekend_or_holiday(date: NaiveDate) -> bool {
    !is_working_day(date)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_sunday_matches_known_years() {
        for (y, m, day) in [
            (1961, 4, 2),
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
            (2285, 3, 22),
        ] {
            assert_eq!(easter_sunday(y), Some(d(y, m, day)), "{y}");
        }
    }

    #[test]
    fn swedish_public_holidays_of_2026() {
        for (date, name) in [
            (d(2026, 1, 1), "Nyårsdagen"),
            (d(2026, 1, 6), "Trettondedag jul"),
            (d(2026, 4, 3), "Långfredag"),
            (d(2026, 4, 5), "Påskdagen"),
            (d(2026, 4, 6), "Annandag påsk"),
            (d(2026, 5, 1), "Första maj"),
            (d(2026, 5, 14), "Kristi himmelfärdsdag"),
            (d(2026, 5, 24), "Pingstdagen"),
            (d(2026, 6, 6), "Sveriges nationaldag"),
            (d(2026, 6, 20), "Midsommardagen"),
            (d(2026, 10, 31), "Alla helgons dag"),
            (d(2026, 12, 25), "Juldagen"),
            (d(2026, 12, 26), "Annandag jul"),
        ] {
            assert_eq!(public_holiday(date), Some(name), "{date}");
            assert!(!is_working_day(date), "{date}");
        }
        // Eves kept as holidays.
        assert_eq!(non_working_eve(d(2026, 6, 19)), Some("Midsommarafton"));
        assert_eq!(non_working_eve(d(2026, 12, 24)), Some("Julafton"));
        assert_eq!(non_working_eve(d(2026, 12, 31)), Some("Nyårsafton"));
        assert_eq!(public_holiday(d(2026, 6, 19)), None);
        // Ordinary days.
        for date in [d(2026, 4, 2), d(2026, 4, 7), d(2026, 6, 18), d(2026, 11, 2)] {
            assert_eq!(public_holiday(date), None, "{date}");
            assert_eq!(non_working_eve(date), None, "{date}");
            assert!(is_working_day(date), "{date}");
        }
        // Weekends are not working days, holiday or not.
        assert!(!is_working_day(d(2026, 11, 21)));
        assert!(!is_working_day(d(2026, 11, 22)));
    }

    #[test]
    fn midsommar_and_alla_helgon_move_with_the_weekday() {
        // 2025: Midsommarafton Friday 20 June, Midsommardagen 21 June.
        assert_eq!(non_working_eve(d(2025, 6, 20)), Some("Midsommarafton"));
        assert_eq!(public_holiday(d(2025, 6, 21)), Some("Midsommardagen"));
        assert!(is_working_day(d(2025, 6, 19)));
        // 2025: Alla helgons dag Saturday 1 November.
        assert_eq!(public_holiday(d(2025, 11, 1)), Some("Alla helgons dag"));
        assert_eq!(public_holiday(d(2025, 10, 31)), None);
        // 2020: Alla helgons dag Saturday 31 October.
        assert_eq!(public_holiday(d(2020, 10, 31)), Some("Alla helgons dag"));
        // 2027: Easter 28 March, so Långfredag 26 March, Ascension 6 May, Pentecost 16 May.
        assert_eq!(public_holiday(d(2027, 3, 26)), Some("Långfredag"));
        assert_eq!(public_holiday(d(2027, 5, 6)), Some("Kristi himmelfärdsdag"));
        assert_eq!(public_holiday(d(2027, 5, 16)), Some("Pingstdagen"));
    }

    #[test]
    fn r2_13_next_working_day_skips_weekends_holidays_and_eves() {
        // Friday -> Monday.
        assert_eq!(next_working_day(d(2025, 1, 17)), Some(d(2025, 1, 20)));
        // Midsommarafton 2026 (Friday 19 June) -> Monday 22 June.
        assert_eq!(next_working_day(d(2026, 6, 19)), Some(d(2026, 6, 22)));
        // Easter 2026: Thursday 2 April -> Tuesday 7 April.
        assert_eq!(next_working_day(d(2026, 4, 2)), Some(d(2026, 4, 7)));
        // Christmas 2026: Wednesday 23 Dec -> Monday 28 Dec.
        assert_eq!(next_working_day(d(2026, 12, 23)), Some(d(2026, 12, 28)));
        // New Year 2026/27: Wednesday 30 Dec -> Monday 4 Jan (1 Jan is a Friday).
        assert_eq!(next_working_day(d(2026, 12, 30)), Some(d(2027, 1, 4)));
    }
}
