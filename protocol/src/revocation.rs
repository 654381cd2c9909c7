//! The issuer-signed revocation list of one lock. Each issuer keeps its own
//! rising epoch per lock; a lock installs a list only if it names the lock,
//! comes from an issuer it trusts and is newer than the one it holds from
//! that issuer. Entries carry the token's expiry so a lock can drop them
//! once they can no longer matter, which keeps its storage bounded; when a
//! lock's revoked tokens do not fit, the issuer revokes every token for the
//! lock issued before a moment (`revoked_before`) instead.

use ciborium::Value;

use crate::cbor::{self, ArrayReader};
use crate::keys::{KEY_ID_LEN, PublicKey, Signer};
use crate::messages::MAX_REVOCATION_LEN;
use crate::token::{MAX_ID_LEN, Sign1, sign1};
use crate::{ProtocolError, TOKEN_ID_LEN};

/// Domain string of the list payload.
pub const REVOCATION_DOMAIN: &str = "nyckelfri/revocation/v2";
/// Most entries a list may hold (and a lock must store per issuer).
pub const MAX_REVOKED: usize = 32;

/// One revoked token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RevokedToken {
    /// The token id (`cti`).
    pub token_id: [u8; TOKEN_ID_LEN],
    /// The token's expiry: after it the entry can be dropped.
    pub expires: u64,
}

/// A revocation list's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationList {
    /// The lock it is for.
    pub lock_id: String,
    /// Rising epoch, per issuer and lock; a lock ignores lists not newer
    /// than the one it holds from the same issuer.
    pub epoch: u64,
    /// When the issuer made it (Unix seconds).
    pub issued_at: u64,
    /// Every token of this issuer for this lock issued (`iat`) before this
    /// time is revoked (0: none). Used when the entries would not fit.
    pub revoked_before: u64,
    /// Revoked tokens that have not yet expired.
    pub revoked: Vec<RevokedToken>,
}

/// What a list claims, read without verifying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListHeader {
    /// The key id of the issuer key that signed it.
    pub key_id: [u8; KEY_ID_LEN],
    /// The lock it names.
    pub lock_id: String,
    /// The epoch it claims.
    pub epoch: u64,
}

impl RevocationList {
    /// Signs the list with the issuer key (tagged COSE_Sign1, ES256).
    pub fn sign(&self, issuer: &dyn Signer) -> Result<Vec<u8>, ProtocolError> {
        if self.revoked.len() > MAX_REVOKED {
            return Err(ProtocolError::Oversized {
                what: "revocation list",
                len: self.revoked.len(),
                max: MAX_REVOKED,
            });
        }
        if self.lock_id.is_empty() || self.lock_id.len() > MAX_ID_LEN {
            return Err(ProtocolError::TokenRule("lock id must be 1..=64 bytes"));
        }
        let entries = self
            .revoked
            .iter()
            .map(|r| Value::Array(vec![cbor::bytes(&r.token_id), cbor::uint(r.expires)]))
            .collect();
        let payload = cbor::encode(&Value::Array(vec![
            cbor::text(REVOCATION_DOMAIN),
            cbor::text(&self.lock_id),
            cbor::uint(self.epoch),
            cbor::uint(self.issued_at),
            cbor::uint(self.revoked_before),
            Value::Array(entries),
        ]))?;
        let bytes = sign1(payload, issuer, "revocation list")?;
        if bytes.len() > MAX_REVOCATION_LEN {
            return Err(ProtocolError::Oversized {
                what: "revocation list",
                len: bytes.len(),
                max: MAX_REVOCATION_LEN,
            });
        }
        Ok(bytes)
    }

    /// The signer, lock and epoch a signed list claims, read without
    /// verifying: only for deciding whether the list is worth verifying.
    pub fn peek(bytes: &[u8]) -> Result<ListHeader, ProtocolError> {
        let s = Sign1::parse(bytes, MAX_REVOCATION_LEN, "revocation list")?;
        let mut r = reader(s.payload())?;
        Ok(ListHeader {
            key_id: s.key_id(),
            lock_id: r.text("lock id", MAX_ID_LEN)?,
            epoch: r.uint("epoch")?,
        })
    }

    /// Verifies a signed list with the issuer key and returns its content.
    pub fn verify(bytes: &[u8], issuer: &PublicKey) -> Result<RevocationList, ProtocolError> {
        let s = Sign1::parse(bytes, MAX_REVOCATION_LEN, "revocation list")?;
        Self::read(reader(s.verify(issuer, "revocation list")?)?)
    }

    /// Reads a list without verifying it (a phone showing what it carries).
    pub fn read_unverified(bytes: &[u8]) -> Result<RevocationList, ProtocolError> {
        let s = Sign1::parse(bytes, MAX_REVOCATION_LEN, "revocation list")?;
        Self::read(reader(s.payload())?)
    }

    fn read(mut r: ArrayReader) -> Result<RevocationList, ProtocolError> {
        let lock_id = r.text("lock id", MAX_ID_LEN)?;
        let epoch = r.uint("epoch")?;
        let issued_at = r.uint("issued at")?;
        let revoked_before = r.uint("revoked before")?;
        let mut revoked = Vec::new();
        for entry in r.array("entries", MAX_REVOKED)? {
            let mut e = ArrayReader::new(entry, 2, "revocation entry")?;
            revoked.push(RevokedToken {
                token_id: e.fixed::<TOKEN_ID_LEN>("token id")?,
                expires: e.uint("expires")?,
            });
        }
        Ok(RevocationList {
            lock_id,
            epoch,
            issued_at,
            revoked_before,
            revoked,
        })
    }
}

/// The payload's reader, past the domain string.
fn reader(payload: &[u8]) -> Result<ArrayReader, ProtocolError> {
    let mut r = ArrayReader::new(
        cbor::decode(payload, "revocation list")?,
        6,
        "revocation list",
    )?;
    if r.text("domain", 32)? != REVOCATION_DOMAIN {
        return Err(ProtocolError::malformed("revocation list", "wrong domain"));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SoftwareKey;

    fn full(lock_id: &str, times: u64) -> RevocationList {
        RevocationList {
            lock_id: lock_id.into(),
            epoch: u64::MAX,
            issued_at: times,
            revoked_before: times,
            revoked: (0..MAX_REVOKED)
                .map(|i| RevokedToken {
                    token_id: [i as u8; 16],
                    expires: times,
                })
                .collect(),
        }
    }

    #[test]
    fn a_full_list_with_the_largest_values_fits_the_bound_and_verifies() {
        let (issuer, _) = SoftwareKey::generate().unwrap();
        let list = full(&"l".repeat(MAX_ID_LEN), u64::MAX);
        let bytes = list.sign(&issuer).unwrap();
        assert!(bytes.len() <= MAX_REVOCATION_LEN, "{} bytes", bytes.len());
        assert_eq!(
            RevocationList::verify(&bytes, &issuer.public_key()).unwrap(),
            list
        );
        assert_eq!(
            RevocationList::peek(&bytes).unwrap(),
            ListHeader {
                key_id: issuer.public_key().key_id(),
                lock_id: list.lock_id.clone(),
                epoch: u64::MAX,
            }
        );
    }

    #[test]
    fn a_list_with_too_many_entries_is_not_signed() {
        let (issuer, _) = SoftwareKey::generate().unwrap();
        let mut list = full("lock-1", 0);
        list.revoked.push(list.revoked[0]);
        assert!(matches!(
            list.sign(&issuer),
            Err(ProtocolError::Oversized { .. })
        ));
    }
}
