//! The app's side of one exchange: build a Request for a Hello, and check the
//! lock's Result against the lock's known key. Shared by the app core and
//! the tests; the lock's side lives in the `nyckelfri-lock` crate.

use crate::keys::{PublicKey, Signer, sha256};
use crate::messages::{BoltState, Command, Hello, Request, ResultMessage};
use crate::token::SignedToken;
use crate::transcript::{ReceiptFacts, receipt_transcript, request_transcript};
use crate::{NONCE_LEN, ProtocolError, REQUEST_ID_LEN, Status, TOKEN_ID_LEN};

/// Builds and signs the Request that answers `hello`.
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
    })
}

/// A Result whose receipt verified: proof of what the lock did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReceipt {
    /// The lock.
    pub lock_id: String,
    /// The session nonce the receipt is bound to.
    pub nonce: [u8; NONCE_LEN],
    /// The token used.
    pub token_id: [u8; TOKEN_ID_LEN],
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
    /// Battery, percent.
    pub battery: u8,
    /// A stored answer to a repeated request id (the door did not move again).
    pub repeated: bool,
    /// The lock's signature, kept as proof.
    pub lock_signature: [u8; 64],
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
    let transcript = receipt_transcript(&ReceiptFacts {
        lock_id: &hello.lock_id,
        nonce: &hello.nonce,
        token_hash: &token_hash,
        command: request.command as u8,
        request_id: &request.request_id,
        status: result.status,
        counter: result.counter,
        lock_time: result.lock_time,
        bolt: result.bolt,
        repeated: result.repeated,
    })?;
    lock_key.verify(&transcript, &result.lock_signature, "lock receipt")?;
    Ok(VerifiedReceipt {
        lock_id: hello.lock_id.clone(),
        nonce: hello.nonce,
        token_id,
        command: request.command,
        request_id: request.request_id,
        status: result.status,
        counter: result.counter,
        lock_time: result.lock_time,
        bolt: result.bolt,
        battery: result.battery,
        repeated: result.repeated,
        lock_signature: result.lock_signature,
    })
}

/// What a verified Commission receipt says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionReceipt {
    /// Ok, or why the lock refused the grant.
    pub status: Status,
    /// The lock's id after the answer: the granted id on success, else empty.
    pub lock_id: String,
    /// The lock's event counter.
    pub counter: u64,
    /// The lock's key, as shown in its commissioning Hello.
    pub lock_key: PublicKey,
}

/// Checks the Result of a Commission: the receipt must be signed by the key
/// the lock showed in its commissioning Hello, over this grant, under the
/// granted lock id if the lock accepted it (and the empty id if it refused).
pub fn verify_commission_result(
    result: &ResultMessage,
    hello: &Hello,
    grant: &[u8],
    granted_lock_id: &str,
) -> Result<CommissionReceipt, ProtocolError> {
    let lock_key = hello.lock_key.as_ref().ok_or_else(|| {
        ProtocolError::malformed(
            "Hello",
            "no lock key: the lock is not in commissioning mode",
        )
    })?;
    let lock_id = if result.status == Status::Ok {
        granted_lock_id
    } else {
        ""
    };
    let grant_hash = sha256(grant);
    let transcript = receipt_transcript(&ReceiptFacts {
        lock_id,
        nonce: &hello.nonce,
        token_hash: &grant_hash,
        command: 0,
        request_id: &[0; REQUEST_ID_LEN],
        status: result.status,
        counter: result.counter,
        lock_time: result.lock_time,
        bolt: result.bolt,
        repeated: result.repeated,
    })?;
    lock_key.verify(&transcript, &result.lock_signature, "lock receipt")?;
    Ok(CommissionReceipt {
        status: result.status,
        lock_id: lock_id.to_owned(),
        counter: result.counter,
        lock_key: lock_key.clone(),
    })
}

/// Checks a receipt reported after the fact (the server, for an event that
/// says a door opened): `lock_signature` must be the lock's signature, by
/// `lock_key`, over exactly `facts`. Built on [`receipt_transcript`], so it
/// follows the transcript when the protocol revises it.
pub fn verify_receipt(
    facts: &ReceiptFacts<'_>,
    lock_signature: &[u8],
    lock_key: &PublicKey,
) -> Result<(), ProtocolError> {
    let transcript = receipt_transcript(facts)?;
    lock_key.verify(&transcript, lock_signature, "lock receipt")
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
            token_hash: &[2; 32],
            command: Command::Unlock as u8,
            request_id: &[3; REQUEST_ID_LEN],
            status: Status::Ok,
            counter: 9,
            lock_time: 1_736_928_000,
            bolt: BoltState::Unlocked,
            repeated: false,
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
