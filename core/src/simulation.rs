//! What only the demo, the CLI and tests may do (feature `simulation`):
//! open the app over simulated locks, a chosen transport or chosen clocks,
//! and feed it a day bundle directly. None of it is in a store build.

use std::sync::Arc;

use crate::app::{AppConfig, NyckelfriApp};
use crate::bundle::{self, DayBundle};
use crate::error::NyckelfriError;
use crate::signer::DeviceSigner;
use crate::time::{Clocks, SystemClocks};
use crate::transport::{LockTransport, MemoryTransport, SimulatedLockSet};

impl NyckelfriApp {
    /// Opens the app over any transport and clocks (Rust callers, tests).
    pub fn with_parts(
        config: AppConfig,
        signer: Arc<dyn DeviceSigner>,
        transport: Arc<dyn LockTransport>,
        clocks: Box<dyn Clocks>,
    ) -> Result<Arc<Self>, NyckelfriError> {
        Self::assemble(config, signer, transport, clocks)
    }

    /// Stores the day's bundle (visits, keys, lock keys, settings,
    /// revocation lists) and anchors trusted time to its server time, as a
    /// sync would.
    pub fn apply_bundle(&self, bundle: &DayBundle) -> Result<(), NyckelfriError> {
        let app = self.inner();
        Ok(app.store.write(|tx| bundle::apply(tx, &app.time, bundle))?)
    }
}

#[uniffi::export]
impl NyckelfriApp {
    /// Opens the app with simulated locks instead of Bluetooth (the demo,
    /// development and tests). A damaged database is moved aside and
    /// reported; open again to start fresh.
    #[uniffi::constructor]
    pub fn open_with_simulated_locks(
        config: AppConfig,
        signer: Arc<dyn DeviceSigner>,
        locks: Arc<SimulatedLockSet>,
    ) -> Result<Arc<Self>, NyckelfriError> {
        Self::assemble(
            config,
            signer,
            Arc::new(MemoryTransport::new(locks)),
            Box::new(SystemClocks),
        )
    }

    /// Stores a day bundle given as JSON (the server's bundle format).
    pub fn apply_bundle_json(&self, json: String) -> Result<(), NyckelfriError> {
        let bundle: DayBundle =
            serde_json::from_str(&json).map_err(|e| NyckelfriError::InvalidInput {
                reason: format!("bundle: {e}"),
            })?;
        self.apply_bundle(&bundle)
    }
}
