//! Local wall-clock time for display: the unit's time zone (Europe/Stockholm
//! in the demo), "HH:MM", and whether it is night for the outage routine.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The time zone of the demo units and the default for display.
pub const DEFAULT_TZ: Tz = chrono_tz::Europe::Stockholm;

/// The zone named `name`, or Stockholm if the name is unknown.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(DEFAULT_TZ)
}

fn local(tz: Tz, unix: i64) -> Option<DateTime<Tz>> {
    DateTime::<Utc>::from_timestamp(unix, 0).map(|t| t.with_timezone(&tz))
}

/// "HH:MM" in `tz`.
pub fn hhmm(tz: Tz, unix: i64) -> String {
    local(tz, unix)
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_else(|| "--:--".into())
}

/// Today's date in `tz` by the system clock.
pub fn today(tz: Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// `date` at `hour:minute` in `tz`, as Unix seconds (the earlier instant
/// if the clock is turned back then).
pub fn at(tz: Tz, date: NaiveDate, hour: u32, minute: u32) -> Option<i64> {
    let t = NaiveTime::from_hms_opt(hour, minute, 0)?;
    tz.from_local_datetime(&date.and_time(t))
        .earliest()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stockholm_times() {
        let date = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        let seven = at(DEFAULT_TZ, date, 7, 0).unwrap();
        assert_eq!(hhmm(DEFAULT_TZ, seven), "07:00");
        assert_eq!(zone("Nowhere/Else"), DEFAULT_TZ);
    }
}
