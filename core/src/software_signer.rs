//! A software device key in a file only its owner can read: for the CLI,
//! the demo and tests (feature `simulation`). A phone keeps its device key
//! in the platform keystore; a store build has no way to load a key from a
//! file.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use nyckelfri_protocol::{Signer, SoftwareKey};

use crate::error::{Error, NyckelfriError};
use crate::signer::DeviceSigner;

/// A software device key kept in a file readable only by its owner.
#[derive(uniffi::Object)]
pub struct SoftwareSigner {
    key: SoftwareKey,
}

#[uniffi::export]
impl SoftwareSigner {
    /// Loads the key at `path`, or makes one there (mode 0600) if there is
    /// none. Refuses a file that others can read.
    #[uniffi::constructor]
    pub fn open_or_create(path: String) -> Result<Arc<Self>, NyckelfriError> {
        Ok(Arc::new(Self::load(Path::new(&path))?))
    }
}

impl SoftwareSigner {
    fn load(path: &Path) -> Result<Self, Error> {
        if !path.exists() {
            let (key, pkcs8) = SoftwareKey::generate()?;
            write_private(path, &pkcs8)?;
            return Ok(Self { key });
        }
        check_private(path)?;
        let pkcs8 = fs::read(path)?;
        let key = SoftwareKey::from_pkcs8(&pkcs8)
            .map_err(|_| Error::KeyFile("not a P-256 PKCS#8 key".into()))?;
        Ok(Self { key })
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)?;
    Ok(())
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(Error::KeyFile(format!(
            "{} can be read by others (mode {:o}); it must be 600",
            path.display(),
            mode & 0o777
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), Error> {
    Ok(())
}

#[uniffi::export]
impl DeviceSigner for SoftwareSigner {
    fn public_key(&self) -> Result<Vec<u8>, NyckelfriError> {
        Ok(self.key.public_key().as_bytes().to_vec())
    }

    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, NyckelfriError> {
        self.key
            .sign(&message)
            .map(|s| s.to_vec())
            .map_err(|e| NyckelfriError::Signer {
                reason: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nyckelfri_protocol::PublicKey;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_new_key_file_is_private_and_loads_as_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key");
        let a = SoftwareSigner::open_or_create(path.display().to_string()).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let b = SoftwareSigner::open_or_create(path.display().to_string()).unwrap();
        assert_eq!(a.public_key().unwrap(), b.public_key().unwrap());
        let sig = b.sign(b"hello".to_vec()).unwrap();
        let public = PublicKey::from_sec1(&a.public_key().unwrap()).unwrap();
        assert!(public.verify(b"hello", &sig, "t").is_ok());
    }

    #[test]
    fn a_key_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key");
        SoftwareSigner::open_or_create(path.display().to_string()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = SoftwareSigner::open_or_create(path.display().to_string())
            .err()
            .unwrap();
        assert!(matches!(err, NyckelfriError::KeyFile { .. }), "{err}");
    }

    #[test]
    fn a_damaged_key_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key");
        write_private(&path, b"garbage").unwrap();
        let err = SoftwareSigner::open_or_create(path.display().to_string())
            .err()
            .unwrap();
        assert!(matches!(err, NyckelfriError::KeyFile { .. }), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"garbage");
    }
}
