//! The routine's steps, by case and by time. Each test names the routine
//! ids it proves.

use chrono::TimeZone;

use super::*;

fn unit() -> UnitSettings {
    UnitSettings {
        unit_id: "tumba".into(),
        name: "Hemtjänst Tumba".into(),
        coordinator_phone: "+46 8 530 610 10".into(),
        day_key_location: "Nyckelskåpet på enheten".into(),
        night_key_location: "Orrens servicehus".into(),
        night_patrol_deadline: "17:00".into(),
        time_zone: "Europe/Stockholm".into(),
    }
}

/// Unix time of a Stockholm local time.
fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    chrono_tz::Europe::Stockholm
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .unwrap()
        .timestamp()
}

fn ctx(failure: FailureKind, when: i64) -> GuidanceContext {
    GuidanceContext {
        failure,
        at: when,
        shift: None,
        unit: unit(),
        locks_down: 1,
        language: Language::Swedish,
    }
}

fn ids(steps: &[GuidanceStep]) -> Vec<&str> {
    steps
        .iter()
        .filter_map(|s| s.routine_id.as_deref())
        .collect()
}

// Monday 2026-11-23.
const MON: (i32, u32, u32) = (2026, 11, 23);

#[test]
fn a_jammed_lock_on_a_weekday_afternoon_gets_the_day_routine_r2_6_r2_1_r2_8_r2_9_r2_15() {
    let steps = guidance(&ctx(FailureKind::Jammed, at(MON.0, MON.1, MON.2, 14, 0)));
    assert_eq!(ids(&steps), ["R2.6", "R2.1", "R2.8", "R2.9", "R2.15"]);
    assert_eq!(
        steps[0].action,
        StepAction::CallCoordinator {
            phone: "+46 8 530 610 10".into()
        }
    );
    assert!(steps[0].text.contains("+46 8 530 610 10"));
    assert_eq!(
        steps[1].action,
        StepAction::FetchDaySpareKey {
            location: "Nyckelskåpet på enheten".into()
        }
    );
}

#[test]
fn at_night_the_night_key_comes_from_the_central_site_r2_2() {
    let steps = guidance(&ctx(
        FailureKind::LockNotFound,
        at(MON.0, MON.1, MON.2, 23, 30),
    ));
    assert_eq!(ids(&steps), ["R2.6", "R2.2", "R2.8", "R2.9", "R2.15"]);
    assert_eq!(
        steps[1].action,
        StepAction::FetchNightKey {
            location: "Orrens servicehus".into()
        }
    );
    assert!(steps[1].text.contains("Orrens servicehus"));
}

#[test]
fn the_workers_shift_decides_over_the_clock_r2_1_r2_2() {
    let mut c = ctx(FailureKind::LinkLost, at(MON.0, MON.1, MON.2, 6, 30));
    c.shift = Some(Shift::Day);
    assert!(ids(&guidance(&c)).contains(&"R2.1"));
    c.shift = Some(Shift::Night);
    c.at = at(MON.0, MON.1, MON.2, 21, 0);
    assert!(ids(&guidance(&c)).contains(&"R2.2"));
}

#[test]
fn friday_evening_is_not_yet_the_weekend_but_saturday_is_r2_13() {
    let friday = guidance(&ctx(FailureKind::Jammed, at(2026, 11, 27, 21, 30)));
    assert!(!ids(&friday).contains(&"R2.13"));
    assert!(
        ids(&friday).contains(&"R2.1"),
        "21:30 is still evening: the unit's cabinet"
    );
    let saturday = guidance(&ctx(FailureKind::Jammed, at(2026, 11, 28, 10, 0)));
    assert_eq!(
        ids(&saturday),
        ["R2.6", "R2.1", "R2.8", "R2.9", "R2.13", "R2.15"]
    );
    assert_eq!(
        saturday[4].action,
        StepAction::NotifyNightPatrolAndAlarmGroup
    );
}

#[test]
fn midsommarafton_and_other_holidays_count_as_weekend_r2_13() {
    for (y, m, d) in [(2026, 6, 19), (2026, 12, 24), (2026, 4, 3), (2026, 5, 14)] {
        let steps = guidance(&ctx(FailureKind::AppFailure, at(y, m, d, 11, 0)));
        assert!(ids(&steps).contains(&"R2.13"), "{y}-{m}-{d}");
    }
    let ordinary_thursday = guidance(&ctx(FailureKind::AppFailure, at(2026, 6, 18, 11, 0)));
    assert!(!ids(&ordinary_thursday).contains(&"R2.13"));
}

#[test]
fn the_nights_of_the_dst_changes_are_night_and_weekend_r2_2_r2_13() {
    // 2026-03-29 02:00 → 03:00 and 2026-10-25 03:00 → 02:00, both Sundays.
    let spring = chrono::Utc
        .with_ymd_and_hms(2026, 3, 29, 1, 30, 0)
        .unwrap()
        .timestamp(); // 03:30 CEST
    let autumn = chrono::Utc
        .with_ymd_and_hms(2026, 10, 25, 1, 30, 0)
        .unwrap()
        .timestamp(); // 02:30 CET
    for t in [spring, autumn] {
        let steps = guidance(&ctx(FailureKind::Jammed, t));
        assert_eq!(
            ids(&steps),
            ["R2.6", "R2.2", "R2.8", "R2.9", "R2.13", "R2.15"],
            "{t}"
        );
    }
    // 06:59 CEST on the spring Sunday is still night; 07:00 is day.
    let before = chrono::Utc
        .with_ymd_and_hms(2026, 3, 29, 4, 59, 0)
        .unwrap()
        .timestamp();
    let after = chrono::Utc
        .with_ymd_and_hms(2026, 3, 29, 5, 0, 0)
        .unwrap()
        .timestamp();
    assert!(ids(&guidance(&ctx(FailureKind::Jammed, before))).contains(&"R2.2"));
    assert!(ids(&guidance(&ctx(FailureKind::Jammed, after))).contains(&"R2.1"));
}

#[test]
fn an_ended_decision_goes_to_the_coordinator_and_needs_assessor_without_a_spare_key_r2_7() {
    let steps = guidance(&ctx(
        FailureKind::DecisionEnded,
        at(MON.0, MON.1, MON.2, 14, 0),
    ));
    assert_eq!(ids(&steps), ["R2.7", "R2.6"]);
    assert_eq!(steps[0].action, StepAction::DecisionEnded);
    assert!(steps[0].text.contains("biståndshandläggaren"));
}

#[test]
fn many_locks_down_is_a_major_outage_r2_3_r2_4() {
    let mut c = ctx(FailureKind::LockNotFound, at(MON.0, MON.1, MON.2, 9, 0));
    c.locks_down = MAJOR_OUTAGE_LOCKS - 1;
    assert!(!ids(&guidance(&c)).contains(&"R2.3"));
    c.locks_down = MAJOR_OUTAGE_LOCKS;
    let steps = guidance(&c);
    assert_eq!(
        ids(&steps),
        ["R2.6", "R2.3", "R2.1", "R2.8", "R2.9", "R2.15"]
    );
    assert!(steps[1].text.contains("enhetschef"));
}

#[test]
fn the_deviation_is_always_reported_last_r2_5_r2_15() {
    for f in [
        FailureKind::Jammed,
        FailureKind::LinkLost,
        FailureKind::AppFailure,
        FailureKind::ManualReport,
    ] {
        let steps = guidance(&ctx(f, at(MON.0, MON.1, MON.2, 12, 0)));
        assert_eq!(
            steps.last().and_then(|s| s.routine_id.as_deref()),
            Some("R2.15")
        );
    }
}

#[test]
fn key_problems_start_with_a_sync_then_follow_the_routine() {
    let steps = guidance(&ctx(
        FailureKind::KeyExpired,
        at(MON.0, MON.1, MON.2, 12, 0),
    ));
    assert_eq!(steps[0].action, StepAction::SyncKeys);
    assert_eq!(steps[0].routine_id, None);
    assert_eq!(ids(&steps), ["R2.6", "R2.1", "R2.8", "R2.9", "R2.15"]);
    let later = at(MON.0, MON.1, MON.2, 13, 15);
    let steps = guidance(&ctx(
        FailureKind::KeyNotYetValid { valid_from: later },
        at(MON.0, MON.1, MON.2, 12, 0),
    ));
    assert!(steps[0].text.contains("13:15"), "{}", steps[0].text);
}

#[test]
fn a_low_battery_only_asks_for_a_report() {
    let steps = guidance(&ctx(
        FailureKind::BatteryLow,
        at(MON.0, MON.1, MON.2, 12, 0),
    ));
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].action, StepAction::ReportLowBattery);
}

#[test]
fn every_step_reads_in_english_too() {
    let mut c = ctx(FailureKind::Jammed, at(2026, 11, 28, 23, 0));
    c.language = Language::English;
    let steps = guidance(&c);
    assert!(steps[0].text.starts_with("Call the coordinator"));
    // Every text came from the catalogue (a missing message shows its id).
    assert!(
        steps
            .iter()
            .all(|s| !catalog::MESSAGE_IDS.contains(&s.text.as_str())
                && !catalog::MESSAGE_IDS.contains(&s.title.as_str()))
    );
    c.language = Language::Swedish;
    let sv = guidance(&c);
    assert_ne!(sv[0].text, steps[0].text);
}

#[test]
fn outcomes_map_to_failures() {
    assert_eq!(
        FailureKind::from_outcome(&UnlockOutcome::LockNotFound),
        Some(FailureKind::LockNotFound)
    );
    assert_eq!(
        FailureKind::from_outcome(&UnlockOutcome::DecisionEnded { ended_at: None }),
        Some(FailureKind::DecisionEnded)
    );
    assert_eq!(
        FailureKind::Refused {
            code: "wrong_lock".into()
        }
        .code(),
        "refused:wrong_lock"
    );
}
