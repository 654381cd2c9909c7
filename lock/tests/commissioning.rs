//! Commissioning and the lock's modes: a factory-new lock learns its id and
//! issuer from a grant that names its own key (R1.9 demonstration happens in
//! installation mode), the technician puts it in service, and removal sends
//! it back to commissioning mode (R1.12).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use nyckelfri_lock::scenario::{SCENARIO_NOW, Scenario};
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::commission::CommissionGrant;
use nyckelfri_protocol::exchange::{
    build_request, new_request_id, verify_commission_result, verify_result,
};
use nyckelfri_protocol::messages::{Command, Commission, Hello, LockMode, Message, ResultMessage};
use nyckelfri_protocol::token::{AccessClaims, Scope, issue};
use nyckelfri_protocol::{Signer, SoftwareKey, Status};

struct Bench {
    issuer: SoftwareKey,
    device: SoftwareKey,
    lock: SimulatedLock,
}

/// A factory-new lock whose setup button the technician has just pressed.
fn factory_new() -> Bench {
    let b = unpressed();
    b.lock.controls().press_setup_button();
    b
}

fn unpressed() -> Bench {
    let lock_key = SoftwareKey::generate().unwrap().0;
    Bench {
        issuer: SoftwareKey::generate().unwrap().0,
        device: SoftwareKey::generate().unwrap().0,
        lock: SimulatedLock::new(Box::new(lock_key), LockConfig::factory_new(), SCENARIO_NOW),
    }
}

fn hello(lock: &mut SimulatedLock) -> Hello {
    match Message::decode(&lock.connect().unwrap()).unwrap() {
        Message::Hello(h) => h,
        other => panic!("{other:?}"),
    }
}

fn answer(lock: &mut SimulatedLock, m: Message) -> ResultMessage {
    let out = lock.receive(&m.encode().unwrap()).unwrap();
    lock.disconnect();
    match Message::decode(&out).unwrap() {
        Message::Result(r) => r,
        other => panic!("{other:?}"),
    }
}

fn commission(b: &mut Bench, lock_id: &str) -> ResultMessage {
    let h = hello(&mut b.lock);
    let key = h.lock_key.clone().expect("a new lock shows its key");
    let grant = CommissionGrant::issue(
        &key,
        lock_id,
        &b.issuer,
        SCENARIO_NOW - 60,
        SCENARIO_NOW + 3_600,
    )
    .unwrap();
    let r = answer(
        &mut b.lock,
        Message::Commission(Commission {
            nonce: h.nonce,
            grant: grant.clone(),
        }),
    );
    let receipt =
        verify_commission_result(&r, &h, &grant, lock_id, &b.lock.lock().public_key()).unwrap();
    assert_eq!(receipt.status, r.status);
    assert_eq!(receipt.lock_key, b.lock.lock().public_key());
    r
}

fn token(b: &Bench, lock_id: &str, scope: Scope) -> Vec<u8> {
    issue(
        &AccessClaims {
            token_id: rand_id(),
            staff_id: "tech-7".into(),
            lock_id: lock_id.into(),
            not_before: SCENARIO_NOW - 60,
            expires: SCENARIO_NOW + 3_600,
            issued_at: SCENARIO_NOW - 60,
            decision_id: "decision-1".into(),
            decision_end: SCENARIO_NOW + 86_400,
            scope,
            min_epoch: 0,
            device_key: b.device.public_key(),
        },
        &b.issuer,
    )
    .unwrap()
}

fn rand_id() -> [u8; 16] {
    let mut id = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut id).unwrap();
    id
}

fn run(b: &mut Bench, token: &[u8], command: Command) -> ResultMessage {
    let h = hello(&mut b.lock);
    let req = build_request(
        &h,
        token,
        command,
        new_request_id(&h).unwrap(),
        &b.device,
        None,
    )
    .unwrap();
    answer(&mut b.lock, Message::Request(req))
}

#[test]
fn factory_new_lock_shows_its_key_and_refuses_every_request() {
    let mut b = factory_new();
    let h = hello(&mut b.lock);
    assert_eq!(h.mode, LockMode::Commissioning);
    assert!(h.lock_id.is_empty());
    assert_eq!(h.lock_key.unwrap(), b.lock.lock().public_key());
    // A lock without an id or issuer cannot check any token.
    let t = token(&b, "lock-9", Scope::Install);
    assert_eq!(run(&mut b, &t, Command::Unlock).status, Status::WrongMode);
    assert_eq!(b.lock.lock().actuations(), 0);
}

#[test]
fn a_grant_commissions_the_lock_into_installation_mode_r1_9() {
    let mut b = factory_new();
    assert_eq!(commission(&mut b, "lock-9").status, Status::Ok);
    assert_eq!(b.lock.lock().lock_id(), "lock-9");
    assert_eq!(b.lock.lock().mode(), LockMode::Installation);
    let h = hello(&mut b.lock);
    assert_eq!(
        h.lock_key,
        Some(b.lock.lock().public_key()),
        "the technician's app still finds the unit by its key"
    );
    b.lock.disconnect();
    // The brukare is shown the lock with a demonstration token (R1.9).
    let demo = token(&b, "lock-9", Scope::Demo);
    assert_eq!(run(&mut b, &demo, Command::Unlock).status, Status::Ok);
    assert_eq!(run(&mut b, &demo, Command::Lock).status, Status::Ok);
    // The technician puts the lock in service; demonstration tokens stop working.
    let install = token(&b, "lock-9", Scope::Install);
    assert_eq!(
        run(&mut b, &install, Command::FinishInstallation).status,
        Status::Ok
    );
    assert_eq!(b.lock.lock().mode(), LockMode::Normal);
    assert_eq!(
        run(&mut b, &demo, Command::Unlock).status,
        Status::WrongMode
    );
    let h = hello(&mut b.lock);
    assert!(
        h.lock_key.is_none(),
        "a lock in service does not show its key"
    );
    b.lock.disconnect();
    let care = token(&b, "lock-9", Scope::Care);
    assert_eq!(run(&mut b, &care, Command::Unlock).status, Status::Ok);
}

#[test]
fn a_grant_for_another_locks_key_is_refused() {
    let mut b = factory_new();
    let h = hello(&mut b.lock);
    let other = SoftwareKey::generate().unwrap().0.public_key();
    let grant = CommissionGrant::issue(
        &other,
        "lock-9",
        &b.issuer,
        SCENARIO_NOW - 60,
        SCENARIO_NOW + 3_600,
    )
    .unwrap();
    let r = answer(
        &mut b.lock,
        Message::Commission(Commission {
            nonce: h.nonce,
            grant,
        }),
    );
    assert_eq!(r.status, Status::BadCommissionGrant);
    assert_eq!(b.lock.lock().mode(), LockMode::Commissioning);
}

#[test]
fn an_expired_grant_is_refused() {
    let mut b = factory_new();
    let h = hello(&mut b.lock);
    let key = h.lock_key.clone().unwrap();
    let grant = CommissionGrant::issue(
        &key,
        "lock-9",
        &b.issuer,
        SCENARIO_NOW - 7_200,
        SCENARIO_NOW - 3_600,
    )
    .unwrap();
    let r = answer(
        &mut b.lock,
        Message::Commission(Commission {
            nonce: h.nonce,
            grant,
        }),
    );
    assert_eq!(r.status, Status::BadCommissionGrant);
    assert!(b.lock.lock().lock_id().is_empty());
}

#[test]
fn a_grant_with_a_tampered_lock_id_is_refused() {
    let mut b = factory_new();
    let h = hello(&mut b.lock);
    let key = h.lock_key.clone().unwrap();
    let mut grant = CommissionGrant::issue(
        &key,
        "lock-9",
        &b.issuer,
        SCENARIO_NOW - 60,
        SCENARIO_NOW + 3_600,
    )
    .unwrap();
    let at = grant.windows(6).position(|w| w == b"lock-9").unwrap();
    grant[at + 5] = b'8';
    let r = answer(
        &mut b.lock,
        Message::Commission(Commission {
            nonce: h.nonce,
            grant,
        }),
    );
    assert_eq!(r.status, Status::BadCommissionGrant);
}

#[test]
fn a_commissioned_lock_refuses_a_second_commission() {
    let mut s = Scenario::new().unwrap();
    let h = s.hello().unwrap();
    let grant = CommissionGrant::issue(
        &s.lock_key,
        "lock-evil",
        &SoftwareKey::generate().unwrap().0,
        SCENARIO_NOW - 60,
        SCENARIO_NOW + 3_600,
    )
    .unwrap();
    let r = s
        .send(&Message::Commission(Commission {
            nonce: h.nonce,
            grant,
        }))
        .unwrap();
    assert_eq!(r.status, Status::WrongMode);
    assert_eq!(s.lock.lock().lock_id(), "lock-0001");
}

#[test]
fn removal_decommissions_the_lock_and_old_tokens_stop_working_r1_12() {
    let mut b = factory_new();
    commission(&mut b, "lock-9");
    let install = token(&b, "lock-9", Scope::Install);
    assert_eq!(
        run(&mut b, &install, Command::FinishInstallation).status,
        Status::Ok
    );
    let care = token(&b, "lock-9", Scope::Care);
    let h = hello(&mut b.lock);
    let req = build_request(
        &h,
        &install,
        Command::Decommission,
        new_request_id(&h).unwrap(),
        &b.device,
        None,
    )
    .unwrap();
    let r = answer(&mut b.lock, Message::Request(req.clone()));
    // The receipt was signed under the old id: proof the lock was removed.
    let claims = nyckelfri_protocol::token::SignedToken::parse(&install)
        .unwrap()
        .claims_unverified()
        .unwrap();
    let receipt =
        verify_result(&r, &h, &req, claims.token_id, &b.lock.lock().public_key()).unwrap();
    assert_eq!(receipt.status, Status::Ok);
    assert_eq!(b.lock.lock().mode(), LockMode::Commissioning);
    assert!(b.lock.lock().lock_id().is_empty());
    assert_eq!(
        run(&mut b, &care, Command::Unlock).status,
        Status::WrongMode
    );
}

#[test]
fn technician_can_return_a_lock_to_installation_mode_for_a_new_demonstration() {
    let mut s = Scenario::new().unwrap();
    let mut c = s.claims();
    c.scope = Scope::Install;
    let install = s.issue(&c).unwrap();
    // An install token cannot take a lock in service back to installation
    // mode, where it could then open the door.
    assert_eq!(
        s.open(&install, Command::EnterInstallation, s.rid(9))
            .unwrap()
            .status,
        Status::OutOfScope
    );
    c = s.claims();
    c.scope = Scope::Maintenance;
    let t = s.issue(&c).unwrap();
    assert_eq!(
        s.open(&t, Command::EnterInstallation, s.rid(1))
            .unwrap()
            .status,
        Status::Ok
    );
    assert_eq!(s.lock.lock().mode(), LockMode::Installation);
    // Already in installation mode: entering again is refused.
    assert_eq!(
        s.open(&t, Command::EnterInstallation, s.rid(2))
            .unwrap()
            .status,
        Status::WrongMode
    );
}

#[test]
fn a_grant_without_someone_pressing_the_setup_button_is_refused() {
    let mut b = unpressed();
    assert_eq!(
        commission(&mut b, "lock-9").status,
        Status::PresenceRequired
    );
    assert_eq!(b.lock.lock().mode(), LockMode::Commissioning);
    // The window closes a few minutes after a press.
    b.lock.controls().press_setup_button();
    b.lock
        .controls()
        .advance(nyckelfri_lock::SETUP_BUTTON_WINDOW_SECS + 1);
    assert_eq!(
        commission(&mut b, "lock-9").status,
        Status::PresenceRequired
    );
    b.lock.controls().press_setup_button();
    assert_eq!(commission(&mut b, "lock-9").status, Status::Ok);
}

#[test]
fn a_remotely_decommissioned_lock_cannot_be_claimed_from_outside_r1_12() {
    let mut b = factory_new();
    commission(&mut b, "lock-9");
    // Half an hour later the setup button's window has long closed.
    b.lock.controls().advance(1_800);
    let install = token(&b, "lock-9", Scope::Install);
    assert_eq!(
        run(&mut b, &install, Command::Decommission).status,
        Status::Ok
    );
    // Someone in radio range tries to claim it with an issuer key of their own.
    let mut thief = Bench {
        issuer: SoftwareKey::generate().unwrap().0,
        device: SoftwareKey::generate().unwrap().0,
        lock: b.lock,
    };
    assert_eq!(
        commission(&mut thief, "mine").status,
        Status::PresenceRequired
    );
    assert!(thief.lock.lock().lock_id().is_empty());
}

#[test]
fn a_retried_mode_change_gets_its_stored_answer_not_a_refusal() {
    let mut b = factory_new();
    commission(&mut b, "lock-9");
    let install = token(&b, "lock-9", Scope::Install);
    b.lock.controls().drop_next_results(1);
    let h = hello(&mut b.lock);
    let rid = new_request_id(&h).unwrap();
    let req = build_request(
        &h,
        &install,
        Command::FinishInstallation,
        rid,
        &b.device,
        None,
    )
    .unwrap();
    assert!(
        b.lock
            .receive(&Message::Request(req).encode().unwrap())
            .is_none()
    );
    b.lock.disconnect();
    assert_eq!(b.lock.lock().mode(), LockMode::Normal);
    // The app retries with the same request id; the lock is already in normal mode.
    let h = hello(&mut b.lock);
    let req = build_request(
        &h,
        &install,
        Command::FinishInstallation,
        rid,
        &b.device,
        None,
    )
    .unwrap();
    let r = answer(&mut b.lock, Message::Request(req));
    assert_eq!((r.status, r.repeated), (Status::Ok, true));
}

/// PROTOCOL.md §5.4, cell by cell: every scope and command in the
/// installation and the normal mode.
#[test]
fn the_scope_command_and_mode_table_holds_in_every_cell() {
    use Command::{Decommission, EnterInstallation, FinishInstallation, Lock, Unlock};
    use LockMode::{Installation, Normal};
    use Status::{Ok as Yes, OutOfScope, WrongMode};
    // (command, answer in installation mode, answer in normal mode)
    type Row = (Command, Status, Status);
    let table: [(Scope, [Row; 5]); 4] = [
        (
            Scope::Care,
            [
                (Unlock, Yes, Yes),
                (Lock, Yes, Yes),
                (FinishInstallation, OutOfScope, OutOfScope),
                (EnterInstallation, OutOfScope, OutOfScope),
                (Decommission, OutOfScope, OutOfScope),
            ],
        ),
        (
            Scope::Demo,
            [
                (Unlock, Yes, WrongMode),
                (Lock, Yes, WrongMode),
                (FinishInstallation, OutOfScope, OutOfScope),
                (EnterInstallation, OutOfScope, OutOfScope),
                (Decommission, OutOfScope, OutOfScope),
            ],
        ),
        (
            Scope::Install,
            [
                (Unlock, Yes, WrongMode),
                (Lock, Yes, WrongMode),
                (FinishInstallation, Yes, WrongMode),
                (EnterInstallation, OutOfScope, OutOfScope),
                (Decommission, Yes, Yes),
            ],
        ),
        (
            Scope::Maintenance,
            [
                (Unlock, Yes, Yes),
                (Lock, Yes, Yes),
                (FinishInstallation, Yes, WrongMode),
                (EnterInstallation, WrongMode, Yes),
                (Decommission, OutOfScope, OutOfScope),
            ],
        ),
    ];
    for (scope, row) in table {
        for (command, in_installation, in_normal) in row {
            for (mode, expected) in [(Installation, in_installation), (Normal, in_normal)] {
                let mut s = Scenario::with_keys(
                    SoftwareKey::generate().unwrap().0,
                    SoftwareKey::generate().unwrap().0,
                    SoftwareKey::generate().unwrap().0,
                    mode,
                );
                let mut c = s.claims();
                c.scope = scope;
                let t = s.issue(&c).unwrap();
                let r = s.open(&t, command, s.rid(1)).unwrap();
                assert_eq!(r.status, expected, "{scope:?} {command:?} in {mode:?}");
                let moved = s.lock.lock().actuations() > 0;
                assert_eq!(moved, expected == Yes && command.actuates());
            }
        }
    }
}
