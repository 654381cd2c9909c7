//! The Swedish working calendar the outage routine depends on: weekends,
//! public holidays (and the eves Swedish workplaces treat as holidays), and
//! whether a local time falls in the night.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Timelike, Weekday};

/// Easter Sunday (Gregorian; the anonymous algorithm).
pub(crate) fn easter(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// The first `weekday` on or after `from`.
fn first_on_or_after(from: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    from + Duration::days(i64::from(ahead))
}

/// The holiday's Swedish name, if `date` is a public holiday or an eve that
/// Swedish workplaces treat as one (midsommarafton, julafton, nyårsafton).
pub(crate) fn holiday(date: NaiveDate) -> Option<&'static str> {
    let (y, m, d) = (date.year(), date.month(), date.day());
    let fixed = match (m, d) {
        (1, 1) => Some("nyårsdagen"),
        (1, 6) => Some("trettondedag jul"),
        (5, 1) => Some("första maj"),
        (6, 6) => Some("nationaldagen"),
        (12, 24) => Some("julafton"),
        (12, 25) => Some("juldagen"),
        (12, 26) => Some("annandag jul"),
        (12, 31) => Some("nyårsafton"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    if let Some(e) = easter(y) {
        for (offset, name) in [
            (-2, "långfredagen"),
            (0, "påskdagen"),
            (1, "annandag påsk"),
            (39, "kristi himmelsfärdsdag"),
            (49, "pingstdagen"),
        ] {
            if date == e + Duration::days(offset) {
                return Some(name);
            }
        }
    }
    let midsummer_day =
        NaiveDate::from_ymd_opt(y, 6, 20).map(|d| first_on_or_after(d, Weekday::Sat));
    if midsummer_day == Some(date) {
        return Some("midsommardagen");
    }
    if midsummer_day.map(|d| d - Duration::days(1)) == Some(date) {
        return Some("midsommarafton");
    }
    let all_saints = NaiveDate::from_ymd_opt(y, 10, 31).map(|d| first_on_or_after(d, Weekday::Sat));
    if all_saints == Some(date) {
        return Some("alla helgons dag");
    }
    None
}

/// Saturday, Sunday, or a (de facto) public holiday: the routine's "helg".
pub(crate) fn is_weekend_or_holiday(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun) || holiday(date).is_some()
}

/// Night, for which key to use (R2.2): 22:00 to 07:00 local time.
pub(crate) fn is_night(time: NaiveTime) -> bool {
    !(7..22).contains(&time.hour())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_is_right_for_known_years() {
        assert_eq!(easter(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter(2025), Some(date(2025, 4, 20)));
        assert_eq!(easter(2026), Some(date(2026, 4, 5)));
        assert_eq!(easter(2027), Some(date(2027, 3, 28)));
    }

    #[test]
    fn swedish_holidays_of_2026() {
        for (d, name) in [
            (date(2026, 1, 1), "nyårsdagen"),
            (date(2026, 1, 6), "trettondedag jul"),
            (date(2026, 4, 3), "långfredagen"),
            (date(2026, 4, 6), "annandag påsk"),
            (date(2026, 5, 14), "kristi himmelsfärdsdag"),
            (date(2026, 5, 24), "pingstdagen"),
            (date(2026, 6, 6), "nationaldagen"),
            (date(2026, 6, 19), "midsommarafton"),
            (date(2026, 6, 20), "midsommardagen"),
            (date(2026, 10, 31), "alla helgons dag"),
            (date(2026, 12, 24), "julafton"),
            (date(2026, 12, 31), "nyårsafton"),
        ] {
            assert_eq!(holiday(d), Some(name), "{d}");
        }
        assert_eq!(holiday(date(2026, 6, 18)), None);
        assert_eq!(holiday(date(2026, 11, 23)), None);
    }

    #[test]
    fn weekends_and_weekdays() {
        assert!(is_weekend_or_holiday(date(2026, 11, 21))); // Saturday
        assert!(!is_weekend_or_holiday(date(2026, 11, 20))); // Friday
        assert!(is_weekend_or_holiday(date(2026, 6, 19))); // midsommarafton, a Friday
    }
}
