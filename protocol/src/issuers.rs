//! The issuer update: how a lock's trusted issuer keys change after
//! commissioning (key rollover, PROTOCOL.md §6.5). It is signed by a key the
//! lock already trusts and names the complete new set (1 to 4 keys); a lock
//! applies it only if it is newer than the set it holds. The set's time is
//! the update's `issued_at` (or the grant's, right after commissioning).

use ciborium::Value;

use crate::cbor::{self, ArrayReader};
use crate::keys::{KEY_ID_LEN, PUBLIC_KEY_LEN, PublicKey, Signer};
use crate::messages::{MAX_ISSUER_UPDATE_LEN, MAX_ISSUERS};
use crate::token::{Sign1, sign1};
use crate::{MAX_TIME, ProtocolError};

/// Domain string of the update payload.
pub const ISSUERS_DOMAIN: &str = "nyckelfri/issuers/v2";

/// A new set of trusted issuer keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerUpdate {
    /// When the issuer made it; a lock applies only a newer one than it holds.
    pub issued_at: u64,
    /// The complete new set, 1 to 4 keys, in order (no key twice).
    pub keys: Vec<PublicKey>,
}

impl IssuerUpdate {
    /// Signs the update with a key the locks trust now.
    pub fn sign(&self, signer: &dyn Signer) -> Result<Vec<u8>, ProtocolError> {
        check_keys(&self.keys).map_err(|_| ProtocolError::TokenRule("1 to 4 distinct keys"))?;
        if self.issued_at > MAX_TIME {
            return Err(ProtocolError::TokenRule("time out of range"));
        }
        let payload = cbor::encode(&Value::Array(vec![
            cbor::text(ISSUERS_DOMAIN),
            cbor::uint(self.issued_at),
            Value::Array(
                self.keys
                    .iter()
                    .map(|k| cbor::bytes(k.as_bytes()))
                    .collect(),
            ),
        ]))?;
        sign1(payload, signer, "issuer update")
    }

    /// The key id of the key that signed it, read without verifying.
    pub fn signer_key_id(bytes: &[u8]) -> Result<[u8; KEY_ID_LEN], ProtocolError> {
        Ok(Sign1::parse(bytes, MAX_ISSUER_UPDATE_LEN, "issuer update")?.key_id())
    }

    /// The signer's key id and the update's `issued_at`, read without
    /// verifying: only for deciding whether the update is worth verifying.
    pub fn peek(bytes: &[u8]) -> Result<([u8; KEY_ID_LEN], u64), ProtocolError> {
        let s = Sign1::parse(bytes, MAX_ISSUER_UPDATE_LEN, "issuer update")?;
        let mut r = reader(s.payload())?;
        Ok((s.key_id(), r.uint("issued at")?))
    }

    /// Reads an update without verifying it (to show what it would do).
    pub fn read_unverified(bytes: &[u8]) -> Result<IssuerUpdate, ProtocolError> {
        let s = Sign1::parse(bytes, MAX_ISSUER_UPDATE_LEN, "issuer update")?;
        Self::read(reader(s.payload())?)
    }

    /// Verifies an update with the (trusted) key that signed it.
    pub fn verify(bytes: &[u8], signer: &PublicKey) -> Result<IssuerUpdate, ProtocolError> {
        let s = Sign1::parse(bytes, MAX_ISSUER_UPDATE_LEN, "issuer update")?;
        Self::read(reader(s.verify(signer, "issuer update")?)?)
    }

    fn read(mut r: ArrayReader) -> Result<IssuerUpdate, ProtocolError> {
        let issued_at = r.uint("issued at")?;
        if issued_at > MAX_TIME {
            return Err(ProtocolError::malformed(
                "issuer update",
                "time out of range",
            ));
        }
        let keys = r
            .array("keys", MAX_ISSUERS)?
            .into_iter()
            .map(|k| {
                PublicKey::from_sec1(&cbor::bytes_of(k, "issuer update", "key", PUBLIC_KEY_LEN)?)
            })
            .collect::<Result<Vec<_>, _>>()?;
        check_keys(&keys)?;
        Ok(IssuerUpdate { issued_at, keys })
    }
}

fn reader(payload: &[u8]) -> Result<ArrayReader, ProtocolError> {
    let mut r = ArrayReader::new(cbor::decode(payload, "issuer update")?, 3, "issuer update")?;
    if r.text("domain", 32)? != ISSUERS_DOMAIN {
        return Err(ProtocolError::malformed("issuer update", "wrong domain"));
    }
    Ok(r)
}

fn check_keys(keys: &[PublicKey]) -> Result<(), ProtocolError> {
    let distinct = keys
        .iter()
        .enumerate()
        .all(|(i, k)| keys.iter().skip(i + 1).all(|o| o.key_id() != k.key_id()));
    if keys.is_empty() || keys.len() > MAX_ISSUERS || !distinct {
        return Err(ProtocolError::malformed(
            "issuer update",
            "the set must hold 1 to 4 distinct keys",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SoftwareKey;

    #[test]
    fn an_update_round_trips_and_only_its_signer_verifies_it() {
        let (old, _) = SoftwareKey::generate().unwrap();
        let (new, _) = SoftwareKey::generate().unwrap();
        let update = IssuerUpdate {
            issued_at: 1_800_000_000,
            keys: vec![old.public_key(), new.public_key()],
        };
        let bytes = update.sign(&old).unwrap();
        assert!(bytes.len() <= MAX_ISSUER_UPDATE_LEN);
        assert_eq!(
            IssuerUpdate::signer_key_id(&bytes).unwrap(),
            old.public_key().key_id()
        );
        assert_eq!(
            IssuerUpdate::verify(&bytes, &old.public_key()).unwrap(),
            update
        );
        assert!(IssuerUpdate::verify(&bytes, &new.public_key()).is_err());
    }

    #[test]
    fn an_empty_or_repeated_set_is_not_signed() {
        let (k, _) = SoftwareKey::generate().unwrap();
        for keys in [vec![], vec![k.public_key(), k.public_key()]] {
            assert!(IssuerUpdate { issued_at: 1, keys }.sign(&k).is_err());
        }
    }
}
