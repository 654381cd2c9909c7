//! What the lock keeps between sessions, each part bounded so a lock with a
//! few kilobytes of flash can hold it.

use std::collections::VecDeque;

use nyckelfri_protocol::messages::{BoltState, Command};
use nyckelfri_protocol::revocation::{MAX_REVOKED, RevokedToken};
use nyckelfri_protocol::{PublicKey, REQUEST_ID_LEN, Status, TOKEN_ID_LEN};

/// Most issuer keys a lock trusts at once (key rollover needs two).
pub const MAX_ISSUERS: usize = 4;
/// How many recent request ids a lock remembers with their results.
pub const REQUEST_CACHE_LEN: usize = 32;

/// The trusted issuer keys.
#[derive(Debug, Clone, Default)]
pub(crate) struct Issuers(Vec<PublicKey>);

impl Issuers {
    pub(crate) fn set(&mut self, keys: Vec<PublicKey>) {
        self.0 = keys;
        self.0.truncate(MAX_ISSUERS);
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    pub(crate) fn find(&self, key_id: &[u8; 8]) -> Option<&PublicKey> {
        self.0.iter().find(|k| &k.key_id() == key_id)
    }
}

/// The newest revocation list the lock has accepted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Revocations {
    pub(crate) epoch: u64,
    entries: Vec<RevokedToken>,
}

impl Revocations {
    /// Installs a newer list, keeping only entries that can still matter.
    pub(crate) fn install(&mut self, epoch: u64, entries: Vec<RevokedToken>, now: u64) {
        self.epoch = epoch;
        self.entries = entries.into_iter().filter(|e| e.expires > now).collect();
        self.entries.truncate(MAX_REVOKED);
    }

    pub(crate) fn is_revoked(&self, token_id: &[u8; TOKEN_ID_LEN]) -> bool {
        self.entries.iter().any(|e| &e.token_id == token_id)
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
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

/// Recent request ids, oldest dropped first.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestCache(VecDeque<CachedResult>);

impl RequestCache {
    pub(crate) fn get(&self, request_id: &[u8; REQUEST_ID_LEN]) -> Option<&CachedResult> {
        self.0.iter().find(|c| &c.request_id == request_id)
    }

    pub(crate) fn insert(&mut self, entry: CachedResult) {
        if self.0.len() == REQUEST_CACHE_LEN {
            self.0.pop_front();
        }
        self.0.push_back(entry);
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
}
