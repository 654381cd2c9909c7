//! The installation routine end to end, with the real server on loopback:
//! home care orders a lock for a brukare → the technician commissions it,
//! shows the brukare how it works, takes the signed receipt and puts it in
//! service (the night patrol's coordinator and home care are told) → the
//! first care visit opens the door → the care decision ends → a removal
//! order appears by itself → the technician removes the lock → no key is
//! ever issued for it again.

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
use nyckelfri_core::{BrukareConsent, KeyStatus, SignatureStroke, StrokePoint, UnlockOutcome};
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::{Signer, SoftwareKey};
use nyckelfri_server::model::Role;
use serde_json::json;
use server_env::{Env, Quiet};

const BRUKARE: &str = "b-tumba-14"; // in the demo: care, but no lock yet (R1.2)
const LOCK: &str = "l-tumba-14";

#[test]
fn order_install_demonstrate_receipt_first_visit_decision_ends_removal_no_more_keys_r1_2_r1_3_r1_6_r1_8_r1_9_r1_10_r1_11_r1_12()
 {
    let env = Env::start();

    // R1.2: home care's list shows the brukare without a lock.
    let without = env.admin("GET", "/v1/brukare-without-lock", None);
    assert!(
        without
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["brukare_id"] == BRUKARE),
        "{without}"
    );
    // R1.3, R1.8: home care orders the lock with name, phone and address.
    let order = env.admin(
        "POST",
        "/v1/orders/existing-brukare",
        Some(
            json!({ "brukare_id": BRUKARE, "name": "Elsa N.", "phone": "+46 70 123 45 67",
                     "address": "Demogatan 41, 2 tr" }),
        ),
    );
    let order_id = order["id"].as_str().unwrap().to_owned();
    assert_eq!(order["status"], "open");

    // The technician at the door (R1.6, R1.9).
    let (tech, _) = env.phone("technician");
    let code = env.codes(Role::AlarmTechnician).remove(0);
    env.rt
        .block_on(tech.enroll(env.server().url(), code, "tech".into()))
        .unwrap();
    // The order is on the technician's list, with whom to call and where (R1.8).
    let list = env.rt.block_on(tech.installation_orders()).unwrap();
    let listed = list
        .iter()
        .find(|o| o.id == order_id)
        .expect("the order on the list");
    assert_eq!(
        (listed.kind.as_str(), listed.status.as_str()),
        ("existing_brukare", "open")
    );
    assert_eq!(listed.contact_phone.as_deref(), Some("+46 70 123 45 67"));
    assert_eq!(listed.address.as_deref(), Some("Demogatan 41, 2 tr"));
    // The alarm group books the visit for this technician: the order's
    // keys are theirs from the booked time.
    let who = tech.enrollment().unwrap().unwrap();
    env.admin(
        "POST",
        &format!("/v1/orders/{order_id}/scheduled"),
        Some(json!({ "scheduled_for": env.now, "technician_id": who.staff_id })),
    );
    let key = SoftwareKey::generate().unwrap().0;
    let label = hex::encode(key.public_key().as_bytes());
    let lock = env.locks.add(SimulatedLock::new(
        Box::new(key),
        LockConfig::factory_new(),
        env.now as u64,
    ));
    lock.lock().unwrap().controls().press_setup_button();
    assert_eq!(
        env.rt
            .block_on(tech.commission_lock(order_id.clone(), LOCK.into(), label))
            .unwrap()
            .status,
        "ok"
    );
    let demo = env
        .rt
        .block_on(tech.demonstrate(LOCK.into(), Language::Swedish, Arc::new(Quiet)))
        .unwrap();
    assert!(
        demo[..2]
            .iter()
            .all(|s| matches!(s.outcome, Some(UnlockOutcome::Opened { .. })))
    );
    let receipt = tech
        .sign_installation_receipt(
            LOCK.into(),
            BRUKARE.into(),
            "Elsa N.".into(),
            1,
            Language::Swedish,
            BrukareConsent::Signed {
                strokes: vec![SignatureStroke {
                    points: (0..10)
                        .map(|i| StrokePoint {
                            x: i as f32 / 10.0,
                            y: 0.5,
                        })
                        .collect(),
                }],
            },
        )
        .unwrap();
    assert!(tech.verify_installation_receipt(receipt));
    let done = env
        .rt
        .block_on(tech.finish_installation(LOCK.into(), BRUKARE.into(), Arc::new(Quiet)))
        .unwrap();
    assert!(matches!(done, UnlockOutcome::Opened { .. }), "{done:?}");
    env.rt.block_on(tech.sync()).unwrap(); // the receipt reaches the server
    let order = env.admin("GET", &format!("/v1/orders/{order_id}"), None);
    assert_eq!(order["status"], "installed", "{order}"); // R1.10 is sent with it

    // The first care visit to the brukare opens the new lock.
    let (worker, clocks, visit) =
        env.care_worker_with("a visit to the brukare", |v| v.lock_id == LOCK);
    let now = worker.trusted_time().unwrap().unix;
    if visit.starts_at > now {
        clocks.advance((visit.starts_at - now) as u64);
        lock.lock()
            .unwrap()
            .controls()
            .set_time(visit.starts_at as u64);
    }
    let opened = env
        .rt
        .block_on(worker.open_door(visit.visit_id.clone(), Arc::new(Quiet)))
        .unwrap();
    assert!(matches!(opened, UnlockOutcome::Opened { .. }), "{opened:?}");

    // The care decision ends (R1.11): a removal order appears by itself.
    let decisions = env.admin("GET", &format!("/v1/brukare/{BRUKARE}/decisions"), None);
    let decision = decisions
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ends_at"].as_i64().unwrap() > env.now)
        .unwrap();
    let ends = worker.trusted_time().unwrap().unix + 60;
    env.admin(
        "PATCH",
        &format!("/v1/decisions/{}", decision["id"].as_str().unwrap()),
        Some(json!({ "ends_at": ends })),
    );
    let removals = env.admin(
        "GET",
        &format!("/v1/orders?kind=removal&brukare_id={BRUKARE}"),
        None,
    );
    let removal = removals
        .as_array()
        .unwrap()
        .first()
        .unwrap_or_else(|| panic!("no removal order: {removals}"))
        .clone();
    assert_eq!(removal["lock_id"], LOCK);
    let list = env.rt.block_on(tech.installation_orders()).unwrap();
    assert!(
        list.iter()
            .any(|o| o.kind == "removal" && o.lock_id.as_deref() == Some(LOCK))
    );

    // R1.12: booked for the technician, who removes the lock; its order
    // closes; no more keys.
    env.admin(
        "POST",
        &format!("/v1/orders/{}/scheduled", removal["id"].as_str().unwrap()),
        Some(json!({ "scheduled_for": env.now, "technician_id": who.staff_id })),
    );
    // R1.12 "Larmgruppen tar kontakt med berörda parter och genomför
    // nedmonteringen": not before the contact is recorded — refused before
    // the lock is touched.
    let early = env
        .rt
        .block_on(tech.remove_lock(LOCK.into(), Arc::new(Quiet)));
    assert!(
        matches!(&early, Err(nyckelfri_core::NyckelfriError::InvalidInput { reason }) if reason.contains("R1.12")),
        "{early:?}"
    );
    let order = env
        .rt
        .block_on(tech.record_removal_contact(
            removal["id"].as_str().unwrap().to_owned(),
            "brukaren".into(),
            Some("Borttagning bokad".into()),
        ))
        .unwrap();
    assert_eq!(order.contacts.len(), 1);
    assert_eq!(order.contacts[0].party, "brukaren");

    // R1.12: the technician removes the lock; its order closes; no more keys.
    let removed = env
        .rt
        .block_on(tech.remove_lock(LOCK.into(), Arc::new(Quiet)))
        .unwrap();
    assert!(
        matches!(removed, UnlockOutcome::Opened { .. }),
        "{removed:?}"
    );
    let removal = env.admin(
        "GET",
        &format!("/v1/orders/{}", removal["id"].as_str().unwrap()),
        None,
    );
    assert_eq!(removal["status"], "removed");
    env.rt.block_on(worker.sync()).unwrap();
    let status = worker.key_status(LOCK.into()).unwrap();
    assert!(!matches!(status, KeyStatus::Ready { .. }), "{status:?}");
    // Nor for the technician.
    match env
        .rt
        .block_on(tech.demonstrate(LOCK.into(), Language::Swedish, Arc::new(Quiet)))
    {
        Err(nyckelfri_core::NyckelfriError::Server { status, .. }) => {
            assert!((400..500).contains(&status))
        }
        other => panic!("a key was issued for a removed lock: {other:?}"),
    }
}
