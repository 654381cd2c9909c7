//! Every refusal the lock must make, each its own test. Each test builds an
//! exchange that is valid in every way but one, and asserts both the refusal
//! code and that the bolt never moved — so removing the check fails the test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use nyckelfri_lock::scenario::{ExchangeError, SCENARIO_LOCK_ID, SCENARIO_NOW, Scenario};
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::exchange::build_request;
use nyckelfri_protocol::framing::{FIRST, fragment};
use nyckelfri_protocol::keys::SIGNATURE_LEN;
use nyckelfri_protocol::messages::{BoltState, Command, LockMode, Message, ResultMessage};
use nyckelfri_protocol::revocation::{RevocationList, RevokedToken};
use nyckelfri_protocol::token::{Scope, issue};
use nyckelfri_protocol::{ProtocolError, PublicKey, Signer, SoftwareKey, Status};

/// Signs with one key while naming another key's id: a forgery.
struct Forger {
    claims_to_be: PublicKey,
    actually: SoftwareKey,
}

impl Signer for Forger {
    fn public_key(&self) -> PublicKey {
        self.claims_to_be.clone()
    }
    fn sign(&self, msg: &[u8]) -> Result<[u8; SIGNATURE_LEN], ProtocolError> {
        self.actually.sign(msg)
    }
}

fn refused(s: &mut Scenario, token: &[u8], expected: Status) {
    let before = s.lock.lock().actuations();
    let rid = s.rid(1);
    let receipt = s.open(token, Command::Unlock, rid).unwrap();
    assert_eq!(receipt.status, expected);
    assert_eq!(s.lock.lock().actuations(), before, "the bolt moved");
    assert_eq!(s.lock.lock().bolt(), BoltState::Locked);
}

#[test]
fn a_valid_token_opens_the_door_with_two_p256_verifications() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let before = s.lock.lock().p256_verifications();
    let receipt = s.open(&token, Command::Unlock, s.rid(1)).unwrap();
    assert_eq!(receipt.status, Status::Ok);
    assert_eq!(receipt.bolt, BoltState::Unlocked);
    assert!(!receipt.repeated);
    assert_eq!(s.lock.lock().actuations(), 1);
    assert_eq!(s.lock.lock().p256_verifications() - before, 2);
}

#[test]
fn forged_issuer_signature_is_refused() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let forger = Forger {
        claims_to_be: s.issuer.public_key(),
        actually: SoftwareKey::generate().unwrap().0,
    };
    let token = issue(&claims, &forger).unwrap();
    refused(&mut s, &token, Status::BadSignature);
}

#[test]
fn token_from_an_unknown_issuer_is_refused() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let stranger = SoftwareKey::generate().unwrap().0;
    let token = issue(&claims, &stranger).unwrap();
    refused(&mut s, &token, Status::UnknownIssuer);
}

#[test]
fn token_for_another_lock_is_refused() {
    let mut s = Scenario::new().unwrap();
    let mut claims = s.claims();
    claims.lock_id = "lock-0002".into();
    let token = s.issue(&claims).unwrap();
    refused(&mut s, &token, Status::WrongLock);
}

#[test]
fn expired_token_is_refused() {
    let mut s = Scenario::new().unwrap();
    let mut claims = s.claims();
    claims.not_before = SCENARIO_NOW - 9 * 3_600;
    claims.issued_at = claims.not_before;
    claims.expires = SCENARIO_NOW - 1;
    let token = s.issue(&claims).unwrap();
    refused(&mut s, &token, Status::Expired);
}

#[test]
fn token_expiring_this_very_second_is_refused() {
    let mut s = Scenario::new().unwrap();
    let mut claims = s.claims();
    claims.expires = SCENARIO_NOW;
    let token = s.issue(&claims).unwrap();
    refused(&mut s, &token, Status::Expired);
}

#[test]
fn not_yet_valid_token_is_refused() {
    let mut s = Scenario::new().unwrap();
    let mut claims = s.claims();
    claims.not_before = SCENARIO_NOW + 600;
    claims.issued_at = SCENARIO_NOW - 60;
    let token = s.issue(&claims).unwrap();
    refused(&mut s, &token, Status::NotYetValid);
}

#[test]
fn token_after_the_care_decision_ended_is_refused_r2_7() {
    let mut s = Scenario::new().unwrap();
    let mut claims = s.claims();
    claims.decision_end = SCENARIO_NOW - 60;
    claims.expires = claims.decision_end;
    claims.not_before = SCENARIO_NOW - 3_600;
    let token = s.issue(&claims).unwrap();
    refused(&mut s, &token, Status::DecisionEnded);
}

#[test]
fn revoked_token_is_refused_and_the_list_is_kept() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let list = RevocationList {
        lock_id: SCENARIO_LOCK_ID.into(),
        revoked_before: 0,
        epoch: 5,
        issued_at: SCENARIO_NOW - 10,
        revoked: vec![RevokedToken {
            token_id: claims.token_id,
            expires: claims.expires,
        }],
    }
    .sign(&s.issuer)
    .unwrap();
    let hello = s.hello().unwrap();
    let req = build_request(
        &hello,
        &token,
        Command::Unlock,
        s.rid(1),
        &s.device,
        Some(list),
    )
    .unwrap();
    let result = s.send(&Message::Request(req)).unwrap();
    assert_eq!(result.status, Status::Revoked);
    assert_eq!(s.lock.lock().revocation_epoch(), 5);
    // The next phone carries no list; the lock remembers.
    refused(&mut s, &token, Status::Revoked);
}

#[test]
fn revocation_list_from_a_stranger_is_refused() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let stranger = SoftwareKey::generate().unwrap().0;
    let list = RevocationList {
        lock_id: SCENARIO_LOCK_ID.into(),
        revoked_before: 0,
        epoch: 99,
        issued_at: SCENARIO_NOW,
        revoked: vec![],
    }
    .sign(&stranger)
    .unwrap();
    let hello = s.hello().unwrap();
    let req = build_request(
        &hello,
        &token,
        Command::Unlock,
        s.rid(1),
        &s.device,
        Some(list),
    )
    .unwrap();
    let result = s.send(&Message::Request(req)).unwrap();
    assert_eq!(result.status, Status::BadRevocationList);
    assert_eq!(s.lock.lock().revocation_epoch(), 0);
    assert_eq!(s.lock.lock().actuations(), 0);
}

#[test]
fn forged_revocation_list_cannot_wipe_the_locks_list() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let genuine = RevocationList {
        lock_id: SCENARIO_LOCK_ID.into(),
        revoked_before: 0,
        epoch: 5,
        issued_at: SCENARIO_NOW - 10,
        revoked: vec![RevokedToken {
            token_id: claims.token_id,
            expires: claims.expires,
        }],
    }
    .sign(&s.issuer)
    .unwrap();
    let hello = s.hello().unwrap();
    let req = build_request(
        &hello,
        &token,
        Command::Unlock,
        s.rid(1),
        &s.device,
        Some(genuine),
    )
    .unwrap();
    assert_eq!(
        s.send(&Message::Request(req)).unwrap().status,
        Status::Revoked
    );
    s.lock.disconnect();
    // The thief forges an empty list with a higher epoch under the issuer's key id.
    let forger = Forger {
        claims_to_be: s.issuer.public_key(),
        actually: SoftwareKey::generate().unwrap().0,
    };
    let forged = RevocationList {
        lock_id: SCENARIO_LOCK_ID.into(),
        revoked_before: 0,
        epoch: 99,
        issued_at: SCENARIO_NOW,
        revoked: vec![],
    }
    .sign(&forger)
    .unwrap();
    let hello = s.hello().unwrap();
    let req = build_request(
        &hello,
        &token,
        Command::Unlock,
        s.rid(2),
        &s.device,
        Some(forged),
    )
    .unwrap();
    assert_eq!(
        s.send(&Message::Request(req)).unwrap().status,
        Status::BadRevocationList
    );
    s.lock.disconnect();
    assert_eq!(s.lock.lock().revocation_epoch(), 5);
    refused(&mut s, &token, Status::Revoked);
}

#[test]
fn an_older_revocation_list_does_not_replace_a_newer_one() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let newer = RevocationList {
        lock_id: SCENARIO_LOCK_ID.into(),
        revoked_before: 0,
        epoch: 7,
        issued_at: SCENARIO_NOW - 10,
        revoked: vec![RevokedToken {
            token_id: claims.token_id,
            expires: claims.expires,
        }],
    }
    .sign(&s.issuer)
    .unwrap();
    let older = RevocationList {
        lock_id: SCENARIO_LOCK_ID.into(),
        revoked_before: 0,
        epoch: 6,
        issued_at: SCENARIO_NOW - 20,
        revoked: vec![],
    }
    .sign(&s.issuer)
    .unwrap();
    for list in [newer, older] {
        let hello = s.hello().unwrap();
        let req = build_request(
            &hello,
            &token,
            Command::Unlock,
            s.rid(1),
            &s.device,
            Some(list),
        )
        .unwrap();
        assert_eq!(
            s.send(&Message::Request(req)).unwrap().status,
            Status::Revoked
        );
        s.lock.disconnect();
    }
    assert_eq!(s.lock.lock().revocation_epoch(), 7);
}

#[test]
fn request_replayed_from_an_earlier_session_is_refused() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    // An eavesdropper records a whole valid Request...
    let hello = s.hello().unwrap();
    let recorded = Message::Request(s.request(&hello, &token, Command::Lock, s.rid(1)).unwrap());
    assert_eq!(s.send(&recorded).unwrap().status, Status::Ok);
    s.lock.disconnect();
    // ...and replays it in a session of its own.
    s.hello().unwrap();
    let before = s.lock.lock().actuations();
    assert_eq!(s.send(&recorded).unwrap().status, Status::StaleNonce);
    assert_eq!(s.lock.lock().actuations(), before);
}

#[test]
fn second_request_in_one_session_is_not_answered() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let hello = s.hello().unwrap();
    let first = s
        .request(&hello, &token, Command::Unlock, s.rid(1))
        .unwrap();
    assert_eq!(s.send(&Message::Request(first)).unwrap().status, Status::Ok);
    let second = s.request(&hello, &token, Command::Lock, s.rid(2)).unwrap();
    let signatures = s.lock.lock().signatures();
    assert!(matches!(
        s.send(&Message::Request(second)),
        Err(ExchangeError::NoAnswer)
    ));
    assert_eq!(s.lock.lock().signatures(), signatures);
    assert_eq!(s.lock.lock().actuations(), 1);
}

#[test]
fn a_request_without_a_session_is_not_answered() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let hello = s.hello().unwrap();
    let req = s
        .request(&hello, &token, Command::Unlock, s.rid(1))
        .unwrap();
    s.lock.disconnect();
    assert!(matches!(
        s.send(&Message::Request(req)),
        Err(ExchangeError::NoAnswer)
    ));
    assert_eq!(s.lock.lock().actuations(), 0);
}

#[test]
fn request_answered_after_the_session_timed_out_is_refused() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let hello = s.hello().unwrap();
    let req = s
        .request(&hello, &token, Command::Unlock, s.rid(1))
        .unwrap();
    s.lock
        .controls()
        .advance(nyckelfri_lock::SESSION_TIMEOUT_SECS + 1);
    assert_eq!(
        s.send(&Message::Request(req)).unwrap().status,
        Status::StaleNonce
    );
    assert_eq!(s.lock.lock().actuations(), 0);
}

#[test]
fn token_presented_by_another_device_fails_proof_of_possession() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let stolen = s.issue(&claims).unwrap();
    let thief = SoftwareKey::generate().unwrap().0;
    let hello = s.hello().unwrap();
    let req = build_request(&hello, &stolen, Command::Unlock, s.rid(1), &thief, None).unwrap();
    let result = s.send(&Message::Request(req)).unwrap();
    assert_eq!(result.status, Status::ProofOfPossession);
    assert_eq!(s.lock.lock().actuations(), 0);
}

#[test]
fn device_signature_over_another_command_fails_proof_of_possession() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let hello = s.hello().unwrap();
    let mut req = s.request(&hello, &token, Command::Lock, s.rid(1)).unwrap();
    req.command = Command::Unlock;
    assert_eq!(
        s.send(&Message::Request(req)).unwrap().status,
        Status::ProofOfPossession
    );
    assert_eq!(s.lock.lock().actuations(), 0);
}

#[test]
fn demonstration_token_in_normal_mode_is_refused_r1_9() {
    let mut s = Scenario::new().unwrap();
    let mut claims = s.claims();
    claims.scope = Scope::Demo;
    let token = s.issue(&claims).unwrap();
    refused(&mut s, &token, Status::WrongMode);
}

#[test]
fn demonstration_token_opens_in_installation_mode_r1_9() {
    let mut s = Scenario::with_keys(
        SoftwareKey::generate().unwrap().0,
        SoftwareKey::generate().unwrap().0,
        SoftwareKey::generate().unwrap().0,
        LockMode::Installation,
    );
    let mut claims = s.claims();
    claims.scope = Scope::Demo;
    let token = s.issue(&claims).unwrap();
    let r = s.open(&token, Command::Unlock, s.rid(1)).unwrap();
    assert_eq!(r.status, Status::Ok);
    let r = s.open(&token, Command::Lock, s.rid(2)).unwrap();
    assert_eq!((r.status, r.bolt), (Status::Ok, BoltState::Locked));
}

#[test]
fn care_token_cannot_change_the_lock_mode() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let r = s
        .open(&token, Command::EnterInstallation, s.rid(1))
        .unwrap();
    assert_eq!(r.status, Status::OutOfScope);
    assert_eq!(s.lock.lock().mode(), LockMode::Normal);
}

#[test]
fn lock_clock_rolled_back_before_the_newest_issued_at_does_not_revive_a_token() {
    let mut s = Scenario::new().unwrap();
    // Morning: a token issued now is accepted; the lock's floor rises to now.
    let mut fresh = s.claims();
    fresh.issued_at = SCENARIO_NOW;
    let token = s.issue(&fresh).unwrap();
    assert_eq!(
        s.open(&token, Command::Unlock, s.rid(1)).unwrap().status,
        Status::Ok
    );
    // Someone sets the lock's clock back two hours...
    s.lock.controls().set_time(SCENARIO_NOW - 2 * 3_600);
    // ...hoping yesterday-evening's token, expired an hour ago, works again.
    let mut old = s.claims();
    old.not_before = SCENARIO_NOW - 4 * 3_600;
    old.issued_at = old.not_before;
    old.expires = SCENARIO_NOW - 3_600;
    let old_token = s.issue(&old).unwrap();
    let before = s.lock.lock().actuations();
    let r = s.open(&old_token, Command::Unlock, s.rid(2)).unwrap();
    assert_eq!(r.status, Status::Expired);
    assert_eq!(s.lock.lock().actuations(), before);
    assert!(s.lock.lock().now() >= SCENARIO_NOW);
}

#[test]
fn lock_with_an_unset_clock_is_floored_by_the_tokens_issued_at() {
    let mut s = Scenario::new().unwrap();
    // A lock that has never known the time: its RTC unset and no floor yet.
    let lock_key = SoftwareKey::generate().unwrap().0;
    s.lock_key = lock_key.public_key();
    s.lock = SimulatedLock::new(
        Box::new(lock_key),
        LockConfig {
            lock_id: SCENARIO_LOCK_ID.into(),
            issuers: vec![s.issuer.public_key()],
            mode: LockMode::Normal,
        },
        0,
    );
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    assert_eq!(
        s.open(&token, Command::Unlock, s.rid(1)).unwrap().status,
        Status::Ok
    );
    assert_eq!(s.lock.lock().now(), claims.issued_at);
}

#[test]
fn repeated_request_id_gets_the_stored_result_and_no_second_actuation() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let first = s.open(&token, Command::Unlock, s.rid(7)).unwrap();
    assert_eq!(s.lock.lock().actuations(), 1);
    let again = s.open(&token, Command::Unlock, s.rid(7)).unwrap();
    assert_eq!(again.status, Status::Ok);
    assert!(again.repeated);
    assert_eq!(again.counter, first.counter);
    assert_eq!(s.lock.lock().actuations(), 1);
}

#[test]
fn lost_result_is_recovered_by_retrying_the_same_request_id() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    s.lock.controls().drop_next_results(1);
    assert!(s.open(&token, Command::Unlock, s.rid(7)).is_err());
    assert_eq!(s.lock.lock().bolt(), BoltState::Unlocked);
    let retry = s.open(&token, Command::Unlock, s.rid(7)).unwrap();
    assert!(retry.repeated);
    assert_eq!(retry.status, Status::Ok);
    assert_eq!(s.lock.lock().actuations(), 1);
}

#[test]
fn repeated_request_id_with_another_command_is_a_conflict() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    s.open(&token, Command::Unlock, s.rid(7)).unwrap();
    let r = s.open(&token, Command::Lock, s.rid(7)).unwrap();
    assert_eq!(r.status, Status::RequestIdConflict);
    assert_eq!(s.lock.lock().bolt(), BoltState::Unlocked);
    assert_eq!(s.lock.lock().actuations(), 1);
}

#[test]
fn jammed_bolt_is_reported_and_the_retry_does_not_drive_the_motor_again() {
    let mut s = Scenario::new().unwrap();
    s.lock.controls().set_jammed(true);
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let r = s.open(&token, Command::Unlock, s.rid(3)).unwrap();
    assert_eq!((r.status, r.bolt), (Status::Jammed, BoltState::Jammed));
    let again = s.open(&token, Command::Unlock, s.rid(3)).unwrap();
    assert_eq!(again.status, Status::Jammed);
    assert_eq!(s.lock.lock().actuations(), 1);
}

#[test]
fn low_battery_is_reported_with_the_opening() {
    let mut s = Scenario::new().unwrap();
    s.lock.controls().set_battery(12);
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let r = s.open(&token, Command::Unlock, s.rid(3)).unwrap();
    assert_eq!(r.status, Status::Ok);
    assert_eq!(r.battery, 12);
    assert!(r.battery <= nyckelfri_protocol::LOW_BATTERY_PERCENT);
}

#[test]
fn dead_lock_answers_nothing() {
    let mut s = Scenario::new().unwrap();
    s.lock.controls().set_dead(true);
    assert!(s.lock.connect().is_none());
    assert!(s.lock.receive(&[0x80]).is_none());
}

#[test]
fn receipt_does_not_verify_under_another_lock_key() {
    let mut s = Scenario::new().unwrap();
    s.lock_key = SoftwareKey::generate().unwrap().0.public_key();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    assert!(matches!(
        s.open(&token, Command::Unlock, s.rid(1)),
        Err(nyckelfri_lock::scenario::ExchangeError::Protocol(
            ProtocolError::BadSignature(_)
        ))
    ));
}

// --- malformed input: messages ---

fn valid_request_bytes(s: &mut Scenario) -> Vec<u8> {
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let hello = s.hello().unwrap();
    Message::Request(
        s.request(&hello, &token, Command::Unlock, s.rid(1))
            .unwrap(),
    )
    .encode()
    .unwrap()
}

fn assert_refused_bytes(s: &mut Scenario, bytes: &[u8], expected: Status) -> ResultMessage {
    let r = s.send_bytes(bytes).unwrap();
    assert_eq!(r.status, expected);
    assert_eq!(s.lock.lock().actuations(), 0);
    r
}

#[test]
fn garbage_message_is_refused_as_malformed() {
    let mut s = Scenario::new().unwrap();
    s.hello().unwrap();
    assert_refused_bytes(&mut s, b"\xff\x00garbage", Status::Malformed);
}

#[test]
fn message_of_another_protocol_version_is_refused() {
    let mut s = Scenario::new().unwrap();
    let mut bytes = valid_request_bytes(&mut s);
    bytes[1] = 0x01;
    assert_refused_bytes(&mut s, &bytes, Status::UnsupportedVersion);
}

#[test]
fn oversized_message_is_refused() {
    let mut s = Scenario::new().unwrap();
    s.hello().unwrap();
    let huge = vec![0u8; nyckelfri_protocol::MAX_MESSAGE_LEN + 1];
    assert_refused_bytes(&mut s, &huge, Status::Oversized);
}

#[test]
fn truncated_message_is_refused() {
    let mut s = Scenario::new().unwrap();
    let bytes = valid_request_bytes(&mut s);
    assert_refused_bytes(&mut s, &bytes[..bytes.len() - 1], Status::Malformed);
}

// --- malformed input: GATT fragments ---

const MTU: usize = 23;

fn send_fragments(s: &mut Scenario, frags: &[Vec<u8>]) -> Option<ResultMessage> {
    let mut reply = None;
    for f in frags {
        if let Some(out) = s.lock.receive_fragment(f, 0, MTU) {
            let mut r = nyckelfri_protocol::framing::Reassembler::new();
            let mut whole = None;
            for o in out {
                whole = r.push(&o, 0).unwrap().or(whole);
            }
            match Message::decode(&whole.unwrap()).unwrap() {
                Message::Result(res) => reply = Some(res),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    reply
}

#[test]
fn fragmented_request_opens_the_door_at_the_smallest_mtu() {
    let mut s = Scenario::new().unwrap();
    let bytes = valid_request_bytes(&mut s);
    let frags = fragment(&bytes, MTU).unwrap();
    assert!(frags.len() > 10);
    let r = send_fragments(&mut s, &frags).unwrap();
    assert_eq!(r.status, Status::Ok);
    assert_eq!(s.lock.lock().actuations(), 1);
}

#[test]
fn truncated_fragments_are_refused() {
    let mut s = Scenario::new().unwrap();
    let bytes = valid_request_bytes(&mut s);
    let mut frags = fragment(&bytes, MTU).unwrap();
    frags.pop();
    assert!(send_fragments(&mut s, &frags).is_none(), "answered early");
    // The next message starts before the last one was complete.
    let r = send_fragments(&mut s, &fragment(&bytes, MTU).unwrap()[..1]).unwrap();
    assert_eq!(r.status, Status::Malformed);
    assert_eq!(s.lock.lock().actuations(), 0);
}

#[test]
fn oversized_fragmented_message_is_refused_at_its_first_fragment() {
    let mut s = Scenario::new().unwrap();
    s.hello().unwrap();
    let r = send_fragments(&mut s, &[vec![FIRST, 0xff, 0xff, 0x00]]).unwrap();
    assert_eq!(r.status, Status::Oversized);
}

#[test]
fn garbage_fragments_are_refused_once_per_session() {
    let mut s = Scenario::new().unwrap();
    s.hello().unwrap();
    let r = send_fragments(&mut s, &[vec![0x05, 0xde, 0xad]]).unwrap();
    assert_eq!(r.status, Status::Malformed);
    // More of the same broken message is dropped without a second answer,
    // and so is more garbage in the same session: one signed refusal each.
    assert!(send_fragments(&mut s, &[vec![0x06, 0xbe, 0xef]]).is_none());
    assert!(send_fragments(&mut s, &[vec![FIRST | 0x09, 0x00]]).is_none());
    s.lock.disconnect();
    // No session: nobody to answer.
    assert!(send_fragments(&mut s, &[vec![]]).is_none());
    // A new session gets its one answer, even to an empty fragment.
    s.hello().unwrap();
    let r = send_fragments(&mut s, &[vec![]]).unwrap();
    assert_eq!(r.status, Status::Malformed);
}

#[test]
fn after_garbage_the_real_request_in_the_same_session_still_opens() {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    let hello = s.hello().unwrap();
    assert_eq!(
        s.send_bytes(b"\xff\x00garbage").unwrap().status,
        Status::Malformed
    );
    let req = s
        .request(&hello, &token, Command::Unlock, s.rid(1))
        .unwrap();
    assert_eq!(s.send(&Message::Request(req)).unwrap().status, Status::Ok);
}

#[test]
fn out_of_order_fragments_are_refused() {
    let mut s = Scenario::new().unwrap();
    let bytes = valid_request_bytes(&mut s);
    let mut frags = fragment(&bytes, MTU).unwrap();
    frags.swap(1, 2);
    let r = send_fragments(&mut s, &frags).unwrap();
    assert_eq!(r.status, Status::Malformed);
    assert_eq!(s.lock.lock().actuations(), 0);
}

#[test]
fn duplicated_fragments_are_refused() {
    let mut s = Scenario::new().unwrap();
    let bytes = valid_request_bytes(&mut s);
    let mut frags = fragment(&bytes, MTU).unwrap();
    let dup = frags[1].clone();
    frags.insert(2, dup);
    let r = send_fragments(&mut s, &frags).unwrap();
    assert_eq!(r.status, Status::Malformed);
    assert_eq!(s.lock.lock().actuations(), 0);
}
