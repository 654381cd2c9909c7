//! The exact bytes each side signs. Both are CBOR arrays that start with a
//! domain string, so a signature made for one purpose (or for protocol
//! version 1) is useless for another.

use ciborium::Value;

use crate::cbor;
use crate::messages::{BoltState, Command, IssuerEpoch, LockMode, issuers_value};
use crate::{NONCE_LEN, ProtocolError, REQUEST_ID_LEN, Status};

/// Domain string of the device's request signature.
pub const REQUEST_DOMAIN: &str = "nyckelfri/request/v2";
/// Domain string of the lock's receipt signature.
pub const RECEIPT_DOMAIN: &str = "nyckelfri/receipt/v2";

/// What the device signs: binds the token to this lock, this session's
/// nonce, the revocation epoch the lock announced for the token's issuer,
/// this command and this request id.
pub fn request_transcript(
    lock_id: &str,
    nonce: &[u8; NONCE_LEN],
    announced_epoch: u64,
    token_hash: &[u8; 32],
    command: Command,
    request_id: &[u8; REQUEST_ID_LEN],
) -> Result<Vec<u8>, ProtocolError> {
    cbor::encode(&Value::Array(vec![
        cbor::text(REQUEST_DOMAIN),
        cbor::text(lock_id),
        cbor::bytes(nonce),
        cbor::uint(announced_epoch),
        cbor::bytes(token_hash),
        cbor::uint(command as u64),
        cbor::bytes(request_id),
    ]))
}

/// The facts a lock's receipt attests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFacts<'a> {
    /// The lock's id (empty in commissioning mode; the granted id when a
    /// Commission was accepted).
    pub lock_id: &'a str,
    /// This session's nonce.
    pub nonce: &'a [u8; NONCE_LEN],
    /// The trusted issuers and their list epochs as the session's Hello
    /// announced them.
    pub issuers: &'a [IssuerEpoch],
    /// SHA-256 of the Request's token bytes (or of the Commission's grant);
    /// empty when no Request or Commission could be read.
    pub token_hash: &'a [u8],
    /// The command code, 0 when there is none.
    pub command: u8,
    /// The request id, zeros when there is none.
    pub request_id: &'a [u8; REQUEST_ID_LEN],
    /// The status answered.
    pub status: Status,
    /// The lock's event counter.
    pub counter: u64,
    /// The lock's time.
    pub lock_time: u64,
    /// The bolt after the command.
    pub bolt: BoltState,
    /// Whether this is a stored answer to a repeated request id.
    pub repeated: bool,
    /// The battery level when answering, percent.
    pub battery: u8,
    /// The lock's mode after the answer.
    pub mode: LockMode,
}

/// What the lock signs in every Result.
pub fn receipt_transcript(f: &ReceiptFacts<'_>) -> Result<Vec<u8>, ProtocolError> {
    cbor::encode(&Value::Array(vec![
        cbor::text(RECEIPT_DOMAIN),
        cbor::text(f.lock_id),
        cbor::bytes(f.nonce),
        issuers_value(f.issuers),
        cbor::bytes(f.token_hash),
        cbor::uint(u64::from(f.command)),
        cbor::bytes(f.request_id),
        cbor::uint(u64::from(f.status.code())),
        cbor::uint(f.counter),
        cbor::uint(f.lock_time),
        cbor::uint(f.bolt as u64),
        Value::Bool(f.repeated),
        cbor::uint(u64::from(f.battery)),
        cbor::uint(f.mode as u64),
    ]))
}
