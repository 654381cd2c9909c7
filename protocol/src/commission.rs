//! The commissioning grant: how a new lock learns its lock id and the key of
//! the issuer it will trust.
//!
//! A lock leaves the factory in commissioning mode with its own key pair and
//! nothing else. Its Hello then carries its public key. The technician's app
//! sends that key to the server, which registers it under a lock id and
//! returns a grant signed by the issuer key: (lock key hash, lock id, issuer
//! key, issued-at, expiry). The lock accepts a grant only if it names the
//! lock's own key, so a grant is useless for any other lock; it then trusts
//! the issuer key inside the grant (trust on first use). That first use is
//! guarded physically: a lock is in commissioning mode only when new or after
//! a Decommission command or a factory reset with the button inside the door,
//! and it takes a grant only within minutes of a press of its setup button.
//! A grant's times are checked but never raise the lock's clock floor: anyone
//! can make a grant, so its `issued_at` is not a time the lock can trust.

use ciborium::Value;

use crate::ProtocolError;
use crate::cbor::{self, ArrayReader};
use crate::keys::{PUBLIC_KEY_LEN, PublicKey, Signer, sha256};
use crate::messages::MAX_GRANT_LEN;
use crate::token::{MAX_ID_LEN, Sign1, sign1};

/// Domain string of the grant payload.
pub const COMMISSION_DOMAIN: &str = "nyckelfri/commission/v2";

/// What a grant says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionGrant {
    /// SHA-256 of the lock's SEC1 public key.
    pub lock_key_hash: [u8; 32],
    /// The id the lock takes.
    pub lock_id: String,
    /// The issuer key the lock will trust.
    pub issuer_key: PublicKey,
    /// When the issuer made it.
    pub issued_at: u64,
    /// After this the grant is refused.
    pub expires: u64,
}

impl CommissionGrant {
    /// Makes the grant for `lock_key`, signed by `issuer`.
    pub fn issue(
        lock_key: &PublicKey,
        lock_id: &str,
        issuer: &dyn Signer,
        issued_at: u64,
        expires: u64,
    ) -> Result<Vec<u8>, ProtocolError> {
        if lock_id.is_empty() || lock_id.len() > MAX_ID_LEN {
            return Err(ProtocolError::TokenRule("lock id must be 1..=64 bytes"));
        }
        if expires <= issued_at {
            return Err(ProtocolError::TokenRule(
                "grant expiry must be after issued-at",
            ));
        }
        let payload = cbor::encode(&Value::Array(vec![
            cbor::text(COMMISSION_DOMAIN),
            cbor::bytes(&sha256(lock_key.as_bytes())),
            cbor::text(lock_id),
            cbor::bytes(issuer.public_key().as_bytes()),
            cbor::uint(issued_at),
            cbor::uint(expires),
        ]))?;
        sign1(payload, issuer, "commission grant")
    }

    /// Reads a grant and verifies it with the issuer key it carries. The
    /// caller still checks the lock key hash and the time.
    pub fn verify_self_signed(bytes: &[u8]) -> Result<CommissionGrant, ProtocolError> {
        let s = Sign1::parse(bytes, MAX_GRANT_LEN, "commission grant")?;
        let grant = Self::decode(s.payload())?;
        s.verify(&grant.issuer_key, "commission grant")?;
        Ok(grant)
    }

    /// Reads a grant without verifying it (the app reading the grant the
    /// server gave it, to know which issuer the lock will trust).
    pub fn read_unverified(bytes: &[u8]) -> Result<CommissionGrant, ProtocolError> {
        let s = Sign1::parse(bytes, MAX_GRANT_LEN, "commission grant")?;
        Self::decode(s.payload())
    }

    fn decode(payload: &[u8]) -> Result<CommissionGrant, ProtocolError> {
        let mut r = ArrayReader::new(
            cbor::decode(payload, "commission grant")?,
            6,
            "commission grant",
        )?;
        if r.text("domain", 32)? != COMMISSION_DOMAIN {
            return Err(ProtocolError::malformed("commission grant", "wrong domain"));
        }
        let lock_key_hash = r.fixed::<32>("lock key hash")?;
        let lock_id = r.text("lock id", MAX_ID_LEN)?;
        if lock_id.is_empty() {
            return Err(ProtocolError::malformed(
                "commission grant",
                "empty lock id",
            ));
        }
        let issuer_key = PublicKey::from_sec1(&r.bytes("issuer key", PUBLIC_KEY_LEN)?)?;
        let issued_at = r.uint("issued at")?;
        let expires = r.uint("expires")?;
        Ok(CommissionGrant {
            lock_key_hash,
            lock_id,
            issuer_key,
            issued_at,
            expires,
        })
    }
}
