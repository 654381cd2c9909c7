//! The reference lock: the logic lock firmware runs, and a simulated lock
//! that wraps it for tests and development.
//!
//! [`ReferenceLock`] holds everything a lock keeps (its key, trusted issuer
//! keys, a time high-water mark, one revocation list per issuer, the recent
//! request ids, the bolt, the counter, the mode), keeps it in persistent
//! storage so that a reboot or a power cut loses none of it, and answers
//! protocol messages. It talks to the world only through [`LockHardware`]:
//! the real-time clock, a monotonic tick, the battery gauge, the motor, the
//! random source and the storage. It never panics on input.
//!
//! [`SimulatedLock`] supplies that hardware in software, with a settable
//! clock, storage in memory or in a file, and faults (jam, low battery,
//! dead, a power cut in the middle of a write), and speaks GATT fragments.
//!
//! With the feature `bluez-standin`, [`standin`] serves simulated locks
//! through a stand-in for BlueZ on D-Bus, for end-to-end BLE tests.

mod hardware;
mod persist;
mod reference;
pub mod scenario;
mod sim;
#[cfg(feature = "bluez-standin")]
pub mod standin;
mod store;

pub use hardware::{
    LockHardware, RandomUnavailable, STORAGE_AREA_LEN, StorageError, SystemRandomSource,
};
pub use persist::STORAGE_AREAS;
pub use reference::{LockConfig, ReferenceLock};
pub use sim::{SETUP_BUTTON_WINDOW_SECS, SimControls, SimHardware, SimulatedLock};
pub use store::{MAX_ISSUERS, REQUEST_CACHE_LEN};

/// How long a Hello's nonce may be answered, in seconds of the monotonic tick.
pub const SESSION_TIMEOUT_SECS: u64 = 30;

/// The lock stores its time high-water mark at least this often (seconds of
/// lock time), besides at every carried-out command.
pub const FLOOR_PERSIST_SECS: u64 = 3_600;
