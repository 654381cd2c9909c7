//! The exact bytes each side signs. Both are CBOR arrays that start with a
//! domain string, so a signature made for one purpose is useless for another.

use ciborium::Value;

use crate::cbor;
use crate::messages::{BoltState, Command};
use crate::{NONCE_LEN, ProtocolError, REQUEST_ID_LEN, Status};

/// Domain string of the device's request signature.
pub const REQUEST_DOMAIN: &str = "nyckelfri/request/v1";
/// Domain string of the lock's receipt signature.
pub const RECEIPT_DOMAIN: &str = "nyckelfri/receipt/v1";

/// What the device signs: binds the token to this lock, this session's
/// nonce, this command and this request id.
pub fn request_transcript(
    lock_id: &str,
    nonce: &[u8; NONCE_LEN],
    token_hash: &[u8; 32],
    command: Command,
    request_id: &[u8; REQUEST_ID_LEN],
) -> Result<Vec<u8>, ProtocolError> {
    cbor::encode(&Value::Array(vec![
        cbor::text(REQUEST_DOMAIN),
        cbor::text(lock_id),
        cbor::bytes(nonce),
        cbor::bytes(token_hash),
        cbor::uint(command as u64),
        cbor::bytes(request_id),
    ]))
}

/// The facts a lock's receipt attests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFacts<'a> {
    /// The lock's id (empty in commissioning mode).
    pub lock_id: &'a str,
    /// This session's nonce.
    pub nonce: &'a [u8; NONCE_LEN],
    /// SHA-256 of the Request's token bytes; empty when no Request could be read.
    pub token_hash: &'a [u8],
    /// The command code, 0 when the request could not be read.
    pub command: u8,
    /// The request id, zeros when the request could not be read.
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
}

/// What the lock signs in every Result.
pub fn receipt_transcript(f: &ReceiptFacts<'_>) -> Result<Vec<u8>, ProtocolError> {
    cbor::encode(&Value::Array(vec![
        cbor::text(RECEIPT_DOMAIN),
        cbor::text(f.lock_id),
        cbor::bytes(f.nonce),
        cbor::bytes(f.token_hash),
        cbor::uint(u64::from(f.command)),
        cbor::bytes(f.request_id),
        cbor::uint(u64::from(f.status.code())),
        cbor::uint(f.counter),
        cbor::uint(f.lock_time),
        cbor::uint(f.bolt as u64),
        Value::Bool(f.repeated),
    ]))
}
