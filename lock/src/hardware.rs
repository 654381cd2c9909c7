//! The lock's view of its hardware. Firmware implements this on the chip;
//! the simulated lock implements it in software.

use nyckelfri_protocol::messages::BoltState;
use ring::rand::{SecureRandom, SystemRandom};

/// The random source failed; the lock must not start a session without a
/// fresh nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no random bytes available for a nonce")]
pub struct RandomUnavailable;

/// What the lock logic needs from the device it runs on.
pub trait LockHardware: Send {
    /// The real-time clock, Unix seconds. May be unset (0) or wrong; the lock
    /// floors it with the newest issued-at it has accepted.
    fn rtc_now(&self) -> u64;
    /// Battery level in percent.
    fn battery_percent(&self) -> u8;
    /// Drives the bolt to `target`. Returns false if the bolt did not get there.
    fn drive_bolt(&mut self, target: BoltState) -> bool;
    /// Whether the setup button inside the door was pressed within the last
    /// few minutes (physical presence, required to commission).
    fn setup_button_recently_pressed(&self) -> bool;
    /// Fills `buf` with cryptographically secure random bytes (for nonces).
    fn fill_random(&mut self, buf: &mut [u8]) -> Result<(), RandomUnavailable>;
}

/// Random bytes from the operating system, through ring.
#[derive(Debug)]
pub struct SystemRandomSource(SystemRandom);

impl Default for SystemRandomSource {
    fn default() -> Self {
        Self(SystemRandom::new())
    }
}

impl SystemRandomSource {
    /// Fills `buf` from the OS.
    pub fn fill(&self, buf: &mut [u8]) -> Result<(), RandomUnavailable> {
        self.0.fill(buf).map_err(|_| RandomUnavailable)
    }
}
