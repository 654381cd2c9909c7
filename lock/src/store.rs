//! What the lock keeps between sessions, each part bounded so a lock with a
//! few kilobytes of flash can hold it, and how each part is encoded in its
//! persistent record (`persist.rs` keeps the records whole).

use ciborium::Value;
use nyckelfri_protocol::cbor::{self, ArrayReader};
use nyckelfri_protocol::keys::{KEY_ID_LEN, PUBLIC_KEY_LEN};
use nyckelfri_protocol::messages::{BoltState, Command, LockMode};
use nyckelfri_protocol::revocation::{MAX_REVOKED, RevokedToken};
use nyckelfri_protocol::token::MAX_ID_LEN;
use nyckelfri_protocol::{ProtocolError, PublicKey, REQUEST_ID_LEN, Status, TOKEN_ID_LEN};

/// Most issuer keys a lock trusts at once (key rollover needs two).
pub const MAX_ISSUERS: usize = nyckelfri_protocol::messages::MAX_ISSUERS;
/// How many recent request ids a lock remembers with their results.
pub const REQUEST_CACHE_LEN: usize = 32;

/// The revocation list the lock holds from one issuer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HeldList {
    pub(crate) epoch: u64,
    pub(crate) issued_at: u64,
    pub(crate) revoked_before: u64,
    pub(crate) entries: Vec<RevokedToken>,
    /// The storage record it lives in.
    pub(crate) slot: Option<usize>,
}

impl HeldList {
    /// Whether a token with this id and issued-at is revoked.
    pub(crate) fn revokes(&self, token_id: &[u8; TOKEN_ID_LEN], issued_at: u64) -> bool {
        issued_at < self.revoked_before || self.entries.iter().any(|e| &e.token_id == token_id)
    }
}

/// A trusted issuer key and the list the lock holds from it.
#[derive(Debug, Clone)]
pub(crate) struct Trusted {
    pub(crate) key: PublicKey,
    pub(crate) list: HeldList,
}

/// The stored outcome of a request that reached the motor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CachedResult {
    pub(crate) request_id: [u8; REQUEST_ID_LEN],
    pub(crate) token_id: [u8; TOKEN_ID_LEN],
    pub(crate) command: Command,
    pub(crate) status: Status,
    pub(crate) bolt: BoltState,
    pub(crate) counter: u64,
    pub(crate) lock_time: u64,
}

/// The state record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StateRecord {
    /// Bumped by every Commission, Decommission and factory reset: lists and
    /// cache entries of an older generation are void.
    pub(crate) generation: u64,
    pub(crate) lock_id: String,
    pub(crate) mode: LockMode,
    pub(crate) issuers: Vec<PublicKey>,
    /// The time of the trusted set (the grant's or the last update's).
    pub(crate) issuers_time: u64,
    /// The time high-water mark.
    pub(crate) floor: u64,
    pub(crate) counter: u64,
    pub(crate) bolt: BoltState,
    /// Request ids first made before this time may have been forgotten.
    pub(crate) horizon: u64,
}

/// A list record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListRecord {
    pub(crate) generation: u64,
    pub(crate) key_id: [u8; KEY_ID_LEN],
    pub(crate) list: HeldList,
}

/// A request-cache record: the entry and the horizon when it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryRecord {
    pub(crate) generation: u64,
    pub(crate) entry: CachedResult,
    pub(crate) horizon: u64,
}

fn reader(bytes: &[u8], len: usize) -> Result<ArrayReader, ProtocolError> {
    ArrayReader::new(cbor::decode(bytes, "lock record")?, len, "lock record")
}

fn mode_of(code: u64) -> Result<LockMode, ProtocolError> {
    LockMode::from_code(code).ok_or_else(|| ProtocolError::malformed("lock record", "mode"))
}

fn bolt_of(code: u64) -> Result<BoltState, ProtocolError> {
    BoltState::from_code(code).ok_or_else(|| ProtocolError::malformed("lock record", "bolt"))
}

impl StateRecord {
    pub(crate) fn encode(&self) -> Result<Vec<u8>, ProtocolError> {
        cbor::encode(&Value::Array(vec![
            cbor::uint(self.generation),
            cbor::text(&self.lock_id),
            cbor::uint(self.mode as u64),
            Value::Array(
                self.issuers
                    .iter()
                    .map(|k| cbor::bytes(k.as_bytes()))
                    .collect(),
            ),
            cbor::uint(self.issuers_time),
            cbor::uint(self.floor),
            cbor::uint(self.counter),
            cbor::uint(self.bolt as u64),
            cbor::uint(self.horizon),
        ]))
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut r = reader(bytes, 9)?;
        Ok(Self {
            generation: r.uint("generation")?,
            lock_id: r.text("lock id", MAX_ID_LEN)?,
            mode: mode_of(r.uint("mode")?)?,
            issuers: r
                .array("issuers", MAX_ISSUERS)?
                .into_iter()
                .map(|k| {
                    PublicKey::from_sec1(&cbor::bytes_of(k, "lock record", "key", PUBLIC_KEY_LEN)?)
                })
                .collect::<Result<_, _>>()?,
            issuers_time: r.uint("issuers time")?,
            floor: r.uint("floor")?,
            counter: r.uint("counter")?,
            bolt: bolt_of(r.uint("bolt")?)?,
            horizon: r.uint("horizon")?,
        })
    }
}

impl ListRecord {
    pub(crate) fn encode(&self) -> Result<Vec<u8>, ProtocolError> {
        let l = &self.list;
        cbor::encode(&Value::Array(vec![
            cbor::uint(self.generation),
            cbor::bytes(&self.key_id),
            cbor::uint(l.epoch),
            cbor::uint(l.issued_at),
            cbor::uint(l.revoked_before),
            Value::Array(
                l.entries
                    .iter()
                    .map(|e| Value::Array(vec![cbor::bytes(&e.token_id), cbor::uint(e.expires)]))
                    .collect(),
            ),
        ]))
    }

    pub(crate) fn decode(bytes: &[u8], slot: usize) -> Result<Self, ProtocolError> {
        let mut r = reader(bytes, 6)?;
        let generation = r.uint("generation")?;
        let key_id = r.fixed::<KEY_ID_LEN>("key id")?;
        let epoch = r.uint("epoch")?;
        let issued_at = r.uint("issued at")?;
        let revoked_before = r.uint("revoked before")?;
        let entries = r
            .array("entries", MAX_REVOKED)?
            .into_iter()
            .map(|e| {
                let mut e = ArrayReader::new(e, 2, "lock record")?;
                Ok(RevokedToken {
                    token_id: e.fixed::<TOKEN_ID_LEN>("token id")?,
                    expires: e.uint("expires")?,
                })
            })
            .collect::<Result<_, ProtocolError>>()?;
        Ok(Self {
            generation,
            key_id,
            list: HeldList {
                epoch,
                issued_at,
                revoked_before,
                entries,
                slot: Some(slot),
            },
        })
    }
}

impl EntryRecord {
    pub(crate) fn encode(&self) -> Result<Vec<u8>, ProtocolError> {
        let e = &self.entry;
        cbor::encode(&Value::Array(vec![
            cbor::uint(self.generation),
            cbor::bytes(&e.request_id),
            cbor::bytes(&e.token_id),
            cbor::uint(e.command as u64),
            cbor::uint(u64::from(e.status.code())),
            cbor::uint(e.bolt as u64),
            cbor::uint(e.counter),
            cbor::uint(e.lock_time),
            cbor::uint(self.horizon),
        ]))
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let bad = |what: &str| ProtocolError::malformed("lock record", what.to_owned());
        let mut r = reader(bytes, 9)?;
        Ok(Self {
            generation: r.uint("generation")?,
            entry: CachedResult {
                request_id: r.fixed::<REQUEST_ID_LEN>("request id")?,
                token_id: r.fixed::<TOKEN_ID_LEN>("token id")?,
                command: Command::from_code(r.uint("command")?).ok_or_else(|| bad("command"))?,
                status: Status::from_code(r.uint("status")?).ok_or_else(|| bad("status"))?,
                bolt: bolt_of(r.uint("bolt")?)?,
                counter: r.uint("counter")?,
                lock_time: r.uint("lock time")?,
            },
            horizon: r.uint("horizon")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::MAX_RECORD_LEN;

    #[test]
    fn the_largest_records_fit_a_storage_area_and_round_trip() {
        let key = PublicKey::from_coordinates(&[1; 32], &[2; 32]).unwrap();
        let state = StateRecord {
            generation: u64::MAX,
            lock_id: "l".repeat(MAX_ID_LEN),
            mode: LockMode::Normal,
            issuers: vec![key; MAX_ISSUERS],
            issuers_time: u64::MAX,
            floor: u64::MAX,
            counter: u64::MAX,
            bolt: BoltState::Jammed,
            horizon: u64::MAX,
        };
        let bytes = state.encode().unwrap();
        assert!(bytes.len() <= MAX_RECORD_LEN, "state {}", bytes.len());
        assert_eq!(StateRecord::decode(&bytes).unwrap(), state);
        let list = ListRecord {
            generation: u64::MAX,
            key_id: [3; KEY_ID_LEN],
            list: HeldList {
                epoch: u64::MAX,
                issued_at: u64::MAX,
                revoked_before: u64::MAX,
                entries: vec![
                    RevokedToken {
                        token_id: [4; 16],
                        expires: u64::MAX
                    };
                    MAX_REVOKED
                ],
                slot: Some(2),
            },
        };
        let bytes = list.encode().unwrap();
        assert!(bytes.len() <= MAX_RECORD_LEN, "list {}", bytes.len());
        assert_eq!(ListRecord::decode(&bytes, 2).unwrap(), list);
    }
}
