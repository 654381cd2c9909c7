//! The coordinator's and the night patrol's phones in the outage routine,
//! with the real server on loopback: a worker reports a jammed lock at 14:00
//! on a Monday → the coordinator's phone lists the case with the care
//! decision and the 17:00 deadline → informs the alarm group and the night
//! patrol → both read it in their inboxes → the lock works again and the
//! case leaves the list.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "common/server_env.rs"]
mod server_env;

use std::sync::Arc;

use nyckelfri_core::guidance::FailureKind;
use nyckelfri_core::{FailedLockReport, KeyStatus, NyckelfriApp, NyckelfriError};
use nyckelfri_server::model::Role;
use server_env::{Env, MORNING, Quiet};

/// Monday 2026-11-23, 14:00 in Stockholm.
const TWO_PM: i64 = MORNING + 7 * 3_600;

/// Enrolls a phone for the first code of `role` whose staff member works in
/// `unit`.
fn phone_in(env: &Env, role: Role, unit: &str, name: &str) -> Arc<NyckelfriApp> {
    for (i, code) in env.codes(role).into_iter().enumerate() {
        let (app, _) = env.phone(&format!("{name}{i}"));
        let e = env
            .rt
            .block_on(app.enroll(env.server().url(), code, name.into()))
            .unwrap();
        if e.unit_id.as_deref() == Some(unit) {
            return app;
        }
    }
    panic!("no {role:?} in {unit}")
}

#[test]
fn the_coordinator_works_a_case_from_the_phone_r2_7_r2_10_r2_11_r2_12() {
    let env = Env::start_at(TWO_PM);
    let (worker, _, visit) = env.care_worker_with("a visit around 14:00", |v| {
        matches!(v.key_status, KeyStatus::Ready { .. })
    });
    env.locks
        .get(&visit.lock_id)
        .unwrap()
        .lock()
        .unwrap()
        .controls()
        .set_jammed(true);
    let outcome = env
        .rt
        .block_on(worker.open_door(visit.visit_id.clone(), Arc::new(Quiet)))
        .unwrap();
    worker
        .report_failed_lock(FailedLockReport {
            lock_id: None,
            visit_id: Some(visit.visit_id.clone()),
            failure: FailureKind::from_outcome(&outcome).unwrap(),
            steps_done: vec!["R2.6".into()],
        })
        .unwrap();
    env.rt.block_on(worker.sync()).unwrap();

    let coordinator = phone_in(&env, Role::Coordinator, &visit.unit_id, "k");
    let night = phone_in(&env, Role::NightPatrol, &visit.unit_id, "n");
    let alarm = phone_in(&env, Role::AlarmTechnician, &visit.unit_id, "l");

    // The case on the coordinator's phone: the decision checked now (R2.7)
    // and the night patrol's deadline, 17:00 local (R2.12).
    let cases = env.rt.block_on(coordinator.open_outages()).unwrap();
    let case = cases
        .iter()
        .find(|c| c.lock_id.as_deref() == Some(visit.lock_id.as_str()))
        .unwrap_or_else(|| panic!("no case for {}: {cases:?}", visit.lock_id))
        .clone();
    assert_eq!(case.decision_status, "valid");
    assert!(!case.contact_needs_assessor);
    assert_eq!(case.night_patrol_deadline_at, MORNING + 10 * 3_600);
    assert!(!case.night_patrol_overdue);
    assert_eq!(case.report_count, 1);
    assert_eq!(
        case.brukare_display_name.as_deref(),
        Some(visit.brukare_name.as_str())
    );

    // R2.11 and R2.12 from the phone.
    let after = env
        .rt
        .block_on(coordinator.inform_alarm_group(case.id.clone(), Some("Dörren kärvar".into())))
        .unwrap();
    assert!(after.alarm_group_informed_at.is_some());
    let after = env
        .rt
        .block_on(coordinator.inform_night_patrol(case.id.clone(), None))
        .unwrap();
    let told = after.night_patrol_messaged_at.expect("night patrol told");
    assert!(told < after.night_patrol_deadline_at);

    // The night patrol reads it in their inbox, about this lock, R2.12.
    let inbox = env.rt.block_on(night.inbox()).unwrap();
    let msg = inbox
        .iter()
        .find(|m| m.outage_id.as_deref() == Some(case.id.as_str()))
        .unwrap_or_else(|| panic!("no message for the case: {inbox:?}"));
    assert_eq!(msg.routine_step.as_deref(), Some("R2.12"));
    assert!(!msg.read);
    let read = env
        .rt
        .block_on(night.mark_message_read(msg.id.clone()))
        .unwrap();
    assert!(read.read);
    let again = env.rt.block_on(night.inbox()).unwrap();
    assert!(again.iter().any(|m| m.id == msg.id && m.read));
    // The alarm group's inbox has the R2.11 message with the note.
    let inbox = env.rt.block_on(alarm.inbox()).unwrap();
    let msg = inbox
        .iter()
        .find(|m| m.outage_id.as_deref() == Some(case.id.as_str()))
        .unwrap_or_else(|| panic!("no message for the alarm group: {inbox:?}"));
    assert_eq!(msg.routine_step.as_deref(), Some("R2.11"));
    assert!(msg.body.contains("Dörren kärvar"), "{}", msg.body);

    // R2.10: the lock works again; the case leaves the open list.
    let closed = env
        .rt
        .block_on(coordinator.mark_lock_working(case.id.clone(), None))
        .unwrap();
    assert_eq!(closed.status, "closed");
    assert!(closed.working_at.is_some());
    let cases = env.rt.block_on(coordinator.open_outages()).unwrap();
    assert!(cases.iter().all(|c| c.id != case.id));
}

#[test]
fn a_care_worker_cannot_read_cases_and_a_bad_id_never_reaches_the_server() {
    let env = Env::start_at(TWO_PM);
    let code = env.codes(Role::CareWorker).remove(0);
    let (worker, _) = env.phone("w");
    env.rt
        .block_on(worker.enroll(env.server().url(), code, "p".into()))
        .unwrap();
    match env.rt.block_on(worker.open_outages()) {
        Err(NyckelfriError::Server { status: 403, .. }) => {}
        other => panic!("a care worker read the cases: {other:?}"),
    }
    match env
        .rt
        .block_on(worker.mark_message_read("../outages".into()))
    {
        Err(NyckelfriError::InvalidInput { .. }) => {}
        other => panic!("{other:?}"),
    }
    // Their own inbox is theirs to read (empty or not, it answers).
    env.rt.block_on(worker.inbox()).unwrap();
}

#[test]
fn without_enrollment_the_coordinator_calls_say_so() {
    let env = Env::start_at(TWO_PM);
    let (app, _) = env.phone("x");
    assert!(matches!(
        env.rt.block_on(app.open_outages()),
        Err(NyckelfriError::NotEnrolled)
    ));
    assert!(matches!(
        env.rt.block_on(app.inbox()),
        Err(NyckelfriError::NotEnrolled)
    ));
}

#[test]
fn the_phone_remembers_who_it_is_enrolled_for_after_a_restart_and_offline() {
    let mut env = Env::start_at(TWO_PM);
    let (app, _) = env.phone("k");
    assert_eq!(app.enrollment().unwrap(), None);
    let code = env.codes(Role::Coordinator).remove(0);
    let enrolled = env
        .rt
        .block_on(app.enroll(env.server().url(), code, "k".into()))
        .unwrap();
    drop(app);
    env.stop();
    // The app restarts with no network: it still knows the coordinator's
    // screens are this phone's.
    let (again, _) = env.phone("k");
    let remembered = again.enrollment().unwrap().expect("still enrolled");
    assert_eq!(remembered, enrolled);
    assert_eq!(remembered.role, "coordinator");
    assert!(remembered.unit_id.is_some());
}
