//! Attacks on the lock's state (issue 15), one test per way in: a reset
//! clock, a far-future time from the setup window or the issuer, revocation
//! that does not arrive, a relay with no time limit, a retry after a reboot
//! or an evicted cache entry, and garbage that costs signatures and flash.
//! Each test fails if the lock's defence against it is removed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use nyckelfri_lock::scenario::{SCENARIO_LOCK_ID, SCENARIO_NOW, Scenario};
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::commission::CommissionGrant;
use nyckelfri_protocol::exchange::build_request;
use nyckelfri_protocol::keys::SIGNATURE_LEN;
use nyckelfri_protocol::messages::{Command, Commission, LockMode, Message, ResultMessage};
use nyckelfri_protocol::revocation::{RevocationList, RevokedToken};
use nyckelfri_protocol::token::{AccessClaims, Scope};
use nyckelfri_protocol::{ProtocolError, PublicKey, Signer, SoftwareKey, Status};

const HOUR: u64 = 3_600;
/// 2100-01-01T00:00:00Z.
const YEAR_2100: u64 = 4_102_444_800;

fn open(s: &mut Scenario, claims: &AccessClaims, n: u8) -> Status {
    let token = s.issue(claims).unwrap();
    let rid = s.rid(n);
    s.open(&token, Command::Unlock, rid).unwrap().status
}

fn with_list(s: &mut Scenario, claims: &AccessClaims, list: Vec<u8>, n: u8) -> Status {
    let token = s.issue(claims).unwrap();
    let rid = s.rid(n);
    let hello = s.hello().unwrap();
    let req = build_request(&hello, &token, Command::Unlock, rid, &s.device, Some(list)).unwrap();
    let r = s.send(&Message::Request(req)).unwrap();
    s.lock.disconnect();
    r.status
}

fn list(issuer: &SoftwareKey, epoch: u64, issued_at: u64, revoked: &[&AccessClaims]) -> Vec<u8> {
    RevocationList {
        lock_id: SCENARIO_LOCK_ID.into(),
        epoch,
        issued_at,
        revoked_before: 0,
        revoked: revoked
            .iter()
            .map(|c| RevokedToken {
                token_id: c.token_id,
                expires: c.expires,
            })
            .collect(),
    }
    .sign(issuer)
    .unwrap()
}

// ---- 1. A clock reset must not revive expired or pruned-revoked tokens.

/// The morning bundle's tokens were all issued at 07:00. One expired at
/// 11:00; at 18:00 a colleague opens with another. Then the RTC resets.
#[test]
fn attack_1_an_rtc_reset_does_not_revive_a_token_that_had_expired() {
    let mut s = Scenario::new().unwrap();
    let mut morning = s.claims();
    morning.expires = SCENARIO_NOW + 3 * HOUR;
    let mut evening = s.claims();
    evening.expires = SCENARIO_NOW + 12 * HOUR;
    s.lock.controls().set_time(SCENARIO_NOW + 10 * HOUR);
    assert_eq!(open(&mut s, &evening, 1), Status::Ok);
    assert_eq!(open(&mut s, &morning, 2), Status::Expired);
    // The battery is swapped: the lock reboots and its RTC is unset.
    s.lock.power_loss();
    let before = s.lock.lock().actuations();
    assert_eq!(open(&mut s, &morning, 3), Status::Expired);
    assert_eq!(s.lock.lock().actuations(), before, "the bolt moved");
}

/// A list made at 08:00 reaches the lock at 18:00; its entry for a token
/// that expired at 11:00 is pruned as useless. After an RTC reset that
/// token must still not open.
#[test]
fn attack_1_an_rtc_reset_does_not_revive_a_revoked_token_whose_entry_was_pruned() {
    let mut s = Scenario::new().unwrap();
    let mut stolen = s.claims();
    stolen.expires = SCENARIO_NOW + 3 * HOUR;
    let mut evening = s.claims();
    evening.expires = SCENARIO_NOW + 12 * HOUR;
    s.lock.controls().set_time(SCENARIO_NOW + 10 * HOUR);
    let l = list(&s.issuer, 1, SCENARIO_NOW, &[&stolen]);
    assert_eq!(with_list(&mut s, &evening, l, 1), Status::Ok);
    s.lock.power_loss();
    let before = s.lock.lock().actuations();
    assert_ne!(open(&mut s, &stolen, 2), Status::Ok);
    assert_eq!(s.lock.lock().actuations(), before, "the bolt moved");
}

// ---- 2. A far-future time must not brick the lock.

fn factory_new_pressed() -> (SoftwareKey, SimulatedLock) {
    let lock = SimulatedLock::new(
        Box::new(SoftwareKey::generate().unwrap().0),
        LockConfig::factory_new(),
        SCENARIO_NOW,
    );
    lock.controls().press_setup_button();
    (SoftwareKey::generate().unwrap().0, lock)
}

fn commission(lock: &mut SimulatedLock, grant: Vec<u8>) -> ResultMessage {
    let Message::Hello(h) = Message::decode(&lock.connect().unwrap()).unwrap() else {
        panic!("no Hello")
    };
    let out = lock
        .receive(
            &Message::Commission(Commission {
                nonce: h.nonce,
                grant,
            })
            .encode()
            .unwrap(),
        )
        .unwrap();
    lock.disconnect();
    let Message::Result(r) = Message::decode(&out).unwrap() else {
        panic!("no Result")
    };
    r
}

/// Whoever answers first in the setup window sends a self-signed grant
/// dated 2100. The technician's real grant must still work afterwards, and
/// so must the care tokens it leads to.
#[test]
fn attack_2_a_grant_dated_2100_from_the_setup_window_does_not_brick_the_lock() {
    let (issuer, mut lock) = factory_new_pressed();
    let lock_key = lock.lock().public_key();
    let stranger = SoftwareKey::generate().unwrap().0;
    let bad = CommissionGrant::issue(&lock_key, "lock-x", &stranger, YEAR_2100, YEAR_2100 + HOUR)
        .unwrap();
    let r = commission(&mut lock, bad);
    assert_ne!(r.status, Status::Ok, "a grant from 2100 was taken");
    let good = CommissionGrant::issue(
        &lock_key,
        SCENARIO_LOCK_ID,
        &issuer,
        SCENARIO_NOW - 60,
        SCENARIO_NOW + HOUR,
    )
    .unwrap();
    assert_eq!(commission(&mut lock, good).status, Status::Ok);
    assert!(lock.lock().now() < SCENARIO_NOW + HOUR);
}

/// The real issuer's clock jumps to 2100 for one token. The lock must not
/// take that time: the next ordinary token still opens.
#[test]
fn attack_2_a_token_from_the_issuer_dated_2100_does_not_brick_the_lock() {
    let mut s = Scenario::new().unwrap();
    let mut misdated = s.claims();
    misdated.issued_at = YEAR_2100;
    misdated.expires = YEAR_2100 + HOUR;
    misdated.decision_end = YEAR_2100 + HOUR;
    assert_ne!(open(&mut s, &misdated, 1), Status::Ok);
    let normal = s.claims();
    assert_eq!(open(&mut s, &normal, 2), Status::Ok);
    assert!(s.lock.lock().now() < SCENARIO_NOW + HOUR);
}

// ---- 3. Revocation must arrive.

/// A relay raises the Hello's epoch so the colleague's phone, which holds
/// the list revoking a stolen token, thinks the lock has it already. Once
/// the colleague has opened the door, the stolen token must be refused.
#[test]
fn attack_3_a_relay_that_raises_the_hellos_epoch_cannot_strip_the_list() {
    let mut s = Scenario::new().unwrap();
    let stolen = s.claims();
    let l = list(&s.issuer, 1, SCENARIO_NOW - 60, &[&stolen]);
    // The colleague's token dates from before the revocation (it needs no
    // list), but the phone synced since and holds the list.
    let colleague = s.claims();
    let colleague_token = s.issue(&colleague).unwrap();
    let mut opened = false;
    let kid = s.issuer.public_key().key_id();
    for (attempt, relayed) in [true, false].into_iter().enumerate() {
        let rid = s.rid(10 + attempt as u8);
        let mut hello = s.hello().unwrap();
        if relayed {
            hello.issuers[0].epoch = 99;
        }
        // The phone carries its list when the lock says it holds an older one.
        let carried = (1 > hello.epoch_for(&kid)).then(|| l.clone());
        let req = build_request(
            &hello,
            &colleague_token,
            Command::Unlock,
            rid,
            &s.device,
            carried,
        )
        .unwrap();
        let r = s.send(&Message::Request(req)).unwrap();
        s.lock.disconnect();
        if r.status == Status::Ok {
            opened = true;
            break;
        }
    }
    assert!(opened, "the colleague never got in");
    let before = s.lock.lock().actuations();
    assert_eq!(open(&mut s, &stolen, 3), Status::Revoked);
    assert_eq!(s.lock.lock().actuations(), before);
}

/// During a key rollover the lock trusts two issuers. The old issuer's list
/// is at epoch 5; the new issuer's first list (epoch 3) revokes a token of
/// the new issuer. It must not be skipped as "older".
#[test]
fn attack_3_one_issuers_epoch_does_not_hide_another_issuers_list() {
    let old = SoftwareKey::generate().unwrap().0;
    let new = SoftwareKey::generate().unwrap().0;
    let device = SoftwareKey::generate().unwrap().0;
    let lock_key = SoftwareKey::generate().unwrap().0;
    let mut s = Scenario::with_keys(new, device, lock_key, LockMode::Normal);
    s.lock = SimulatedLock::new(
        Box::new(SoftwareKey::generate().unwrap().0),
        LockConfig {
            lock_id: SCENARIO_LOCK_ID.into(),
            issuers: vec![old.public_key(), s.issuer.public_key()],
            mode: LockMode::Normal,
        },
        SCENARIO_NOW,
    );
    s.lock_key = s.lock.lock().public_key();
    let harmless = s.claims();
    let old_list = list(&old, 5, SCENARIO_NOW - 120, &[]);
    assert_eq!(with_list(&mut s, &harmless, old_list, 1), Status::Ok);
    let stolen = s.claims();
    let colleague = s.claims();
    let new_list = list(&s.issuer, 3, SCENARIO_NOW - 60, &[&stolen]);
    assert_eq!(with_list(&mut s, &colleague, new_list, 2), Status::Ok);
    assert_eq!(open(&mut s, &stolen, 3), Status::Revoked);
}

/// A list with epoch 2^64 − 1 (a bug, or a key used where it should not
/// be) must not stop every later list.
#[test]
fn attack_3_an_epoch_of_two_to_the_64_minus_one_does_not_stop_later_lists() {
    let mut s = Scenario::new().unwrap();
    let harmless = s.claims();
    let max = list(&s.issuer, u64::MAX, SCENARIO_NOW - 120, &[]);
    let _ = with_list(&mut s, &harmless, max, 1);
    let stolen = s.claims();
    let colleague = s.claims();
    let next = list(&s.issuer, 2, SCENARIO_NOW - 60, &[&stolen]);
    let _ = with_list(&mut s, &colleague, next, 2);
    assert_eq!(open(&mut s, &stolen, 3), Status::Revoked);
}

// ---- 4. A relayed Request has a time limit even with a stopped RTC.

#[test]
fn attack_4_a_captured_request_goes_stale_with_a_stopped_rtc() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    s.lock.controls().stop_rtc(true);
    let rid = s.rid(1);
    let hello = s.hello().unwrap();
    let captured = s.request(&hello, &token, Command::Unlock, rid).unwrap();
    // The relay holds the Request for five minutes; the RTC does not count them.
    s.lock.controls().advance(5 * 60);
    let r = s.send(&Message::Request(captured)).unwrap();
    assert_eq!(r.status, Status::StaleNonce);
    assert_eq!(s.lock.lock().actuations(), 0);
}

// ---- 5. A retried Request never moves the bolt twice.

#[test]
fn attack_5_a_retry_after_a_reboot_does_not_move_the_bolt_again() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let rid = s.rid(7);
    s.lock.controls().drop_next_results(1);
    assert!(s.open(&token, Command::Unlock, rid).is_err());
    assert_eq!(s.lock.lock().actuations(), 1);
    s.lock.reboot();
    let retry = s.open(&token, Command::Unlock, rid).unwrap();
    assert_eq!(
        s.lock.lock().actuations(),
        0,
        "the motor ran after the reboot"
    );
    assert!(retry.repeated);
    assert_eq!(retry.status, Status::Ok);
}

#[test]
fn attack_5_a_retry_after_32_other_requests_does_not_move_the_bolt_again() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let rid = s.rid(7);
    s.lock.controls().drop_next_results(1);
    assert!(s.open(&token, Command::Unlock, rid).is_err());
    s.lock.controls().advance(60);
    for i in 0..32u8 {
        let command = if i % 2 == 0 {
            Command::Lock
        } else {
            Command::Unlock
        };
        let other = s.rid(100 + i);
        assert_eq!(s.open(&token, command, other).unwrap().status, Status::Ok);
    }
    let before = s.lock.lock().actuations();
    let retry = s.open(&token, Command::Unlock, rid).unwrap();
    assert_eq!(s.lock.lock().actuations(), before, "the bolt moved twice");
    assert_ne!((retry.status, retry.repeated), (Status::Ok, false));
}

// ---- 6. Garbage is cheap to refuse.

struct CountingKey(SoftwareKey, Arc<AtomicU64>);

impl Signer for CountingKey {
    fn public_key(&self) -> PublicKey {
        self.0.public_key()
    }
    fn sign(&self, msg: &[u8]) -> Result<[u8; SIGNATURE_LEN], ProtocolError> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.sign(msg)
    }
}

#[test]
fn attack_6_garbage_costs_at_most_one_signature_per_connection_and_no_counter() {
    let signatures = Arc::new(AtomicU64::new(0));
    let issuer = SoftwareKey::generate().unwrap().0;
    let mut lock = SimulatedLock::new(
        Box::new(CountingKey(
            SoftwareKey::generate().unwrap().0,
            signatures.clone(),
        )),
        LockConfig {
            lock_id: SCENARIO_LOCK_ID.into(),
            issuers: vec![issuer.public_key()],
            mode: LockMode::Normal,
        },
        SCENARIO_NOW,
    );
    let counter = lock.lock().counter();
    lock.connect().unwrap();
    for i in 0..50u8 {
        let _ = lock.receive(&[0xff, i, 0x00]);
    }
    lock.disconnect();
    assert!(
        signatures.load(Ordering::SeqCst) <= 1,
        "{} signatures for garbage",
        signatures.load(Ordering::SeqCst)
    );
    assert_eq!(lock.lock().counter(), counter, "garbage raised the counter");
}

#[test]
fn attack_6_refused_requests_write_nothing_and_count_nothing() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let (writes, counter) = (s.lock.lock().storage_writes(), s.lock.lock().counter());
    let thief = SoftwareKey::generate().unwrap().0;
    for n in 0..20 {
        let rid = s.rid(n);
        let hello = s.hello().unwrap();
        let req = build_request(&hello, &token, Command::Unlock, rid, &thief, None).unwrap();
        let r = s.send(&Message::Request(req)).unwrap();
        assert_eq!(r.status, Status::ProofOfPossession);
        // A second message in the same session is not answered at all.
        assert!(s.lock.receive(&[0xff]).is_some());
        assert!(s.lock.receive(&[0xfe]).is_none());
        s.lock.disconnect();
    }
    assert_eq!(
        s.lock.lock().storage_writes(),
        writes,
        "refusals wrote to flash"
    );
    assert_eq!(
        s.lock.lock().counter(),
        counter,
        "refusals raised the counter"
    );
}

// ---- 3 (cont). A fresh token needs the fresh list.

#[test]
fn attack_3_a_token_newer_than_the_locks_list_is_refused_until_the_list_comes() {
    let mut s = Scenario::new().unwrap();
    let stolen = s.claims();
    let mut fresh = s.claims();
    fresh.min_epoch = 4;
    let before = s.lock.lock().actuations();
    assert_eq!(open(&mut s, &fresh, 1), Status::RevocationStale);
    assert_eq!(s.lock.lock().actuations(), before);
    let l = list(&s.issuer, 4, SCENARIO_NOW - 60, &[&stolen]);
    assert_eq!(with_list(&mut s, &fresh, l, 2), Status::Ok);
    assert_eq!(open(&mut s, &stolen, 3), Status::Revoked);
}

// ---- 5 (cont). Power loss keeps everything, even in the middle of a write.

#[test]
fn attack_5_a_battery_change_keeps_the_cache_counter_floor_and_lists() {
    let mut s = Scenario::new().unwrap();
    let stolen = s.claims();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let l = list(&s.issuer, 3, SCENARIO_NOW - 60, &[&stolen]);
    assert_eq!(with_list(&mut s, &claims, l, 1), Status::Ok);
    let rid = s.rid(2);
    s.lock.controls().drop_next_results(1);
    assert!(s.open(&token, Command::Lock, rid).is_err());
    let counter = s.lock.lock().counter();
    s.lock.controls().advance(600);
    let floor = s.lock.lock().now();
    s.lock.power_loss();
    assert_eq!(s.lock.lock().counter(), counter);
    assert!(s.lock.lock().now() >= floor - crate_floor_slack());
    assert_eq!(s.lock.lock().revocation_epoch(), 3);
    let retry = s.open(&token, Command::Lock, rid).unwrap();
    assert!(retry.repeated);
    assert_eq!(s.lock.lock().actuations(), 0);
    assert_eq!(open(&mut s, &stolen, 3), Status::Revoked);
}

/// The high-water mark is stored at every carried-out command and at least
/// hourly, so a power loss loses at most an hour of it.
fn crate_floor_slack() -> u64 {
    nyckelfri_lock::FLOOR_PERSIST_SECS
}

#[test]
fn attack_5_a_power_cut_in_the_middle_of_a_write_keeps_the_previous_state() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let first = s.rid(1);
    assert_eq!(
        s.open(&token, Command::Unlock, first).unwrap().status,
        Status::Ok
    );
    let counter = s.lock.lock().counter();
    // The next command's cache entry is half written when the power goes.
    s.lock.controls().cut_power_in_next_write();
    let second = s.rid(2);
    assert!(s.open(&token, Command::Lock, second).is_err());
    s.lock.power_loss();
    assert_eq!(s.lock.lock().actuations(), 0);
    assert_eq!(s.lock.lock().counter(), counter, "a torn write counted");
    // The first command is still remembered; the torn one never happened
    // (the bolt did not move for it), so it can be sent again.
    let retry = s.open(&token, Command::Unlock, first).unwrap();
    assert!(retry.repeated);
    let again = s.open(&token, Command::Lock, second).unwrap();
    assert_eq!((again.status, again.repeated), (Status::Ok, false));
    assert_eq!(s.lock.lock().actuations(), 1);
}

#[test]
fn attack_5_a_lock_whose_storage_fails_refuses_rather_than_act_unrecorded() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    s.lock.controls().set_storage_failing(true);
    let rid = s.rid(1);
    let r = s.open(&token, Command::Unlock, rid).unwrap();
    assert_eq!(r.status, Status::StorageFault);
    assert_eq!(s.lock.lock().actuations(), 0);
}

// ---- 1 (cont). Setting the RTC back, without a reboot, changes nothing.

#[test]
fn attack_1_setting_the_rtc_back_does_not_revive_a_token() {
    let mut s = Scenario::new().unwrap();
    let mut morning = s.claims();
    morning.expires = SCENARIO_NOW + 3 * HOUR;
    let mut evening = s.claims();
    evening.expires = SCENARIO_NOW + 12 * HOUR;
    s.lock.controls().set_time(SCENARIO_NOW + 10 * HOUR);
    assert_eq!(open(&mut s, &evening, 1), Status::Ok);
    s.lock.controls().set_time(SCENARIO_NOW);
    assert_eq!(open(&mut s, &morning, 2), Status::Expired);
}

// ---- 2 (cont). A list dated 2100 does not move the clock either.

#[test]
fn attack_2_a_list_dated_2100_is_refused_and_does_not_brick_the_lock() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let bad = list(&s.issuer, 1, YEAR_2100, &[]);
    assert_eq!(
        with_list(&mut s, &claims, bad, 1),
        Status::BadRevocationList
    );
    assert_eq!(open(&mut s, &claims, 2), Status::Ok);
    assert!(s.lock.lock().now() < SCENARIO_NOW + HOUR);
}

// ---- 3 (cont). Per-lock lists and the overflow fallback.

/// Another lock's genuine list, at a high epoch, must not be installed: it
/// would make this lock skip its own later lists.
#[test]
fn attack_3_another_locks_list_is_refused() {
    let mut s = Scenario::new().unwrap();
    let colleague = s.claims();
    let other = RevocationList {
        lock_id: "lock-0002".into(),
        epoch: 50,
        issued_at: SCENARIO_NOW - 60,
        revoked_before: 0,
        revoked: vec![],
    }
    .sign(&s.issuer)
    .unwrap();
    assert_eq!(
        with_list(&mut s, &colleague, other, 1),
        Status::BadRevocationList
    );
    let stolen = s.claims();
    let own = list(&s.issuer, 2, SCENARIO_NOW - 30, &[&stolen]);
    assert_eq!(with_list(&mut s, &colleague, own, 2), Status::Ok);
    assert_eq!(open(&mut s, &stolen, 3), Status::Revoked);
}

/// When a lock's revoked tokens do not fit a list, the issuer revokes every
/// token issued before a moment instead; none of them opens.
#[test]
fn attack_3_revoked_before_revokes_every_older_token() {
    let mut s = Scenario::new().unwrap();
    let old = s.claims();
    let mut fresh = s.claims();
    fresh.issued_at = SCENARIO_NOW - 60;
    let l = RevocationList {
        lock_id: SCENARIO_LOCK_ID.into(),
        epoch: 1,
        issued_at: SCENARIO_NOW - 60,
        revoked_before: SCENARIO_NOW - 60,
        revoked: vec![],
    }
    .sign(&s.issuer)
    .unwrap();
    assert_eq!(with_list(&mut s, &fresh, l, 1), Status::Ok);
    let before = s.lock.lock().actuations();
    assert_eq!(open(&mut s, &old, 2), Status::Revoked);
    assert_eq!(s.lock.lock().actuations(), before);
}

// ---- Issuer rollover cannot be forged or replayed.

fn update_request(s: &mut Scenario, claims: &AccessClaims, update: Vec<u8>, n: u8) -> Status {
    let token = s.issue(claims).unwrap();
    let rid = s.rid(n);
    let hello = s.hello().unwrap();
    let mut req = build_request(&hello, &token, Command::Unlock, rid, &s.device, None).unwrap();
    req.issuer_update = Some(update);
    let r = s.send(&Message::Request(req)).unwrap();
    s.lock.disconnect();
    r.status
}

#[test]
fn attack_rollover_a_forged_or_replayed_issuer_update_changes_nothing() {
    use nyckelfri_protocol::issuers::IssuerUpdate;
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let thief = SoftwareKey::generate().unwrap().0;
    // Under the trusted issuer's key id, but signed by the thief.
    struct Forger<'a>(&'a SoftwareKey, &'a SoftwareKey);
    impl Signer for Forger<'_> {
        fn public_key(&self) -> PublicKey {
            self.0.public_key()
        }
        fn sign(&self, m: &[u8]) -> Result<[u8; 64], ProtocolError> {
            self.1.sign(m)
        }
    }
    let forged = IssuerUpdate {
        issued_at: SCENARIO_NOW - 60,
        keys: vec![thief.public_key()],
    }
    .sign(&Forger(&s.issuer, &thief))
    .unwrap();
    assert_eq!(
        update_request(&mut s, &claims, forged, 1),
        Status::BadIssuerUpdate
    );
    assert_eq!(open(&mut s, &claims, 2), Status::Ok);
    // A real rollover to a new key, then the old update that re-adds the
    // retired key is replayed: it is older than the set the lock holds.
    let new = SoftwareKey::generate().unwrap().0;
    let both = IssuerUpdate {
        issued_at: SCENARIO_NOW - 120,
        keys: vec![s.issuer.public_key(), new.public_key()],
    }
    .sign(&s.issuer)
    .unwrap();
    assert_eq!(update_request(&mut s, &claims, both.clone(), 3), Status::Ok);
    let retire = IssuerUpdate {
        issued_at: SCENARIO_NOW - 60,
        keys: vec![new.public_key()],
    }
    .sign(&s.issuer)
    .unwrap();
    // From now on the phones carry tokens of the new issuer.
    let old_issuer = std::mem::replace(&mut s.issuer, new);
    let by_new = s.claims();
    assert_eq!(update_request(&mut s, &by_new, retire, 4), Status::Ok);
    assert_eq!(update_request(&mut s, &by_new, both, 5), Status::Ok);
    s.issuer = old_issuer;
    assert_eq!(open(&mut s, &claims, 6), Status::UnknownIssuer);
}

// ---- 5 (cont). Torn writes of records that already have a copy, and
// roll-forward of a command whose effect was not stored.

#[test]
fn attack_5_a_power_cut_while_storing_the_state_keeps_the_lock_in_service() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    // A newer list makes the lock store its state (then the list): the
    // state write is torn.
    let l = list(&s.issuer, 1, SCENARIO_NOW - 60, &[]);
    s.lock.controls().cut_power_in_next_write();
    let token = s.issue(&claims).unwrap();
    let rid = s.rid(1);
    let hello = s.hello().unwrap();
    let req = build_request(
        &hello,
        &token,
        Command::Unlock,
        rid,
        &s.device,
        Some(l.clone()),
    )
    .unwrap();
    assert!(s.send(&Message::Request(req)).is_err());
    s.lock.disconnect();
    s.lock.power_loss();
    assert_eq!(s.lock.lock().lock_id(), SCENARIO_LOCK_ID);
    assert_eq!(s.lock.lock().mode(), LockMode::Normal);
    assert_eq!(with_list(&mut s, &claims, l, 2), Status::Ok);
}

#[test]
fn attack_5_a_mode_change_cut_short_by_a_power_cut_is_rolled_forward() {
    let mut s = Scenario::with_keys(
        SoftwareKey::generate().unwrap().0,
        SoftwareKey::generate().unwrap().0,
        SoftwareKey::generate().unwrap().0,
        LockMode::Installation,
    );
    let mut install = s.claims();
    install.scope = Scope::Install;
    let token = s.issue(&install).unwrap();
    let rid = s.rid(1);
    // The cache entry is stored; the power goes while storing the new mode.
    s.lock.controls().cut_power_after_writes(1);
    assert!(s.open(&token, Command::FinishInstallation, rid).is_err());
    s.lock.power_loss();
    assert_eq!(s.lock.lock().mode(), LockMode::Normal);
    let mut demo = s.claims();
    demo.scope = Scope::Demo;
    assert_eq!(open(&mut s, &demo, 2), Status::WrongMode);
    let retry = s.open(&token, Command::FinishInstallation, rid).unwrap();
    assert_eq!((retry.status, retry.repeated), (Status::Ok, true));
}

/// The list reaches the lock with a Request that is itself refused, so no
/// command stores the time: installing the list must.
#[test]
fn attack_1_a_list_installed_by_a_refused_request_keeps_its_pruned_tokens_dead() {
    let mut s = Scenario::new().unwrap();
    let mut stolen = s.claims();
    stolen.expires = SCENARIO_NOW + 20 * 60;
    let mut carrier = s.claims();
    carrier.expires = SCENARIO_NOW + 12 * HOUR;
    // Less than an hour later: no hourly write of the time has happened.
    s.lock.controls().advance(30 * 60);
    let l = list(&s.issuer, 1, SCENARIO_NOW, &[&stolen]);
    let token = s.issue(&carrier).unwrap();
    let rid = s.rid(1);
    let hello = s.hello().unwrap();
    // A care token may not decommission: refused, but the list is installed.
    let req = build_request(
        &hello,
        &token,
        Command::Decommission,
        rid,
        &s.device,
        Some(l),
    )
    .unwrap();
    assert_eq!(
        s.send(&Message::Request(req)).unwrap().status,
        Status::OutOfScope
    );
    s.lock.disconnect();
    assert_eq!(s.lock.lock().revocation_epoch(), 1);
    s.lock.power_loss();
    assert_ne!(open(&mut s, &stolen, 2), Status::Ok);
}

/// A future request id (made by a phone for a time the lock has not
/// reached) is refused: evicted later, it would block every new request.
#[test]
fn attack_5_a_request_id_from_the_future_is_refused() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let future = nyckelfri_protocol::request_id_for(SCENARIO_NOW + 365 * 86_400, [1; 8]);
    let r = s.open(&token, Command::Unlock, future).unwrap();
    assert_eq!(r.status, Status::RequestIdStale);
    assert_eq!(s.lock.lock().actuations(), 0);
    assert_eq!(open(&mut s, &claims, 2), Status::Ok);
}

// ---- Signed status: the battery and the mode are in the receipt.

#[test]
fn a_relayed_result_with_a_changed_battery_or_mode_does_not_verify() {
    use nyckelfri_protocol::exchange::verify_result;
    let mut s = Scenario::new().unwrap();
    s.lock.controls().set_battery(9);
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let rid = s.rid(1);
    let hello = s.hello().unwrap();
    let req = s.request(&hello, &token, Command::Unlock, rid).unwrap();
    let result = s.send(&Message::Request(req.clone())).unwrap();
    let key = s.lock_key.clone();
    assert!(verify_result(&result, &hello, &req, claims.token_id, &key).is_ok());
    let mut battery = result.clone();
    battery.battery = 80;
    assert!(verify_result(&battery, &hello, &req, claims.token_id, &key).is_err());
    let mut mode = result;
    mode.mode = LockMode::Installation;
    assert!(verify_result(&mode, &hello, &req, claims.token_id, &key).is_err());
}

/// Within the first hour no hourly write stores the time: the carried-out
/// command itself must (its cache entry holds the time).
#[test]
fn attack_1_a_battery_change_within_the_hour_keeps_an_expired_token_expired() {
    let mut s = Scenario::new().unwrap();
    let mut short = s.claims();
    short.expires = SCENARIO_NOW + 20 * 60;
    let later = s.claims();
    s.lock.controls().advance(30 * 60);
    assert_eq!(open(&mut s, &later, 1), Status::Ok);
    s.lock.power_loss();
    assert_eq!(open(&mut s, &short, 2), Status::Expired);
}

/// A stored copy that no longer reads back whole (a worn flash cell) is not
/// believed: the lock uses the other, older copy.
#[test]
fn attack_5_a_corrupted_copy_of_the_state_is_not_believed() {
    let mut s = Scenario::new().unwrap();
    // Two copies of the state: the provisioned one and one an hour later.
    s.lock.controls().advance(2 * HOUR);
    s.hello().unwrap();
    s.lock.disconnect();
    // The newer copy (area 1 of the state record) loses a bit of its lock id.
    let c = s.lock.controls();
    let at = c
        .area_bytes(1)
        .windows(9)
        .position(|w| w == b"lock-0001")
        .unwrap();
    c.flip_bit(1, at + 5);
    s.lock.reboot();
    assert_eq!(s.lock.lock().lock_id(), SCENARIO_LOCK_ID);
    let claims = s.claims();
    assert_eq!(open(&mut s, &claims, 1), Status::Ok);
}
