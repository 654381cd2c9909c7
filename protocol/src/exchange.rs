//! The app's side of one exchange: build a Request for a Hello, and check the
//! lock's Result against the lock's known key. Shared by the app core, the
//! server (which checks receipts from facts) and the tests; the lock's side
//! lives in the `nyckelfri-lock` crate.

use crate::commission::CommissionGrant;
use crate::keys::{KEY_ID_LEN, PublicKey, Signer, sha256};
use crate::messages::{BoltState, Command, Hello, IssuerEpoch, LockMode, Request, ResultMessage};
use crate::token::SignedToken;
use crate::transcript::{ReceiptFacts, receipt_transcript, request_transcript};
use crate::{NONCE_LEN, ProtocolError, REQUEST_ID_LEN, Status, TOKEN_ID_LEN, request_id_for};

/// Builds and signs the Request that answers `hello`. The device signs the
/// revocation epoch the Hello announced for the token's issuer, so a relay
/// that changes it (to make the phone leave its list at home) makes the
/// signature fail at the lock.
pub fn build_request(
    hello: &Hello,
    token: &[u8],
    command: Command,
    request_id: [u8; REQUEST_ID_LEN],
    device: &dyn Signer,
    revocation: Option<Vec<u8>>,
) -> Result<Request, ProtocolError> {
    let parsed = SignedToken::parse(token)?;
    let transcript = request_transcript(
        &hello.lock_id,
        &hello.nonce,
        hello.epoch_for(&parsed.issuer_key_id()),
        &parsed.hash(),
        command,
        &request_id,
    )?;
    let device_signature = device.sign(&transcript)?;
    Ok(Request {
        nonce: hello.nonce,
        token: token.to_vec(),
        command,
        request_id,
        device_signature,
        revocation,
        issuer_update: None,
    })
}

/// A fresh request id for a command first sent in `hello`'s session: the
/// Hello's lock time and 8 random bytes. A retry reuses it unchanged.
pub fn new_request_id(hello: &Hello) -> Result<[u8; REQUEST_ID_LEN], ProtocolError> {
    let mut random = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random)
        .map_err(|_| ProtocolError::SigningFailed("no random bytes for a request id".into()))?;
    Ok(request_id_for(hello.lock_time, random))
}

/// A Result whose receipt verified: proof of what the lock did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReceipt {
    /// The lock.
    pub lock_id: String,
    /// The session nonce the receipt is bound to.
    pub nonce: [u8; NONCE_LEN],
    /// The trusted issuers and list epochs the session's Hello announced.
    pub issuers: Vec<IssuerEpoch>,
    /// The token used.
    pub token_id: [u8; TOKEN_ID_LEN],
    /// SHA-256 of the token's bytes, as signed.
    pub token_hash: [u8; 32],
    /// The command.
    pub command: Command,
    /// The request id.
    pub request_id: [u8; REQUEST_ID_LEN],
    /// Ok or the refusal.
    pub status: Status,
    /// The lock's event counter.
    pub counter: u64,
    /// The lock's time.
    pub lock_time: u64,
    /// The bolt afterwards.
    pub bolt: BoltState,
    /// Battery, percent (signed).
    pub battery: u8,
    /// The lock's mode afterwards (signed).
    pub mode: LockMode,
    /// A stored answer to a repeated request id (the door did not move again).
    pub repeated: bool,
    /// The lock's signature, kept as proof.
    pub lock_signature: [u8; 64],
}

/// Checks a receipt from its facts: what a server does with a receipt an
/// app reported, without the messages themselves.
pub fn verify_receipt(
    facts: &ReceiptFacts<'_>,
    lock_signature: &[u8; 64],
    lock_key: &PublicKey,
) -> Result<(), ProtocolError> {
    lock_key.verify(&receipt_transcript(facts)?, lock_signature, "lock receipt")
}

/// Checks a Result against what was sent and the lock's known public key.
pub fn verify_result(
    result: &ResultMessage,
    hello: &Hello,
    request: &Request,
    token_id: [u8; TOKEN_ID_LEN],
    lock_key: &PublicKey,
) -> Result<VerifiedReceipt, ProtocolError> {
    if result.request_id != request.request_id {
        return Err(ProtocolError::malformed(
            "Result",
            "answers another request id",
        ));
    }
    let token_hash = sha256(&request.token);
    verify_receipt(
        &ReceiptFacts {
            lock_id: &hello.lock_id,
            nonce: &hello.nonce,
            issuers: &hello.issuers,
            token_hash: &token_hash,
            command: request.command as u8,
            request_id: &request.request_id,
            status: result.status,
            counter: result.counter,
            lock_time: result.lock_time,
            bolt: result.bolt,
            repeated: result.repeated,
            battery: result.battery,
            mode: result.mode,
        },
        &result.lock_signature,
        lock_key,
    )?;
    Ok(VerifiedReceipt {
        lock_id: hello.lock_id.clone(),
        nonce: hello.nonce,
        issuers: hello.issuers.clone(),
        token_id,
        token_hash,
        command: request.command,
        request_id: request.request_id,
        status: result.status,
        counter: result.counter,
        lock_time: result.lock_time,
        bolt: result.bolt,
        battery: result.battery,
        mode: result.mode,
        repeated: result.repeated,
        lock_signature: result.lock_signature,
    })
}

/// What a verified Commission receipt says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionReceipt {
    /// Ok, or why the lock refused the grant.
    pub status: Status,
    /// The lock's id after the answer: the granted id on success, otherwise
    /// the id it had (empty in commissioning mode).
    pub lock_id: String,
    /// The key ids of the issuers the lock trusts after the answer: the
    /// grant's issuer on success, otherwise those its Hello announced. A
    /// refusal in installation mode naming another issuer is signed proof
    /// that someone else commissioned the lock first.
    pub trusted_issuers: Vec<[u8; KEY_ID_LEN]>,
    /// The lock's mode after the answer.
    pub mode: LockMode,
    /// The lock's event counter.
    pub counter: u64,
    /// The lock's key (the technician's, from the label or the order).
    pub lock_key: PublicKey,
}

/// Checks the Result of a Commission: the receipt must be signed by
/// `lock_key` (the unit's key from its label or the order, which the Hello
/// shows in commissioning and installation mode), over this grant, under
/// the granted lock id if the lock accepted it and its previous id if not.
pub fn verify_commission_result(
    result: &ResultMessage,
    hello: &Hello,
    grant: &[u8],
    granted_lock_id: &str,
    lock_key: &PublicKey,
) -> Result<CommissionReceipt, ProtocolError> {
    if hello.lock_key.as_ref().is_some_and(|k| k != lock_key) {
        return Err(ProtocolError::malformed(
            "Hello",
            "another lock key than the unit's",
        ));
    }
    let ok = result.status == Status::Ok;
    let lock_id = if ok { granted_lock_id } else { &hello.lock_id };
    let grant_hash = sha256(grant);
    verify_receipt(
        &ReceiptFacts {
            lock_id,
            nonce: &hello.nonce,
            issuers: &hello.issuers,
            token_hash: &grant_hash,
            command: 0,
            request_id: &[0; REQUEST_ID_LEN],
            status: result.status,
            counter: result.counter,
            lock_time: result.lock_time,
            bolt: result.bolt,
            repeated: result.repeated,
            battery: result.battery,
            mode: result.mode,
        },
        &result.lock_signature,
        lock_key,
    )?;
    let trusted_issuers = if ok {
        vec![CommissionGrant::read_unverified(grant)?.issuer_key.key_id()]
    } else {
        hello.issuers.iter().map(|i| i.key_id).collect()
    };
    Ok(CommissionReceipt {
        status: result.status,
        lock_id: lock_id.to_owned(),
        trusted_issuers,
        mode: result.mode,
        counter: result.counter,
        lock_key: lock_key.clone(),
    })
}

#[cfg(test)]
mod receipt_tests {
    use super::*;
    use crate::keys::SoftwareKey;

    #[test]
    fn a_receipt_verifies_only_with_its_lock_key_and_its_facts() {
        let (lock, _) = SoftwareKey::generate().unwrap();
        let (other, _) = SoftwareKey::generate().unwrap();
        let facts = ReceiptFacts {
            lock_id: "l1",
            nonce: &[1; NONCE_LEN],
            issuers: &[IssuerEpoch {
                key_id: [4; KEY_ID_LEN],
                epoch: 2,
            }],
            token_hash: &[2; 32],
            command: Command::Unlock as u8,
            request_id: &[3; REQUEST_ID_LEN],
            status: Status::Ok,
            counter: 9,
            lock_time: 1_736_928_000,
            bolt: BoltState::Unlocked,
            repeated: false,
            battery: 80,
            mode: LockMode::Normal,
        };
        let sig = lock.sign(&receipt_transcript(&facts).unwrap()).unwrap();
        verify_receipt(&facts, &sig, &lock.public_key()).unwrap();
        assert!(verify_receipt(&facts, &sig, &other.public_key()).is_err());
        let moved = ReceiptFacts {
            counter: 10,
            ..facts.clone()
        };
        assert!(verify_receipt(&moved, &sig, &lock.public_key()).is_err());
        let relocked = ReceiptFacts {
            command: Command::Lock as u8,
            ..facts
        };
        assert!(verify_receipt(&relocked, &sig, &lock.public_key()).is_err());
    }
}
