//! The reference lock answering one arbitrary message.
//!
//! Per input: a fresh scenario on the fixed keys (lock `lock-0001`, normal
//! mode, trusting the fixed issuer), connect to get a Hello with the fixed
//! nonce, then `lock.receive(data)`. Checked:
//! - the lock answers (Some), with a Result that decodes, counts exactly one
//!   event, reports the bolt it really has, and whose receipt signature
//!   verifies under the lock's key over the facts it claims;
//! - the bolt moves (or a Result says Ok) only for a message that is a
//!   properly authorised Request: the fixed session nonce; no revocation
//!   list, an old one, or a valid newer one; a token the trusted issuer
//!   signed for this lock, valid at the lock's time and not revoked; a scope
//!   that allows the command in normal mode; and a device signature over
//!   the request transcript. Random data must never actuate.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use nyckelfri_fuzz::{FIXED_NONCE, ISSUER, LOCK};
use nyckelfri_lock::scenario::{SCENARIO_LOCK_ID, SCENARIO_NOW};
use nyckelfri_protocol::keys::sha256;
use nyckelfri_protocol::messages::{BoltState, Command, Message};
use nyckelfri_protocol::revocation::RevocationList;
use nyckelfri_protocol::token::{Scope, SignedToken};
use nyckelfri_protocol::transcript::{ReceiptFacts, receipt_transcript, request_transcript};
use nyckelfri_protocol::{PublicKey, REQUEST_ID_LEN, Status};

static ISSUER_PUBLIC: LazyLock<PublicKey> = LazyLock::new(|| ISSUER.public());
static LOCK_PUBLIC: LazyLock<PublicKey> = LazyLock::new(|| LOCK.public());

/// The command, if `data` is a Request the lock may carry out. Recomputed
/// here from the protocol crate's public pieces, independently of the lock
/// crate's code.
fn authorised(data: &[u8]) -> Option<Command> {
    let Ok(Message::Request(req)) = Message::decode(data) else {
        return None;
    };
    if req.nonce != FIXED_NONCE {
        return None;
    }
    // A carried list that is newer than the lock's (epoch 0: none) must
    // verify; it is installed, raises the clock floor to its issued-at and
    // drops entries expired by then. One that is not newer is ignored (but
    // must still be readable enough to show its epoch).
    let mut floor = 0;
    let mut revoked = Vec::new();
    if let Some(bytes) = &req.revocation
        && RevocationList::peek_epoch(bytes).ok()? > 0
    {
        let list = RevocationList::verify(bytes, &ISSUER_PUBLIC).ok()?;
        floor = list.issued_at;
        let now = SCENARIO_NOW.max(floor);
        revoked = list
            .revoked
            .iter()
            .filter(|e| e.expires > now)
            .map(|e| e.token_id)
            .collect();
    }
    let token = SignedToken::parse(&req.token).ok()?;
    let claims = token.verify(&ISSUER_PUBLIC).ok()?;
    if claims.lock_id != SCENARIO_LOCK_ID {
        return None;
    }
    let now = SCENARIO_NOW.max(floor).max(claims.issued_at);
    if now < claims.not_before || now >= claims.decision_end || now >= claims.expires {
        return None;
    }
    if revoked.contains(&claims.token_id) {
        return None;
    }
    let allowed = match (claims.scope, req.command) {
        (Scope::Demo, _) => false, // demonstration tokens only in installation mode
        (_, Command::Unlock | Command::Lock) => true,
        (Scope::Install, Command::EnterInstallation | Command::Decommission) => true,
        _ => false,
    };
    if !allowed {
        return None;
    }
    let transcript = request_transcript(
        SCENARIO_LOCK_ID,
        &req.nonce,
        &token.hash(),
        req.command,
        &req.request_id,
    )
    .ok()?;
    claims
        .device_key
        .verify(&transcript, &req.device_signature, "device")
        .ok()?;
    Some(req.command)
}

fuzz_target!(|data: &[u8]| {
    let mut s = nyckelfri_fuzz::scenario();
    let hello = s.hello().expect("the lock sends a Hello");
    assert_eq!(hello.nonce, FIXED_NONCE);

    let answer = s
        .lock
        .receive(data)
        .expect("the lock answers every message");
    let lock = s.lock.lock();
    let result = match Message::decode(&answer) {
        Ok(Message::Result(r)) => r,
        other => panic!("the answer is not a Result: {other:?}"),
    };
    assert_eq!(lock.counter(), 1, "one message must count one event");
    assert_eq!(result.counter, 1);
    assert!(!result.repeated, "a fresh lock answered from its cache");
    assert_eq!(result.bolt, lock.bolt(), "the Result misreports the bolt");

    // Every answer is a receipt the app can verify.
    // The receipt names the token (for a Commission: the grant) by hash.
    let (token_hash, command, request_id) = match Message::decode(data) {
        Ok(Message::Request(r)) => (sha256(&r.token).to_vec(), r.command as u8, r.request_id),
        Ok(Message::Commission(c)) => (sha256(&c.grant).to_vec(), 0, [0; REQUEST_ID_LEN]),
        _ => (Vec::new(), 0, [0; REQUEST_ID_LEN]),
    };
    if command == 0 {
        assert_eq!(result.request_id, [0; REQUEST_ID_LEN]);
    }
    let transcript = receipt_transcript(&ReceiptFacts {
        lock_id: SCENARIO_LOCK_ID,
        nonce: &FIXED_NONCE,
        token_hash: &token_hash,
        command,
        request_id: &request_id,
        status: result.status,
        counter: result.counter,
        lock_time: result.lock_time,
        bolt: result.bolt,
        repeated: result.repeated,
    })
    .expect("receipt transcript encodes");
    LOCK_PUBLIC
        .verify(&transcript, &result.lock_signature, "receipt")
        .expect("the lock's receipt verifies");

    // The bolt moves only for an authorised Request.
    let actuations = lock.actuations();
    if actuations == 0 && result.status != Status::Ok {
        assert_eq!(
            lock.bolt(),
            BoltState::Locked,
            "the bolt moved without actuation"
        );
        return;
    }
    let Some(cmd) = authorised(data) else {
        panic!(
            "unauthorised input accepted: status {:?}, {actuations} actuation(s), bolt {:?}",
            result.status,
            lock.bolt()
        );
    };
    assert_eq!(result.status, Status::Ok, "an actuation without an Ok");
    assert_eq!(
        actuations,
        u64::from(cmd.actuates()),
        "actuations do not match the command"
    );
});
