//! This device's state for real use: the data directory, the app database
//! and the software device key in it, and opening the core on them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nyckelfri_core::time::SystemClocks;
use nyckelfri_core::transport::{MemoryTransport, SimulatedLockSet};
use nyckelfri_core::{AppConfig, DeviceSigner, NyckelfriApp, NyckelfriError, SoftwareSigner};

use crate::exit::{CliError, Exit};

/// The app database in the data directory.
pub const DB_FILE: &str = "app.sqlite3";
/// The device key (P-256, PKCS#8, mode 0600) in the data directory.
pub const KEY_FILE: &str = "device.key";

/// `--data-dir`, else `$XDG_DATA_HOME/nyckelfri`, else `~/.local/share/nyckelfri`.
pub fn data_dir(given: Option<PathBuf>) -> Result<PathBuf, CliError> {
    if let Some(d) = given {
        return Ok(d);
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from)
        && x.is_absolute()
    {
        return Ok(x.join("nyckelfri"));
    }
    match std::env::var_os("HOME").map(PathBuf::from) {
        Some(home) if home.is_absolute() => Ok(home.join(".local/share/nyckelfri")),
        _ => Err(CliError::new(
            Exit::Setup,
            "no data directory: neither XDG_DATA_HOME nor HOME is set",
            "give one with --data-dir DIR (or NYCKELFRI_DATA_DIR)",
        )),
    }
}

/// Creates `dir` readable only by its owner.
pub fn ensure_private_dir(dir: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::new(
            Exit::Setup,
            format!("cannot create {}: {e}", dir.display()),
            "choose another place with --data-dir DIR",
        )
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Refuses early, without creating anything, when this device was never enrolled.
pub fn require_enrolled(dir: &Path) -> Result<(), CliError> {
    if dir.join(DB_FILE).exists() {
        Ok(())
    } else {
        Err(NyckelfriError::NotEnrolled.into())
    }
}

fn config(dir: &Path, connect_timeout_ms: u32) -> AppConfig {
    AppConfig {
        database_path: dir.join(DB_FILE).display().to_string(),
        connect_timeout_ms,
        message_timeout_ms: 5_000,
        sync_backoff_ms: 500,
    }
}

fn signer(dir: &Path) -> Result<Arc<dyn DeviceSigner>, CliError> {
    let s = SoftwareSigner::open_or_create(dir.join(KEY_FILE).display().to_string())?;
    Ok(s)
}

/// The app without a radio: for enroll, sync and visits.
pub fn open_without_locks(dir: &Path) -> Result<Arc<NyckelfriApp>, CliError> {
    Ok(NyckelfriApp::with_parts(
        config(dir, 10_000),
        signer(dir)?,
        Arc::new(MemoryTransport::new(SimulatedLockSet::new())),
        Box::new(SystemClocks),
    )?)
}

/// The app over Bluetooth LE (BlueZ on Linux), for opening doors.
pub fn open_with_bluetooth(dir: &Path, timeout_secs: u32) -> Result<Arc<NyckelfriApp>, CliError> {
    let ms = timeout_secs.saturating_mul(1000);
    NyckelfriApp::open(config(dir, ms), signer(dir)?).map_err(|e| match e {
        NyckelfriError::Internal { reason } => CliError::new(
            Exit::Setup,
            format!("Bluetooth cannot start: {reason}"),
            "check that Bluetooth is on and BlueZ (bluetoothd) is running",
        ),
        e => e.into(),
    })
}
