//! The outage routine end to end, with the real server on loopback: a lock
//! fails at 14:00 on a Monday → the worker is guided through the routine →
//! the report syncs and opens an outage case → the coordinator sees it with
//! the care decision's validity, informs the alarm group and tells the night
//! patrol before 17:00 → the lock is marked working again.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "common/server_env.rs"]
mod server_env;

use std::sync::Arc;

use nyckelfri_core::guidance::{FailureKind, Language, StepAction};
use nyckelfri_core::{FailedLockReport, KeyStatus, UnlockOutcome};
use nyckelfri_server::model::Role;
use server_env::{Env, MORNING, Quiet};

/// Monday 2026-11-23, 14:00 in Stockholm.
const TWO_PM: i64 = MORNING + 7 * 3_600;

#[test]
fn a_lock_failing_at_14_is_guided_reported_escalated_before_17_and_closed_r2_6_r2_9_r2_10_r2_11_r2_12()
 {
    let env = Env::start_at(TWO_PM);
    // A care worker with a visit whose key works now.
    let (app, _, visit) = env.care_worker_with("a visit around 14:00", |v| {
        matches!(v.key_status, KeyStatus::Ready { .. })
    });

    // The lock is jammed.
    env.locks
        .get(&visit.lock_id)
        .unwrap()
        .lock()
        .unwrap()
        .controls()
        .set_jammed(true);
    let outcome = env
        .rt
        .block_on(app.open_door(visit.visit_id.clone(), Arc::new(Quiet)))
        .unwrap();
    assert!(
        matches!(outcome, UnlockOutcome::Jammed { .. }),
        "{outcome:?}"
    );

    // Guided (R2.6 first: can the brukare open? then call the coordinator,
    // at the unit's number).
    let steps = app
        .guidance_for_outcome(
            outcome.clone(),
            Some(visit.visit_id.clone()),
            Language::Swedish,
        )
        .unwrap();
    let ids: Vec<_> = steps.iter().filter_map(|s| s.routine_id.clone()).collect();
    assert_eq!(ids, ["R2.6", "R2.6", "R2.1", "R2.8", "R2.9", "R2.15"]);
    assert_eq!(steps[0].action, StepAction::AskBrukareToOpen);
    let StepAction::CallCoordinator { phone } = &steps[1].action else {
        panic!("{:?}", steps[1])
    };
    assert!(!phone.is_empty());

    // Reported with the call done (R2.9), synced.
    let report_id = app
        .report_failed_lock(FailedLockReport {
            lock_id: None,
            visit_id: Some(visit.visit_id.clone()),
            failure: FailureKind::from_outcome(&outcome).unwrap(),
            steps_done: vec!["R2.6".into()],
        })
        .unwrap();
    app.mark_step_done(report_id.clone(), "R2.1".into())
        .unwrap();
    env.rt.block_on(app.sync()).unwrap();
    assert_eq!(app.pending_events().unwrap(), 0);

    // The coordinator's view: the case, the decision's validity, the deadline.
    let open = env.admin("GET", "/v1/outages?status=open", None);
    let case = open
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["lock_id"] == visit.lock_id.as_str())
        .unwrap_or_else(|| panic!("no case for {}: {open}", visit.lock_id))
        .clone();
    let id = case["id"].as_str().unwrap().to_owned();
    assert_eq!(case["decision"]["status"], "valid", "{case}"); // R2.7
    assert_eq!(case["night_patrol_overdue"], false);
    let deadline = case["night_patrol_deadline_at"].as_i64().unwrap();
    assert_eq!(deadline, MORNING + 10 * 3_600, "17:00 local"); // R2.12

    // At 14:30 the coordinator of the unit (from their phone: these are a
    // person's steps, not the admin token's) informs the alarm group
    // (R2.11) and tells the night patrol, well before 17:00 (R2.12).
    env.config.clock.advance(30 * 60);
    let unit = case["unit_id"].as_str().unwrap();
    let coordinator = env
        .codes(Role::Coordinator)
        .into_iter()
        .enumerate()
        .find_map(|(i, code)| {
            let (phone, _) = env.phone(&format!("koordinator{i}"));
            let who = env
                .rt
                .block_on(phone.enroll(env.server().url(), code, "k".into()))
                .unwrap();
            (who.unit_id.as_deref() == Some(unit)).then_some(phone)
        })
        .unwrap();
    env.rt
        .block_on(coordinator.inform_alarm_group(id.clone(), None))
        .unwrap();
    env.rt
        .block_on(coordinator.inform_night_patrol(id.clone(), None))
        .unwrap();
    let case = env.admin("GET", &format!("/v1/outages/{id}"), None);
    assert!(case["night_patrol_messaged_at"].as_i64().unwrap() < deadline);
    // Still not overdue after 17:00: it was messaged in time.
    env.config.clock.advance(3 * 3_600);
    let case = env.admin("GET", &format!("/v1/outages/{id}"), None);
    assert_eq!(case["night_patrol_overdue"], false);

    // Three hours on (the server's clock; this phone's is the real one),
    // the phone has synced: a new session, as any phone would have by then.
    env.rt.block_on(coordinator.sync()).unwrap();
    // The alarm group fixed it: the lock works again (R2.10).
    env.rt
        .block_on(coordinator.mark_lock_working(id.clone(), None))
        .unwrap();
    let case = env.admin("GET", &format!("/v1/outages/{id}"), None);
    assert_eq!(case["status"], "closed");
    let open = env.admin("GET", "/v1/outages?status=open", None);
    assert!(
        open.as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != id.as_str())
    );
}
