//! The device key. On phones it lives in the platform keystore (Android
//! Keystore/StrongBox, iOS Secure Enclave) and never leaves it: the shell
//! implements [`DeviceSigner`]. The CLI, the demo and tests use
//! `SoftwareSigner` (feature `simulation`), a ring key in a file only its
//! owner can read; store builds have none.

use std::sync::Arc;

use nyckelfri_protocol::keys::SIGNATURE_LEN;
use nyckelfri_protocol::{ProtocolError, PublicKey, Signer};

use crate::error::{Error, NyckelfriError};

/// Signs with the device key. Implemented by the shells over the platform
/// keystore; the private key never crosses this interface.
#[uniffi::export(with_foreign)]
pub trait DeviceSigner: Send + Sync {
    /// The public key: 65 bytes, uncompressed SEC1 P-256.
    fn public_key(&self) -> Result<Vec<u8>, NyckelfriError>;
    /// An ECDSA P-256 / SHA-256 signature over `message`, as 64 bytes `r || s`
    /// (convert from DER if the keystore returns DER).
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, NyckelfriError>;
}

/// The shell's signer seen as a protocol [`Signer`], with its public key
/// read once and checked.
pub(crate) struct DeviceKey {
    signer: Arc<dyn DeviceSigner>,
    public: PublicKey,
}

impl DeviceKey {
    pub(crate) fn new(signer: Arc<dyn DeviceSigner>) -> Result<Self, Error> {
        let bytes = signer
            .public_key()
            .map_err(|e| Error::Signer(e.to_string()))?;
        let public =
            PublicKey::from_sec1(&bytes).map_err(|e| Error::Signer(format!("public key: {e}")))?;
        Ok(Self { signer, public })
    }
}

impl Signer for DeviceKey {
    fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; SIGNATURE_LEN], ProtocolError> {
        let sig = self
            .signer
            .sign(msg.to_vec())
            .map_err(|e| ProtocolError::SigningFailed(e.to_string()))?;
        let sig: [u8; SIGNATURE_LEN] = sig.try_into().map_err(|_| {
            ProtocolError::SigningFailed("the keystore's signature is not 64 bytes r||s".into())
        })?;
        // A keystore that signed with another key would make every unlock
        // fail at the lock as "proof of possession"; say so here instead.
        self.public
            .verify(msg, &sig, "device signature")
            .map_err(|_| {
                ProtocolError::SigningFailed("signature does not match the device key".into())
            })?;
        Ok(sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nyckelfri_protocol::SoftwareKey;

    /// A keystore that answers with a signature from another key, or in DER.
    struct Broken {
        claims: Vec<u8>,
        signs_with: SoftwareKey,
        der: bool,
    }

    impl DeviceSigner for Broken {
        fn public_key(&self) -> Result<Vec<u8>, NyckelfriError> {
            Ok(self.claims.clone())
        }
        fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, NyckelfriError> {
            let sig = self.signs_with.sign(&message).unwrap().to_vec();
            Ok(if self.der {
                [vec![0x30, 0x44], sig].concat()
            } else {
                sig
            })
        }
    }

    #[test]
    fn a_keystore_signing_with_another_key_or_in_der_is_caught_here() {
        let real = SoftwareKey::generate().unwrap().0;
        for der in [false, true] {
            let k = DeviceKey::new(Arc::new(Broken {
                claims: real.public_key().as_bytes().to_vec(),
                signs_with: SoftwareKey::generate().unwrap().0,
                der,
            }))
            .unwrap();
            assert!(matches!(
                Signer::sign(&k, b"transcript"),
                Err(ProtocolError::SigningFailed(_))
            ));
        }
    }
}
