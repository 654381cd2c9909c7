//! Local time in a unit's time zone (Europe/Stockholm by default): the day a
//! worker's bundle covers, shift times given as wall-clock times, and the
//! night-patrol deadline (R2.12, 17:00 local by default). Everything stored
//! is UTC Unix seconds; wall-clock time exists only at these edges.

use chrono::{Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

use crate::error::{Error, Result};

/// The default time zone of a Swedish unit.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Stockholm";

/// Parses an IANA time zone name.
pub fn parse_tz(name: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| {
        Error::bad(format!(
            "unknown time zone '{name}' (use an IANA name such as Europe/Stockholm)"
        ))
    })
}

/// Parses `HH:MM` (24-hour).
pub fn parse_hhmm(s: &str, what: &str) -> Result<NaiveTime> {
    let ok = s.len() == 5 && s.as_bytes().get(2) == Some(&b':');
    ok.then(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
        .flatten()
        .ok_or_else(|| Error::bad(format!("{what} must be a time as HH:MM, e.g. 17:00")))
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str, what: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| Error::bad(format!("{what} must be a date as YYYY-MM-DD")))
}

/// The UTC instant of a wall-clock time in `tz`. In the autumn's repeated
/// hour the first instance is taken; a time in the spring's skipped hour
/// moves forward by an hour (as clocks do).
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> Result<i64> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.timestamp()),
        LocalResult::Ambiguous(a, _) => Ok(a.timestamp()),
        LocalResult::None => {
            let later = local + chrono::Duration::hours(1);
            tz.from_local_datetime(&later)
                .earliest()
                .map(|t| t.timestamp())
                .ok_or_else(|| Error::bad("that local time does not exist in the unit's time zone"))
        }
    }
}

/// The local date in `tz` at Unix time `t`.
pub fn local_date(tz: Tz, t: i64) -> Result<NaiveDate> {
    tz.timestamp_opt(t, 0)
        .single()
        .map(|d| d.date_naive())
        .ok_or_else(|| Error::bad("time out of range"))
}

/// The UTC bounds `[start, end)` of a local calendar day (23, 24 or 25 hours).
pub fn day_bounds(tz: Tz, date: NaiveDate) -> Result<(i64, i64)> {
    let next = date
        .checked_add_days(Days::new(1))
        .ok_or_else(|| Error::bad("date out of range"))?;
    Ok((
        local_to_utc(tz, date.and_time(NaiveTime::MIN))?,
        local_to_utc(tz, next.and_time(NaiveTime::MIN))?,
    ))
}

/// R2.12: the instant of the unit's night-patrol deadline (e.g. 17:00
/// local) on `date`.
pub fn deadline_on(tz: Tz, date: NaiveDate, hhmm: &str) -> Result<i64> {
    let time = parse_hhmm(hhmm, "night_patrol_deadline")?;
    local_to_utc(tz, date.and_time(time))
}

/// R2.12: when the night patrol must have been told of an outage case
/// opened at `opened_at`: the unit's deadline (e.g. 17:00 local) on the
/// local date the case opened; a case opened after that time is due at
/// once (the deadline is the opening time itself).
pub fn night_patrol_deadline_for(tz: Tz, opened_at: i64, hhmm: &str) -> Result<i64> {
    let deadline = deadline_on(tz, local_date(tz, opened_at)?, hhmm)?;
    Ok(if opened_at > deadline {
        opened_at
    } else {
        deadline
    })
}

/// Parses a wall-clock date-time as `YYYY-MM-DD HH:MM` (or with `T`, or
/// with seconds) in `tz`.
pub fn parse_local_datetime(tz: Tz, s: &str, what: &str) -> Result<i64> {
    let s = s.trim();
    let formats = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ];
    for f in formats {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
            return local_to_utc(tz, dt);
        }
    }
    Err(Error::bad(format!(
        "{what} must be a local date and time as YYYY-MM-DD HH:MM, got '{s}'"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s, "d").unwrap()
    }

    #[test]
    fn r2_12_deadline_is_17_local_in_winter_and_summer() {
        let tz = parse_tz(DEFAULT_TIME_ZONE).unwrap();
        // 2025-01-15 17:00 CET = 16:00 UTC.
        assert_eq!(
            deadline_on(tz, d("2025-01-15"), "17:00").unwrap(),
            1_736_956_800
        );
        // 2025-07-15 17:00 CEST = 15:00 UTC.
        assert_eq!(
            deadline_on(tz, d("2025-07-15"), "17:00").unwrap(),
            1_752_591_600
        );
    }

    #[test]
    fn r2_12_a_case_opened_after_the_deadline_is_due_at_once() {
        let tz = parse_tz(DEFAULT_TIME_ZONE).unwrap();
        let at = |s: &str| parse_local_datetime(tz, s, "t").unwrap();
        assert_eq!(
            night_patrol_deadline_for(tz, at("2025-01-15 16:59"), "17:00").unwrap(),
            at("2025-01-15 17:00")
        );
        assert_eq!(
            night_patrol_deadline_for(tz, at("2025-01-15 17:01"), "17:00").unwrap(),
            at("2025-01-15 17:01")
        );
        // A case opened in the small hours is due at 17:00 that day.
        assert_eq!(
            night_patrol_deadline_for(tz, at("2025-01-15 02:00"), "17:00").unwrap(),
            at("2025-01-15 17:00")
        );
        // The nights clocks change: 17:00 CEST = 15:00 UTC, 17:00 CET = 16:00 UTC.
        assert_eq!(
            night_patrol_deadline_for(tz, at("2026-03-29 01:30"), "17:00").unwrap(),
            1_774_796_400
        );
        assert_eq!(
            night_patrol_deadline_for(tz, at("2026-10-25 02:30"), "17:00").unwrap(),
            1_792_944_000
        );
    }

    #[test]
    fn days_around_daylight_saving_changes_have_23_and_25_hours() {
        let tz = parse_tz(DEFAULT_TIME_ZONE).unwrap();
        let (s, e) = day_bounds(tz, d("2025-03-30")).unwrap();
        assert_eq!(e - s, 23 * 3600);
        let (s, e) = day_bounds(tz, d("2025-10-26")).unwrap();
        assert_eq!(e - s, 25 * 3600);
        let (s, e) = day_bounds(tz, d("2025-01-15")).unwrap();
        assert_eq!(e - s, 24 * 3600);
    }

    #[test]
    fn a_skipped_local_time_moves_forward_and_a_repeated_one_takes_the_first() {
        let tz = parse_tz(DEFAULT_TIME_ZONE).unwrap();
        let skipped = parse_local_datetime(tz, "2025-03-30 02:30", "t").unwrap();
        let after = parse_local_datetime(tz, "2025-03-30 03:30", "t").unwrap();
        assert_eq!(skipped, after);
        let repeated = parse_local_datetime(tz, "2025-10-26 02:30", "t").unwrap();
        // First 02:30 is CEST (UTC+2): 00:30 UTC.
        assert_eq!(repeated, 1_761_438_600);
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(parse_tz("Europe/Nowhere").is_err());
        assert!(parse_hhmm("7:00", "x").is_err());
        assert!(parse_hhmm("25:00", "x").is_err());
        assert!(parse_date("2025-02-30", "x").is_err());
        let tz = parse_tz(DEFAULT_TIME_ZONE).unwrap();
        assert!(parse_local_datetime(tz, "tomorrow", "x").is_err());
    }
}
