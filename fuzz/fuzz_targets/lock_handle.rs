//! The reference lock answering one arbitrary message.
//!
//! Per input: a fresh scenario on the fixed keys (lock `lock-0001`, normal
//! mode, trusting the fixed issuer, RTC at `SCENARIO_NOW`), connect to get a
//! Hello with the fixed nonce, then `lock.receive(data)`. Checked:
//! - the lock answers (the first message of a session always gets one), with
//!   a Result that decodes, reports the bolt it really has, and whose receipt
//!   verifies under the lock's key over the facts it claims, including the
//!   Hello's issuers, the battery and the mode;
//! - the counter counts only a command carried out: a refusal costs no count
//!   (and no write);
//! - the bolt moves (or a Result says Ok) only for a message that is a
//!   properly authorised Request, by PROTOCOL.md §5.3 recomputed here from
//!   the protocol crate's public pieces, independently of the lock crate.
//!   Random data must never actuate.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use nyckelfri_fuzz::{FIXED_NONCE, ISSUER, LOCK};
use nyckelfri_lock::scenario::{SCENARIO_LOCK_ID, SCENARIO_NOW};
use nyckelfri_protocol::issuers::IssuerUpdate;
use nyckelfri_protocol::keys::sha256;
use nyckelfri_protocol::messages::{BoltState, Command, Hello, Message};
use nyckelfri_protocol::revocation::RevocationList;
use nyckelfri_protocol::token::{Scope, SignedToken};
use nyckelfri_protocol::transcript::{ReceiptFacts, receipt_transcript, request_transcript};
use nyckelfri_protocol::{
    MAX_CLOCK_AHEAD_SECS, MAX_EPOCH_STEP, PublicKey, REQUEST_ID_LEN, Status, request_id_time,
};

static ISSUER_PUBLIC: LazyLock<PublicKey> = LazyLock::new(|| ISSUER.public());
static LOCK_PUBLIC: LazyLock<PublicKey> = LazyLock::new(|| LOCK.public());

/// A list installed from the Request: its issuer, epoch, entries, bound.
struct Held {
    key_id: [u8; 8],
    epoch: u64,
    entries: Vec<[u8; 16]>,
    revoked_before: u64,
}

/// The command, if `data` is a Request the lock may carry out.
fn authorised(data: &[u8]) -> Option<Command> {
    let Ok(Message::Request(req)) = Message::decode(data) else {
        return None;
    };
    if req.nonce != FIXED_NONCE {
        return None;
    }
    // The lock's time: its RTC, raised by trusted times within an hour of it.
    let mut now = SCENARIO_NOW;
    let mut trusted = vec![ISSUER_PUBLIC.clone()];
    // An issuer update newer than the set (made at time 0) must be signed by
    // a trusted key; it replaces the set.
    if let Some(bytes) = &req.issuer_update {
        let (kid, issued_at) = IssuerUpdate::peek(bytes).ok()?;
        if issued_at > 0 {
            if kid != ISSUER_PUBLIC.key_id() {
                return None;
            }
            let update = IssuerUpdate::verify(bytes, &ISSUER_PUBLIC).ok()?;
            if update.issued_at > now + MAX_CLOCK_AHEAD_SECS {
                return None;
            }
            now = now.max(update.issued_at);
            trusted = update.keys;
        }
    }
    // A carried list for this lock, newer than the epoch held (0), not more
    // than 2^32 ahead, signed by a trusted key, dated within the hour.
    let mut held: Option<Held> = None;
    if let Some(bytes) = &req.revocation {
        let h = RevocationList::peek(bytes).ok()?;
        if h.lock_id != SCENARIO_LOCK_ID {
            return None;
        }
        let key = trusted.iter().find(|k| k.key_id() == h.key_id)?.clone();
        if h.epoch > 0 {
            if h.epoch > MAX_EPOCH_STEP {
                return None;
            }
            let list = RevocationList::verify(bytes, &key).ok()?;
            if list.issued_at > now + MAX_CLOCK_AHEAD_SECS {
                return None;
            }
            now = now.max(list.issued_at);
            held = Some(Held {
                key_id: h.key_id,
                epoch: list.epoch,
                entries: list
                    .revoked
                    .iter()
                    .filter(|e| e.expires > now)
                    .map(|e| e.token_id)
                    .collect(),
                revoked_before: list.revoked_before,
            });
        }
    }
    let token = SignedToken::parse(&req.token).ok()?;
    let issuer = trusted
        .iter()
        .find(|k| k.key_id() == token.issuer_key_id())?
        .clone();
    let claims = token.verify(&issuer).ok()?;
    if claims.lock_id != SCENARIO_LOCK_ID || claims.issued_at > now + MAX_CLOCK_AHEAD_SECS {
        return None;
    }
    now = now.max(claims.issued_at);
    if now < claims.not_before || now >= claims.decision_end || now >= claims.expires {
        return None;
    }
    let held = held.filter(|h| h.key_id == issuer.key_id());
    let epoch = held.as_ref().map_or(0, |h| h.epoch);
    if epoch < claims.min_epoch {
        return None;
    }
    if held.as_ref().is_some_and(|h| {
        h.entries.contains(&claims.token_id) || claims.issued_at < h.revoked_before
    }) {
        return None;
    }
    // The scope × command table in normal mode (PROTOCOL.md §5.4).
    let allowed = matches!(
        (claims.scope, req.command),
        (Scope::Care | Scope::Maintenance, Command::Unlock | Command::Lock)
            | (Scope::Maintenance, Command::EnterInstallation)
            | (Scope::Install, Command::Decommission)
    );
    if !allowed {
        return None;
    }
    // The Hello announced the issuer at epoch 0 (and no other).
    let transcript = request_transcript(
        SCENARIO_LOCK_ID,
        &req.nonce,
        0,
        &token.hash(),
        req.command,
        &req.request_id,
    )
    .ok()?;
    claims
        .device_key
        .verify(&transcript, &req.device_signature, "device")
        .ok()?;
    // A request id made for this Hello's time or earlier.
    if request_id_time(&req.request_id) > SCENARIO_NOW {
        return None;
    }
    Some(req.command)
}

fuzz_target!(|data: &[u8]| {
    let mut s = nyckelfri_fuzz::scenario();
    let hello: Hello = s.hello().expect("the lock sends a Hello");
    assert_eq!(hello.nonce, FIXED_NONCE);

    let answer = s
        .lock
        .receive(data)
        .expect("the first message of a session gets an answer");
    let lock = s.lock.lock();
    let result = match Message::decode(&answer) {
        Ok(Message::Result(r)) => r,
        other => panic!("the answer is not a Result: {other:?}"),
    };
    assert!(!result.repeated, "a fresh lock answered from its cache");
    assert_eq!(result.bolt, lock.bolt(), "the Result misreports the bolt");
    assert_eq!(result.counter, lock.counter(), "the Result misreports the counter");

    // Every answer is a receipt the app can verify.
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
        issuers: &hello.issuers,
        token_hash: &token_hash,
        command,
        request_id: &request_id,
        status: result.status,
        counter: result.counter,
        lock_time: result.lock_time,
        bolt: result.bolt,
        repeated: result.repeated,
        battery: result.battery,
        mode: result.mode,
    })
    .expect("receipt transcript encodes");
    LOCK_PUBLIC
        .verify(&transcript, &result.lock_signature, "receipt")
        .expect("the lock's receipt verifies");

    // Only a command carried out counts; the bolt moves only for an
    // authorised Request.
    let carried_out = matches!(result.status, Status::Ok | Status::Jammed);
    assert_eq!(lock.counter(), u64::from(carried_out), "a refusal was counted");
    let actuations = lock.actuations();
    if !carried_out {
        assert_eq!(actuations, 0, "the bolt moved for a refusal");
        assert_eq!(lock.bolt(), BoltState::Locked, "the bolt moved without actuation");
        return;
    }
    let Some(cmd) = authorised(data) else {
        panic!(
            "unauthorised input carried out: status {:?}, {actuations} actuation(s), bolt {:?}",
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
