//! The reference lock: the logic lock firmware runs, and a simulated lock
//! that wraps it for tests and development.
//!
//! [`ReferenceLock`] holds everything a lock keeps (its key, trusted issuer
//! keys, a clock floor, the revocation list, the recent request ids, the
//! bolt, the counter, the mode) and answers protocol messages. It talks to
//! the world only through [`LockHardware`]: the real-time clock, the battery
//! gauge, the motor and the random source. It never panics on input.
//!
//! [`SimulatedLock`] supplies that hardware in software, with a settable
//! clock and faults (jam, low battery, dead), and speaks GATT fragments.
//!
//! With the feature `bluez-standin`, [`standin`] serves simulated locks
//! through a stand-in for BlueZ on D-Bus, for end-to-end BLE tests.

mod hardware;
mod reference;
pub mod scenario;
mod sim;
#[cfg(feature = "bluez-standin")]
pub mod standin;
mod store;

pub use hardware::{LockHardware, RandomUnavailable, SystemRandomSource};
pub use reference::{LockConfig, ReferenceLock};
pub use sim::{SETUP_BUTTON_WINDOW_SECS, SimControls, SimHardware, SimulatedLock};
pub use store::{MAX_ISSUERS, REQUEST_CACHE_LEN};

/// How long a Hello's nonce may be answered, in seconds.
pub const SESSION_TIMEOUT_SECS: u64 = 30;
