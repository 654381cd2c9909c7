//! The technician commissions a factory-new lock against the real server
//! (R1.6, R1.9): the lock's key is registered under the order's lock id, the
//! issuer's grant reaches the lock, and the lock's signed receipt confirms
//! it took the id — only with someone at the setup button inside the door.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "common/server_env.rs"]
mod server_env;

use nyckelfri_core::NyckelfriError;
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::messages::LockMode;
use nyckelfri_protocol::{Signer, SoftwareKey};
use nyckelfri_server::model::Role;
use server_env::Env;

#[test]
fn a_new_lock_is_registered_and_commissioned_with_someone_at_the_door_r1_6_r1_9() {
    let env = Env::start();
    let (app, _) = env.phone("technician");
    let code = env.codes(Role::AlarmTechnician).remove(0);
    let who = env
        .rt
        .block_on(app.enroll(env.server().url(), code, "p".into()))
        .unwrap();
    assert_eq!(who.role, "alarm_technician");

    // A lock straight from the box, its key on the label.
    let key = SoftwareKey::generate().unwrap().0;
    let label = hex::encode(key.public_key().as_bytes());
    let lock = env.locks.add(SimulatedLock::new(
        Box::new(key),
        LockConfig::factory_new(),
        env.now as u64,
    ));

    // Nobody pressed the setup button: the lock refuses, and keeps no id.
    let r = env
        .rt
        .block_on(app.commission_lock("l-new-01".into(), label.clone()))
        .unwrap();
    assert_eq!(r.status, "presence_required");
    assert_eq!(lock.lock().unwrap().lock().mode(), LockMode::Commissioning);

    // With the button pressed it takes the id, proven by its signed receipt.
    lock.lock().unwrap().controls().press_setup_button();
    let r = env
        .rt
        .block_on(app.commission_lock("l-new-01".into(), label))
        .unwrap();
    assert_eq!(r.status, "ok");
    {
        let l = lock.lock().unwrap();
        assert_eq!(l.lock().lock_id(), "l-new-01");
        assert_eq!(l.lock().mode(), LockMode::Installation);
    }
    // The server knows the lock and its key.
    let registered = env
        .rt
        .block_on(nyckelfri_server::store::lock(env.server().db(), "l-new-01"))
        .unwrap();
    assert_eq!(registered.id, "l-new-01");
    let events = app.recent_events(10).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "lock_commissioned" && e.payload_json.contains("\"ok\""))
    );
}

#[test]
fn commissioning_a_lock_that_is_not_there_or_without_enrollment_says_so() {
    let env = Env::start();
    let (app, _) = env.phone("technician");
    let label = hex::encode(SoftwareKey::generate().unwrap().0.public_key().as_bytes());
    assert!(matches!(
        env.rt
            .block_on(app.commission_lock("l-x".into(), label.clone())),
        Err(NyckelfriError::NotEnrolled)
    ));
    let code = env.codes(Role::AlarmTechnician).remove(0);
    env.rt
        .block_on(app.enroll(env.server().url(), code, "p".into()))
        .unwrap();
    match env.rt.block_on(app.commission_lock("l-x".into(), label)) {
        Err(NyckelfriError::NotFound { what }) => assert!(what.contains("commissioning mode")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        env.rt
            .block_on(app.commission_lock("l-y".into(), "not hex".into())),
        Err(NyckelfriError::InvalidInput { .. })
    ));
}
