//! How the core reaches a lock. The unlock flow speaks whole protocol
//! messages through these traits; fragmentation, radios and timeouts of the
//! medium stay inside each implementation.

#[cfg(feature = "ble")]
mod android;
#[cfg(feature = "ble")]
mod ble;
#[cfg(feature = "simulation")]
mod memory;

#[cfg(feature = "ble")]
pub use ble::BleTransport;
#[cfg(feature = "simulation")]
pub use memory::{MemoryTransport, SimulatedLockSet};

/// Why a transport could not deliver.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No lock with that id answered (out of range, dead, not advertising).
    #[error("lock not found")]
    NotFound,
    /// The lock was found but the connection could not be made.
    #[error("connection failed: {0}")]
    ConnectFailed(String),
    /// The link broke (or the lock went silent) after it was made.
    #[error("link lost: {0}")]
    LinkLost(String),
    /// What arrived could not be read as a message.
    #[error("garbled: {0}")]
    Garbled(String),
}

/// Finds locks and connects to them.
#[async_trait::async_trait]
pub trait LockTransport: Send + Sync {
    /// Connects to the lock with this id. The lock's Hello is the first
    /// message [`LockLink::receive`] returns.
    async fn connect(&self, lock_id: &str) -> Result<Box<dyn LockLink>, TransportError>;

    /// Connects to a factory-new (or decommissioned) lock, which has no id
    /// yet and is known by its public key (from its label or the order).
    async fn connect_commissioning(
        &self,
        lock_key: &nyckelfri_protocol::PublicKey,
    ) -> Result<Box<dyn LockLink>, TransportError>;
}

/// One connection to one lock.
#[async_trait::async_trait]
pub trait LockLink: Send {
    /// Sends one whole message.
    async fn send(&mut self, message: &[u8]) -> Result<(), TransportError>;
    /// Waits for the next whole message from the lock.
    async fn receive(&mut self) -> Result<Vec<u8>, TransportError>;
    /// Disconnects. Always called, whatever happened.
    async fn close(&mut self);
}
