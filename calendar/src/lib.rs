//! The Swedish working calendar the outage routine depends on (R2.1,
//! R2.2, R2.11, R2.12, R2.13), shared by the app core (the worker's
//! guidance) and the server (what it records, when it messages the night
//! patrol, when the alarm group takes a case):
//!
//! - **Public holidays**: Nyårsdagen (1 Jan), Trettondedag jul (6 Jan),
//!   Långfredag, Påskdagen, Annandag påsk, Första maj (1 May), Kristi
//!   himmelfärdsdag (Easter + 39), Pingstdagen (Easter + 49), Nationaldagen
//!   (6 Jun), Midsommardagen (the Saturday 20–26 Jun), Alla helgons dag (the
//!   Saturday 31 Oct – 6 Nov), Juldagen (25 Dec), Annandag jul (26 Dec).
//! - **Eves kept as holidays**: Midsommarafton (the Friday 19–25 Jun),
//!   Julafton (24 Dec), Nyårsafton (31 Dec).
//! - **The routine's "helg"** (R2.13, [`is_weekend`]): from the
//!   coordinators' closing time on the last working day before a
//!   non-working day (Friday 17:00, or 17:00 on the day before a holiday)
//!   to their opening on the next working day, because from then on nobody
//!   answers the coordinator's phone. The hours are the unit's own
//!   ([`OfficeHours`], from its settings), never constants here.
//!
//! Local dates and wall-clock times only: time zones belong to the callers.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

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

/// A unit's office hours on working days: when its coordinators (and the
/// alarm group) answer. From its settings ("07:00" to "17:00" by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfficeHours {
    opens: NaiveTime,
    closes: NaiveTime,
}

const fn hm(h: u32, m: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(h, m, 0) {
        Some(t) => t,
        None => NaiveTime::MIN,
    }
}

impl OfficeHours {
    /// 07:00 to 17:00, the routine's hours when a unit has not set its own.
    pub const STANDARD: OfficeHours = OfficeHours {
        opens: hm(7, 0),
        closes: hm(17, 0),
    };

    /// Hours that open before they close on the same day; `None` otherwise.
    pub fn new(opens: NaiveTime, closes: NaiveTime) -> Option<Self> {
        (opens < closes).then_some(Self { opens, closes })
    }

    /// From `"HH:MM"` strings, as the unit's settings hold them.
    pub fn parse(opens: &str, closes: &str) -> Option<Self> {
        let t = |s: &str| {
            (s.len() == 5 && s.as_bytes().get(2) == Some(&b':'))
                .then(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
                .flatten()
        };
        Self::new(t(opens)?, t(closes)?)
    }

    /// When the office opens.
    pub fn opens(&self) -> NaiveTime {
        self.opens
    }

    /// When it closes.
    pub fn closes(&self) -> NaiveTime {
        self.closes
    }
}

/// Where a moment falls for the outage routine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// A working day within office hours: the coordinator answers (R2.6,
    /// R2.11, R2.12 by the deadline).
    Office,
    /// A working day's evening or early morning between two working days:
    /// the coordinator has gone home, the night patrol must be told at once
    /// (R2.12).
    AfterHours,
    /// The routine's "helg" (R2.13): from closing before a non-working day
    /// to opening on the next working day.
    Weekend,
}

/// Where local `at` falls, with the unit's `hours`.
pub fn period(at: NaiveDateTime, hours: OfficeHours) -> Period {
    let (date, time) = (at.date(), at.time());
    if !is_working_day(date) {
        return Period::Weekend;
    }
    let neighbour_off = |d: Option<NaiveDate>| d.is_some_and(|d| !is_working_day(d));
    if time >= hours.closes {
        if neighbour_off(plus_days(date, 1)) {
            return Period::Weekend;
        }
        return Period::AfterHours;
    }
    if time < hours.opens {
        if neighbour_off(plus_days(date, -1)) {
            return Period::Weekend;
        }
        return Period::AfterHours;
    }
    Period::Office
}

/// R2.13: whether local `at` is in the routine's "helg": from the unit's
/// closing time on the last working day before a weekend, holiday or
/// non-working eve to its opening on the next working day.
pub fn is_weekend(at: NaiveDateTime, hours: OfficeHours) -> bool {
    period(at, hours) == Period::Weekend
}

/// The next time the office opens at or after local `at`, or `None` when
/// it is open at `at` (R2.11, R2.13: when the alarm group takes a case).
pub fn next_opening(at: NaiveDateTime, hours: OfficeHours) -> Option<NaiveDateTime> {
    let date = at.date();
    if is_working_day(date) {
        if at.time() < hours.opens {
            return Some(date.and_time(hours.opens));
        }
        if at.time() < hours.closes {
            return None;
        }
    }
    next_working_day(date).map(|d| d.and_time(hours.opens))
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

    fn at(y: i32, m: u32, day: u32, h: u32, min: u32) -> NaiveDateTime {
        d(y, m, day).and_hms_opt(h, min, 0).unwrap()
    }

    fn standard() -> OfficeHours {
        let h = OfficeHours::parse("07:00", "17:00").unwrap();
        assert_eq!(h, OfficeHours::STANDARD);
        h
    }

    /// Every holiday, non-working eve and what falls on a weekday, 2026–2028,
    /// including 2028's movable holidays (Easter on 16 April) and the
    /// 6 November edge of Alla helgons dag (2027).
    #[test]
    fn the_calendar_of_2026_to_2028_table() {
        type Year<'a> = (i32, &'a [(u32, u32, &'a str)]);
        let holidays: [Year; 3] = [
            (
                2026,
                &[
                    (1, 1, "Nyårsdagen"),
                    (1, 6, "Trettondedag jul"),
                    (4, 3, "Långfredag"),
                    (4, 5, "Påskdagen"),
                    (4, 6, "Annandag påsk"),
                    (5, 1, "Första maj"),
                    (5, 14, "Kristi himmelfärdsdag"),
                    (5, 24, "Pingstdagen"),
                    (6, 6, "Sveriges nationaldag"),
                    (6, 19, "Midsommarafton"),
                    (6, 20, "Midsommardagen"),
                    (10, 31, "Alla helgons dag"),
                    (12, 24, "Julafton"),
                    (12, 25, "Juldagen"),
                    (12, 26, "Annandag jul"),
                    (12, 31, "Nyårsafton"),
                ],
            ),
            (
                2027,
                &[
                    (1, 1, "Nyårsdagen"),
                    (1, 6, "Trettondedag jul"),
                    (3, 26, "Långfredag"),
                    (3, 28, "Påskdagen"),
                    (3, 29, "Annandag påsk"),
                    (5, 1, "Första maj"),
                    (5, 6, "Kristi himmelfärdsdag"),
                    (5, 16, "Pingstdagen"),
                    (6, 6, "Sveriges nationaldag"),
                    (6, 25, "Midsommarafton"),
                    (6, 26, "Midsommardagen"),
                    (11, 6, "Alla helgons dag"),
                    (12, 24, "Julafton"),
                    (12, 25, "Juldagen"),
                    (12, 26, "Annandag jul"),
                    (12, 31, "Nyårsafton"),
                ],
            ),
            (
                2028,
                &[
                    (1, 1, "Nyårsdagen"),
                    (1, 6, "Trettondedag jul"),
                    (4, 14, "Långfredag"),
                    (4, 16, "Påskdagen"),
                    (4, 17, "Annandag påsk"),
                    (5, 1, "Första maj"),
                    (5, 25, "Kristi himmelfärdsdag"),
                    (6, 4, "Pingstdagen"),
                    (6, 6, "Sveriges nationaldag"),
                    (6, 23, "Midsommarafton"),
                    (6, 24, "Midsommardagen"),
                    (11, 4, "Alla helgons dag"),
                    (12, 24, "Julafton"),
                    (12, 25, "Juldagen"),
                    (12, 26, "Annandag jul"),
                    (12, 31, "Nyårsafton"),
                ],
            ),
        ];
        for (year, table) in holidays {
            let mut date = d(year, 1, 1);
            while date.year() == year {
                let expected = table
                    .iter()
                    .find(|(m, day, _)| date.month() == *m && date.day() == *day)
                    .map(|(_, _, name)| *name);
                let found = public_holiday(date).or_else(|| non_working_eve(date));
                assert_eq!(found, expected, "{date}");
                let weekday = !matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
                assert_eq!(
                    is_working_day(date),
                    weekday && expected.is_none(),
                    "{date}"
                );
                date = date.succ_opt().unwrap();
            }
        }
        // The 6 November edge: 2027's Alla helgons dag is Saturday 6
        // November; the Saturday a week before is an ordinary Saturday,
        // and 6 November on a weekday is an ordinary working day.
        assert_eq!(public_holiday(d(2027, 11, 6)), Some("Alla helgons dag"));
        assert_eq!(public_holiday(d(2027, 10, 30)), None);
        assert_eq!(public_holiday(d(2026, 11, 6)), None);
        assert!(is_working_day(d(2026, 11, 6)), "Friday 6 November 2026");
        assert_eq!(public_holiday(d(2028, 11, 6)), None);
        assert!(is_working_day(d(2028, 11, 6)), "Monday 6 November 2028");
        // The Friday before it (allhelgonaafton) is a working day.
        assert!(is_working_day(d(2027, 11, 5)));
    }

    // R2.13 "Sker driftstopp på helg måste medarbetare på plats meddela
    // nattpatrullen så snart som möjligt samt skicka meddelande till
    // larmgruppen som tar hand om ärendet nästkommande vardag."
    #[test]
    fn r2_13_the_weekend_runs_from_closing_before_it_to_opening_after_it() {
        let h = standard();
        // Friday 27 November 2026: 16:59 is office, 17:00 and 21:30 the weekend.
        assert_eq!(period(at(2026, 11, 27, 16, 59), h), Period::Office);
        assert_eq!(period(at(2026, 11, 27, 17, 0), h), Period::Weekend);
        assert_eq!(period(at(2026, 11, 27, 21, 30), h), Period::Weekend);
        assert!(is_weekend(at(2026, 11, 28, 12, 0), h));
        assert!(is_weekend(at(2026, 11, 30, 6, 59), h));
        assert_eq!(period(at(2026, 11, 30, 7, 0), h), Period::Office);
        // A Monday–Thursday evening between working days is after hours.
        assert_eq!(period(at(2026, 11, 23, 17, 0), h), Period::AfterHours);
        assert_eq!(period(at(2026, 11, 24, 6, 30), h), Period::AfterHours);
        // The eve of a holiday: Wednesday before Kristi himmelfärdsdag
        // 2028 (Thursday 25 May) from 17:00, to Friday 07:00.
        assert_eq!(period(at(2028, 5, 24, 16, 0), h), Period::Office);
        assert!(is_weekend(at(2028, 5, 24, 17, 0), h));
        assert!(is_weekend(at(2028, 5, 26, 6, 0), h));
        assert_eq!(period(at(2028, 5, 26, 7, 0), h), Period::Office);
        // Easter 2028: Thursday 13 April 17:00 to Tuesday 18 April 07:00.
        assert!(is_weekend(at(2028, 4, 13, 17, 30), h));
        assert!(is_weekend(at(2028, 4, 17, 23, 0), h));
        assert_eq!(period(at(2028, 4, 18, 7, 0), h), Period::Office);
        // Nationaldagen 2028 is a Tuesday: Monday evening is the weekend.
        assert!(is_weekend(at(2028, 6, 5, 18, 0), h));
        // Midsommar 2028: Thursday 22 June from 17:00.
        assert_eq!(period(at(2028, 6, 22, 16, 30), h), Period::Office);
        assert!(is_weekend(at(2028, 6, 22, 17, 0), h));
        // Christmas and New Year 2028: Friday 22 Dec 17:00 to Wednesday 27
        // Dec 07:00; Friday 29 Dec 17:00 to Tuesday 2 Jan 2029 07:00.
        assert!(is_weekend(at(2028, 12, 22, 17, 0), h));
        assert!(is_weekend(at(2028, 12, 27, 6, 59), h));
        assert_eq!(period(at(2028, 12, 27, 7, 0), h), Period::Office);
        assert_eq!(period(at(2028, 12, 28, 18, 0), h), Period::AfterHours);
        assert!(is_weekend(at(2028, 12, 29, 17, 0), h));
        assert!(is_weekend(at(2029, 1, 2, 6, 0), h));
        // Alla helgons dag 2027 (Saturday 6 November): Friday 5 from 17:00.
        assert!(is_weekend(at(2027, 11, 5, 17, 0), h));
        assert_eq!(period(at(2027, 11, 5, 16, 59), h), Period::Office);
    }

    #[test]
    fn r2_13_the_units_own_hours_decide_not_constants() {
        let early = OfficeHours::parse("08:00", "16:30").unwrap();
        // Friday 16:30 is already the weekend in a unit that closes then.
        assert!(is_weekend(at(2026, 11, 27, 16, 30), early));
        assert!(!is_weekend(at(2026, 11, 27, 16, 30), standard()));
        // Monday 07:30 is still the weekend until it opens at 08:00.
        assert!(is_weekend(at(2026, 11, 30, 7, 30), early));
        assert_eq!(
            next_opening(at(2026, 11, 27, 16, 30), early),
            Some(at(2026, 11, 30, 8, 0))
        );
        assert_eq!(next_opening(at(2026, 11, 27, 16, 30), standard()), None);
        assert!(OfficeHours::parse("17:00", "07:00").is_none());
        assert!(OfficeHours::parse("7:00", "17:00").is_none());
    }

    // R2.11, R2.13: the alarm group takes the case from the next opening.
    #[test]
    fn r2_13_next_opening_is_the_next_working_morning() {
        let h = standard();
        assert_eq!(
            next_opening(at(2026, 11, 27, 21, 30), h),
            Some(at(2026, 11, 30, 7, 0))
        );
        assert_eq!(
            next_opening(at(2026, 11, 24, 5, 0), h),
            Some(at(2026, 11, 24, 7, 0))
        );
        assert_eq!(next_opening(at(2026, 11, 24, 12, 0), h), None);
        // Midsommarafton 2026 (Friday 19 June) -> Monday 22 June.
        assert_eq!(
            next_opening(at(2026, 6, 19, 10, 0), h),
            Some(at(2026, 6, 22, 7, 0))
        );
    }
}
