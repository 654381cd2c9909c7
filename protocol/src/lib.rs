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
//! - [`framing`]: fragmentation and bounded reassembly for GATT.
//! - [`keys`]: P-256 keys and the `Signer` trait that keystores implement.

pub mod cbor;
pub mod commission;
pub mod error;
pub mod exchange;
pub mod framing;
pub mod gatt;
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
pub const PROTOCOL_VERSION: u64 = 1;

/// The largest whole message (before fragmentation) either side accepts.
pub const MAX_MESSAGE_LEN: usize = 4096;

/// Length of the lock's per-session nonce.
pub const NONCE_LEN: usize = 16;

/// Length of a request id (client-made, random).
pub const REQUEST_ID_LEN: usize = 16;

/// Length of a token id (`cti`).
pub const TOKEN_ID_LEN: usize = 16;

/// Battery level (percent) at or below which a lock reports low battery.
pub const LOW_BATTERY_PERCENT: u8 = 20;
