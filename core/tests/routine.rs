//! Issue 16 on the phone, through the app's API: the shift in the bundle
//! decides the spare key (R2.1, R2.2), an evening failure has the worker
//! tell the night patrol (R2.12), a Friday evening is the weekend in the
//! report the server gets (R2.13), and an ended decision still gives the
//! worker the spare key (R2.7, R2.8). Each test quotes the routine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{HOUR, NOW, World};
use nyckelfri_core::guidance::{FailureKind, GuidanceStep, Language, StepAction};
use nyckelfri_core::{FailedLockReport, ShiftInfo};

fn ids(steps: &[GuidanceStep]) -> Vec<&str> {
    steps
        .iter()
        .filter_map(|s| s.routine_id.as_deref())
        .collect()
}

fn jammed(app: &nyckelfri_core::NyckelfriApp) -> Vec<GuidanceStep> {
    app.guidance_for_failure(
        FailureKind::Jammed,
        Some("visit-1".into()),
        None,
        Language::Swedish,
    )
    .unwrap()
}

// R2.1 "Medarbetare som arbetar dag använder sig av den nyckel som finns i
// skåpet på enheten." R2.2 "Medarbetare som arbetar natt använder sig av
// den s.k. natt/larmnyckeln som förvaras på Orrens servicehus." The
// worker's shift from the bundle decides at 22:05, not the clock.
#[test]
fn an_evening_shift_at_2205_takes_the_units_key_r2_1_r2_2() {
    // Monday 15:00-22:30, an evening shift.
    let mut w = World::new(1);
    let app = w.open_app();
    let mut b = w.bundle();
    b.shifts = vec![ShiftInfo {
        shift_id: "s-eve".into(),
        unit_id: "unit-north".into(),
        kind: "evening".into(),
        starts_at: NOW + 5 * HOUR,
        ends_at: NOW + 12 * HOUR + HOUR / 2,
    }];
    app.apply_bundle(&b).unwrap();
    w.clocks.advance(12 * 3_600 + 5 * 60); // 22:05
    let steps = jammed(&app);
    assert!(ids(&steps).contains(&"R2.1"), "{:?}", ids(&steps));
    assert!(!ids(&steps).contains(&"R2.2"));

    // No shift, but the day's round of visits is an evening round.
    let mut w = World::new(1);
    let app = w.open_app();
    let mut b = w.bundle();
    b.visits[0].starts_at = NOW + 6 * HOUR;
    b.visits[0].ends_at = NOW + 12 * HOUR;
    app.apply_bundle(&b).unwrap();
    w.clocks.advance(12 * 3_600 + 5 * 60);
    assert!(ids(&jammed(&app)).contains(&"R2.1"));

    // Nothing known about the shift (the round ended twelve hours ago): the
    // clock decides, night.
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.clocks.advance(12 * 3_600 + 5 * 60);
    assert!(ids(&jammed(&app)).contains(&"R2.2"));

    // A night shift at 14:00 (a double shift) is still the night's key.
    let mut w = World::new(1);
    let app = w.open_app();
    let mut b = w.bundle();
    b.shifts = vec![ShiftInfo {
        shift_id: "s-night".into(),
        unit_id: "unit-north".into(),
        kind: "night".into(),
        starts_at: NOW + 3 * HOUR,
        ends_at: NOW + 6 * HOUR,
    }];
    app.apply_bundle(&b).unwrap();
    w.clocks.advance(4 * 3_600);
    assert!(ids(&jammed(&app)).contains(&"R2.2"));
}

// R2.12 "Koordinator skickar meddelande till nattpatrullen så att de hinner
// förbereda sig inför natten. Meddelande skickas senast kl 17.00." After
// 17:00 on a Monday the worker on site tells the night patrol, with the
// number from the unit's settings.
#[test]
fn after_17_the_worker_calls_the_night_patrol_with_the_units_number_r2_12() {
    let mut w = World::new(1);
    let app = w.open_app();
    let mut b = w.bundle();
    b.server_time = NOW + 7 * HOUR + 40 * 60; // Monday 17:40
    app.apply_bundle(&b).unwrap();
    let steps = jammed(&app);
    let call = steps
        .iter()
        .find(|s| s.routine_id.as_deref() == Some("R2.12"))
        .expect("an R2.12 step after 17:00");
    assert_eq!(
        call.action,
        StepAction::CallNightPatrol {
            phone: Some("+46 8 123 456 99".into())
        }
    );
    assert!(call.text.contains("+46 8 123 456 99"));
    // The settings on the phone carry the number and the hours.
    let u = app.unit_settings("unit-north".into()).unwrap();
    assert_eq!(u.night_patrol_phone.as_deref(), Some("+46 8 123 456 99"));
    assert_eq!(
        (u.office_opens.as_str(), u.office_closes.as_str()),
        ("07:00", "17:00")
    );
}

// R2.13 "Sker driftstopp på helg måste medarbetare på plats meddela
// nattpatrullen så snart som möjligt samt skicka meddelande till
// larmgruppen som tar hand om ärendet nästkommande vardag." Friday 21:30 is
// the weekend: the guidance says so, and so does the report the server gets.
#[test]
fn friday_2130_is_the_weekend_in_the_guidance_and_the_report_r2_13() {
    let mut w = World::new(1);
    let app = w.open_app();
    let mut b = w.bundle();
    b.server_time = NOW - 3 * 24 * HOUR + 11 * HOUR + 30 * 60; // Friday 20 Nov 21:30
    app.apply_bundle(&b).unwrap();
    let steps = jammed(&app);
    assert!(ids(&steps).contains(&"R2.13"), "{:?}", ids(&steps));
    app.report_failed_lock(FailedLockReport {
        lock_id: Some("lock-1".into()),
        visit_id: None,
        failure: FailureKind::Jammed,
        steps_done: vec!["R2.6".into()],
    })
    .unwrap();
    let event = app
        .recent_events(10)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == "outage_report")
        .unwrap();
    let p: serde_json::Value = serde_json::from_str(&event.payload_json).unwrap();
    assert_eq!(p["weekend_or_holiday"], true);
    let steps: Vec<&str> = p["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(steps.contains(&"R2.13"));
}

// R2.7 "Om det har gått ut kontaktar koordinator biståndshandläggaren." and
// R2.8 "Medarbetare använder extra nyckel och följer rutiner kring akut
// nyckelhantering." An ended decision no longer leaves the worker at the
// door: the spare key, documenting, the deviation.
#[test]
fn an_ended_decision_still_gives_the_worker_the_spare_key_r2_7_r2_8_r2_9_r2_15() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    let steps = app
        .guidance_for_outcome(
            nyckelfri_core::UnlockOutcome::DecisionEnded { ended_at: None },
            Some("visit-1".into()),
            Language::Swedish,
        )
        .unwrap();
    assert_eq!(
        ids(&steps),
        ["R2.6", "R2.6", "R2.7", "R2.1", "R2.8", "R2.9", "R2.15"]
    );
    let id = app
        .report_failed_lock(FailedLockReport {
            lock_id: None,
            visit_id: Some("visit-1".into()),
            failure: FailureKind::DecisionEnded,
            steps_done: vec!["R2.6".into(), "R2.1".into()],
        })
        .unwrap();
    let r = &app.outage_reports(1).unwrap()[0];
    assert_eq!(r.report_id, id);
    let listed: Vec<&str> = r.steps.iter().map(|s| s.routine_id.as_str()).collect();
    assert_eq!(listed, ["R2.6", "R2.7", "R2.1", "R2.8", "R2.9", "R2.15"]);
}
