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

use std::sync::Arc;

use nyckelfri_core::guidance::Language;
use nyckelfri_core::{BrukareConsent, NyckelfriError, UnlockOutcome};
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::messages::LockMode;
use nyckelfri_protocol::{Signer, SoftwareKey};
use nyckelfri_server::model::Role;
use server_env::{Env, Quiet};

#[test]
fn a_new_lock_is_commissioned_demonstrated_put_in_service_and_removed_r1_6_r1_9_r1_10_r1_12() {
    let env = Env::start();
    let (app, _) = env.phone("technician");
    let code = env.codes(Role::AlarmTechnician).remove(0);
    let who = env
        .rt
        .block_on(app.enroll(env.server().url(), code, "p".into()))
        .unwrap();
    assert_eq!(who.role, "alarm_technician");
    // R1.3, R1.8: home care's order for b-tumba-14, booked for this
    // technician now: no order, no demonstration or installation key.
    let order = env.admin(
        "POST",
        "/v1/orders/existing-brukare",
        Some(
            serde_json::json!({"brukare_id": "b-tumba-14", "name": "Harry D.",
            "phone": "+46 8 123 45 67", "address": "Demogatan 29"}),
        ),
    );
    env.admin(
        "POST",
        &format!("/v1/orders/{}/scheduled", order["id"].as_str().unwrap()),
        Some(serde_json::json!({"scheduled_for": env.now, "technician_id": who.staff_id})),
    );

    // A lock straight from the box, its key on the label.
    let key = SoftwareKey::generate().unwrap().0;
    let label = hex::encode(key.public_key().as_bytes());
    let lock = env.locks.add(SimulatedLock::new(
        Box::new(key),
        LockConfig::factory_new(),
        env.now as u64,
    ));

    // Nobody pressed the setup button: the lock refuses, and keeps no id.
    env.open_order("ord-new-01", "b-tumba-14");
    let r = env
        .rt
        .block_on(app.commission_lock("ord-new-01".into(), "l-new-01".into(), label.clone()))
        .unwrap();
    assert_eq!(r.status, "presence_required");
    assert_eq!(lock.lock().unwrap().lock().mode(), LockMode::Commissioning);

    // With the button pressed it takes the id, proven by its signed receipt.
    lock.lock().unwrap().controls().press_setup_button();
    let r = env
        .rt
        .block_on(app.commission_lock("ord-new-01".into(), "l-new-01".into(), label))
        .unwrap();
    assert_eq!(r.status, "ok");
    assert!(!r.factory_reset_needed);
    assert_eq!(
        r.trusted_issuers,
        [hex::encode(env.server().issuer_public_key().key_id())]
    );
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

    // The demonstration to the brukare (R1.9): the real lock opens and locks
    // with demonstration keys, then what happens if the phone or lock fails.
    let steps = env
        .rt
        .block_on(app.demonstrate("l-new-01".into(), Language::Swedish, Arc::new(Quiet)))
        .unwrap();
    assert_eq!(steps.len(), 4);
    for s in &steps[..2] {
        assert!(
            matches!(s.outcome, Some(UnlockOutcome::Opened { .. })),
            "{s:?}"
        );
    }
    assert!(steps[2].outcome.is_none() && steps[2].text.contains("extranyckel"));
    assert_eq!(lock.lock().unwrap().lock().actuations(), 2);

    // R1.9 "Brukaren bekräftar installationen genom att skriva under
    // kvittensen och ett ansvarsavtal." Without the receipt the lock is not
    // put in service: it stays in installation mode and the server does
    // not know it as installed.
    let refused = env.rt.block_on(app.finish_installation(
        "l-new-01".into(),
        "b-tumba-14".into(),
        Arc::new(Quiet),
    ));
    assert!(
        matches!(&refused, Err(NyckelfriError::InvalidInput { reason }) if reason.contains("R1.9")),
        "{refused:?}"
    );
    assert_eq!(lock.lock().unwrap().lock().mode(), LockMode::Installation);
    // The exception names a second person: not the technician themselves.
    let me = app.enrollment().unwrap().unwrap().staff_name;
    assert!(matches!(
        app.sign_installation_receipt(
            "l-new-01".into(),
            "b-tumba-14".into(),
            "Elsa N.".into(),
            1,
            Language::Swedish,
            BrukareConsent::Confirmed {
                witnessed_by: format!("tekniker {me}"),
                reason: "kan inte skriva".into()
            },
        ),
        Err(NyckelfriError::InvalidInput { .. })
    ));
    let receipt = app
        .sign_installation_receipt(
            "l-new-01".into(),
            "b-tumba-14".into(),
            "Elsa N.".into(),
            1,
            Language::Swedish,
            BrukareConsent::Confirmed {
                witnessed_by: "Eva S. (dotter)".into(),
                reason: "Brukaren har en skadad hand".into(),
            },
        )
        .unwrap();

    // In service (R1.10): the receipt verified by the server first, then
    // the installation reported; demonstration keys stop working.
    let outcome = env
        .rt
        .block_on(app.finish_installation("l-new-01".into(), "b-tumba-14".into(), Arc::new(Quiet)))
        .unwrap();
    assert!(
        matches!(outcome, UnlockOutcome::Opened { .. }),
        "{outcome:?}"
    );
    assert_eq!(lock.lock().unwrap().lock().mode(), LockMode::Normal);
    let installed = env
        .rt
        .block_on(nyckelfri_server::store::lock(env.server().db(), "l-new-01"))
        .unwrap();
    assert!(installed.installed_at.is_some());
    assert_eq!(installed.brukare_id.as_deref(), Some("b-tumba-14"));
    let receipt_id =
        serde_json::from_str::<serde_json::Value>(&receipt.content_json).unwrap()["receipt_id"]
            .as_str()
            .unwrap()
            .to_owned();
    assert_eq!(installed.receipt_id.as_deref(), Some(receipt_id.as_str()));
    let again = env
        .rt
        .block_on(app.demonstrate("l-new-01".into(), Language::English, Arc::new(Quiet)))
        .unwrap();
    assert!(
        matches!(&again[0].outcome, Some(UnlockOutcome::Refused { code, .. }) if code == "wrong_mode"),
        "{:?}",
        again[0]
    );

    // Removal (R1.12): the lock forgets its id; the server never issues a key again.
    let outcome = env
        .rt
        .block_on(app.remove_lock("l-new-01".into(), Arc::new(Quiet)))
        .unwrap();
    assert!(
        matches!(outcome, UnlockOutcome::Opened { .. }),
        "{outcome:?}"
    );
    assert_eq!(lock.lock().unwrap().lock().mode(), LockMode::Commissioning);
    let removed = env
        .rt
        .block_on(nyckelfri_server::store::lock(env.server().db(), "l-new-01"))
        .unwrap();
    assert!(removed.removed_at.is_some());
}

#[test]
fn commissioning_a_lock_that_is_not_there_or_without_enrollment_says_so() {
    let env = Env::start();
    let (app, _) = env.phone("technician");
    let label = hex::encode(SoftwareKey::generate().unwrap().0.public_key().as_bytes());
    let commission = |order: &str, lock: &str, label: &str| {
        env.rt
            .block_on(app.commission_lock(order.into(), lock.into(), label.into()))
    };
    assert!(matches!(
        commission("ord-x", "l-x", &label),
        Err(NyckelfriError::NotEnrolled)
    ));
    let code = env.codes(Role::AlarmTechnician).remove(0);
    env.rt
        .block_on(app.enroll(env.server().url(), code, "p".into()))
        .unwrap();
    // No grant without an open installation order.
    match commission("no-such-order", "l-x", &label) {
        Err(NyckelfriError::Server { status: 404, .. }) => {}
        other => panic!("{other:?}"),
    }
    env.open_order("ord-x", "b-tumba-14");
    match commission("ord-x", "l-x", &label) {
        Err(NyckelfriError::NotFound { what }) => assert!(what.contains("commissioning mode")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        commission("ord-x", "l-y", "not hex"),
        Err(NyckelfriError::InvalidInput { .. })
    ));
}

/// Issue 15: someone in radio range won the race for the setup window with
/// a grant of their own. The technician's app sends its grant anyway, and the
/// lock's signed refusal names the other issuer: the app says to factory-reset
/// the lock, after which the municipality's grant is taken.
#[test]
fn a_lock_claimed_by_another_issuer_is_reported_for_a_factory_reset() {
    use nyckelfri_protocol::commission::CommissionGrant;
    use nyckelfri_protocol::messages::{Commission, Message};
    let env = Env::start();
    let (app, _) = env.phone("technician");
    let code = env.codes(Role::AlarmTechnician).remove(0);
    env.rt
        .block_on(app.enroll(env.server().url(), code, "p".into()))
        .unwrap();
    let key = SoftwareKey::generate().unwrap().0;
    let public = key.public_key();
    let label = hex::encode(public.as_bytes());
    let lock = env.locks.add(SimulatedLock::new(
        Box::new(key),
        LockConfig::factory_new(),
        env.now as u64,
    ));
    lock.lock().unwrap().controls().press_setup_button();
    // The stranger's phone is first.
    let stranger = SoftwareKey::generate().unwrap().0;
    {
        let mut l = lock.lock().unwrap();
        let Message::Hello(h) = Message::decode(&l.connect().unwrap()).unwrap() else {
            panic!("no Hello")
        };
        let grant = CommissionGrant::issue(
            &public,
            "theirs",
            &stranger,
            env.now as u64 - 60,
            env.now as u64 + 3_600,
        )
        .unwrap();
        let sent = Message::Commission(Commission {
            nonce: h.nonce,
            grant,
        })
        .encode()
        .unwrap();
        assert!(l.receive(&sent).is_some());
        l.disconnect();
        assert_eq!(l.lock().lock_id(), "theirs");
    }
    env.open_order("ord-race", "b-tumba-14");
    let r = env
        .rt
        .block_on(app.commission_lock("ord-race".into(), "l-race".into(), label.clone()))
        .unwrap();
    assert_eq!(r.status, "claimed_by_another_issuer");
    assert!(r.factory_reset_needed);
    assert_eq!(
        r.trusted_issuers,
        [hex::encode(stranger.public_key().key_id())]
    );
    assert!(
        app.recent_events(5)
            .unwrap()
            .iter()
            .any(|e| e.kind == "lock_commissioned"
                && e.payload_json.contains("claimed_by_another_issuer"))
    );
    // A long press inside the door; then the municipality's grant is taken.
    {
        let mut l = lock.lock().unwrap();
        l.factory_reset();
        l.controls().press_setup_button();
    }
    let r = env
        .rt
        .block_on(app.commission_lock("ord-race".into(), "l-race".into(), label))
        .unwrap();
    assert_eq!(r.status, "ok");
    assert_eq!(lock.lock().unwrap().lock().lock_id(), "l-race");
}
