//! The issuer-signed revocation list. Its epoch only rises; a lock installs
//! a list only if its epoch is newer than the one it holds. Entries carry the
//! token's expiry so a lock can drop them once they can no longer matter,
//! which keeps its storage bounded.

use ciborium::Value;

use crate::cbor::{self, ArrayReader};
use crate::keys::{KEY_ID_LEN, PublicKey, Signer};
use crate::messages::MAX_REVOCATION_LEN;
use crate::token::{Sign1, sign1};
use crate::{ProtocolError, TOKEN_ID_LEN};

/// Most entries a list may hold (and a lock must store).
pub const MAX_REVOKED: usize = 96;

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
    /// Rising epoch; a lock ignores lists not newer than its own.
    pub epoch: u64,
    /// When the issuer made it (Unix seconds).
    pub issued_at: u64,
    /// Revoked tokens that have not yet expired.
    pub revoked: Vec<RevokedToken>,
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
        let entries = self
            .revoked
            .iter()
            .map(|r| Value::Array(vec![cbor::bytes(&r.token_id), cbor::uint(r.expires)]))
            .collect();
        let payload = cbor::encode(&Value::Array(vec![
            cbor::uint(self.epoch),
            cbor::uint(self.issued_at),
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

    /// The issuer key id a signed list names.
    pub fn signer_key_id(bytes: &[u8]) -> Result<[u8; KEY_ID_LEN], ProtocolError> {
        Ok(Sign1::parse(bytes, MAX_REVOCATION_LEN, "revocation list")?.key_id())
    }

    /// The epoch a signed list claims, read without verifying: only for
    /// deciding whether the list is worth verifying at all.
    pub fn peek_epoch(bytes: &[u8]) -> Result<u64, ProtocolError> {
        let s = Sign1::parse(bytes, MAX_REVOCATION_LEN, "revocation list")?;
        let mut r = ArrayReader::new(
            cbor::decode(s.payload()?, "revocation list")?,
            3,
            "revocation list",
        )?;
        r.uint("epoch")
    }

    /// Verifies a signed list with the issuer key and returns its content.
    pub fn verify(bytes: &[u8], issuer: &PublicKey) -> Result<RevocationList, ProtocolError> {
        let s = Sign1::parse(bytes, MAX_REVOCATION_LEN, "revocation list")?;
        let payload = s.verify(issuer, "revocation list")?;
        let mut r = ArrayReader::new(
            cbor::decode(payload, "revocation list")?,
            3,
            "revocation list",
        )?;
        let epoch = r.uint("epoch")?;
        let issued_at = r.uint("issued at")?;
        let mut revoked = Vec::new();
        for entry in r.array("entries", MAX_REVOKED)? {
            let mut e = ArrayReader::new(entry, 2, "revocation entry")?;
            revoked.push(RevokedToken {
                token_id: e.fixed::<TOKEN_ID_LEN>("token id")?,
                expires: e.uint("expires")?,
            });
        }
        Ok(RevocationList {
            epoch,
            issued_at,
            revoked,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SoftwareKey;

    #[test]
    fn a_full_list_fits_the_request_bound_and_verifies() {
        let (issuer, _) = SoftwareKey::generate().unwrap();
        let list = RevocationList {
            epoch: 9,
            issued_at: 1_700_000_000,
            revoked: (0..MAX_REVOKED)
                .map(|i| RevokedToken {
                    token_id: [i as u8; 16],
                    expires: 1_700_086_400,
                })
                .collect(),
        };
        let bytes = list.sign(&issuer).unwrap();
        assert_eq!(
            RevocationList::verify(&bytes, &issuer.public_key()).unwrap(),
            list
        );
    }

    #[test]
    fn a_list_with_too_many_entries_is_not_signed() {
        let (issuer, _) = SoftwareKey::generate().unwrap();
        let list = RevocationList {
            epoch: 1,
            issued_at: 0,
            revoked: vec![
                RevokedToken {
                    token_id: [0; 16],
                    expires: 0
                };
                MAX_REVOKED + 1
            ],
        };
        assert!(matches!(
            list.sign(&issuer),
            Err(ProtocolError::Oversized { .. })
        ));
    }
}
