//! Opening doors through the in-memory transport to real reference locks:
//! the happy path and every failure outcome.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use common::{HOUR, NOW, Steps, World};
use nyckelfri_core::{KeyStatus, UnlockListener, UnlockOutcome, UnlockStep};
use nyckelfri_protocol::revocation::{RevocationList, RevokedToken};
use nyckelfri_protocol::{Signer, SoftwareKey};

fn open(app: &nyckelfri_core::NyckelfriApp, visit: &str) -> (UnlockOutcome, Vec<UnlockStep>) {
    let steps = Steps::new();
    let listener: Arc<dyn UnlockListener> = steps.clone();
    let outcome = tokio_test_block_on(app.open_door(visit.into(), listener)).unwrap();
    (outcome, steps.seen())
}

fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn a_visit_opens_with_progress_a_verified_receipt_and_one_event() {
    let mut w = World::new(2);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    let (outcome, steps) = open(&app, "visit-1");
    let UnlockOutcome::Opened { receipt } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(receipt.status, "ok");
    assert_eq!(receipt.lock_id, "lock-1");
    assert_eq!(receipt.visit_id.as_deref(), Some("visit-1"));
    assert!(!receipt.repeated);
    assert_eq!(
        steps,
        [
            UnlockStep::Searching,
            UnlockStep::Connecting,
            UnlockStep::Verifying,
            UnlockStep::Open
        ]
    );
    assert_eq!(w.actuations("lock-1"), 1);
    assert_eq!(app.recent_receipts(10).unwrap(), vec![receipt.clone()]);
    let events = app.recent_events(10).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "unlock");
    assert_eq!(events[0].event_id, format!("unlock-{}", receipt.request_id));
    assert!(!events[0].synced);
    let payload: serde_json::Value = serde_json::from_str(&events[0].payload_json).unwrap();
    assert_eq!(payload["status"], "ok");
    assert_eq!(payload["receipt"]["signature"].as_str().unwrap().len(), 128);
}

#[test]
fn todays_visits_show_their_key_status_and_how_long_keys_last() {
    let mut w = World::new(3);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    let visits = app.today_visits().unwrap();
    assert_eq!(visits.len(), 3);
    assert!(visits.windows(2).all(|v| v[0].starts_at <= v[1].starts_at));
    for v in &visits {
        assert_eq!(
            v.key_status,
            KeyStatus::Ready {
                valid_until: NOW + 8 * HOUR
            }
        );
    }
    assert_eq!(app.keys_valid_until().unwrap(), Some(NOW + 8 * HOUR));
    let unit = app.unit_settings(visits[0].unit_id.clone()).unwrap();
    assert_eq!(unit.night_patrol_deadline, "17:00");
}

#[test]
fn a_lost_result_is_retried_with_the_same_request_id_and_the_door_opens_once() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.controls("lock-1").drop_next_results(1);
    let (outcome, steps) = open(&app, "visit-1");
    let UnlockOutcome::Opened { receipt } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        receipt.repeated,
        "the second answer is the lock's stored one"
    );
    assert!(steps.contains(&UnlockStep::Retrying));
    assert_eq!(w.actuations("lock-1"), 1);
    assert_eq!(app.recent_events(10).unwrap().len(), 1);
}

#[test]
fn a_link_lost_twice_is_link_lost_and_the_attempt_is_recorded() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.controls("lock-1").drop_next_results(2);
    let (outcome, _) = open(&app, "visit-1");
    assert_eq!(outcome, UnlockOutcome::LinkLost);
    assert_eq!(w.actuations("lock-1"), 1, "retry must not actuate again");
    let events = app.recent_events(10).unwrap();
    assert_eq!(events[0].kind, "unlock_failed");
    assert!(events[0].payload_json.contains("link_lost"));
}

#[test]
fn a_dead_lock_is_not_found() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.controls("lock-1").set_dead(true);
    let (outcome, steps) = open(&app, "visit-1");
    assert_eq!(outcome, UnlockOutcome::LockNotFound);
    assert_eq!(steps, [UnlockStep::Searching]);
}

#[test]
fn a_jammed_lock_reports_jammed_with_its_receipt() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.controls("lock-1").set_jammed(true);
    let (outcome, steps) = open(&app, "visit-1");
    let UnlockOutcome::Jammed { receipt } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(receipt.status, "jammed");
    assert!(!steps.contains(&UnlockStep::Open));
}

#[test]
fn a_low_battery_is_reported_with_the_opening() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.controls("lock-1").set_battery(9);
    let (outcome, _) = open(&app, "visit-1");
    assert!(
        matches!(
            outcome,
            UnlockOutcome::OpenedBatteryLow {
                battery_percent: 9,
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[test]
fn a_revoked_key_is_refused_by_the_lock_with_its_code() {
    let mut w = World::new(1);
    let app = w.open_app();
    let mut bundle = w.bundle();
    let claims = nyckelfri_protocol::token::SignedToken::parse(&bundle.tokens[0].0)
        .unwrap()
        .claims_unverified()
        .unwrap();
    bundle.revocation_lists = vec![nyckelfri_core::HexBytes(
        RevocationList {
            lock_id: claims.lock_id.clone(),
            epoch: 4,
            issued_at: NOW as u64,
            revoked_before: 0,
            revoked: vec![RevokedToken {
                token_id: claims.token_id,
                expires: claims.expires,
            }],
        }
        .sign(&w.issuer)
        .unwrap(),
    )];
    app.apply_bundle(&bundle).unwrap();
    let (outcome, _) = open(&app, "visit-1");
    let UnlockOutcome::Refused { code, receipt } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(code, "revoked");
    assert_eq!(receipt.status, "revoked");
    assert_eq!(w.actuations("lock-1"), 0);
    // The phone carried the list to the lock.
    assert_eq!(
        w.lock("lock-1").lock().unwrap().lock().revocation_epoch(),
        4
    );
}

/// Issue 15, item 3: a phone revoked at 10:00 keeps its token, and its own
/// app never brings the list. A colleague whose phone synced afterwards
/// carries the lock's list (the lock shows an older epoch, and the
/// colleague's fresh token requires it); from then on the lock refuses the
/// revoked phone.
#[test]
fn a_revoked_phone_is_refused_once_a_colleague_who_synced_since_has_opened() {
    let mut w = World::new(1);
    let revoked = w.open_app();
    let before = w.bundle();
    revoked.apply_bundle(&before).unwrap();
    let claims = nyckelfri_protocol::token::SignedToken::parse(&before.tokens[0].0)
        .unwrap()
        .claims_unverified()
        .unwrap();
    let list = RevocationList {
        lock_id: claims.lock_id.clone(),
        epoch: 1,
        issued_at: NOW as u64,
        revoked_before: 0,
        revoked: vec![RevokedToken {
            token_id: claims.token_id,
            expires: claims.expires,
        }],
    }
    .sign(&w.issuer)
    .unwrap();
    // The colleague's phone, synced after the revocation.
    let colleague = w.open_app_named("colleague");
    let mut after = w.bundle();
    let mut fresh = w.claims("lock-1");
    fresh.min_epoch = 1;
    after.tokens = vec![w.token(&fresh)];
    after.revocation_lists = vec![nyckelfri_core::HexBytes(list)];
    colleague.apply_bundle(&after).unwrap();
    let (outcome, _) = open(&colleague, "visit-1");
    assert!(
        matches!(outcome, UnlockOutcome::Opened { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        w.lock("lock-1").lock().unwrap().lock().revocation_epoch(),
        1
    );
    let (outcome, _) = open(&revoked, "visit-1");
    assert!(
        matches!(&outcome, UnlockOutcome::Refused { code, .. } if code == "revoked"),
        "{outcome:?}"
    );
    assert_eq!(w.actuations("lock-1"), 1);
}

/// Issue 15, item 4: an opening whose Results were lost twice stays
/// pending; nothing resends it by itself. The worker's next tap on Open
/// finishes it with the same request id: the door moves once.
#[test]
fn tapping_open_again_finishes_an_interrupted_opening_without_moving_the_door_twice() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.controls("lock-1").drop_next_results(2);
    let (outcome, _) = open(&app, "visit-1");
    assert_eq!(outcome, UnlockOutcome::LinkLost);
    assert_eq!(w.actuations("lock-1"), 1);
    // The app restarts: it shows the opening as pending and sends nothing.
    let pending = app.pending_unlocks().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].visit_id.as_deref(), Some("visit-1"));
    assert_eq!(w.actuations("lock-1"), 1);
    // The worker taps Open.
    let (outcome, _) = open(&app, "visit-1");
    let UnlockOutcome::Opened { receipt } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(receipt.repeated);
    assert_eq!(receipt.request_id, pending[0].request_id);
    assert_eq!(w.actuations("lock-1"), 1);
    assert!(app.pending_unlocks().unwrap().is_empty());
}

#[test]
fn no_key_for_the_lock_says_so_with_the_servers_reason() {
    let mut w = World::new(1);
    let app = w.open_app();
    let mut bundle = w.bundle();
    bundle.tokens.clear();
    bundle.visits[0].no_key_reason = Some("lock_removed".into());
    app.apply_bundle(&bundle).unwrap();
    let (outcome, steps) = open(&app, "visit-1");
    assert_eq!(
        outcome,
        UnlockOutcome::NoKey {
            reason: Some("lock_removed".into())
        }
    );
    assert!(steps.is_empty(), "no radio work without a key");
    assert_eq!(app.recent_events(1).unwrap()[0].kind, "unlock_not_possible");
}

#[test]
fn an_expired_key_is_expired_before_any_radio_work() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.clocks.advance(9 * HOUR as u64);
    let (outcome, steps) = open(&app, "visit-1");
    assert_eq!(
        outcome,
        UnlockOutcome::KeyExpired {
            expired_at: Some(NOW + 8 * HOUR)
        }
    );
    assert!(steps.is_empty());
}

#[test]
fn a_key_for_later_says_when_it_starts() {
    let mut w = World::new(1);
    let app = w.open_app();
    let mut bundle = w.bundle();
    let mut c = w.claims("lock-1");
    c.not_before = (NOW + 2 * HOUR) as u64;
    bundle.tokens = vec![w.token(&c)];
    app.apply_bundle(&bundle).unwrap();
    let (outcome, _) = open(&app, "visit-1");
    assert_eq!(
        outcome,
        UnlockOutcome::KeyNotYetValid {
            valid_from: NOW + 2 * HOUR
        }
    );
}

#[test]
fn an_ended_care_decision_is_its_own_outcome_r2_7() {
    let mut w = World::new(1);
    let app = w.open_app();
    let mut bundle = w.bundle();
    let mut c = w.claims("lock-1");
    c.decision_end = (NOW + HOUR) as u64;
    c.expires = c.decision_end;
    bundle.tokens = vec![w.token(&c)];
    app.apply_bundle(&bundle).unwrap();
    w.clocks.advance(2 * HOUR as u64);
    let (outcome, _) = open(&app, "visit-1");
    assert_eq!(
        outcome,
        UnlockOutcome::DecisionEnded {
            ended_at: Some(NOW + HOUR)
        }
    );
}

#[test]
fn the_servers_decision_ended_reason_shows_on_the_visit_r2_7() {
    let mut w = World::new(1);
    let app = w.open_app();
    let mut bundle = w.bundle();
    bundle.tokens.clear();
    bundle.visits[0].no_key_reason = Some("decision_ended".into());
    app.apply_bundle(&bundle).unwrap();
    assert_eq!(
        app.today_visits().unwrap()[0].key_status,
        KeyStatus::DecisionEnded { ended_at: None }
    );
}

#[test]
fn a_lock_whose_clock_says_expired_is_reported_as_key_expired() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    // The lock's clock runs nine hours ahead; the phone's key looks fine.
    w.controls("lock-1").advance(9 * HOUR as u64);
    let (outcome, _) = open(&app, "visit-1");
    assert_eq!(outcome, UnlockOutcome::KeyExpired { expired_at: None });
    assert_eq!(app.recent_receipts(1).unwrap()[0].status, "expired");
}

#[test]
fn a_receipt_signed_by_an_unregistered_key_is_invalid() {
    let mut w = World::new(1);
    let app = w.open_app();
    let mut bundle = w.bundle();
    bundle.locks[0].public_key = SoftwareKey::generate()
        .unwrap()
        .0
        .public_key()
        .as_bytes()
        .to_vec();
    app.apply_bundle(&bundle).unwrap();
    let (outcome, _) = open(&app, "visit-1");
    assert_eq!(outcome, UnlockOutcome::ReceiptInvalid);
    assert!(
        app.recent_receipts(10).unwrap().is_empty(),
        "an unverified receipt is not proof"
    );
    assert_eq!(
        app.recent_events(1).unwrap()[0].kind,
        "unlock_receipt_invalid"
    );
}

#[test]
fn an_unknown_visit_is_an_error_not_an_outcome() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    let steps = Steps::new();
    let err = tokio_test_block_on(app.open_door("visit-404".into(), steps)).unwrap_err();
    assert!(
        matches!(err, nyckelfri_core::NyckelfriError::NotFound { .. }),
        "{err}"
    );
}

#[test]
fn every_attempt_gets_its_own_event_id_and_doors_open_again_later() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    for _ in 0..3 {
        assert!(matches!(
            open(&app, "visit-1").0,
            UnlockOutcome::Opened { .. }
        ));
    }
    let events = app.recent_events(10).unwrap();
    let mut ids: Vec<_> = events.iter().map(|e| e.event_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    assert_eq!(w.actuations("lock-1"), 3);
}

#[test]
fn a_simulated_lock_added_from_its_key_opens_and_can_be_jammed() {
    let mut w = World::new(0);
    let (key, pkcs8) = SoftwareKey::generate().unwrap();
    w.lock_keys.insert("lock-9".into(), key.public_key());
    w.locks
        .add_lock(
            "lock-9".into(),
            hex::encode(&pkcs8),
            hex::encode(w.issuer.public_key().as_bytes()),
            NOW as u64,
        )
        .unwrap();
    assert!(
        w.locks
            .add_lock("x".into(), "zz".into(), "00".into(), 0)
            .is_err()
    );
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    assert!(matches!(
        open(&app, "visit-1").0,
        UnlockOutcome::Opened { .. }
    ));
    w.locks.set_jammed("lock-9".into(), true).unwrap();
    assert!(matches!(
        open(&app, "visit-1").0,
        UnlockOutcome::Jammed { .. }
    ));
    assert!(w.locks.set_jammed("nope".into(), true).is_err());
}
