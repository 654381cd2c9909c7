//! The Nyckelfri lock protocol, shared by the app core, the lock and the server.
//!
//! Everything here is pure: bytes in, bytes or typed values out. No I/O, no
//! async, no clock of its own (times are passed in as Unix seconds). The wire
//! format is specified in `PROTOCOL.md` beside this crate; this crate is the
//! reference implementation of it.
//!
//! - [`token`]: the access token, a CWT in COSE_Sign1 signed by the issuer.
//! - [`messages`]: Hello, Request, Result and Commission, as CBOR arrays.
//! - [`transcript`]: the bytes the device and the lock sign.
//! - [`revocation`]: the issuer-signed revocation list with a rising epoch.
//! - [`commission`]: the issuer's grant that gives a new lock its id and issuer.
//! - [`issuers`]: the signed change of a lock's trusted issuers (key rollover).
//! - [`framing`]: fragmentation and bounded reassembly for GATT.
//! - [`keys`]: P-256 keys and the `Signer` trait that keystores implement.

pub mod cbor;
pub mod commission;
pub mod error;
pub mod exchange;
pub mod framing;
pub mod gatt;
pub mod issuers;
pub mod keys;
pub mod messages;
pub mod revocation;
pub mod status;
pub mod token;
pub mod transcript;

pub use error::ProtocolError;
pub use keys::{PublicKey, Signer, SoftwareKey};
pub use status::Status;

/// The protocol version carried as the first element of every message.
pub const PROTOCOL_VERSION: u64 = 2;

/// The largest whole message (before fragmentation) either side accepts.
pub const MAX_MESSAGE_LEN: usize = 4096;

/// Length of the lock's per-session nonce.
pub const NONCE_LEN: usize = 16;

/// Length of a request id: the lock time of the Hello it was first made for
/// (8 bytes, big-endian), then 8 random bytes.
pub const REQUEST_ID_LEN: usize = 16;

/// Length of a token id (`cti`).
pub const TOKEN_ID_LEN: usize = 16;

/// Battery level (percent) at or below which a lock reports low battery.
pub const LOW_BATTERY_PERCENT: u8 = 20;

/// Largest time any signed structure may carry (2^63 − 1): a time at or
/// above 2^63 is malformed.
pub const MAX_TIME: u64 = i64::MAX as u64;

/// How far ahead of a lock's set clock a trusted time (a token's `iat`, a
/// list's or grant's `issued_at`) may be. Further ahead, the lock refuses
/// it rather than move its clock floor there.
pub const MAX_CLOCK_AHEAD_SECS: u64 = 3_600;

/// The most a list's epoch may exceed the epoch the lock holds from the same
/// issuer. A list further ahead (for example epoch 2^64 − 1) is refused, so
/// no list can stop all later ones.
pub const MAX_EPOCH_STEP: u64 = 1 << 32;

/// The lock time of the Hello a request id was first made for (its first 8
/// bytes, big-endian).
pub fn request_id_time(request_id: &[u8; REQUEST_ID_LEN]) -> u64 {
    request_id
        .iter()
        .take(8)
        .fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

/// A request id for a command first sent in the session of a Hello with
/// `hello_time`: that time, then the 8 random bytes `random`.
pub fn request_id_for(hello_time: u64, random: [u8; 8]) -> [u8; REQUEST_ID_LEN] {
    let mut id = [0u8; REQUEST_ID_LEN];
    for (d, s) in id
        .iter_mut()
        .zip(hello_time.to_be_bytes().iter().chain(random.iter()))
    {
        *d = *s;
    }
    id
}
