//! Simulated locks for the demo and `lock-sim`: reference locks with given
//! keys, commissioned to trust an issuer, in normal mode, their clocks set;
//! and the private bus the stand-in BlueZ serves them on.

use nyckelfri_lock::standin::PrivateBus;
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::messages::LockMode;
use nyckelfri_protocol::{PublicKey, SoftwareKey};

use crate::exit::{CliError, Exit};

/// A lock id and its private key (PKCS#8 DER).
pub struct LockKey {
    /// The lock's id.
    pub lock_id: String,
    /// PKCS#8 DER of the lock's key (test-only material).
    pub pkcs8: Vec<u8>,
}

/// Commissioned simulated locks, clocks at `time` (Unix seconds).
pub fn build(
    keys: &[LockKey],
    issuer: &PublicKey,
    time: u64,
) -> Result<Vec<SimulatedLock>, CliError> {
    keys.iter()
        .map(|k| {
            let key = SoftwareKey::from_pkcs8(&k.pkcs8).map_err(|e| {
                CliError::failed(format!("the key of lock {} is unusable: {e}", k.lock_id))
            })?;
            Ok(SimulatedLock::new(
                Box::new(key),
                LockConfig {
                    lock_id: k.lock_id.clone(),
                    issuers: vec![issuer.clone()],
                    mode: LockMode::Normal,
                },
                time,
            ))
        })
        .collect()
}

/// Whether `program` is an executable file on `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            let p = dir.join(program);
            p.is_file() && is_executable(&p)
        })
    })
}

#[cfg(unix)]
fn is_executable(p: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_p: &std::path::Path) -> bool {
    true
}

/// Starts a private `dbus-daemon` for the stand-in BlueZ.
pub fn private_bus() -> Result<PrivateBus, CliError> {
    if !on_path("dbus-daemon") {
        return Err(CliError::new(
            Exit::Setup,
            "dbus-daemon is not installed: the stand-in BlueZ needs a private D-Bus",
            "sudo apt-get install dbus-daemon (or run the demo with --transport memory)",
        ));
    }
    PrivateBus::start().map_err(|e| {
        CliError::new(
            Exit::Setup,
            format!("the private D-Bus did not start: {e}"),
            "check that dbus-daemon runs (dbus-daemon --version), or use --transport memory",
        )
    })
}
