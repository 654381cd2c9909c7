//! P-256 (ES256) keys: public keys as 65-byte SEC1 points, the [`Signer`]
//! trait that platform keystores implement, and a software key on ring.

use std::fmt;

use ring::digest;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};

use crate::ProtocolError;

/// Length of an uncompressed SEC1 P-256 public key (`0x04 || x || y`).
pub const PUBLIC_KEY_LEN: usize = 65;
/// Length of an ES256 signature in COSE form (`r || s`, 32 bytes each).
pub const SIGNATURE_LEN: usize = 64;
/// Length of a key id: the first bytes of SHA-256 over the SEC1 public key.
pub const KEY_ID_LEN: usize = 8;

/// A P-256 public key, uncompressed SEC1 encoding.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    /// Parses an uncompressed SEC1 point. The point itself is checked on use
    /// (ring rejects points not on the curve when verifying).
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let arr: [u8; PUBLIC_KEY_LEN] = bytes
            .try_into()
            .map_err(|_| ProtocolError::InvalidKey("public key must be 65 bytes"))?;
        if arr[0] != 0x04 {
            return Err(ProtocolError::InvalidKey(
                "public key must be an uncompressed point",
            ));
        }
        Ok(Self(arr))
    }

    /// Builds a key from its affine coordinates (as carried in a COSE_Key).
    pub fn from_coordinates(x: &[u8], y: &[u8]) -> Result<Self, ProtocolError> {
        if x.len() != 32 || y.len() != 32 {
            return Err(ProtocolError::InvalidKey("coordinates must be 32 bytes"));
        }
        let mut arr = [0u8; PUBLIC_KEY_LEN];
        arr[0] = 0x04;
        arr[1..33].copy_from_slice(x);
        arr[33..].copy_from_slice(y);
        Ok(Self(arr))
    }

    /// The SEC1 bytes.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }

    /// The x coordinate.
    pub fn x(&self) -> &[u8] {
        &self.0[1..33]
    }

    /// The y coordinate.
    pub fn y(&self) -> &[u8] {
        &self.0[33..]
    }

    /// The key id: the first 8 bytes of SHA-256 over the SEC1 bytes.
    pub fn key_id(&self) -> [u8; KEY_ID_LEN] {
        let d = sha256(&self.0);
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&d[..KEY_ID_LEN]);
        id
    }

    /// Verifies an ES256 signature (`r || s`) over `msg`.
    pub fn verify(
        &self,
        msg: &[u8],
        signature: &[u8],
        what: &'static str,
    ) -> Result<(), ProtocolError> {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.0)
            .verify(msg, signature)
            .map_err(|_| ProtocolError::BadSignature(what))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(kid ")?;
        for b in self.key_id() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Something that holds a P-256 private key and signs with it: the issuer's
/// key on the server, the phone's keystore, the lock's secure element.
/// The private key never has to leave the implementation.
pub trait Signer {
    /// The public half of the key.
    fn public_key(&self) -> PublicKey;
    /// An ES256 signature (`r || s`) over `msg` (the signer hashes with SHA-256).
    fn sign(&self, msg: &[u8]) -> Result<[u8; SIGNATURE_LEN], ProtocolError>;
}

/// A P-256 key held in memory (ring). For the server's issuer key, the CLI,
/// the reference lock and tests; phones use their keystore instead.
pub struct SoftwareKey {
    pair: EcdsaKeyPair,
    public: PublicKey,
    rng: SystemRandom,
}

impl SoftwareKey {
    /// Makes a new random key and returns it with its PKCS#8 encoding
    /// (for whoever must store it).
    pub fn generate() -> Result<(Self, Vec<u8>), ProtocolError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| ProtocolError::InvalidKey("could not generate a key"))?;
        let key = Self::from_pkcs8(pkcs8.as_ref())?;
        Ok((key, pkcs8.as_ref().to_vec()))
    }

    /// Loads a key from PKCS#8 DER.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, ProtocolError> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|_| ProtocolError::InvalidKey("not a P-256 PKCS#8 key"))?;
        Self::from_pair(pair, rng)
    }

    /// Loads a key from its raw private scalar (32 bytes) and SEC1 public key,
    /// the form the test vectors use.
    pub fn from_raw(private_scalar: &[u8], public: &[u8]) -> Result<Self, ProtocolError> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            private_scalar,
            public,
            &rng,
        )
        .map_err(|_| ProtocolError::InvalidKey("private and public key do not match"))?;
        Self::from_pair(pair, rng)
    }

    fn from_pair(pair: EcdsaKeyPair, rng: SystemRandom) -> Result<Self, ProtocolError> {
        let public = PublicKey::from_sec1(pair.public_key().as_ref())?;
        Ok(Self { pair, public, rng })
    }
}

impl Signer for SoftwareKey {
    fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; SIGNATURE_LEN], ProtocolError> {
        let sig = self
            .pair
            .sign(&self.rng, msg)
            .map_err(|_| ProtocolError::SigningFailed("ring could not sign".into()))?;
        sig.as_ref()
            .try_into()
            .map_err(|_| ProtocolError::SigningFailed("unexpected signature length".into()))
    }
}

impl fmt::Debug for SoftwareKey {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_message_and_key() {
        let (a, _) = SoftwareKey::generate().unwrap();
        let (b, _) = SoftwareKey::generate().unwrap();
        let sig = a.sign(b"open").unwrap();
        assert!(a.public_key().verify(b"open", &sig, "t").is_ok());
        assert!(a.public_key().verify(b"opem", &sig, "t").is_err());
        assert!(b.public_key().verify(b"open", &sig, "t").is_err());
    }

    #[test]
    fn debug_output_never_contains_the_private_key() {
        let (k, pkcs8) = SoftwareKey::generate().unwrap();
        let s = format!("{k:?}");
        assert!(s.contains("kid"));
        // The private scalar sits near the start of the PKCS#8 body; no
        // window of it may appear in hex in the debug output.
        let hex: String = pkcs8.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!s.contains(&hex[72..104]));
    }

    #[test]
    fn public_keys_of_the_wrong_shape_are_refused() {
        assert!(PublicKey::from_sec1(&[4u8; 64]).is_err());
        let mut compressed = [0u8; 65];
        compressed[0] = 0x02;
        assert!(PublicKey::from_sec1(&compressed).is_err());
    }
}
