//! The lock's view of its hardware. Firmware implements this on the chip;
//! the simulated lock implements it in software.

use nyckelfri_protocol::messages::BoltState;
use ring::rand::{SecureRandom, SystemRandom};

/// The random source failed; the lock must not start a session without a
/// fresh nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no random bytes available for a nonce")]
pub struct RandomUnavailable;

/// Persistent storage could not be read or written (a flash error, or the
/// power went while writing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("persistent storage failed")]
pub struct StorageError;

/// Size of one storage area in bytes: the most one write may hold.
pub const STORAGE_AREA_LEN: usize = 1024;

/// What the lock logic needs from the device it runs on.
pub trait LockHardware: Send {
    /// The real-time clock, Unix seconds, or `None` while it is not set
    /// (new, or it lost power). It may be wrong; the lock never lets its own
    /// time fall below its high-water mark.
    fn rtc_now(&self) -> Option<u64>;
    /// A monotonic tick in milliseconds: never goes back while the lock
    /// runs, restarts at boot, and keeps counting when the RTC stops.
    /// Sessions and nonces are timed by it, never by the RTC.
    fn ticks_ms(&self) -> u64;
    /// Battery level in percent.
    fn battery_percent(&self) -> u8;
    /// Drives the bolt to `target`. Returns false if the bolt did not get there.
    fn drive_bolt(&mut self, target: BoltState) -> bool;
    /// Whether the setup button inside the door was pressed within the last
    /// few minutes (physical presence, required to commission).
    fn setup_button_recently_pressed(&self) -> bool;
    /// Fills `buf` with cryptographically secure random bytes (for nonces).
    fn fill_random(&mut self, buf: &mut [u8]) -> Result<(), RandomUnavailable>;
    /// The bytes of storage area `area` (at most [`STORAGE_AREA_LEN`];
    /// empty if it was never written). Areas are numbered from 0 to
    /// [`crate::STORAGE_AREAS`] − 1.
    fn storage_read(&self, area: u16) -> Result<Vec<u8>, StorageError>;
    /// Writes `data` (at most [`STORAGE_AREA_LEN`] bytes) to `area`, from
    /// its start. A power cut may leave the area partly written; the lock
    /// keeps two areas per record, so the previous copy survives.
    fn storage_write(&mut self, area: u16, data: &[u8]) -> Result<(), StorageError>;
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
