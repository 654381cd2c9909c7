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
        office_opens: "07:00".into(),
        office_closes: "17:00".into(),
        night_patrol_phone: Some("+46 8 530 610 99".into()),
        acute_key_routine: None,
        acute_key_routine_en: None,
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
    assert_eq!(
        ids(&steps),
        ["R2.6", "R2.6", "R2.1", "R2.8", "R2.9", "R2.15"]
    );
    assert_eq!(
        steps[1].action,
        StepAction::CallCoordinator {
            phone: "+46 8 530 610 10".into()
        }
    );
    assert!(steps[1].text.contains("+46 8 530 610 10"));
    assert_eq!(
        steps[2].action,
        StepAction::FetchDaySpareKey {
            location: "Nyckelskåpet på enheten".into()
        }
    );
}

#[test]
fn at_night_the_night_key_comes_from_the_central_site_r2_2() {
    let mut c = ctx(FailureKind::LockNotFound, at(MON.0, MON.1, MON.2, 23, 30));
    c.shift = Some(Shift::Night);
    let steps = guidance(&c);
    assert_eq!(
        ids(&steps),
        ["R2.6", "R2.6", "R2.2", "R2.8", "R2.9", "R2.15"]
    );
    assert_eq!(
        steps[2].action,
        StepAction::FetchNightKey {
            location: "Orrens servicehus".into()
        }
    );
    assert!(steps[2].text.contains("Orrens servicehus"));
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

// R2.13 "Sker driftstopp på helg måste medarbetare på plats meddela
// nattpatrullen så snart som möjligt samt skicka meddelande till
// larmgruppen som tar hand om ärendet nästkommande vardag." The weekend
// starts when the coordinators close on the last working day: Friday 21:30
// is the weekend (it was not, issue 16).
#[test]
fn friday_evening_from_closing_time_is_the_weekend_r2_13() {
    let mut friday = ctx(FailureKind::Jammed, at(2026, 11, 27, 21, 30));
    friday.shift = Some(Shift::Evening);
    let steps = guidance(&friday);
    assert_eq!(
        ids(&steps),
        ["R2.6", "R2.6", "R2.13", "R2.1", "R2.8", "R2.9", "R2.15"]
    );
    assert_eq!(
        steps[2].action,
        StepAction::NotifyNightPatrolAndAlarmGroup {
            night_patrol_phone: Some("+46 8 530 610 99".into())
        }
    );
    assert!(
        steps[2].text.contains("+46 8 530 610 99"),
        "{}",
        steps[2].text
    );
    assert!(steps[2].text.contains("larmgruppen"));
    // 16:59 on Friday is still the coordinator's.
    let before = guidance(&ctx(FailureKind::Jammed, at(2026, 11, 27, 16, 59)));
    assert!(!ids(&before).contains(&"R2.13"));
    let saturday = guidance(&ctx(FailureKind::Jammed, at(2026, 11, 28, 10, 0)));
    assert_eq!(
        ids(&saturday),
        ["R2.6", "R2.6", "R2.13", "R2.1", "R2.8", "R2.9", "R2.15"]
    );
    // Monday 06:30 is still the weekend; 07:00 is not.
    assert!(
        ids(&guidance(&ctx(
            FailureKind::Jammed,
            at(2026, 11, 30, 6, 30)
        )))
        .contains(&"R2.13")
    );
    assert!(!ids(&guidance(&ctx(FailureKind::Jammed, at(2026, 11, 30, 7, 0)))).contains(&"R2.13"));
}

#[test]
fn the_eve_of_a_holiday_and_the_units_own_hours_decide_the_weekend_r2_13() {
    // Wednesday 13 May 2026, the day before Kristi himmelfärdsdag, 17:30.
    let eve = guidance(&ctx(FailureKind::Jammed, at(2026, 5, 13, 17, 30)));
    assert!(ids(&eve).contains(&"R2.13"));
    // A unit that closes at 16:00: Friday 16:30 is its weekend.
    let mut c = ctx(FailureKind::Jammed, at(2026, 11, 27, 16, 30));
    assert!(!ids(&guidance(&c)).contains(&"R2.13"));
    c.unit.office_closes = "16:00".into();
    assert!(ids(&guidance(&c)).contains(&"R2.13"));
}

// R2.12 "Koordinator skickar meddelande till nattpatrullen så att de hinner
// förbereda sig inför natten. Meddelande skickas senast kl 17.00." After
// 17:00 on a Monday–Thursday the worker on site tells the night patrol, at
// once, with the number.
#[test]
fn after_17_on_a_weekday_the_worker_calls_the_night_patrol_r2_12() {
    let mut c = ctx(FailureKind::Jammed, at(MON.0, MON.1, MON.2, 17, 40));
    c.shift = Some(Shift::Evening);
    let steps = guidance(&c);
    assert_eq!(
        ids(&steps),
        ["R2.6", "R2.6", "R2.12", "R2.1", "R2.8", "R2.9", "R2.15"]
    );
    assert_eq!(
        steps[2].action,
        StepAction::CallNightPatrol {
            phone: Some("+46 8 530 610 99".into())
        }
    );
    assert!(steps[2].text.contains("+46 8 530 610 99"));
    assert!(steps[2].text.contains("17:00"));
    // The coordinator's office has closed: the call step says so.
    assert!(steps[1].text.contains("07:00–17:00"), "{}", steps[1].text);
    // Before the deadline the coordinator tells the night patrol (R2.12).
    let c = ctx(FailureKind::Jammed, at(MON.0, MON.1, MON.2, 16, 59));
    assert!(!ids(&guidance(&c)).contains(&"R2.12"));
    // The night patrol itself needs no call to the night patrol.
    let mut night = ctx(FailureKind::Jammed, at(MON.0, MON.1, MON.2, 23, 0));
    night.shift = Some(Shift::Night);
    assert!(!ids(&guidance(&night)).contains(&"R2.12"));
    // No number in the settings: the step still says to tell them.
    let mut c = ctx(FailureKind::Jammed, at(MON.0, MON.1, MON.2, 18, 0));
    c.unit.night_patrol_phone = None;
    let steps = guidance(&c);
    assert_eq!(steps[2].action, StepAction::CallNightPatrol { phone: None });
    assert!(steps[2].text.contains("nattpatrullen"));
}

// R2.1 "Medarbetare som arbetar dag använder sig av den nyckel som finns i
// skåpet på enheten." R2.2 "Medarbetare som arbetar natt använder sig av
// den s.k. natt/larmnyckeln som förvaras på Orrens servicehus." The shift,
// not the clock: an evening worker at 22:05 takes the unit's key.
#[test]
fn an_evening_worker_at_2205_takes_the_units_key_not_the_night_key_r2_1_r2_2() {
    let mut c = ctx(FailureKind::Jammed, at(MON.0, MON.1, MON.2, 22, 5));
    c.shift = Some(Shift::Evening);
    let ids_ = ids(&guidance(&c))
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert!(ids_.contains(&"R2.1".to_owned()) && !ids_.contains(&"R2.2".to_owned()));
    // With no shift known, the clock decides (fallback).
    c.shift = None;
    assert!(ids(&guidance(&c)).contains(&"R2.2"));
}

// R2.6 "Om brukare inte kan öppna själv och medarbetare upptäcker att det
// elektroniska låsvredet inte fungerar vid ankomst – kontakta koordinator
// för att få hjälp med planering." Ask that first.
#[test]
fn the_first_step_asks_whether_the_brukare_can_open_r2_6() {
    for f in [
        FailureKind::Jammed,
        FailureKind::LockNotFound,
        FailureKind::DecisionEnded,
        FailureKind::AppFailure,
        FailureKind::KeyExpired,
    ] {
        let steps = guidance(&ctx(f.clone(), at(MON.0, MON.1, MON.2, 10, 0)));
        assert_eq!(steps[0].action, StepAction::AskBrukareToOpen, "{f:?}");
        assert_eq!(steps[0].routine_id.as_deref(), Some("R2.6"));
        assert!(steps[0].text.contains("öppna själv"));
    }
}

// R2.8 "Medarbetare använder extra nyckel och följer rutiner kring akut
// nyckelhantering." The unit's own routine, not a dead end.
#[test]
fn acute_key_handling_shows_the_units_own_routine_r2_8() {
    let mut c = ctx(FailureKind::Jammed, at(MON.0, MON.1, MON.2, 10, 0));
    let generic = guidance(&c);
    let r28 = generic
        .iter()
        .find(|s| s.routine_id.as_deref() == Some("R2.8"))
        .unwrap();
    assert_eq!(r28.action, StepAction::AcuteKeyHandling { routine: None });
    c.unit.acute_key_routine =
        Some("Kvittera nyckeln i pärmen i skåpet och lämna tillbaka den samma pass.".into());
    c.unit.acute_key_routine_en = Some("Sign for the key in the binder and return it.".into());
    let steps = guidance(&c);
    let r28 = steps
        .iter()
        .find(|s| s.routine_id.as_deref() == Some("R2.8"))
        .unwrap();
    assert!(r28.text.starts_with("Kvittera nyckeln i pärmen"));
    assert_eq!(
        r28.action,
        StepAction::AcuteKeyHandling {
            routine: Some(
                "Kvittera nyckeln i pärmen i skåpet och lämna tillbaka den samma pass.".into()
            )
        }
    );
    c.language = Language::English;
    let steps = guidance(&c);
    let r28 = steps
        .iter()
        .find(|s| s.routine_id.as_deref() == Some("R2.8"))
        .unwrap();
    assert_eq!(r28.text, "Sign for the key in the binder and return it.");
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
            ["R2.6", "R2.6", "R2.13", "R2.2", "R2.8", "R2.9", "R2.15"],
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

// R2.7 "Koordinator kontrollerar om beslutet är giltigt eftersom det inte
// går att öppna om beslutet har gått ut. Om det har gått ut kontaktar
// koordinator biståndshandläggaren." — the coordinator's step; and for
// every case R2.8 "Medarbetare använder extra nyckel och följer rutiner
// kring akut nyckelhantering.", R2.9 "Medarbetare dokumenterar att
// elektroniskt låsvred är ur funktion." and R2.15 "Har en avvikelse
// uppstått ska den rapporteras i vårt avvikelsesystem av medarbetare."
#[test]
fn an_ended_decision_still_gives_the_spare_key_documentation_and_deviation_r2_7_r2_8_r2_1_r2_9_r2_15()
 {
    let steps = guidance(&ctx(
        FailureKind::DecisionEnded,
        at(MON.0, MON.1, MON.2, 14, 0),
    ));
    assert_eq!(
        ids(&steps),
        ["R2.6", "R2.6", "R2.7", "R2.1", "R2.8", "R2.9", "R2.15"]
    );
    assert_eq!(steps[2].action, StepAction::DecisionEnded);
    assert!(steps[2].text.contains("biståndshandläggaren"));
    assert!(matches!(
        steps[3].action,
        StepAction::FetchDaySpareKey { .. }
    ));
    assert!(matches!(
        steps[4].action,
        StepAction::AcuteKeyHandling { .. }
    ));
    assert_eq!(steps[5].action, StepAction::DocumentOutage);
    assert_eq!(steps[6].action, StepAction::ReportDeviation);
    // At night, the night key.
    let mut c = ctx(FailureKind::DecisionEnded, at(MON.0, MON.1, MON.2, 23, 0));
    c.shift = Some(Shift::Night);
    assert!(ids(&guidance(&c)).contains(&"R2.2"));
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
        ["R2.6", "R2.6", "R2.3", "R2.1", "R2.8", "R2.9", "R2.15"]
    );
    assert!(steps[2].text.contains("enhetschef"));
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
fn key_problems_sync_after_asking_then_follow_the_routine() {
    let steps = guidance(&ctx(
        FailureKind::KeyExpired,
        at(MON.0, MON.1, MON.2, 12, 0),
    ));
    assert_eq!(steps[0].action, StepAction::AskBrukareToOpen);
    assert_eq!(steps[1].action, StepAction::SyncKeys);
    assert_eq!(steps[1].routine_id, None);
    assert_eq!(
        ids(&steps),
        ["R2.6", "R2.6", "R2.1", "R2.8", "R2.9", "R2.15"]
    );
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
    assert!(steps[0].text.starts_with("Knock and ring"));
    assert!(
        steps[1].text.starts_with("The coordinator answers"),
        "{}",
        steps[1].text
    );
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
