//! At the door when a lock fails: the app gives the routine's steps and
//! keeps the worker's report offline, step by step, for the next sync.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Steps, World};
use nyckelfri_core::guidance::{FailureKind, Language, StepAction};
use nyckelfri_core::{FailedLockReport, UnlockOutcome};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn a_jammed_lock_gets_the_routine_and_a_report_kept_offline_r2_6_r2_9() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.controls("lock-1").set_jammed(true);
    let outcome = block_on(app.open_door("visit-1".into(), Steps::new())).unwrap();
    assert!(matches!(outcome, UnlockOutcome::Jammed { .. }));

    // Monday 10:00: the day routine, with the unit's number and cabinet.
    let steps = app
        .guidance_for_outcome(outcome.clone(), Some("visit-1".into()), Language::Swedish)
        .unwrap();
    let ids: Vec<_> = steps.iter().filter_map(|s| s.routine_id.clone()).collect();
    assert_eq!(ids, ["R2.6", "R2.6", "R2.1", "R2.8", "R2.9", "R2.15"]);
    assert_eq!(steps[0].action, StepAction::AskBrukareToOpen);
    assert_eq!(
        steps[1].action,
        StepAction::CallCoordinator {
            phone: "+46 8 123 456 00".into()
        }
    );
    assert!(steps[2].text.contains("Nyckelskåpet på enheten"));

    // The worker called the coordinator, then reports the lock (no network needed).
    let report_id = app
        .report_failed_lock(FailedLockReport {
            lock_id: None,
            visit_id: Some("visit-1".into()),
            failure: FailureKind::from_outcome(&outcome).unwrap(),
            steps_done: vec!["R2.6".into()],
        })
        .unwrap();
    w.clocks.advance(300);
    app.mark_step_done(report_id.clone(), "R2.1".into())
        .unwrap();
    app.mark_step_done(report_id.clone(), "R2.1".into())
        .unwrap(); // twice: no new event

    let reports = app.outage_reports(10).unwrap();
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!(
        (r.lock_id.as_deref(), r.cause.as_str()),
        (Some("lock-1"), "jammed")
    );
    let done: Vec<_> = r
        .steps
        .iter()
        .map(|s| (s.routine_id.as_str(), s.done_at))
        .collect();
    // Each routine step once in the report (R2.6 is the question and the call).
    assert_eq!(done[0], ("R2.6", Some(common::NOW)));
    assert_eq!(done[1], ("R2.1", Some(common::NOW + 300)));
    assert_eq!(
        done[3],
        ("R2.9", Some(common::NOW)),
        "reporting documents the outage"
    );
    assert_eq!(done[4], ("R2.15", None));
    assert_eq!(done.len(), 5);

    // Two revisions queued for the server, each its own event, one report id.
    let events: Vec<_> = app
        .recent_events(20)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "outage_report")
        .collect();
    assert_eq!(events.len(), 2);
    for e in &events {
        let p: serde_json::Value = serde_json::from_str(&e.payload_json).unwrap();
        assert_eq!(p["report_id"], report_id.as_str());
        assert_eq!(p["lock_id"], "lock-1");
        assert_eq!(p["brukare_id"], "brukare-1");
        assert_eq!(p["cause"], "jammed");
        assert_eq!(p["weekend_or_holiday"], false);
    }
    assert_ne!(events[0].event_id, events[1].event_id);
}

#[test]
fn a_failure_without_a_visit_or_a_found_lock_can_still_be_reported() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    let steps = app
        .guidance_for_failure(FailureKind::AppFailure, None, None, Language::English)
        .unwrap();
    assert!(steps[0].text.starts_with("Knock and ring"));
    assert!(
        steps[1]
            .text
            .starts_with("Call the coordinator on +46 8 123 456 00")
    );
    let id = app
        .report_failed_lock(FailedLockReport {
            lock_id: None,
            visit_id: None,
            failure: FailureKind::AppFailure,
            steps_done: vec![],
        })
        .unwrap();
    let r = &app.outage_reports(1).unwrap()[0];
    assert_eq!(
        (r.report_id.as_str(), r.lock_id.as_deref(), r.cause.as_str()),
        (id.as_str(), None, "app_failure")
    );
    assert!(app.mark_step_done(id, "R9.9".into()).is_err());
}

#[test]
fn a_clean_opening_needs_no_guidance() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    let outcome = block_on(app.open_door("visit-1".into(), Steps::new())).unwrap();
    assert!(
        app.guidance_for_outcome(outcome, Some("visit-1".into()), Language::Swedish)
            .unwrap()
            .is_empty()
    );
}
