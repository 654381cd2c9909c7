//! The issuer key and the admin token: made at first start into the data
//! directory (mode 0600), or loaded from a path given in the configuration.
//! Never logged, never committed.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use nyckelfri_protocol::{Signer, SoftwareKey};

use crate::codec;
use crate::error::{Error, Result};

/// File name of the generated issuer key (PKCS#8 DER) in the data directory.
pub const ISSUER_KEY_FILE: &str = "issuer-key.p8";
/// File name of the generated admin token in the data directory.
pub const ADMIN_TOKEN_FILE: &str = "admin-token";

/// Creates the data directory (mode 0700) if it is missing, with a
/// `.gitignore` of `*` so that its keys are never committed by accident.
pub fn ensure_data_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        fs::create_dir_all(dir)?;
        restrict(dir, 0o700)?;
        fs::write(dir.join(".gitignore"), "# secrets: never commit\n*\n")?;
    }
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

#[cfg(unix)]
fn warn_if_open(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = fs::metadata(path)
        && m.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            file = %path.display(),
            "a secret file is readable by group or others; chmod 600 it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_open(_path: &Path) {}

/// Writes a new secret file with mode 0600; fails if it exists.
fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// Reads a PKCS#8 key as DER, or PEM (`-----BEGIN PRIVATE KEY-----`).
fn parse_pkcs8(bytes: &[u8]) -> Result<SoftwareKey> {
    let der = if bytes.starts_with(b"-----BEGIN") {
        let text = String::from_utf8_lossy(bytes);
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .concat();
        base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(|_| Error::Config("issuer key PEM is not valid base64".into()))?
    } else {
        bytes.to_vec()
    };
    SoftwareKey::from_pkcs8(&der)
        .map_err(|_| Error::Config("issuer key is not a P-256 PKCS#8 key".into()))
}

/// Loads the issuer key from `path`, or from the data directory, where it
/// is generated (mode 0600) on first start.
pub fn load_or_create_issuer(data_dir: &Path, path: Option<&Path>) -> Result<SoftwareKey> {
    if let Some(p) = path {
        let bytes = fs::read(p)
            .map_err(|e| Error::Config(format!("cannot read issuer key {}: {e}", p.display())))?;
        warn_if_open(p);
        return parse_pkcs8(&bytes);
    }
    let p = data_dir.join(ISSUER_KEY_FILE);
    if p.exists() {
        warn_if_open(&p);
        return parse_pkcs8(&fs::read(&p)?);
    }
    let (key, pkcs8) = SoftwareKey::generate()?;
    write_secret(&p, &pkcs8)?;
    tracing::info!(key_id = %hex::encode(key.public_key().key_id()), "generated a new issuer key");
    Ok(key)
}

/// Reads the admin token from the data directory, generating it (mode
/// 0600) when missing. Returns the token.
pub fn load_or_create_admin_token(data_dir: &Path) -> Result<String> {
    let p = data_dir.join(ADMIN_TOKEN_FILE);
    if p.exists() {
        warn_if_open(&p);
        let t = fs::read_to_string(&p)?.trim().to_owned();
        if t.len() < 32 {
            return Err(Error::Config(format!(
                "{} is too short (at least 32 characters)",
                p.display()
            )));
        }
        return Ok(t);
    }
    let token = format!("nfa_{}", hex::encode(codec::random_bytes::<32>()?));
    write_secret(&p, format!("{token}\n").as_bytes())?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_key_is_made_once_with_mode_0600_and_loaded_again() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_issuer(dir.path(), None).unwrap();
        let b = load_or_create_issuer(dir.path(), None).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let m = fs::metadata(dir.path().join(ISSUER_KEY_FILE)).unwrap();
            assert_eq!(m.permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn a_configured_key_path_is_used_and_bad_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (k, pkcs8) = SoftwareKey::generate().unwrap();
        let p = dir.path().join("k.der");
        fs::write(&p, &pkcs8).unwrap();
        let loaded = load_or_create_issuer(dir.path(), Some(&p)).unwrap();
        assert_eq!(loaded.public_key(), k.public_key());
        assert!(!dir.path().join(ISSUER_KEY_FILE).exists());
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            codec::b64(&pkcs8)
        );
        fs::write(&p, pem).unwrap();
        assert_eq!(
            load_or_create_issuer(dir.path(), Some(&p))
                .unwrap()
                .public_key(),
            k.public_key()
        );
        fs::write(&p, b"junk").unwrap();
        assert!(load_or_create_issuer(dir.path(), Some(&p)).is_err());
        assert!(load_or_create_issuer(dir.path(), Some(&dir.path().join("missing"))).is_err());
    }

    #[test]
    fn a_new_data_dir_is_private_and_git_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("data");
        ensure_data_dir(&d).unwrap();
        assert!(
            fs::read_to_string(d.join(".gitignore"))
                .unwrap()
                .contains('*')
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&d).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
    }

    #[test]
    fn the_admin_token_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_admin_token(dir.path()).unwrap();
        assert_eq!(a, load_or_create_admin_token(dir.path()).unwrap());
        assert!(a.len() > 60);
    }
}
